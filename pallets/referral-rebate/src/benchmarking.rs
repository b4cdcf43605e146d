//! Benchmarks of every call at its worst case, each path of the two that open or join a
//! promotion, a refusal before the signatures, the hook per due promotion and per ended purchase
//! record, and one bare signature verification per scheme to compare them against.
//!
//! Every call that moves money is benchmarked in the native token (`a = 0`) and in another asset
//! (`a = 1`), and charged the costlier; the hook's per-promotion cost is measured in the other
//! asset.
//!
//! Also the benchmark helper a runtime names in [`Config::BenchmarkHelper`]: how to make keys and
//! signatures of its [`Config::Signature`] type, and which assets to measure.

use super::*;
use crate::Pallet as ReferralRebate;
use alloc::boxed::Box;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungibles::Mutate as _, Get},
	weights::WeightMeter,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

/// A signature scheme the benchmarks sign with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BenchmarkScheme {
	Sr25519,
	Ed25519,
	/// secp256k1 over blake2-256, the account the key's blake2-256.
	Ecdsa,
	/// secp256k1 over keccak-256 (`MultiSignature::Eth`).
	Eth,
}

/// An asset the benchmarks measure a call in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BenchmarkAsset {
	/// The chain's native token.
	Native,
	/// Another asset of the runtime (a pallet-assets asset, say): the path that may cost more.
	Other,
}

impl BenchmarkAsset {
	/// The asset of component value `a` (0: native, 1: other).
	pub fn of(a: u32) -> Self {
		if a == 0 {
			BenchmarkAsset::Native
		} else {
			BenchmarkAsset::Other
		}
	}
}

/// Signs benchmark documents and names their assets: the runtime tells the benchmarks how to make
/// keys and signatures of its [`Config::Signature`] type (a signature type with fewer schemes may
/// answer every scheme with its own), and which asset kinds to measure.
pub trait BenchmarkHelper<AccountId, Signature, AssetKind> {
	/// The account of the key `seed` of `scheme`.
	fn account(scheme: BenchmarkScheme, seed: u32) -> AccountId;
	/// The signature of the key `seed` of `scheme` over `message`.
	fn sign(scheme: BenchmarkScheme, seed: u32, message: &[u8]) -> Signature;
	/// The asset kind of `kind`, created (sufficient, with a nonzero minimum balance) if it does
	/// not exist yet. A runtime with only its native token answers it for both.
	fn asset(kind: BenchmarkAsset) -> AssetKind;
}

/// The assets half of a [`BenchmarkHelper`], for [`MultiSignatureBenchmarkHelper`].
pub trait BenchmarkAssets<AssetKind> {
	/// See [`BenchmarkHelper::asset`].
	fn asset(kind: BenchmarkAsset) -> AssetKind;
}

/// Benchmark keys for `MultiSignature` chains (sr25519, ed25519, ecdsa and eth) in the keystore
/// extension, with the runtime's assets from `Assets`.
pub struct MultiSignatureBenchmarkHelper<Assets>(core::marker::PhantomData<Assets>);

impl<Assets> MultiSignatureBenchmarkHelper<Assets> {
	const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"rbte");

	/// A raw hex seed: the keystore derives the key directly, without the BIP-39 key stretching
	/// a phrase or `//path` costs at every signature (setup time only).
	fn seed(seed: u32) -> alloc::vec::Vec<u8> {
		let raw = codec::Encode::using_encoded(
			&(b"referral-rebate-bench", seed),
			sp_io::hashing::blake2_256,
		);
		alloc::format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&raw)).into_bytes()
	}
}

