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
//! customer broadcasts the all-signed rebate; the rebate amount moves from the merchant into the
//! pallet's **escrow account** (derived from [`Config::PalletId`]), so the payout cannot fail
//! later. At the rebate block the pallet's hook closes the promotion exactly once: it pays the
//! escrowed rebate to the customer if the rebate's [`PayoutCondition`] holds, and otherwise
//! returns it to the merchant.
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
//! | promotion | one offer and its rebate, keyed by (rebate block, merchant, promotion id) |
//! | link | one party's signature in a document's chain ([`Link`]) |
//! | pay-at queue | [`Promotions`], ordered by rebate block: the hook walks it from its head |
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
//! `MultiSignature` with sr25519, ed25519 and ecdsa keys all work; every link is charged at the
//! costliest of the three.
//!
//! ## Assets
//!
//! Every document names the asset its amounts are in ([`Config::Assets`], a `fungibles`
//! implementation: the native token and the runtime's other assets behind one path, for example
//! `fungible::UnionOf` over pallet-balances and pallet-assets). The rules measure amounts
//! against that asset's own minimum balance; an offer and its rebate, the referred purchase and
//! the origin purchase are in one asset; the escrow account holds each asset apart. A transfer an
//! asset refuses is named by what the asset says ([`Error::UnknownAsset`],
//! [`Error::FundsFrozen`], [`Error::RecipientCannotReceive`]); at the rebate block a customer
//! that cannot receive has the escrow returned to the merchant, and an escrow that can move to
//! neither waits in [`Held`] for [`Pallet::close_overdue`]: nothing is stranded.
//!
//! ## Records that end
//!
//! - An open promotion lives in [`Promotions`] until its rebate block, which is at most
//!   [`Config::MaxRebateDelay`] blocks after the block its first document reached the chain.
//!   Many promotions may share a rebate block: none is ever refused for it; the hook closes them
//!   in key order within [`Config::MaxHookWeight`], and what does not fit stays at the head of the
//!   queue for the next block.
//! - A purchase record lives in [`Purchases`] for [`Config::PurchaseLifetime`] blocks after its
//!   block; offers may only point to a live purchase, and only a live purchase can be refunded.
//!   Its removal by the hook is paid for in the weight of the call that recorded it.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! - [`Pallet::purchase`]: a customer buys from a merchant; the purchase is recorded.
//! - [`Pallet::settle_referral`]: the merchant broadcasts a referred purchase with its offer.
//! - [`Pallet::submit_rebate`]: the customer broadcasts the all-signed rebate; it is escrowed.
//! - [`Pallet::refund`]: the merchant refunds a live purchase (the review period before the
//!   rebate block).
//! - [`Pallet::close_overdue`]: anyone closes a promotion whose rebate block has passed, if the
//!   hook has not reached it yet.
//! - [`Pallet::create_campaign`]: a merchant starts a referral program ([`Campaign`]): its
//!   budget moves into the escrow account and its terms ([`CampaignTerms`], checked by
//!   [`CampaignTerms::check`]) are stored.
//! - [`Pallet::top_up_campaign`]: the merchant adds to a campaign's budget.
//! - [`Pallet::close_campaign`]: the merchant closes a campaign whose promotions have all closed;
//!   the rest of its budget goes back.
//!
//! Offers and rebates do not name a campaign yet: checking them against its terms at settle and
//! submit, and reserving a campaign's rebate from its budget at submit, are the next step.
//!
//! ### Hooks
//!
//! - `on_initialize`: closes the promotions due at or before this block, then removes purchase
//!   records whose lifetime has ended, within [`Config::MaxHookWeight`].
//!
//! The full protocol, its exact bytes and test vectors, and a claim-by-claim mapping live in the
//! repository's `docs/`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod campaign_tests;
mod campaigns;
pub mod charges;
mod escrow;
mod invariants;
pub mod migrations;
#[cfg(any(test, feature = "mock"))]
pub mod mock;
mod queue;
mod records;
mod settlement;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::{
	BenchmarkAsset, BenchmarkAssets, BenchmarkHelper, BenchmarkScheme,
	MultiSignatureBenchmarkHelper,
};
pub use records::*;
pub use settlement::Path;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::{
	pallet_prelude::*,
	traits::fungibles::{Inspect, Mutate},
	PalletId,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{IdentifyAccount, Verify};

/// The balance type of the pallet's assets.
pub type BalanceOf<T> =
	<<T as Config>::Assets as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// The kind of asset amounts are in: the native token or one of the runtime's assets.
pub type AssetKindOf<T> =
	<<T as Config>::Assets as Inspect<<T as frame_system::Config>::AccountId>>::AssetId;
/// A [`PurchaseId`] on this chain.
pub type PurchaseIdOf<T> = PurchaseId<BlockNumberFor<T>>;
/// An [`Offer`] on this chain.
pub type OfferOf<T> =
	Offer<<T as frame_system::Config>::AccountId, AssetKindOf<T>, BalanceOf<T>, BlockNumberFor<T>>;
/// A [`Rebate`] on this chain.
pub type RebateOf<T> =
	Rebate<<T as frame_system::Config>::AccountId, AssetKindOf<T>, BalanceOf<T>, BlockNumberFor<T>>;
/// A [`ReferredPurchase`] on this chain.
pub type ReferredPurchaseOf<T> = ReferredPurchase<
	<T as frame_system::Config>::AccountId,
	AssetKindOf<T>,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
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
pub type PurchaseRecordOf<T> = PurchaseRecord<
	<T as frame_system::Config>::AccountId,
	AssetKindOf<T>,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// An open promotion on this chain.
pub type PromotionOf<T> = Promotion<
	<T as frame_system::Config>::AccountId,
	AssetKindOf<T>,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A [`Campaign`] on this chain.
pub type CampaignOf<T> = Campaign<
	<T as frame_system::Config>::AccountId,
	AssetKindOf<T>,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// [`CampaignTerms`] on this chain.
pub type CampaignTermsOf<T> = CampaignTerms<BalanceOf<T>, BlockNumberFor<T>>;
/// The key of an open promotion: its rebate block, merchant and promotion id.
pub type PromotionKeyOf<T> = (BlockKey, <T as frame_system::Config>::AccountId, PromotionId);

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;

	/// The in-code storage version. Version 3 adds campaign documents (a promotion's campaign,
	/// a settled referral's price, a campaign's customers, [`LastPurchase`],
	/// [`CampaignRebates`]): [`migrations::v3::MigrateV2ToV3`] migrates version 2. Version 2
	/// named each record's and promotion's asset and added [`Held`]; version 1 (the pay-at queue
	/// and the escrow account, one currency) and version 0 share no layout with it and ran on no
	/// chain, so they have no migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The assets prices are paid in and rebates escrowed in: the native token and the
		/// runtime's other assets behind one `fungibles` implementation (for example
		/// `fungible::UnionOf` over pallet-balances and pallet-assets, with `NativeOrWithId`
		/// as the asset kind). Every amount a document names is in the asset it names, and
		/// measured against that asset's minimum balance.
		type Assets: Mutate<Self::AccountId>;

		/// The assets whose transfers cost what the benchmarks' native path measured (`a = 0`):
		/// the native token ([`charges::NativeOfUnion`] for `NativeOrWithId` kinds). A call whose
		/// documents name any other asset is charged the other path (`a = 1`); one that names no
		/// asset (a refund, a closing) the costlier. `Nothing` charges every asset the other path.
		type NativeAsset: frame_support::traits::Contains<AssetKindOf<Self>>;

		/// The signature parties sign document links with (off chain).
		type Signature: Verify<Signer = Self::Signer>
			+ Parameter
			+ DecodeWithMemTracking
			+ MaxEncodedLen;

		/// The public key behind [`Config::Signature`], identifying an account.
		type Signer: IdentifyAccount<AccountId = Self::AccountId>;

		/// The identifier the escrow account is derived from
		/// ([`Pallet::escrow_account`]).
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The furthest a rebate block may be after the block a promotion's document reaches
		/// the chain: bounds how long a promotion (and its escrow) lives.
		#[pallet::constant]
		type MaxRebateDelay: Get<BlockNumberFor<Self>>;

		/// How many blocks a purchase record lives after its block: offers may point to it, and
		/// its merchant may refund it, until then; the hook removes it after. At least
		/// [`Config::MaxRebateDelay`], so a referred purchase can be refunded until its
		/// promotion's rebate block.
		#[pallet::constant]
		type PurchaseLifetime: Get<BlockNumberFor<Self>>;

		/// The most weight `on_initialize` spends closing due promotions and removing ended
		/// purchase records in one block; the rest waits at the head of its queue for the next
		/// block.
		#[pallet::constant]
		type MaxHookWeight: Get<Weight>;

		/// The most customers one campaign may pay rebates to: each has an entry in
		/// [`CampaignRebates`], and closing the campaign removes them all in one call.
		#[pallet::constant]
		type MaxCampaignCustomers: Get<u32>;

		/// Weights of this pallet's calls and hook, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Keys, signatures and assets for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature, AssetKindOf<Self>>;
	}

	/// Recorded purchases, by block (big-endian, so the map iterates in block order) and the
	/// index of their `PurchaseRecorded` event in it. Removed `PurchaseLifetime` blocks after
	/// their block.
	#[pallet::storage]
	pub type Purchases<T: Config> =
		StorageDoubleMap<_, Identity, BlockKey, Identity, u32, PurchaseRecordOf<T>, OptionQuery>;

	/// Open promotions, the pay-at queue: by rebate block (big-endian, so the map iterates in
	/// rebate-block order), merchant and promotion id. The hook walks it from its head and removes
	/// each promotion as it closes it.
	#[pallet::storage]
	pub type Promotions<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Identity, BlockKey>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, PromotionId>,
		),
		PromotionOf<T>,
		OptionQuery,
	>;

	/// Promotions past their rebate block whose escrow could not be moved when they closed
	/// ([`Event::PayoutHeld`]), by the same key as [`Promotions`]. [`Pallet::close_overdue`]
	/// closes one once its asset moves again; each entry is a promotion the opening call paid
	/// for, and its escrow stays counted in the escrow account.
	#[pallet::storage]
	pub type Held<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Identity, BlockKey>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, PromotionId>,
		),
		PromotionOf<T>,
		OptionQuery,
	>;

	/// Whether the escrow account has the pallet's provider reference
	/// ([`Pallet::escrow_account`]).
	#[pallet::storage]
	pub type EscrowProvided<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// Open campaigns, by id; each one's budget and reserved rebates wait in the escrow
	/// account. Removed when the merchant closes it.
	#[pallet::storage]
	pub type Campaigns<T: Config> = StorageMap<_, Twox64Concat, CampaignId, CampaignOf<T>>;

	/// The id the next campaign gets.
	#[pallet::storage]
	pub type NextCampaignId<T: Config> = StorageValue<_, CampaignId, ValueQuery>;

	/// The block of each buyer's latest purchase from each merchant (by merchant, then buyer),
	/// while its record lives: a referee is *new to the merchant* when it has no entry. Written by
	/// every recorded purchase; removed with the record it names when that record's lifetime
	/// ends, so there is at most one entry per live purchase record.
	#[pallet::storage]
	pub type LastPurchase<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		BlockNumberFor<T>,
	>;

	/// How many rebates each customer has had submitted under each campaign (by campaign, then
	/// customer), held to the campaign's `rebates_per_customer`; a lapsed rebate still counts.
	/// At most `MaxCampaignCustomers` entries per campaign, removed when it closes.
	#[pallet::storage]
	pub type CampaignRebates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		CampaignId,
		Blake2_128Concat,
		T::AccountId,
		u32,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::provide_escrow_account();
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A purchase was recorded: `buyer` paid `price` to `merchant`.
		PurchaseRecorded {
			purchase_id: PurchaseIdOf<T>,
			merchant: T::AccountId,
			buyer: T::AccountId,
			asset: AssetKindOf<T>,
			price: BalanceOf<T>,
			promotion_id: Option<PromotionId>,
		},
		/// A referred purchase was settled: the referee bought at the discounted price.
		ReferralSettled {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			purchase_id: PurchaseIdOf<T>,
			asset: AssetKindOf<T>,
			price: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
			campaign: Option<CampaignId>,
		},
		/// An all-signed rebate was submitted; `amount` moved from the merchant into the escrow
		/// account until `pay_at` (under a campaign: was reserved from its budget, there already).
		RebateScheduled {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
			condition: PayoutCondition,
			campaign: Option<CampaignId>,
		},
		/// The escrowed rebate was paid to the customer.
		RebatePaid {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
			campaign: Option<CampaignId>,
		},
		/// The escrowed rebate went back to the merchant (under a campaign: to its budget).
		RebateLapsed {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
			reason: LapseReason,
			campaign: Option<CampaignId>,
		},
		/// A promotion reached its rebate block with no rebate submitted; it was closed.
		PromotionExpired {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			pay_at: BlockNumberFor<T>,
		},
		/// The merchant refunded a purchase. `promotion_id` names the open promotion whose
		/// referral the refund undid, if any.
		PurchaseRefunded {
			purchase_id: PurchaseIdOf<T>,
			merchant: T::AccountId,
			buyer: T::AccountId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			promotion_id: Option<PromotionId>,
		},
		/// A merchant created a campaign; its budget moved into the escrow account.
		CampaignCreated {
			campaign: CampaignId,
			merchant: T::AccountId,
			asset: AssetKindOf<T>,
			budget: BalanceOf<T>,
		},
		/// A merchant added to a campaign's budget.
		CampaignToppedUp {
			campaign: CampaignId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			budget: BalanceOf<T>,
		},
		/// A merchant closed a campaign; what was left of its budget went back to it.
		CampaignClosed {
			campaign: CampaignId,
			merchant: T::AccountId,
			asset: AssetKindOf<T>,
			returned: BalanceOf<T>,
		},
		/// Closing the promotion could move its escrow neither to the customer nor back to the
		/// merchant (the asset is frozen, say): the promotion waits in [`Held`] with its escrow
		/// until [`Pallet::close_overdue`] closes it.
		PayoutHeld {
			merchant: T::AccountId,
			promotion_id: PromotionId,
			customer: T::AccountId,
			referee: T::AccountId,
			asset: AssetKindOf<T>,
			amount: BalanceOf<T>,
			pay_at: BlockNumberFor<T>,
		},
		/// The hook ran out of weight with promotions still due; the earliest left, due at
		/// `pay_at`, is closed first in the next block.
		ClosingCarried { pay_at: BlockNumberFor<T> },
		/// A rebate reserved from the campaign's budget left less than another such rebate: the
		/// campaign refuses rebates it cannot cover until it is topped up.
		CampaignBudgetSpent { campaign: CampaignId, budget: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A purchase's price is below its asset's minimum balance.
		PriceBelowMinimum,
		/// The document or purchase names an asset the chain does not have.
		UnknownAsset,
		/// The payer's balance in the asset is frozen: its account is frozen or blocked in the
		/// asset, or the whole asset is frozen.
		FundsFrozen,
		/// The recipient's account cannot receive the asset: it is blocked in it, or cannot be
		/// created for it.
		RecipientCannotReceive,
		/// The promotion is open in another asset than this document's (the offer and its rebate
		/// must be in one asset).
		AssetMismatch,
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
		/// The rebate block is more than `MaxRebateDelay` blocks ahead.
		PayAtTooFar,
		/// The discounted price is not below the original price.
		DiscountNotBelowPrice,
		/// The discounted price is neither zero nor at least the asset's minimum balance.
		DiscountBelowMinimum,
		/// The settle-by block is not before the rebate block.
		SettleByNotBeforePayAt,
		/// Merchant, customer and referee are not three different accounts.
		PartiesNotDistinct,
		/// The rebate amount is below the asset's minimum balance.
		RebateBelowMinimum,
		/// The referred purchase names another promotion or merchant than the offer.
		PurchasePromotionMismatch,
		/// The referred purchase's buyer is not the referee the offer designates.
		PurchaseBuyerNotReferee,
		/// The referred purchase's referrer is not the offer's customer.
		PurchaseReferrerNotCustomer,
		/// The referred purchase is in another asset than the offer.
		PurchaseAssetMismatch,
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
		/// The offer's origin purchase is not recorded (never, or no longer).
		UnknownOriginPurchase,
		/// The offer's origin purchase is past its `PurchaseLifetime`.
		OriginPurchaseExpired,
		/// The origin purchase has another merchant, buyer, asset or price than the offer says.
		OriginPurchaseMismatch,
		/// The origin purchase was refunded.
		OriginPurchaseRefunded,
		/// This promotion's referral is already settled.
		AlreadySettled,
		/// This promotion's rebate is already submitted.
		RebateAlreadySubmitted,
		/// The promotion is open with another customer than this document's.
		PromotionMismatch,
		/// The promotion is open with another referee than this chain designates.
		RefereeMismatch,
		/// The referee cannot pay the discounted price and keep its account alive.
		RefereeCannotPay,
		/// The merchant's spendable balance cannot cover the rebate escrow.
		MerchantCannotEscrow,
		/// The merchant's spendable balance cannot cover the refund.
		MerchantCannotRefund,
		/// No purchase with this id is recorded (never, or no longer).
		UnknownPurchase,
		/// The purchase's price was zero: there is nothing to refund, and a refund would undo a
		/// referral for free.
		NothingToRefund,
		/// The escrow account cannot be a merchant: what it is paid would be stranded.
		EscrowAccountNotAMerchant,
		/// The purchase is past its `PurchaseLifetime`.
		PurchaseExpired,
		/// The purchase was already refunded.
		AlreadyRefunded,
		/// No open promotion with this rebate block, merchant and id.
		UnknownPromotion,
		/// The promotion's rebate block has not been reached.
		NotYetDue,
		/// The held promotion's escrow still cannot move (to the customer, nor back to the
		/// merchant); it stays held.
		PayoutStillBlocked,
		/// No open campaign with this id.
		UnknownCampaign,
		/// The campaign is another merchant's.
		NotCampaignMerchant,
		/// The campaign has promotions still open: it closes once the last one has.
		CampaignHasOpenPromotions,
		/// A campaign's budget must be at least the asset's minimum balance.
		BudgetBelowMinimum,
		/// A top-up of nothing.
		NothingToTopUp,
		/// The merchant's spendable balance cannot cover the budget.
		MerchantCannotFund,
		/// The campaign's budget would pass the balance type's largest value.
		BudgetOverflow,
		/// Every campaign id is taken.
		CampaignIdsExhausted,
		/// The campaign's discount is nothing (a referee's price must be below the original).
		NoCampaignDiscount,
		/// The campaign's rebate is nothing.
		NoCampaignRebate,
		/// The campaign's fixed rebate is below the asset's minimum balance.
		CampaignRebateBelowMinimum,
		/// The campaign's settle window or review period is empty.
		EmptyCampaignWindow,
		/// The campaign's settle window and review period together pass `MaxRebateDelay`.
		CampaignWindowTooLong,
		/// The campaign's last issue block has passed.
		CampaignLastIssuePassed,
		/// The campaign lets no customer earn a rebate.
		NoRebatesPerCustomer,
		/// The campaign's rebate is a percent paid unconditionally (it must need a settled
		/// referral, whose price it is a share of).
		PercentRebateUnconditional,
		/// The document is in another asset than its campaign.
		CampaignAssetMismatch,
		/// The promotion is open under another campaign (or none) than this document names.
		CampaignMismatch,
		/// The origin purchase cost less than the campaign's minimum.
		OriginBelowCampaignMinimum,
		/// The discounted price is not the campaign's discount off the original price.
		DiscountBreaksCampaign,
		/// The settle-by or rebate block is not the campaign's windows from an issue block at or
		/// before this block.
		WindowBreaksCampaign,
		/// The document was issued after the campaign's last issue block.
		IssuedAfterCampaignEnd,
		/// The rebate's payout condition is not the campaign's.
		ConditionBreaksCampaign,
		/// The rebate amount is not the campaign's rebate of the referred price.
		RebateBreaksCampaign,
		/// The campaign takes only referees new to the merchant, and this one bought from it
		/// within `PurchaseLifetime` blocks.
		RefereeNotNew,
		/// The customer has had the campaign's `rebates_per_customer` rebates.
		CustomerAtRebateCap,
		/// The campaign's budget cannot cover the rebate.
		CampaignBudgetTooLow,
		/// The campaign has paid rebates to `MaxCampaignCustomers` customers: no new customer
		/// can join it.
		CampaignFull,
		/// The campaign takes new referees only but pays unconditionally (it must need a settled
		/// referral, whose buyer is the referee checked).
		NewRefereesUnconditional,
	}

	impl<T> From<CampaignError> for Error<T> {
		fn from(e: CampaignError) -> Self {
			match e {
				CampaignError::OriginBelowMinimum => Error::OriginBelowCampaignMinimum,
				CampaignError::DiscountBreaksTerms => Error::DiscountBreaksCampaign,
				CampaignError::WindowBreaksTerms => Error::WindowBreaksCampaign,
				CampaignError::IssuedAfterLastBlock => Error::IssuedAfterCampaignEnd,
				CampaignError::ConditionBreaksTerms => Error::ConditionBreaksCampaign,
				CampaignError::RebateBreaksTerms => Error::RebateBreaksCampaign,
			}
		}
	}

	impl<T> From<TermsError> for Error<T> {
		fn from(e: TermsError) -> Self {
			match e {
				TermsError::NoDiscount => Error::NoCampaignDiscount,
				TermsError::NoRebate => Error::NoCampaignRebate,
				TermsError::RebateBelowMinimum => Error::CampaignRebateBelowMinimum,
				TermsError::EmptyWindow => Error::EmptyCampaignWindow,
				TermsError::WindowTooLong => Error::CampaignWindowTooLong,
				TermsError::LastIssuePassed => Error::CampaignLastIssuePassed,
				TermsError::NoRebatesPerCustomer => Error::NoRebatesPerCustomer,
				TermsError::PercentRebateUnconditional => Error::PercentRebateUnconditional,
				TermsError::NewRefereesUnconditional => Error::NewRefereesUnconditional,
			}
		}
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// The domain tags documents are signed under: the offer's, the rebate's and the referred
		/// purchase's ([`Document::DOMAIN`]). With the calls' argument types (which carry the
		/// documents' layout) they are what an off-chain client checks in a chain's metadata
		/// before it signs for it.
		#[pallet::constant_name(DomainTags)]
		pub fn domain_tags() -> alloc::vec::Vec<alloc::vec::Vec<u8>> {
			alloc::vec![
				<OfferOf<T> as Document<T::AccountId>>::DOMAIN.to_vec(),
				<RebateOf<T> as Document<T::AccountId>>::DOMAIN.to_vec(),
				<ReferredPurchaseOf<T> as Document<T::AccountId>>::DOMAIN.to_vec(),
			]
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::service_queues(now)
		}

		fn on_runtime_upgrade() -> Weight {
			// A chain that adds the pallet by an upgrade has no genesis build for it.
			Self::provide_escrow_account()
		}

		fn integrity_test() {
			Self::check_constants().expect("pallet-referral-rebate's constants are consistent");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Buy from `merchant` at `price` in `asset`: the established first-type transaction
		/// offers point to.
		///
		/// - Origin: signed by the buyer.
		/// - Conditions: `asset` exists; `price` is at least its minimum balance; the buyer is
		///   not the merchant; the buyer can pay `price` (its balance not frozen) and keep its
		///   account alive, and the merchant can receive it.
		/// - Effects: `price` moves from the buyer to the merchant; the purchase is recorded
		///   under `(this block, its event's index)` for `PurchaseLifetime` blocks.
		/// - Events: [`Event::PurchaseRecorded`].
		/// - Errors: [`Error::UnknownAsset`], [`Error::PriceBelowMinimum`],
		///   [`Error::SelfPurchase`], [`Error::EscrowAccountNotAMerchant`],
		///   [`Error::FundsFrozen`], [`Error::RecipientCannotReceive`],
		///   [`Error::CannotPayPrice`].
		///
		/// ## Complexity
		/// O(1): two accounts, one record; its later removal is included.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::purchase_weight(asset))]
		pub fn purchase(
			origin: OriginFor<T>,
			merchant: T::AccountId,
			asset: AssetKindOf<T>,
			price: BalanceOf<T>,
		) -> DispatchResult {
			let buyer = ensure_signed(origin)?;
			Self::do_purchase(buyer, merchant, asset, price)
		}

		/// Settle a referred purchase: the merchant signs (by this extrinsic) and broadcasts the
		/// referee's purchase at the offer's discounted price (claims 1, 2 and 5).
		///
		/// - Origin: signed by the offer's merchant.
		/// - Conditions, checked in this order: the sender is the merchant; the offer has all
		///   three links (merchant, customer designating the referee, referee) and the referred
		///   purchase both of its links (customer, referee); the current block is before
		///   `offer.settle_by` and `offer.pay_at` is at most `MaxRebateDelay` blocks ahead; the
		///   offer's asset exists; the offer obeys the protocol's rules ([`Offer::check_rules`],
		///   against the asset's minimum balance); the referred purchase is the offer's
		///   ([`ReferredPurchase::check_against`]); the origin purchase is recorded, live, with the
		///   offer's merchant, customer, asset and original price and not refunded; the
		///   promotion's referral is not settled yet, and if its rebate was submitted first, it
		///   agrees on customer, referee, asset and campaign; if the offer names a campaign: it is
		///   open, the merchant's and in the offer's asset, the offer follows its terms
		///   ([`CampaignTerms::check_offer`]), the referee is new to the merchant if the terms
		///   ask it ([`LastPurchase`]), and a rebate submitted first is the terms' rebate of the
		///   discounted price; then every link's signature, on this chain; the referee can pay
		///   and the merchant receive the discounted price.
		/// - Effects: the referee pays the discounted price to the merchant; the referred
		///   purchase is recorded; the promotion `(pay_at, merchant, promotion id)` is opened or
		///   joined and marked settled (a campaign's storage is read, not written).
		/// - Events: [`Event::PurchaseRecorded`], [`Event::ReferralSettled`].
		/// - Errors: [`Error::NotMerchant`], [`Error::OfferChainMalformed`],
		///   [`Error::PurchaseChainMalformed`], [`Error::SettleDeadlinePassed`],
		///   [`Error::PayAtTooFar`], [`Error::UnknownAsset`], [`Error::DiscountNotBelowPrice`],
		///   [`Error::DiscountBelowMinimum`], [`Error::SettleByNotBeforePayAt`],
		///   [`Error::PartiesNotDistinct`], [`Error::PurchasePromotionMismatch`],
		///   [`Error::PurchaseBuyerNotReferee`], [`Error::PurchaseReferrerNotCustomer`],
		///   [`Error::PurchaseAssetMismatch`], [`Error::PurchasePriceNotDiscounted`],
		///   [`Error::PurchaseDeadlineMismatch`], [`Error::UnknownOriginPurchase`],
		///   [`Error::OriginPurchaseExpired`], [`Error::OriginPurchaseMismatch`],
		///   [`Error::OriginPurchaseRefunded`], [`Error::AlreadySettled`],
		///   [`Error::PromotionMismatch`], [`Error::RefereeMismatch`], [`Error::AssetMismatch`],
		///   [`Error::CampaignMismatch`], [`Error::UnknownCampaign`],
		///   [`Error::NotCampaignMerchant`], [`Error::CampaignAssetMismatch`],
		///   [`Error::OriginBelowCampaignMinimum`], [`Error::DiscountBreaksCampaign`],
		///   [`Error::WindowBreaksCampaign`], [`Error::IssuedAfterCampaignEnd`],
		///   [`Error::RefereeNotNew`], [`Error::RebateBreaksCampaign`],
		///   the five `Bad…Signature` errors of the offer and the purchase,
		///   [`Error::FundsFrozen`], [`Error::RecipientCannotReceive`],
		///   [`Error::RefereeCannotPay`].
		///
		/// ## Weight
		/// Charged for the costlier of opening and joining a promotion, on the offer's asset's
		/// path ([`Config::NativeAsset`]), every link at the costliest signature scheme; the
		/// cheaper path, and a refusal before the effects, is refunded to what it did.
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::settle_weight(
			None,
			&offer.document.asset,
			offer.document.campaign.is_some(),
		))]
		pub fn settle_referral(
			origin: OriginFor<T>,
			offer: Box<SignedOfferOf<T>>,
			purchase: Box<SignedPurchaseOf<T>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_settle(who, &offer, &purchase)
		}

		/// Submit the all-signed rebate: the customer broadcasts it before the rebate block
		/// (claims 1, 2 and 4), and the rebate amount is escrowed.
		///
		/// - Origin: signed by the rebate's customer.
		/// - Conditions, checked in this order: the sender is the customer; the rebate has all
		///   three links (merchant, referee designating itself, customer); the current block is
		///   before `rebate.pay_at`, which is at most `MaxRebateDelay` blocks ahead; the rebate's
		///   asset exists; the rebate obeys the protocol's rules ([`Rebate::check_rules`], against
		///   the asset's minimum balance); the promotion's rebate is not submitted yet, and if its
		///   referral was settled first, it agrees on customer, referee, asset and campaign; if
		///   the rebate names a campaign: it is open, the merchant's and in the rebate's asset,
		///   the rebate follows its terms ([`CampaignTerms::check_rebate`], its amount against
		///   the referred price if the referral is settled), the customer is under the terms'
		///   `rebates_per_customer` (and a customer new to the campaign finds room under
		///   `MaxCampaignCustomers`), and the budget covers the amount; every link's signature, on
		///   this chain; without a campaign, the merchant can spend the amount in the asset (free,
		///   not frozen, keeping its account alive).
		/// - Effects: the amount moves from the merchant into the escrow account, or under a
		///   campaign is reserved from its budget (already there: the merchant's balance is not
		///   touched) and counted against the customer; the promotion
		///   `(pay_at, merchant, promotion id)` is opened or joined with the escrowed rebate.
		/// - Events: [`Event::RebateScheduled`], and [`Event::CampaignBudgetSpent`] when what
		///   is left of the budget cannot cover another such rebate.
		/// - Errors: [`Error::NotCustomer`], [`Error::RebateChainMalformed`],
		///   [`Error::RebateDeadlinePassed`], [`Error::PayAtTooFar`], [`Error::UnknownAsset`],
		///   [`Error::RebateBelowMinimum`], [`Error::PartiesNotDistinct`],
		///   [`Error::RebateAlreadySubmitted`], [`Error::PromotionMismatch`],
		///   [`Error::RefereeMismatch`], [`Error::AssetMismatch`], [`Error::CampaignMismatch`],
		///   [`Error::UnknownCampaign`], [`Error::NotCampaignMerchant`],
		///   [`Error::CampaignAssetMismatch`], [`Error::ConditionBreaksCampaign`],
		///   [`Error::RebateBreaksCampaign`], [`Error::WindowBreaksCampaign`],
		///   [`Error::IssuedAfterCampaignEnd`], [`Error::CustomerAtRebateCap`],
		///   [`Error::CampaignFull`], [`Error::CampaignBudgetTooLow`], the three
		///   `BadRebate…Signature` errors, [`Error::FundsFrozen`],
		///   [`Error::MerchantCannotEscrow`].
		///
		/// ## Weight
		/// As [`Pallet::settle_referral`]: the costlier path charged, the cheaper and refusals
		/// refunded.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::submit_weight(
			None,
			&rebate.document.asset,
			rebate.document.campaign.is_some(),
		))]
		pub fn submit_rebate(
			origin: OriginFor<T>,
			rebate: Box<SignedRebateOf<T>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_submit(who, &rebate)
		}

		/// Refund a live purchase: the merchant pays its price back to the buyer. Refunding the
		/// referred purchase of an open promotion before its rebate block makes a
		/// `ReferralSettled` rebate lapse: the rebate block works as the review period.
		///
		/// - Origin: signed by the purchase's merchant.
		/// - Conditions, in this order: the purchase is recorded and within its
		///   `PurchaseLifetime`; the sender is its merchant; it is not yet refunded and its price
		///   is not zero; the merchant can pay the price in its asset (not frozen) and keep its
		///   account alive, and the buyer can receive it.
		/// - Effects: the price moves from the merchant to the buyer; the purchase is marked
		///   refunded; if it is the referral of a promotion whose rebate block has not been
		///   reached, the promotion records the refund.
		/// - Events: [`Event::PurchaseRefunded`].
		/// - Errors: [`Error::UnknownPurchase`], [`Error::PurchaseExpired`],
		///   [`Error::NotPurchaseMerchant`], [`Error::AlreadyRefunded`],
		///   [`Error::NothingToRefund`], [`Error::FundsFrozen`],
		///   [`Error::RecipientCannotReceive`], [`Error::MerchantCannotRefund`].
		#[pallet::call_index(3)]
		#[pallet::weight(charges::refund::<T::WeightInfo>())]
		pub fn refund(origin: OriginFor<T>, purchase_id: PurchaseIdOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_refund(who, purchase_id)
		}

		/// Close a promotion whose rebate block has been reached but which the hook has not
		/// closed yet (it ran out of weight), or which closing had to hold because its escrow
		/// could not move ([`Event::PayoutHeld`]): a last resort anyone may use.
		///
		/// - Origin: any signed account.
		/// - Conditions: the promotion `(pay_at, merchant, promotion_id)` is open or held and
		///   `pay_at` is at or before the current block; a held one's escrow can move now.
		/// - Effects: as the hook: the escrowed rebate is paid or returned; the promotion is
		///   removed.
		/// - Events: [`Event::RebatePaid`], [`Event::RebateLapsed`],
		///   [`Event::PromotionExpired`] or (an open one whose escrow cannot move)
		///   [`Event::PayoutHeld`].
		/// - Errors: [`Error::NotYetDue`], [`Error::UnknownPromotion`],
		///   [`Error::PayoutStillBlocked`].
		#[pallet::call_index(4)]
		#[pallet::weight(charges::close_overdue::<T::WeightInfo>())]
		pub fn close_overdue(
			origin: OriginFor<T>,
			pay_at: BlockNumberFor<T>,
			merchant: T::AccountId,
			promotion_id: PromotionId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_close_overdue(pay_at, merchant, promotion_id)
		}

		/// Create a campaign: a referral program whose budget the merchant moves into the escrow
		/// account once, and whose terms its offers and rebates follow.
		///
		/// - Origin: signed by the merchant.
		/// - Conditions, in this order: the merchant is not the escrow account; the asset exists;
		///   the budget is at least its minimum balance; the terms follow
		///   [`CampaignTerms::check`] (a discount and a rebate that are something, a fixed rebate
		///   at least the minimum, a settle window and a review period of at least a block each
		///   and at most `MaxRebateDelay` together, a last issue block still ahead, at least one
		///   rebate per customer); an id is left; the merchant can spend the budget (free, not
		///   frozen, keeping its account alive).
		/// - Effects: the budget moves from the merchant into the escrow account; campaign
		///   [`NextCampaignId`] is stored and the next id taken.
		/// - Events: [`Event::CampaignCreated`].
		/// - Errors: [`Error::EscrowAccountNotAMerchant`], [`Error::UnknownAsset`],
		///   [`Error::BudgetBelowMinimum`], [`Error::NoCampaignDiscount`],
		///   [`Error::NoCampaignRebate`], [`Error::CampaignRebateBelowMinimum`],
		///   [`Error::EmptyCampaignWindow`], [`Error::CampaignWindowTooLong`],
		///   [`Error::CampaignLastIssuePassed`], [`Error::NoRebatesPerCustomer`],
		///   [`Error::PercentRebateUnconditional`], [`Error::NewRefereesUnconditional`],
		///   [`Error::CampaignIdsExhausted`], [`Error::FundsFrozen`],
		///   [`Error::MerchantCannotFund`].
		#[pallet::call_index(5)]
		#[pallet::weight(charges::create_campaign::<T::WeightInfo>(Pallet::<T>::asset_path(asset)))]
		pub fn create_campaign(
			origin: OriginFor<T>,
			asset: AssetKindOf<T>,
			budget: BalanceOf<T>,
			terms: CampaignTermsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_campaign(who, asset, budget, terms)
		}

		/// Add to a campaign's budget.
		///
		/// - Origin: signed by the campaign's merchant.
		/// - Conditions, in this order: the amount is not zero; the campaign is open and the
		///   sender's; the budget stays within the balance type; the merchant can spend the
		///   amount (free, not frozen, keeping its account alive).
		/// - Effects: the amount moves from the merchant into the escrow account and is added to
		///   the budget.
		/// - Events: [`Event::CampaignToppedUp`].
		/// - Errors: [`Error::NothingToTopUp`], [`Error::UnknownCampaign`],
		///   [`Error::NotCampaignMerchant`], [`Error::BudgetOverflow`], [`Error::FundsFrozen`],
		///   [`Error::MerchantCannotFund`].
		#[pallet::call_index(6)]
		#[pallet::weight(charges::top_up_campaign::<T::WeightInfo>())]
		pub fn top_up_campaign(
			origin: OriginFor<T>,
			campaign: CampaignId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_top_up_campaign(who, campaign, amount)
		}

		/// Close a campaign whose promotions have all closed: what is left of its budget goes
		/// back to the merchant.
		///
		/// - Origin: signed by the campaign's merchant.
		/// - Conditions, in this order: the campaign is open; it is the sender's; none of its
		///   promotions is open; the merchant can receive the budget.
		/// - Effects: the budget moves from the escrow account to the merchant; the campaign and
		///   its customers' rebate counts ([`CampaignRebates`]) are removed.
		/// - Events: [`Event::CampaignClosed`].
		/// - Errors: [`Error::UnknownCampaign`], [`Error::NotCampaignMerchant`],
		///   [`Error::CampaignHasOpenPromotions`], [`Error::FundsFrozen`],
		///   [`Error::RecipientCannotReceive`].
		///
		/// ## Weight
		/// Charged for `MaxCampaignCustomers` counts to remove, refunded to the campaign's.
		#[pallet::call_index(7)]
		#[pallet::weight(charges::close_campaign::<T::WeightInfo>(T::MaxCampaignCustomers::get()))]
		pub fn close_campaign(
			origin: OriginFor<T>,
			campaign: CampaignId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_close_campaign(who, campaign)
		}
	}
}

impl<T: Config> Event<T> {
	/// The id of the purchase this event recorded, if it is a [`Event::PurchaseRecorded`]: how a
	/// client learns the id of a purchase it made.
	pub fn recorded_purchase(&self) -> Option<PurchaseIdOf<T>> {
		match self {
			Event::PurchaseRecorded { purchase_id, .. } => Some(*purchase_id),
			_ => None,
		}
	}
}
