//! # Referral rebate pallet
//!
//! Referral offers and escrowed rebates whose documents carry ordered signature chains, as the
//! claims of Chinese patent CN113177820B ("resource processing method and system") describe them.
//!
//! ## Overview
//!
//! A merchant turns a customer's purchase into two signed documents: a referral **offer** (a
//! discount for a friend of the customer, the *referee*) and a **rebate** (an amount paid to the
//! customer at a *rebate block*). The documents travel merchant → customer → referee and back,
//! each party adding its signature over the document and every signature before it, in the order
//! the claims give:
//!
//! | document | signing order | broadcast by |
//! |---|---|---|
//! | [`Offer`] | merchant → customer → referee | merchant, in [`Pallet::settle_referral`] |
//! | [`ReferredPurchase`] | customer → referee → merchant (its extrinsic) | merchant, in [`Pallet::settle_referral`] |
//! | [`Rebate`] | merchant → referee → customer | customer, in [`Pallet::submit_rebate`] |
//!
//! Before the offer's settle-by block the merchant broadcasts the referee's discounted purchase
//! with the all-signed offer; the referee pays the discounted price. Before the rebate block the
//! customer broadcasts the all-signed rebate; the rebate amount moves from the merchant's free
//! balance onto a hold, so the payout cannot fail later. At the rebate block the pallet's hook
//! closes the promotion exactly once: it pays the held rebate to the customer if the rebate's
//! [`PayoutCondition`] holds, and otherwise releases it back to the merchant.
//!
//! ## Terminology
//!
//! | here | patent (claims) |
//! |---|---|
//! | merchant | 商戶方 (merchant, its application server) |
//! | customer | 客戶方 (customer, its device) |
//! | referee | 第三方 (third party, its device) |
//! | purchase | 第一類交易 (first-type transaction) |
//! | original price / discounted price | 第一資源數量 / 第二資源數量 |
//! | offer | 事件描述信息 (event description information) with its 資源減免策略 |
//! | rebate | 第二類交易 (second-type transaction) |
//! | rebate block (`pay_at`) / rebate amount | 資源回饋時刻 / 資源回饋數量 |
//! | settle-by block (`settle_by`) | 預定時刻 (predetermined time) |
//! | the rebate reaches the chain before `pay_at`, sent by the customer | 預定條件 (predetermined condition) |
//! | promotion | one offer and its rebate, keyed by (merchant, promotion id) |
//! | link | one party's signature in a document's chain ([`Link`]) |
//!
//! ## Signature chains
//!
//! Link *k* of a chain signs [`types::signing_payload`]: `blake2_256(DOMAIN ‖ genesis hash ‖
//! SCALE(document) ‖ SCALE(links 0..k) ‖ SCALE(designated account))`. The domain tag binds it to
//! one document kind, the genesis hash to one chain, the earlier links to one order of signers.
//! The customer's offer link and the referee's rebate link designate the referee. A link's
//! [`Framing`] says whether its signature is over the payload itself or over
//! `<Bytes>payload</Bytes>` (as browser wallets sign raw messages); either way each link costs one
//! signature verification. The pallet is generic over the signature ([`Config::Signature`]), so
//! `MultiSignature` with sr25519, ed25519 and ecdsa keys all work.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! - [`Pallet::purchase`]: a customer buys from a merchant; the purchase is recorded.
//! - [`Pallet::settle_referral`]: the merchant broadcasts a referred purchase with its offer.
//! - [`Pallet::submit_rebate`]: the customer broadcasts the all-signed rebate; it is escrowed.
//! - [`Pallet::refund`]: the merchant refunds a purchase (the review period before the rebate
//!   block).
//! - [`Pallet::close_overdue`]: anyone closes a promotion whose rebate block has passed, if the
//!   hook has not reached it yet.
//!
//! ### Hooks
//!
//! - `on_initialize`: closes the promotions due at this block (and any carried from earlier
//!   blocks), within [`Config::MaxHookWeight`]; what does not fit is carried to the next block.
//!
//! The full protocol and a claim-by-claim mapping live in the repository's `docs/`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(any(test, feature = "mock"))]
pub mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
	weights::WeightMeter,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{IdentifyAccount, One, SaturatedConversion, Saturating, Verify, Zero};

/// How many consecutive blocks' agenda lengths one [`AgendaLens`] entry holds.
pub const AGENDA_CHUNK: u32 = 32;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// An [`Offer`] on this chain.
pub type OfferOf<T> =
	Offer<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// A [`Rebate`] on this chain.
pub type RebateOf<T> =
	Rebate<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// A [`ReferredPurchase`] on this chain.
pub type ReferredPurchaseOf<T> =
	ReferredPurchase<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// A [`Link`] on this chain.
pub type LinkOf<T> = Link<<T as frame_system::Config>::AccountId, <T as Config>::Signature>;
/// An offer with its signature chain.
pub type SignedOfferOf<T> =
	Signed<OfferOf<T>, <T as frame_system::Config>::AccountId, <T as Config>::Signature>;
/// A rebate with its signature chain.
pub type SignedRebateOf<T> =
	Signed<RebateOf<T>, <T as frame_system::Config>::AccountId, <T as Config>::Signature>;
/// A referred purchase with its signature chain.
pub type SignedPurchaseOf<T> =
	Signed<ReferredPurchaseOf<T>, <T as frame_system::Config>::AccountId, <T as Config>::Signature>;