impl<AssetKind, Assets: BenchmarkAssets<AssetKind>>
	BenchmarkHelper<sp_runtime::AccountId32, sp_runtime::MultiSignature, AssetKind>
	for MultiSignatureBenchmarkHelper<Assets>
{
	fn asset(kind: BenchmarkAsset) -> AssetKind {
		Assets::asset(kind)
	}

	fn account(scheme: BenchmarkScheme, seed: u32) -> sp_runtime::AccountId32 {
		use sp_io::crypto::*;
		let seed = Some(Self::seed(seed));
		let signer: sp_runtime::MultiSigner = match scheme {
			BenchmarkScheme::Sr25519 => sr25519_generate(Self::KEY_TYPE, seed).into(),
			BenchmarkScheme::Ed25519 => ed25519_generate(Self::KEY_TYPE, seed).into(),
			BenchmarkScheme::Ecdsa => ecdsa_generate(Self::KEY_TYPE, seed).into(),
			BenchmarkScheme::Eth => sp_runtime::MultiSigner::Eth(
				sp_core::ecdsa::KeccakPublic::from_raw(ecdsa_generate(Self::KEY_TYPE, seed).0),
			),
		};
		signer.into_account()
	}

	fn sign(scheme: BenchmarkScheme, seed: u32, message: &[u8]) -> sp_runtime::MultiSignature {
		use sp_io::crypto::*;
		use sp_runtime::MultiSignature as S;
		let key = Some(Self::seed(seed));
		let signature = match scheme {
			BenchmarkScheme::Sr25519 => {
				let public = sr25519_generate(Self::KEY_TYPE, key);
				sr25519_sign(Self::KEY_TYPE, &public, message).map(S::Sr25519)
			}
			BenchmarkScheme::Ed25519 => {
				let public = ed25519_generate(Self::KEY_TYPE, key);
				ed25519_sign(Self::KEY_TYPE, &public, message).map(S::Ed25519)
			}
			BenchmarkScheme::Ecdsa => {
				let public = ecdsa_generate(Self::KEY_TYPE, key);
				ecdsa_sign(Self::KEY_TYPE, &public, message).map(S::Ecdsa)
			}
			BenchmarkScheme::Eth => {
				let public = ecdsa_generate(Self::KEY_TYPE, key);
				let hash = sp_io::hashing::keccak_256(message);
				ecdsa_sign_prehashed(Self::KEY_TYPE, &public, &hash)
					.map(|s| S::Eth(sp_core::ecdsa::KeccakSignature::from_raw(s.0)))
			}
		};
		signature.unwrap_or_else(|| S::Sr25519([0u8; 64].into()))
	}
}

/// A party that signs: its key's seed and its account (sr25519).
struct Party<T: Config> {
	seed: u32,
	account: T::AccountId,
}

impl<T: Config> Party<T> {
	/// A funded party.
	fn funded(seed: u32) -> Self {
		let account = T::BenchmarkHelper::account(BenchmarkScheme::Sr25519, seed);
		fund::<T>(&account);
		Party { seed, account }
	}
}

/// Give `who` a million minimum balances of both benchmark assets.
fn fund<T: Config>(who: &T::AccountId) {
	for kind in [BenchmarkAsset::Native, BenchmarkAsset::Other] {
		let asset = T::BenchmarkHelper::asset(kind);
		let _ = T::Assets::set_balance(asset.clone(), who, price::<T>(&asset, 1_000_000));
	}
}

/// A price in `asset` of many minimum balances.
fn price<T: Config>(asset: &AssetKindOf<T>, minimums: u32) -> BalanceOf<T> {
	T::Assets::minimum_balance(asset.clone()).saturating_mul(minimums.into())
}

/// A campaign's terms in `asset` that any benchmark budget can fund.
fn campaign_terms<T: Config>(asset: &AssetKindOf<T>) -> CampaignTermsOf<T> {
	CampaignTerms {
		discount: Share::Percent(sp_runtime::Percent::from_percent(10)),
		rebate: Share::Fixed(price::<T>(asset, 5)),
		min_origin_price: price::<T>(asset, 1),
		settle_window: 1u32.into(),
		review_period: 1u32.into(),
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: 1_000u32.into(),
		new_referees_only: true,
		rebates_per_customer: 3,
	}
}

/// A funded merchant with campaign 0 in asset path `a`.
fn campaign<T: Config>(a: u32) -> Result<(Party<T>, AssetKindOf<T>), BenchmarkError> {
	let merchant = Party::<T>::funded(0);
	let asset = T::BenchmarkHelper::asset(BenchmarkAsset::of(a));
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	Pallet::<T>::do_create_campaign(
		merchant.account.clone(),
		asset.clone(),
		price::<T>(&asset, 1_000),
		campaign_terms::<T>(&asset),
	)
	.map_err(|_| BenchmarkError::Stop("the campaign could not be created"))?;
	Ok((merchant, asset))
}

/// The genesis hash is read by every signed extrinsic's `CheckGenesis` before the call: the
/// call's own read of it costs no database access.
fn whitelist_genesis_hash<T: Config>() {
	let key = frame_system::BlockHash::<T>::hashed_key_for(BlockNumberFor::<T>::zero());
	frame_benchmarking::benchmarking::add_to_whitelist(key.into());
}

