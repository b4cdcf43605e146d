//! One referral's three documents, signed by its parties as the protocol orders it: shared by the
//! client's and the coordinator's benchmarks (included by path).

#![allow(dead_code)]

use pallet_referral_rebate::{Framing, Offer, PayoutCondition, Rebate, ReferredPurchase, Signed};
use rebate_client::{
	documents::{self, SignedDoc},
	keys::KeyPair,
	PurchaseId,
};
use rebate_test_runtime::{AccountId, Runtime, UNIT};
use sp_core::H256;

/// A promotion id of its own for each origin purchase.
pub fn promotion_of(origin: PurchaseId) -> u64 {
	(u64::from(origin.block) << 32) | u64::from(origin.index)
}

/// The unsigned documents of promotion [`promotion_of`] `origin` between `merchant`, `customer`
/// and `referee`: a 100-unit purchase offered at 80, a 15-unit rebate paid if the referral settles.
pub fn terms(
	merchant: AccountId,
	customer: AccountId,
	referee: AccountId,
	origin: PurchaseId,
	settle_by: u32,
	pay_at: u32,
) -> (
	pallet_referral_rebate::OfferOf<Runtime>,
	pallet_referral_rebate::RebateOf<Runtime>,
	pallet_referral_rebate::ReferredPurchaseOf<Runtime>,
) {
	let id = promotion_of(origin);
	let offer = Offer {
		promotion_id: id,
		merchant: merchant.clone(),
		customer: customer.clone(),
		origin_purchase: origin,
		asset: rebate_test_runtime::AssetKind::Native,
		original_price: 100 * UNIT,
		discounted_price: 80 * UNIT,
		settle_by,
		pay_at,
		campaign: None,
	};
	let rebate = Rebate {
		promotion_id: id,
		merchant: merchant.clone(),
		customer: customer.clone(),
		asset: rebate_test_runtime::AssetKind::Native,
		amount: 15 * UNIT,
		pay_at,
		condition: PayoutCondition::ReferralSettled,
		campaign: None,
	};
	let purchase = ReferredPurchase::for_offer(&offer, &referee);
	(offer, rebate, purchase)
}

/// A merchant, its customer, and the customer's referee.
pub struct Parties {
	pub merchant: KeyPair,
	pub customer: KeyPair,
	pub referee: KeyPair,
}

/// The three signed documents of the promotion on origin purchase `origin`, signed at block
/// `now`.
pub fn documents(
	genesis: &H256,
	now: u32,
	p: &Parties,
	origin: PurchaseId,
	settle_by: u32,
	pay_at: u32,
) -> (
	SignedDoc<pallet_referral_rebate::OfferOf<rebate_test_runtime::Runtime>>,
	SignedDoc<pallet_referral_rebate::RebateOf<rebate_test_runtime::Runtime>>,
	SignedDoc<pallet_referral_rebate::ReferredPurchaseOf<rebate_test_runtime::Runtime>>,
) {
	let raw = Framing::Raw;
	let r = p.referee.account();
	let (offer, rebate, purchase) =
		terms(p.merchant.account(), p.customer.account(), r.clone(), origin, settle_by, pay_at);
	let (mut offer, mut rebate) = (Signed::unsigned(offer), Signed::unsigned(rebate));
	documents::sign(genesis, now, &mut offer, &p.merchant, None, raw)
		.expect("merchant signs the offer");
	documents::sign(genesis, now, &mut rebate, &p.merchant, None, raw)
		.expect("merchant signs the rebate");
	documents::sign(genesis, now, &mut offer, &p.customer, Some(r.clone()), raw)
		.expect("customer endorses");
	documents::sign(genesis, now, &mut offer, &p.referee, None, raw).expect("referee accepts");
	documents::sign(genesis, now, &mut rebate, &p.referee, None, raw)
		.expect("referee signs the rebate");
	documents::sign(genesis, now, &mut rebate, &p.customer, None, raw)
		.expect("customer signs the rebate");
	documents::verify(genesis, &offer, true).expect("the customer checks the offer");
	let mut purchase = Signed::unsigned(purchase);
	documents::sign(genesis, now, &mut purchase, &p.customer, None, raw).expect("customer drafts");
	documents::sign(genesis, now, &mut purchase, &p.referee, None, raw).expect("referee signs");
	(offer, rebate, purchase)
}