/// A recorded purchase on this chain.
pub type PurchaseRecordOf<T> = PurchaseRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
/// An open promotion on this chain.
pub type PromotionOf<T> =
	Promotion<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A purchase recorded on chain (an established first-type transaction).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PurchaseRecord<AccountId, Balance> {
	/// The seller.
	pub merchant: AccountId,
	/// The buyer (the customer of a later offer, or the referee of a referred purchase).
	pub buyer: AccountId,
	/// The price paid.
	pub price: Balance,
	/// The promotion this purchase was referred by, if any.
	pub promotion_id: Option<PromotionId>,
	/// Whether the merchant has refunded it.
	pub refunded: bool,
}

/// The referral side of an open promotion: the settled referred purchase.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SettledReferral {
	/// The referred purchase recorded by `settle_referral`.
	pub purchase_id: PurchaseId,
	/// Whether the merchant refunded it before the rebate block.
	pub refunded: bool,
}

/// The rebate side of an open promotion: the escrowed amount.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct EscrowedRebate<Balance> {
	/// The amount on hold on the merchant's account.
	pub amount: Balance,
	/// When it is paid.
	pub condition: PayoutCondition,
}

/// An open promotion: what reached the chain of one offer and its rebate, until the rebate block.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Promotion<AccountId, Balance, BlockNumber> {
	/// The customer (referrer).
	pub customer: AccountId,
	/// The referee the chains designated.
	pub referee: AccountId,
	/// The rebate block: the promotion's outcome is fixed by what reached the chain before it.
	pub pay_at: BlockNumber,
	/// The block whose agenda closes the promotion: `pay_at`, or a few blocks later when the
	/// agendas from `pay_at` on were full.
	pub due: BlockNumber,
	/// The settled referred purchase, once `settle_referral` ran.
	pub referral: Option<SettledReferral>,
	/// The escrowed rebate, once `submit_rebate` ran.
	pub rebate: Option<EscrowedRebate<Balance>>,
}

/// Why a held rebate went back to the merchant.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum LapseReason {
	/// The condition was `ReferralSettled` and no referred purchase was settled.
	NotSettled,
	/// The condition was `ReferralSettled` and the merchant refunded the referred purchase before
	/// the rebate block.
	Refunded,
	/// The transfer to the customer failed; the escrow was released rather than stranded.
	PayoutFailed,
}

/// Signs benchmark documents: the runtime tells the benchmarks how to make keys and signatures of
/// its [`Config::Signature`] type.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// A fresh account whose key this helper can sign with.
	fn account(seed: u32) -> AccountId;
	/// `account`'s signature over `message`.
	fn sign(account: &AccountId, message: &[u8]) -> Signature;
}