struct Setup<T: Config> {
	merchant: Party<T>,
	customer: Party<T>,
	referee: Party<T>,
	offer: SignedOfferOf<T>,
	purchase: SignedPurchaseOf<T>,
	rebate: SignedRebateOf<T>,
}

impl<T: Config> Setup<T> {
	fn settle(&self) -> DispatchResultWithPostInfo {
		ReferralRebate::<T>::settle_referral(
			RawOrigin::Signed(self.merchant.account.clone()).into(),
			Box::new(self.offer.clone()),
			Box::new(self.purchase.clone()),
		)
	}

	fn submit(&self) -> DispatchResultWithPostInfo {
		ReferralRebate::<T>::submit_rebate(
			RawOrigin::Signed(self.customer.account.clone()).into(),
			Box::new(self.rebate.clone()),
		)
	}

	fn key(&self) -> PromotionKeyOf<T> {
		(BlockKey::of(self.rebate.document.pay_at), self.merchant.account.clone(), 0)
	}

	/// The referred purchase `settle` recorded.
	fn referred(&self) -> Option<PurchaseIdOf<T>> {
		Promotions::<T>::get(self.key()).and_then(|p| p.referral).map(|r| r.purchase_id)
	}
}

/// The terms of the campaign [`setup`] issues its documents under (`c = 1`): the documents'
/// discount (20 %), windows (issued at block 1, settle-by 10, rebate block 20) and rebate, every
/// term in use (new referees only: the settle reads the referee's last purchase).
fn setup_terms<T: Config>(asset: &AssetKindOf<T>) -> CampaignTermsOf<T> {
	CampaignTerms {
		discount: Share::Percent(sp_runtime::Percent::from_percent(20)),
		rebate: Share::Fixed(price::<T>(asset, 15)),
		min_origin_price: price::<T>(asset, 1),
		settle_window: 9u32.into(),
		review_period: 10u32.into(),
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: 1_000u32.into(),
		new_referees_only: true,
		rebates_per_customer: 3,
	}
}

/// Three funded parties, the customer's origin purchase in `asset`, and all three documents fully
/// signed for promotion 0 in `asset`, settle-by block 10 and rebate block 20, with `<Bytes>`
/// framing (the heavier); with `c = 1`, under campaign 0 of the merchant ([`setup_terms`]).
fn setup<T: Config>(
	condition: PayoutCondition,
	asset: BenchmarkAsset,
	c: u32,
) -> Result<Setup<T>, BenchmarkError> {
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	let (merchant, customer, referee) =
		(Party::<T>::funded(0), Party::<T>::funded(1), Party::<T>::funded(2));
	let asset = T::BenchmarkHelper::asset(asset);
	let campaign = if c == 1 {
		Pallet::<T>::do_create_campaign(
			merchant.account.clone(),
			asset.clone(),
			price::<T>(&asset, 1_000),
			setup_terms::<T>(&asset),
		)
		.map_err(|_| BenchmarkError::Stop("the campaign could not be created"))?;
		Some(0)
	} else {
		None
	};
	ReferralRebate::<T>::purchase(
		RawOrigin::Signed(customer.account.clone()).into(),
		merchant.account.clone(),
		asset.clone(),
		price::<T>(&asset, 100),
	)?;
	let origin_purchase = Purchases::<T>::iter_keys()
		.next()
		.map(|(_, index)| PurchaseId { block: 1u32.into(), index })
		.ok_or(BenchmarkError::Stop("the origin purchase was not recorded"))?;
	let settle_by: BlockNumberFor<T> = 10u32.into();
	let pay_at: BlockNumberFor<T> = 20u32.into();
	let offer = Offer {
		promotion_id: 0,
		merchant: merchant.account.clone(),
		customer: customer.account.clone(),
		origin_purchase,
		asset: asset.clone(),
		original_price: price::<T>(&asset, 100),
		discounted_price: price::<T>(&asset, 80),
		settle_by,
		pay_at,
		campaign,
	};
	let purchase = ReferredPurchase::for_offer(&offer, &referee.account);
	let rebate = Rebate {
		promotion_id: 0,
		merchant: merchant.account.clone(),
		customer: customer.account.clone(),
		asset: asset.clone(),
		amount: price::<T>(&asset, 15),
		pay_at,
		condition,
		campaign,
	};
	let genesis = ReferralRebate::<T>::genesis_hash();
	let seed = |role: Role| match role {
		Role::Merchant => merchant.seed,
		Role::Customer => customer.seed,
		Role::Referee => referee.seed,
	};
	let sign =
		|role: Role, m: &[u8]| T::BenchmarkHelper::sign(BenchmarkScheme::Sr25519, seed(role), m);
	let chain = |_| BenchmarkError::Stop("a benchmark chain could not be signed");
	let r = &referee.account;
	let offer = Signed::sign_complete(offer, &genesis, r, Framing::Bytes, sign).map_err(chain)?;
	let purchase =
		Signed::sign_complete(purchase, &genesis, r, Framing::Bytes, sign).map_err(chain)?;
	let rebate = Signed::sign_complete(rebate, &genesis, r, Framing::Bytes, sign).map_err(chain)?;
	Ok(Setup { merchant, customer, referee, offer, purchase, rebate })
}

/// How the promotions of [`fill_queue`] close.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Closing {
	/// Each pays its customer.
	Paid,
	/// Each payout fails and goes back to its merchant.
	Returned,
	/// Each pays its customer and counts it closed in its campaign.
	Campaign,
}

/// `n` open promotions due at `at` in the other asset, each with its own merchant, a customer
/// without an account (the payout creates it) and an escrowed, payable rebate; the escrow account
/// holds them. `Returned`: every payout fails and goes back to the merchant instead: the amount is
/// below the asset's minimum, so the customer's account cannot be created by it, and each merchant
/// already holds the asset. `Campaign`: each is under a campaign of its own, which reserves it.
fn fill_queue<T: Config>(at: BlockNumberFor<T>, n: u32, closing: Closing) {
	let fallback = closing == Closing::Returned;
	let asset = T::BenchmarkHelper::asset(BenchmarkAsset::Other);
	let minimum = T::Assets::minimum_balance(asset.clone());
	let amount =
		if fallback { minimum.saturating_sub(1u32.into()) } else { price::<T>(&asset, 15) };
	for i in 0..n {
		// Parties that sign nothing need no keys.
		let merchant: T::AccountId = frame_benchmarking::account("merchant", i, 0);
		if fallback {
			let _ = T::Assets::set_balance(asset.clone(), &merchant, price::<T>(&asset, 100));
		}
		let customer = frame_benchmarking::account("customer", i, 0);
		let referee = frame_benchmarking::account("referee", i, 0);
		let referral = PurchaseId { block: 1u32.into(), index: i };
		let campaign = (closing == Closing::Campaign).then_some(i);
		if let Some(id) = campaign {
			Campaigns::<T>::insert(
				id,
				Campaign {
					merchant: merchant.clone(),
					asset: asset.clone(),
					budget: Zero::zero(),
					reserved: amount,
					open_promotions: 1,
					customers: 1,
					terms: setup_terms::<T>(&asset),
				},
			);
		}
		let price = price::<T>(&asset, 80);
		Promotions::<T>::insert(
			(BlockKey::of(at), merchant, 0),
			Promotion {
				customer,
				referee,
				asset: asset.clone(),
				referral: Some(SettledReferral { purchase_id: referral, price, refunded: false }),
				rebate: Some(EscrowedRebate {
					amount,
					condition: PayoutCondition::ReferralSettled,
				}),
				campaign,
			},
		);
	}
	NextCampaignId::<T>::put(n);
	let escrow = ReferralRebate::<T>::escrow_account();
	// Below-minimum rebates need the escrow account to stay above the minimum itself.
	let extra = if fallback { minimum } else { Zero::zero() };
	let _ = T::Assets::set_balance(
		asset,
		&escrow,
		amount.saturating_mul(n.into()).saturating_add(extra),
	);
}

/// An account of `scheme`, its signature over a 32-byte payload, and the payload.
fn signed_payload<T: Config>(scheme: BenchmarkScheme) -> (T::AccountId, T::Signature, [u8; 32]) {
	let payload = [7u8; 32];
	(T::BenchmarkHelper::account(scheme, 0), T::BenchmarkHelper::sign(scheme, 0, &payload), payload)
}