/// Benchmark keys for `MultiSignature` chains: sr25519 keys in the keystore extension.
#[cfg(feature = "runtime-benchmarks")]
pub struct Sr25519BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<sp_runtime::AccountId32, sp_runtime::MultiSignature>
	for Sr25519BenchmarkHelper
{
	fn account(seed: u32) -> sp_runtime::AccountId32 {
		// A raw hex seed: the keystore derives the key directly, without the BIP-39 key
		// stretching a phrase or `//path` costs at every signature (setup time only).
		let raw = codec::Encode::using_encoded(
			&(b"referral-rebate-bench", seed),
			sp_io::hashing::blake2_256,
		);
		let suri = alloc::format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&raw));
		let public = sp_io::crypto::sr25519_generate(Self::KEY_TYPE, Some(suri.into_bytes()));
		sp_runtime::MultiSigner::from(public).into_account()
	}
	fn sign(account: &sp_runtime::AccountId32, message: &[u8]) -> sp_runtime::MultiSignature {
		let public = sp_core::sr25519::Public::from_raw(*account.as_ref());
		sp_io::crypto::sr25519_sign(Self::KEY_TYPE, &public, message)
			.map(sp_runtime::MultiSignature::Sr25519)
			.unwrap_or_else(|| sp_runtime::MultiSignature::Sr25519([0u8; 64].into()))
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl Sr25519BenchmarkHelper {
	const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"rbte");
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A reason for the pallet placing a hold on funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A rebate submitted by its customer, held on the merchant's account until the rebate
		/// block.
		#[codec(index = 0)]
		RebateEscrow,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency prices are paid in and rebates are escrowed in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The signature parties sign document links with (off chain).
		type Signature: Verify<Signer = Self::Signer>
			+ Parameter
			+ DecodeWithMemTracking
			+ MaxEncodedLen;

		/// The public key behind [`Config::Signature`], identifying an account.
		type Signer: IdentifyAccount<AccountId = Self::AccountId>;

		/// The most promotions that may be due at one block.
		#[pallet::constant]
		type MaxDuePerBlock: Get<u32>;

		/// How many blocks after its rebate block a promotion may be put on an agenda when the
		/// agendas from its rebate block on are full (`AgendaFull` beyond that).
		#[pallet::constant]
		type MaxPayoutDelay: Get<u32>;

		/// The most weight `on_initialize` spends closing due promotions in one block; the rest
		/// is carried to the next block.
		#[pallet::constant]
		type MaxHookWeight: Get<Weight>;

		/// Weights of this pallet's calls and hook, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Keys and signatures for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// Recorded purchases, by id.
	#[pallet::storage]
	pub type Purchases<T: Config> =
		StorageMap<_, Twox64Concat, PurchaseId, PurchaseRecordOf<T>, OptionQuery>;

	/// The id the next recorded purchase gets.
	#[pallet::storage]
	pub type NextPurchaseId<T: Config> = StorageValue<_, PurchaseId, ValueQuery>;

	/// Open promotions, by merchant and promotion id. Removed when closed at the rebate block.
	#[pallet::storage]
	pub type Promotions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		PromotionId,
		PromotionOf<T>,
		OptionQuery,
	>;

	/// The promotions due at a block, by block and position: (merchant, promotion id).
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Twox64Concat,
		u32,
		(T::AccountId, PromotionId),
		OptionQuery,
	>;

	/// How many promotions are due at each block (each at most [`Config::MaxDuePerBlock`]),
	/// [`AGENDA_CHUNK`] consecutive blocks to an entry: entry `c` holds blocks
	/// `c · AGENDA_CHUNK` to `c · AGENDA_CHUNK + AGENDA_CHUNK - 1`, so finding an agenda with room
	/// among a rebate block and the `MaxPayoutDelay` blocks after it reads one or two entries, not
	/// one per block. An entry whose blocks are all empty is removed. Read and written through
	/// [`Pallet::agenda_len`] and [`Pallet::set_agenda_len`].
	#[pallet::storage]
	pub type AgendaLens<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, [u32; AGENDA_CHUNK as usize], ValueQuery>;

	/// Where the hook stopped when it ran out of weight: the block and agenda position from which
	/// promotions are still to be closed.
	#[pallet::storage]
	pub type Backlog<T: Config> = StorageValue<_, (BlockNumberFor<T>, u32), OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A purchase was recorded: `buyer` paid `price` to `merchant`.
		PurchaseRecorded {
			purchase_id: PurchaseId,
			merchant: T::AccountId,
			buyer: T::AccountId,
			price: BalanceOf<T>,
			promotion_id: Option<PromotionId>,
		},
		/// A referred purchase was settled: the referee bought at the discounted price.
		ReferralSettled {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			purchase_id: PurchaseId,
			price: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
		},
		/// An all-signed rebate was submitted; `amount` is held on the merchant's account until
		/// `pay_at`.
		RebateScheduled {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			amount: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
			condition: PayoutCondition,
		},
		/// The held rebate was paid to the customer.
		RebatePaid {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// The held rebate was released to the merchant.
		RebateLapsed {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			amount: BalanceOf<T>,
			reason: LapseReason,
		},
		/// A promotion reached its rebate block with no rebate submitted; it was closed.
		PromotionExpired {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
		},
		/// The merchant refunded a purchase. `promotion_id` names the open promotion whose
		/// referral the refund undid, if any.
		PurchaseRefunded {
			purchase_id: PurchaseId,
			merchant: T::AccountId,
			buyer: T::AccountId,
			amount: BalanceOf<T>,
			promotion_id: Option<PromotionId>,
		},
		/// The hook ran out of weight; promotions from `block`, position `index`, are carried to
		/// the next block.
		ClosingCarried { block: BlockNumberFor<T>, index: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A purchase's price is below the existential deposit.
		PriceBelowMinimum,
		/// A buyer cannot buy from itself.
		SelfPurchase,
		/// The buyer cannot pay the price and keep its account alive.
		CannotPayPrice,
		/// The sender is not the merchant of the offer.
		NotMerchant,
		/// The sender is not the customer of the rebate.
		NotCustomer,
		/// The sender is not the merchant of the purchase.
		NotPurchaseMerchant,
		/// The offer's settle-by block has been reached.
		SettleDeadlinePassed,
		/// The rebate block has been reached.
		RebateDeadlinePassed,
		/// The discounted price is not below the original price.
		DiscountNotBelowPrice,
		/// The settle-by block is not before the rebate block.
		SettleByNotBeforePayAt,
		/// Merchant, customer and referee are not three different accounts.
		PartiesNotDistinct,
		/// The rebate amount is below the existential deposit.
		RebateBelowMinimum,
		/// The referred purchase names another promotion or merchant than the offer.
		PurchasePromotionMismatch,
		/// The referred purchase's buyer is not the referee the offer designates.
		PurchaseBuyerNotReferee,
		/// The referred purchase's referrer is not the offer's customer.
		PurchaseReferrerNotCustomer,
		/// The referred purchase's price is not the offer's discounted price.
		PurchasePriceNotDiscounted,
		/// The referred purchase's settle-by block is not the offer's.
		PurchaseDeadlineMismatch,
		/// The offer's chain has the wrong number of links or a designation out of place.
		OfferChainMalformed,
		/// The rebate's chain has the wrong number of links or a designation out of place.
		RebateChainMalformed,
		/// The referred purchase's chain has the wrong number of links or a designation.
		PurchaseChainMalformed,
		/// The offer's first link is not the merchant's signature.
		BadOfferMerchantSignature,
		/// The offer's second link is not the customer's signature.
		BadOfferCustomerSignature,
		/// The offer's third link is not the referee's signature.
		BadOfferRefereeSignature,
		/// The rebate's first link is not the merchant's signature.
		BadRebateMerchantSignature,
		/// The rebate's second link is not the referee's signature.
		BadRebateRefereeSignature,
		/// The rebate's third link is not the customer's signature.
		BadRebateCustomerSignature,
		/// The referred purchase's first link is not the customer's signature.
		BadPurchaseCustomerSignature,
		/// The referred purchase's second link is not the referee's signature.
		BadPurchaseRefereeSignature,
		/// The offer's origin purchase is not recorded.
		UnknownOriginPurchase,
		/// The origin purchase has another merchant, buyer or price than the offer says.
		OriginPurchaseMismatch,
		/// The origin purchase was refunded.
		OriginPurchaseRefunded,
		/// This promotion's referral is already settled.
		AlreadySettled,
		/// This promotion's rebate is already submitted.
		RebateAlreadySubmitted,
		/// The promotion is open with another customer or rebate block than this document's.
		PromotionMismatch,
		/// The promotion is open with another referee than this chain designates.
		RefereeMismatch,
		/// The referee cannot pay the discounted price and keep its account alive.
		RefereeCannotPay,
		/// The merchant's free balance cannot cover the rebate escrow.
		MerchantCannotEscrow,
		/// The merchant's free balance cannot cover the refund.
		MerchantCannotRefund,
		/// The rebate block already has `MaxDuePerBlock` promotions due.
		AgendaFull,
		/// No purchase with this id is recorded.
		UnknownPurchase,
		/// The purchase was already refunded.
		AlreadyRefunded,
		/// No open promotion with this merchant and id.
		UnknownPromotion,
		/// The promotion's rebate block has not been reached.
		NotYetDue,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let mut meter = WeightMeter::with_limit(T::MaxHookWeight::get());
			Self::close_due(now, &mut meter);
			meter.consumed()
		}

		fn integrity_test() {
			assert!(T::MaxDuePerBlock::get() > 0, "MaxDuePerBlock must be at least 1");
			let one = T::WeightInfo::on_initialize(1);
			assert!(
				one.all_lte(T::MaxHookWeight::get()),
				"MaxHookWeight must fit the hook closing at least one promotion"
			);
			assert!(
				T::MaxHookWeight::get()
					.all_lte(<T as frame_system::Config>::BlockWeights::get().max_block),
				"MaxHookWeight must fit in a block"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Buy from `merchant` at `price`: the established first-type transaction offers point
		/// to.
		///
		/// - Origin: signed by the buyer.
		/// - Conditions: `price` is at least the existential deposit; the buyer is not the
		///   merchant; the buyer can pay `price` and keep its account alive.
		/// - Effects: `price` moves from the buyer to the merchant; the purchase is recorded
		///   under the next purchase id.
		/// - Events: [`Event::PurchaseRecorded`].
		/// - Errors: [`Error::PriceBelowMinimum`], [`Error::SelfPurchase`], [`Error::CannotPayPrice`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::purchase())]
		pub fn purchase(
			origin: OriginFor<T>,
			merchant: T::AccountId,
			price: BalanceOf<T>,
		) -> DispatchResult {
			let buyer = ensure_signed(origin)?;
			ensure!(
				!price.is_zero() && price >= T::Currency::minimum_balance(),
				Error::<T>::PriceBelowMinimum
			);
			ensure!(buyer != merchant, Error::<T>::SelfPurchase);
			T::Currency::transfer(&buyer, &merchant, price, Preservation::Preserve)
				.map_err(|_| Error::<T>::CannotPayPrice)?;
			Self::record_purchase(merchant, buyer, price, None)?;
			Ok(())
		}

		/// Settle a referred purchase: the merchant signs (by this extrinsic) and broadcasts the
		/// referee's purchase at the offer's discounted price (claims 1, 2 and 5).
		///
		/// - Origin: signed by the offer's merchant.
		/// - Conditions: the current block is before `offer.settle_by`; the offer has all three
		///   links (merchant, customer designating the referee, referee) and the referred
		///   purchase both of its links (customer, referee), each valid on this chain; the offer
		///   obeys the protocol's rules (discounted below original price, settle-by before the
		///   rebate block, three distinct parties); the referred purchase is the offer's
		///   (promotion, merchant, referee as buyer, customer as referrer, discounted price, settle-by block);
		///   the origin purchase is recorded with the offer's merchant, customer and original price
		///   and not refunded; the promotion's referral is not settled yet, and if its rebate was
		///   submitted first, it agrees on customer, referee and rebate block.
		/// - Effects: the referee pays the discounted price to the merchant; the referred
		///   purchase is recorded; the promotion is marked settled and, if new, put on the agenda
		///   of `offer.pay_at` (or of one of the next `MaxPayoutDelay` blocks if that is full).
		/// - Events: [`Event::PurchaseRecorded`], [`Event::ReferralSettled`].
		/// - Errors: [`Error::NotMerchant`], [`Error::OfferChainMalformed`],
		///   [`Error::PurchaseChainMalformed`], [`Error::SettleDeadlinePassed`],
		///   [`Error::DiscountNotBelowPrice`], [`Error::SettleByNotBeforePayAt`],
		///   [`Error::PartiesNotDistinct`], [`Error::PurchasePromotionMismatch`],
		///   [`Error::PurchaseBuyerNotReferee`], [`Error::PurchaseReferrerNotCustomer`],
		///   [`Error::PurchasePriceNotDiscounted`], [`Error::PurchaseDeadlineMismatch`],
		///   [`Error::UnknownOriginPurchase`],
		///   [`Error::OriginPurchaseMismatch`], [`Error::OriginPurchaseRefunded`],
		///   [`Error::AlreadySettled`], [`Error::PromotionMismatch`], [`Error::RefereeMismatch`],
		///   [`Error::AgendaFull`], the five `Bad…Signature` errors of the offer and the
		///   purchase, [`Error::RefereeCannotPay`], `ArithmeticError::Overflow` (purchase ids).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::settle_referral())]
		pub fn settle_referral(
			origin: OriginFor<T>,
			offer: Box<SignedOfferOf<T>>,
			purchase: Box<SignedPurchaseOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = &offer.document;
			let p = &purchase.document;
			ensure!(who == o.merchant, Error::<T>::NotMerchant);
			check_shape(&offer, true).map_err(|_| Error::<T>::OfferChainMalformed)?;
			check_shape(&purchase, true).map_err(|_| Error::<T>::PurchaseChainMalformed)?;

			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < o.settle_by, Error::<T>::SettleDeadlinePassed);
			ensure!(o.discounted_price < o.original_price, Error::<T>::DiscountNotBelowPrice);
			ensure!(o.settle_by < o.pay_at, Error::<T>::SettleByNotBeforePayAt);
			let referee = types::referee_of(o, &offer.links)
				.cloned()
				.ok_or(Error::<T>::OfferChainMalformed)?;
			ensure!(
				Self::distinct(&o.merchant, &o.customer, &referee),
				Error::<T>::PartiesNotDistinct
			);

			ensure!(
				p.promotion_id == o.promotion_id && p.merchant == o.merchant,
				Error::<T>::PurchasePromotionMismatch
			);
			ensure!(p.buyer == referee, Error::<T>::PurchaseBuyerNotReferee);
			ensure!(p.referrer == o.customer, Error::<T>::PurchaseReferrerNotCustomer);
			ensure!(p.price == o.discounted_price, Error::<T>::PurchasePriceNotDiscounted);
			ensure!(p.settle_by == o.settle_by, Error::<T>::PurchaseDeadlineMismatch);

			let origin_purchase =
				Purchases::<T>::get(o.origin_purchase).ok_or(Error::<T>::UnknownOriginPurchase)?;
			ensure!(
				origin_purchase.merchant == o.merchant
					&& origin_purchase.buyer == o.customer
					&& origin_purchase.price == o.original_price,
				Error::<T>::OriginPurchaseMismatch
			);
			ensure!(!origin_purchase.refunded, Error::<T>::OriginPurchaseRefunded);

			let existing = Promotions::<T>::get(&o.merchant, o.promotion_id);
			let slot = match &existing {
				Some(open) => {
					ensure!(open.referral.is_none(), Error::<T>::AlreadySettled);
					ensure!(
						open.customer == o.customer && open.pay_at == o.pay_at,
						Error::<T>::PromotionMismatch
					);
					ensure!(open.referee == referee, Error::<T>::RefereeMismatch);
					None
				}
				None => Some(Self::find_slot(o.pay_at)?),
			};

			let genesis = Self::genesis_hash();
			verify_links(&genesis, &offer).map_err(Self::offer_error)?;
			verify_links(&genesis, &purchase).map_err(Self::purchase_error)?;

			T::Currency::transfer(&referee, &o.merchant, p.price, Preservation::Preserve)
				.map_err(|_| Error::<T>::RefereeCannotPay)?;
			let purchase_id = Self::record_purchase(
				o.merchant.clone(),
				referee.clone(),
				p.price,
				Some(o.promotion_id),
			)?;
			let referral = Some(SettledReferral { purchase_id, refunded: false });
			match existing {
				Some(mut open) => {
					open.referral = referral;
					Promotions::<T>::insert(&o.merchant, o.promotion_id, open);
				}
				None => {
					let due = Self::schedule(slot, &o.merchant, o.promotion_id);
					Promotions::<T>::insert(
						&o.merchant,
						o.promotion_id,
						Promotion {
							customer: o.customer.clone(),
							referee: referee.clone(),
							pay_at: o.pay_at,
							due,
							referral,
							rebate: None,
						},
					);
				}
			}
			Self::deposit_event(Event::ReferralSettled {
				merchant: o.merchant.clone(),
				promotion_id: o.promotion_id,
				customer: o.customer.clone(),
				referee,
				purchase_id,
				price: p.price,
				pay_at: o.pay_at,
			});
			Ok(())
		}

		/// Submit the all-signed rebate: the customer broadcasts it before the rebate block
		/// (claims 1, 2 and 4), and the rebate amount is escrowed.
		///
		/// - Origin: signed by the rebate's customer.
		/// - Conditions: the current block is before `rebate.pay_at`; the rebate has all three
		///   links (merchant, referee designating itself, customer), each valid on this chain;
		///   the amount is at least the existential deposit; three distinct parties; the
		///   promotion's rebate is not submitted yet, and if its referral was settled first, it
		///   agrees on customer, referee and rebate block; the merchant can spend the
		///   amount (free, not frozen or locked, keeping the existential deposit).
		/// - Effects: the amount moves from the merchant's free balance onto a
		///   [`HoldReason::RebateEscrow`] hold; if new, the promotion is put on the agenda of
		///   `rebate.pay_at` (or of one of the next `MaxPayoutDelay` blocks if that is full).
		/// - Events: [`Event::RebateScheduled`].
		/// - Errors: [`Error::NotCustomer`], [`Error::RebateChainMalformed`],
		///   [`Error::RebateDeadlinePassed`], [`Error::RebateBelowMinimum`],
		///   [`Error::PartiesNotDistinct`], [`Error::RebateAlreadySubmitted`],
		///   [`Error::PromotionMismatch`], [`Error::RefereeMismatch`], [`Error::AgendaFull`], the
		///   three `BadRebate…Signature` errors, [`Error::MerchantCannotEscrow`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::submit_rebate())]
		pub fn submit_rebate(
			origin: OriginFor<T>,
			rebate: Box<SignedRebateOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = &rebate.document;
			ensure!(who == r.customer, Error::<T>::NotCustomer);
			check_shape(&rebate, true).map_err(|_| Error::<T>::RebateChainMalformed)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < r.pay_at, Error::<T>::RebateDeadlinePassed);
			ensure!(
				!r.amount.is_zero() && r.amount >= T::Currency::minimum_balance(),
				Error::<T>::RebateBelowMinimum
			);
			let referee = types::referee_of(r, &rebate.links)
				.cloned()
				.ok_or(Error::<T>::RebateChainMalformed)?;
			ensure!(
				Self::distinct(&r.merchant, &r.customer, &referee),
				Error::<T>::PartiesNotDistinct
			);

			let existing = Promotions::<T>::get(&r.merchant, r.promotion_id);
			let slot = match &existing {
				Some(open) => {
					ensure!(open.rebate.is_none(), Error::<T>::RebateAlreadySubmitted);
					ensure!(
						open.customer == r.customer && open.pay_at == r.pay_at,
						Error::<T>::PromotionMismatch
					);
					ensure!(open.referee == referee, Error::<T>::RefereeMismatch);
					None
				}
				None => Some(Self::find_slot(r.pay_at)?),
			};
			// Funds under a freeze or lock cannot be escrowed: the payout must never depend on
			// the merchant's other obligations.
			ensure!(
				T::Currency::reducible_balance(
					&r.merchant,
					Preservation::Protect,
					Fortitude::Polite
				) >= r.amount,
				Error::<T>::MerchantCannotEscrow
			);

			verify_links(&Self::genesis_hash(), &rebate).map_err(Self::rebate_error)?;

			T::Currency::hold(&HoldReason::RebateEscrow.into(), &r.merchant, r.amount)
				.map_err(|_| Error::<T>::MerchantCannotEscrow)?;
			let escrow = Some(EscrowedRebate { amount: r.amount, condition: r.condition });
			match existing {
				Some(mut open) => {
					open.rebate = escrow;
					Promotions::<T>::insert(&r.merchant, r.promotion_id, open);
				}
				None => {
					let due = Self::schedule(slot, &r.merchant, r.promotion_id);
					Promotions::<T>::insert(
						&r.merchant,
						r.promotion_id,
						Promotion {
							customer: r.customer.clone(),
							referee: referee.clone(),
							pay_at: r.pay_at,
							due,
							referral: None,
							rebate: escrow,
						},
					);
				}
			}
			Self::deposit_event(Event::RebateScheduled {
				merchant: r.merchant.clone(),
				promotion_id: r.promotion_id,
				customer: r.customer.clone(),
				referee,
				amount: r.amount,
				pay_at: r.pay_at,
				condition: r.condition,
			});
			Ok(())
		}

		/// Refund a purchase: the merchant pays its price back to the buyer. Refunding the
		/// referred purchase of an open promotion before its rebate block makes a
		/// `ReferralSettled` rebate lapse: the rebate block works as the review period.
		///
		/// - Origin: signed by the purchase's merchant.
		/// - Conditions: the purchase is recorded and not yet refunded; the merchant can pay the
		///   price and keep its account alive.
		/// - Effects: the price moves from the merchant to the buyer; the purchase is marked
		///   refunded; if it is the referral of a promotion whose rebate block has not been
		///   reached, the promotion records the refund.
		/// - Events: [`Event::PurchaseRefunded`].
		/// - Errors: [`Error::UnknownPurchase`], [`Error::NotPurchaseMerchant`],
		///   [`Error::AlreadyRefunded`], [`Error::MerchantCannotRefund`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::refund())]
		pub fn refund(origin: OriginFor<T>, purchase_id: PurchaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Purchases::<T>::get(purchase_id).ok_or(Error::<T>::UnknownPurchase)?;
			ensure!(who == record.merchant, Error::<T>::NotPurchaseMerchant);
			ensure!(!record.refunded, Error::<T>::AlreadyRefunded);
			T::Currency::transfer(
				&record.merchant,
				&record.buyer,
				record.price,
				Preservation::Preserve,
			)
			.map_err(|_| Error::<T>::MerchantCannotRefund)?;
			record.refunded = true;

			let now = frame_system::Pallet::<T>::block_number();
			let mut undone = None;
			if let Some(id) = record.promotion_id {
				Promotions::<T>::mutate(&record.merchant, id, |open| {
					if let Some(open) = open {
						if let Some(referral) = open.referral.as_mut() {
							if referral.purchase_id == purchase_id && now < open.pay_at {
								referral.refunded = true;
								undone = Some(id);
							}
						}
					}
				});
			}
			Self::deposit_event(Event::PurchaseRefunded {
				purchase_id,
				merchant: record.merchant.clone(),
				buyer: record.buyer.clone(),
				amount: record.price,
				promotion_id: undone,
			});
			Purchases::<T>::insert(purchase_id, record);
			Ok(())
		}

		/// Close a promotion whose rebate block has been reached but which the hook has not
		/// closed yet (it ran out of weight): a last resort anyone may use.
		///
		/// - Origin: any signed account.
		/// - Conditions: the promotion is open and its rebate block is at or before the current
		///   block.
		/// - Effects: as the hook: the held rebate is paid or released; the promotion is
		///   removed.
		/// - Events: [`Event::RebatePaid`], [`Event::RebateLapsed`] or
		///   [`Event::PromotionExpired`].
		/// - Errors: [`Error::UnknownPromotion`], [`Error::NotYetDue`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::close_overdue())]
		pub fn close_overdue(
			origin: OriginFor<T>,
			merchant: T::AccountId,
			promotion_id: PromotionId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let open = Promotions::<T>::get(&merchant, promotion_id)
				.ok_or(Error::<T>::UnknownPromotion)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(open.pay_at <= now, Error::<T>::NotYetDue);
			Promotions::<T>::remove(&merchant, promotion_id);
			Self::close(merchant, promotion_id, open);
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The hash of block zero: every link is signed for it.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	fn distinct(merchant: &T::AccountId, customer: &T::AccountId, referee: &T::AccountId) -> bool {
		merchant != customer && customer != referee && merchant != referee
	}

	fn offer_error(e: ChainError) -> Error<T> {
		match e {
			ChainError::BadSignature { role: Role::Merchant, .. } => {
				Error::BadOfferMerchantSignature
			}
			ChainError::BadSignature { role: Role::Customer, .. } => {
				Error::BadOfferCustomerSignature
			}
			ChainError::BadSignature { role: Role::Referee, .. } => Error::BadOfferRefereeSignature,
			_ => Error::OfferChainMalformed,
		}
	}

	fn rebate_error(e: ChainError) -> Error<T> {
		match e {
			ChainError::BadSignature { role: Role::Merchant, .. } => {
				Error::BadRebateMerchantSignature
			}
			ChainError::BadSignature { role: Role::Referee, .. } => {
				Error::BadRebateRefereeSignature
			}
			ChainError::BadSignature { role: Role::Customer, .. } => {
				Error::BadRebateCustomerSignature
			}
			_ => Error::RebateChainMalformed,
		}
	}

	fn purchase_error(e: ChainError) -> Error<T> {
		match e {
			ChainError::BadSignature { role: Role::Customer, .. } => {
				Error::BadPurchaseCustomerSignature
			}
			ChainError::BadSignature { .. } => Error::BadPurchaseRefereeSignature,
			_ => Error::PurchaseChainMalformed,
		}
	}

	fn record_purchase(
		merchant: T::AccountId,
		buyer: T::AccountId,
		price: BalanceOf<T>,
		promotion_id: Option<PromotionId>,
	) -> Result<PurchaseId, DispatchError> {
		let purchase_id = NextPurchaseId::<T>::get();
		let next = purchase_id.checked_add(1).ok_or(sp_runtime::ArithmeticError::Overflow)?;
		NextPurchaseId::<T>::put(next);
		Purchases::<T>::insert(
			purchase_id,
			PurchaseRecord {
				merchant: merchant.clone(),
				buyer: buyer.clone(),
				price,
				promotion_id,
				refunded: false,
			},
		);
		Self::deposit_event(Event::PurchaseRecorded {
			purchase_id,
			merchant,
			buyer,
			price,
			promotion_id,
		});
		Ok(purchase_id)
	}

	/// The [`AgendaLens`] entry holding `block`'s agenda length, and the position in it.
	fn agenda_chunk(block: BlockNumberFor<T>) -> (BlockNumberFor<T>, usize) {
		let size: BlockNumberFor<T> = AGENDA_CHUNK.into();
		(block / size, (block % size).saturated_into())
	}

	/// How many promotions are due at `block`.
	pub fn agenda_len(block: BlockNumberFor<T>) -> u32 {
		let (chunk, at) = Self::agenda_chunk(block);
		AgendaLens::<T>::get(chunk).get(at).copied().unwrap_or_default()
	}

	/// Record that `len` promotions are due at `block` (removing an entry left all empty).
	pub(crate) fn set_agenda_len(block: BlockNumberFor<T>, len: u32) {
		let (chunk, at) = Self::agenda_chunk(block);
		AgendaLens::<T>::mutate_exists(chunk, |entry| {
			let mut lens = entry.unwrap_or_default();
			if let Some(slot) = lens.get_mut(at) {
				*slot = len;
			}
			*entry = lens.iter().any(|len| *len > 0).then_some(lens);
		});
	}

	/// The first block from `pay_at` (at most `MaxPayoutDelay` blocks later) whose agenda has
	/// room, with the agenda's next position. Reads each [`AgendaLens`] entry once.
	fn find_slot(pay_at: BlockNumberFor<T>) -> Result<(BlockNumberFor<T>, u32), DispatchError> {
		let mut at = pay_at;
		let mut entry: Option<(BlockNumberFor<T>, [u32; AGENDA_CHUNK as usize])> = None;
		for _ in 0..=T::MaxPayoutDelay::get() {
			let (chunk, position) = Self::agenda_chunk(at);
			let lens = match entry {
				Some((c, lens)) if c == chunk => lens,
				_ => {
					let lens = AgendaLens::<T>::get(chunk);
					entry = Some((chunk, lens));
					lens
				}
			};
			let len = lens.get(position).copied().unwrap_or_default();
			if len < T::MaxDuePerBlock::get() {
				return Ok((at, len));
			}
			at = at.saturating_add(One::one());
		}
		Err(Error::<T>::AgendaFull.into())
	}

	/// Put a new promotion on the agenda at the slot [`Self::find_slot`] gave; the block it is
	/// due at.
	fn schedule(
		slot: Option<(BlockNumberFor<T>, u32)>,
		merchant: &T::AccountId,
		id: PromotionId,
	) -> BlockNumberFor<T> {
		let Some((at, index)) = slot else {
			frame_support::defensive!("a new promotion without an agenda slot");
			return Zero::zero();
		};
		Agenda::<T>::insert(at, index, (merchant.clone(), id));
		Self::set_agenda_len(at, index.saturating_add(1));
		at
	}

	/// Close the promotions due from the backlog (or `now`) up to `now`, within `meter`.
	pub(crate) fn close_due(now: BlockNumberFor<T>, meter: &mut WeightMeter) {
		let base = T::WeightInfo::on_initialize(0);
		let per_item = T::WeightInfo::on_initialize(1).saturating_sub(base);
		let per_block = T::DbWeight::get().reads_writes(1, 1);
		if meter.try_consume(base).is_err() {
			// Not even room to look: this block's agenda waits for the next block.
			if !Backlog::<T>::exists() {
				Backlog::<T>::put((now, 0));
			}
			return;
		}
		let (mut block, mut index) = Backlog::<T>::take().unwrap_or((now, 0));
		loop {
			let len = Self::agenda_len(block);
			while index < len {
				if meter.try_consume(per_item).is_err() {
					return Self::carry(block, index);
				}
				if let Some((merchant, id)) = Agenda::<T>::take(block, index) {
					if let Some(open) = Promotions::<T>::take(&merchant, id) {
						// An entry left behind by `close_overdue` names a promotion that may have
						// been re-opened under the same id: close it only where it is due (one
						// `take`, put back in that rare case, costs less than a read and a
						// removal).
						if open.due == block {
							Self::close(merchant, id, open);
						} else {
							Promotions::<T>::insert(&merchant, id, open);
						}
					}
				}
				index = index.saturating_add(1);
			}
			if len > 0 {
				Self::set_agenda_len(block, 0);
			}
			if block >= now {
				return;
			}
			block = block.saturating_add(One::one());
			index = 0;
			if meter.try_consume(per_block).is_err() {
				return Self::carry(block, index);
			}
		}
	}

	fn carry(block: BlockNumberFor<T>, index: u32) {
		Backlog::<T>::put((block, index));
		Self::deposit_event(Event::ClosingCarried { block, index });
	}

	/// Close one promotion that has just been removed from storage: pay or release its escrow.
	fn close(merchant: T::AccountId, promotion_id: PromotionId, open: PromotionOf<T>) {
		let Promotion { customer, referee, rebate, referral, .. } = open;
		let Some(rebate) = rebate else {
			Self::deposit_event(Event::PromotionExpired {
				merchant,
				promotion_id,
				customer,
				referee,
			});
			return;
		};
		let reason = HoldReason::RebateEscrow.into();
		let lapse = match (rebate.condition, &referral) {
			(PayoutCondition::Unconditional, _) => None,
			(PayoutCondition::ReferralSettled, None) => Some(LapseReason::NotSettled),
			(PayoutCondition::ReferralSettled, Some(r)) if r.refunded => {
				Some(LapseReason::Refunded)
			}
			(PayoutCondition::ReferralSettled, Some(_)) => None,
		};
		// The escrow is the customer's once the condition holds: no freeze or lock the merchant
		// placed since can hold it back (`Force`), and the amount is at least the existential
		// deposit, so the customer's account can take it.
		let lapse = lapse.or_else(|| {
			T::Currency::transfer_on_hold(
				&reason,
				&merchant,
				&customer,
				rebate.amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.map_err(|e| {
				frame_support::defensive!(e, "a rebate payout failed; releasing it");
			})
			.err()
			.map(|()| LapseReason::PayoutFailed)
		});
		match lapse {
			None => Self::deposit_event(Event::RebatePaid {
				merchant,
				promotion_id,
				customer,
				referee,
				amount: rebate.amount,
			}),
			Some(lapsed) => {
				if let Err(e) =
					T::Currency::release(&reason, &merchant, rebate.amount, Precision::BestEffort)
				{
					frame_support::defensive!(e, "releasing a rebate escrow failed");
				}
				Self::deposit_event(Event::RebateLapsed {
					merchant,
					promotion_id,
					customer,
					referee,
					amount: rebate.amount,
					reason: lapsed,
				})
			}
		}
	}

	/// The pallet's invariants: every account's escrow hold equals its open rebates, agendas are
	/// within their bound, and every open promotion is on the agenda of its due block, which is
	/// either in the future or in the hook's backlog.
	#[cfg(any(feature = "try-runtime", feature = "mock", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let now = frame_system::Pallet::<T>::block_number();
		let backlog_from = Backlog::<T>::get().map(|(b, _)| b);
		for (merchant, id, open) in Promotions::<T>::iter() {
			if let Some(rebate) = &open.rebate {
				let sum = escrow.entry(merchant.clone()).or_insert_with(Zero::zero);
				*sum = sum.saturating_add(rebate.amount);
			}
			ensure!(open.due >= open.pay_at, "a promotion is due before its rebate block");
			ensure!(
				open.due > now || backlog_from.is_some_and(|b| open.due >= b),
				"an open promotion is past its due block and not in the backlog"
			);
			let len = Self::agenda_len(open.due);
			ensure!(
				(0..len).any(|i| Agenda::<T>::get(open.due, i) == Some((merchant.clone(), id))),
				"an open promotion is missing from its agenda"
			);
		}
		let reason = HoldReason::RebateEscrow.into();
		for who in frame_system::Account::<T>::iter_keys() {
			let expected = escrow.remove(&who).unwrap_or_else(Zero::zero);
			ensure!(
				T::Currency::balance_on_hold(&reason, &who) == expected,
				"an account's rebate escrow hold differs from its open rebates"
			);
		}
		ensure!(escrow.is_empty(), "an open rebate's merchant has no account");
		for (_, lens) in AgendaLens::<T>::iter() {
			ensure!(lens.iter().any(|len| *len > 0), "an all-empty agenda entry is stored");
			ensure!(
				lens.iter().all(|len| *len <= T::MaxDuePerBlock::get()),
				"an agenda exceeds MaxDuePerBlock"
			);
		}
		Ok(())
	}
}