/// `n` promotions due now, closing as `closing` says ([`fill_queue`]), and a meter
/// with room for them all.
fn due_queue<T: Config>(n: u32, closing: Closing) -> (BlockNumberFor<T>, WeightMeter) {
	let at: BlockNumberFor<T> = 20u32.into();
	fill_queue::<T>(at, n, closing);
	frame_system::Pallet::<T>::set_block_number(at);
	(at, WeightMeter::with_limit(Weight::max_value()))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// One bare sr25519 verification of a 32-byte payload: the unit the calls are compared to.
	#[benchmark]
	fn verify_sr25519() {
		let (who, signature, payload) = signed_payload::<T>(BenchmarkScheme::Sr25519);
		let valid;
		#[block]
		{
			valid = signature.verify(&payload[..], &who);
		}
		assert!(valid);
	}

	/// One bare ed25519 verification.
	#[benchmark]
	fn verify_ed25519() {
		let (who, signature, payload) = signed_payload::<T>(BenchmarkScheme::Ed25519);
		let valid;
		#[block]
		{
			valid = signature.verify(&payload[..], &who);
		}
		assert!(valid);
	}

	/// One bare ecdsa verification (public key recovery and its hash, as `MultiSignature` does).
	#[benchmark]
	fn verify_ecdsa() {
		let (who, signature, payload) = signed_payload::<T>(BenchmarkScheme::Ecdsa);
		let valid;
		#[block]
		{
			valid = signature.verify(&payload[..], &who);
		}
		assert!(valid);
	}

	/// One bare eth verification (keccak-256, recovery, and the account of the recovered key).
	#[benchmark]
	fn verify_eth() {
		let (who, signature, payload) = signed_payload::<T>(BenchmarkScheme::Eth);
		let valid;
		#[block]
		{
			valid = signature.verify(&payload[..], &who);
		}
		assert!(valid);
	}

	/// In the native token (`a = 0`) or another asset (`a = 1`). The buyer's account is the
	/// extrinsic's signer (fee payment read and wrote it); the merchant's account is new (the
	/// payment creates it).
	#[benchmark]
	fn create_campaign(a: Linear<0, 1>) {
		let merchant = Party::<T>::funded(0);
		let asset = T::BenchmarkHelper::asset(BenchmarkAsset::of(a));
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let budget = price::<T>(&asset, 1_000);
		let signer = merchant.account.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(merchant.account.clone()),
			asset.clone(),
			budget,
			campaign_terms::<T>(&asset),
		);

		assert_eq!(Campaigns::<T>::get(0).map(|c| c.budget), Some(budget));
	}

	#[benchmark]
	fn top_up_campaign(a: Linear<0, 1>) -> Result<(), BenchmarkError> {
		let (merchant, asset) = campaign::<T>(a)?;
		let signer = merchant.account.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(RawOrigin::Signed(merchant.account.clone()), 0, price::<T>(&asset, 10));

		assert_eq!(Campaigns::<T>::get(0).map(|c| c.budget), Some(price::<T>(&asset, 1_010)));
		Ok(())
	}

	/// In asset path `a`, with `c` customers' rebate counts to remove.
	#[benchmark]
	fn close_campaign(
		a: Linear<0, 1>,
		c: Linear<0, { T::MaxCampaignCustomers::get() }>,
	) -> Result<(), BenchmarkError> {
		let (merchant, _) = campaign::<T>(a)?;
		for i in 0..c {
			let customer: T::AccountId = frame_benchmarking::account("customer", i, 0);
			CampaignRebates::<T>::insert(0, customer, 1);
		}
		Campaigns::<T>::mutate(0, |slot| {
			if let Some(campaign) = slot {
				campaign.customers = c;
			}
		});
		let signer = merchant.account.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(RawOrigin::Signed(merchant.account.clone()), 0);

		assert!(!Campaigns::<T>::contains_key(0));
		assert_eq!(CampaignRebates::<T>::iter_prefix(0).count(), 0);
		Ok(())
	}

	#[benchmark]
	fn purchase(a: Linear<0, 1>) {
		let merchant: T::AccountId = frame_benchmarking::account("merchant", 0, 0);
		let buyer = Party::<T>::funded(1);
		let asset = T::BenchmarkHelper::asset(BenchmarkAsset::of(a));
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let signer = buyer.account.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(buyer.account.clone()),
			merchant.clone(),
			asset.clone(),
			price::<T>(&asset, 100),
		);

		assert_eq!(Purchases::<T>::iter().count(), 1);
		assert_eq!(T::Assets::balance(asset.clone(), &merchant), price::<T>(&asset, 100));
	}

	/// `j = 0`: the offer opens the promotion; `j = 1`: it joins the one the rebate opened; in the
	/// native token (`a = 0`) or another asset (`a = 1`); without a campaign (`c = 0`) or under
	/// one using every term (`c = 1`). Five wrapped signatures; the referee pays; a purchase
	/// record.
	#[benchmark]
	fn settle_referral(
		j: Linear<0, 1>,
		a: Linear<0, 1>,
		c: Linear<0, 1>,
	) -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled, BenchmarkAsset::of(a), c)?;
		if j == 1 {
			s.submit().map_err(|e| e.error)?;
		}
		let signer = s.merchant.account.clone();
		whitelist_account!(signer);
		whitelist_genesis_hash::<T>();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(s.merchant.account.clone()),
			Box::new(s.offer.clone()),
			Box::new(s.purchase.clone()),
		);

		assert!(s.referred().is_some());
		Ok(())
	}

	/// `j = 0`: the rebate opens the promotion; `j = 1`: it joins the settled one; in the native
	/// token (`a = 0`) or another asset (`a = 1`); without a campaign (`c = 0`: the amount moves
	/// into the escrow account) or under one (`c = 1`: it is reserved from the budget, the
	/// customer's count written). Three wrapped signatures.
	#[benchmark]
	fn submit_rebate(
		j: Linear<0, 1>,
		a: Linear<0, 1>,
		c: Linear<0, 1>,
	) -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled, BenchmarkAsset::of(a), c)?;
		if j == 1 {
			s.settle().map_err(|e| e.error)?;
		}
		let signer = s.customer.account.clone();
		whitelist_account!(signer);
		whitelist_genesis_hash::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(s.customer.account.clone()), Box::new(s.rebate.clone()));

		let asset = s.rebate.document.asset.clone();
		let escrow = ReferralRebate::<T>::escrow_account();
		// Under a campaign the rebate is reserved from the budget, in the escrow account already.
		let held = if c == 1 { price::<T>(&asset, 1_000) } else { price::<T>(&asset, 15) };
		assert_eq!(T::Assets::balance(asset.clone(), &escrow), held);
		assert!(Promotions::<T>::get(s.key()).is_some_and(|p| p.rebate.is_some()));
		Ok(())
	}

	/// The costliest refusal before any signature: `settle_referral` under a campaign refused at
	/// its last check before them (the referee bought from the merchant, and the campaign takes
	/// new referees only), after reading the origin purchase, the promotion, the campaign and the
	/// referee's last purchase.
	#[benchmark]
	fn refused() -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled, BenchmarkAsset::Other, 1)?;
		ReferralRebate::<T>::purchase(
			RawOrigin::Signed(s.referee.account.clone()).into(),
			s.merchant.account.clone(),
			s.offer.document.asset.clone(),
			price::<T>(&s.offer.document.asset, 10),
		)?;
		let signer = s.merchant.account.clone();
		whitelist_account!(signer);
		whitelist_genesis_hash::<T>();
		let result;

		#[block]
		{
			result = s.settle();
		}

		assert_eq!(result.map_err(|e| e.error), Err(Error::<T>::RefereeNotNew.into()));
		Ok(())
	}

	/// Worst case: the refunded purchase is the referral of an open promotion, and its buyer's
	/// account in the asset has gone since (the refund creates it again); in the native token
	/// (`a = 0`) or another asset (`a = 1`).
	#[benchmark]
	fn refund(a: Linear<0, 1>) -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled, BenchmarkAsset::of(a), 0)?;
		s.settle().map_err(|e| e.error)?;
		let referred = s.referred().ok_or(BenchmarkError::Stop("no referral"))?;
		let asset = s.offer.document.asset.clone();
		let _ = T::Assets::set_balance(asset, &s.referee.account, Zero::zero());
		let signer = s.merchant.account.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.merchant.account.clone()), referred);

		assert!(Promotions::<T>::get(s.key()).and_then(|p| p.referral).is_some_and(|r| r.refunded));
		let _ = s.referee;
		Ok(())
	}

	/// Worst case: a settled promotion that closing held ([`Held`], read after the queue misses)
	/// whose escrowed rebate is paid out to a customer whose account in the asset has gone since
	/// (the payout creates it again); in the native token (`a = 0`) or another asset (`a = 1`).
	#[benchmark]
	fn close_overdue(a: Linear<0, 1>) -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled, BenchmarkAsset::of(a), 0)?;
		let pay_at = s.rebate.document.pay_at;
		s.settle().map_err(|e| e.error)?;
		s.submit().map_err(|e| e.error)?;
		let open = Promotions::<T>::take(s.key()).ok_or(BenchmarkError::Stop("not open"))?;
		Held::<T>::insert(s.key(), open);
		let asset = s.rebate.document.asset.clone();
		let _ = T::Assets::set_balance(asset.clone(), &s.customer.account, Zero::zero());
		frame_system::Pallet::<T>::set_block_number(pay_at);
		let caller = Party::<T>::funded(3).account;
		whitelist_account!(caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), pay_at, s.merchant.account.clone(), 0);

		assert!(!Held::<T>::contains_key(s.key()));
		assert_eq!(T::Assets::balance(asset.clone(), &s.customer.account), price::<T>(&asset, 15));
		Ok(())
	}

	/// The hook closing `n` due promotions, each paying its escrowed rebate to a new account.
	#[benchmark]
	fn close_promotions(n: Linear<0, 100>) {
		let (at, mut meter) = due_queue::<T>(n, Closing::Paid);

		#[block]
		{
			ReferralRebate::<T>::close_due(at, &mut meter);
		}

		assert_eq!(Promotions::<T>::iter().count(), 0);
	}

	/// The hook closing `n` due promotions whose payout fails, each returned to its merchant
	/// instead: the failed transfer (unnamed: the hook only needs to know it failed), then the
	/// second transfer.
	#[benchmark]
	fn close_promotions_returning(n: Linear<0, 100>) {
		let (at, mut meter) = due_queue::<T>(n, Closing::Returned);

		#[block]
		{
			ReferralRebate::<T>::close_due(at, &mut meter);
		}

		assert_eq!(Promotions::<T>::iter().count(), 0);
		assert_eq!(Held::<T>::iter().count(), 0, "every payout went back to its merchant");
	}

	/// The hook closing `n` due promotions under campaigns, each paying its customer and
	/// counted closed in its campaign.
	#[benchmark]
	fn close_promotions_campaign(n: Linear<0, 100>) {
		let (at, mut meter) = due_queue::<T>(n, Closing::Campaign);

		#[block]
		{
			ReferralRebate::<T>::close_due(at, &mut meter);
		}

		assert_eq!(Promotions::<T>::iter().count(), 0);
		assert!(
			Campaigns::<T>::iter_values().all(|c| c.open_promotions == 0 && c.reserved.is_zero())
		);
	}

	/// The hook removing `n` purchase records whose lifetime has ended, each its buyer's latest
	/// purchase from the merchant (so its [`LastPurchase`] entry goes too).
	#[benchmark]
	fn remove_purchases(n: Linear<0, 100>) {
		let merchant: T::AccountId = frame_benchmarking::account("merchant", 0, 0);
		let block: BlockNumberFor<T> = 1u32.into();
		let asset = T::BenchmarkHelper::asset(BenchmarkAsset::Other);
		for index in 0..n {
			let buyer: T::AccountId = frame_benchmarking::account("buyer", index, 0);
			LastPurchase::<T>::insert(&merchant, &buyer, block);
			let record = PurchaseRecord {
				merchant: merchant.clone(),
				buyer: buyer.clone(),
				asset: asset.clone(),
				price: price::<T>(&asset, 100),
				promotion: Some(PromotionRef { promotion_id: 0, pay_at: 20u32.into() }),
				refunded: false,
			};
			Purchases::<T>::insert(BlockKey::of(block), index, record);
		}
		let now = block.saturating_add(T::PurchaseLifetime::get());
		frame_system::Pallet::<T>::set_block_number(now);
		let mut meter = WeightMeter::with_limit(Weight::max_value());

		#[block]
		{
			ReferralRebate::<T>::remove_ended(now, &mut meter);
		}

		assert_eq!(Purchases::<T>::iter().count(), 0);
		assert_eq!(LastPurchase::<T>::iter().count(), 0);
	}

	impl_benchmark_test_suite!(ReferralRebate, crate::mock::new_test_ext(), crate::mock::Test);
}
