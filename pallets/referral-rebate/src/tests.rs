//! Tests of the referral-rebate pallet: the claim flow end to end, every error path, every link of
//! every chain, deadlines, payout conditions, the pay-at queue and its carry-over (the squatting
//! attack), purchase lifetimes, the weights refusals are charged, and property tests over random
//! operation sequences.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{fungible::Inspect, Hooks, IntegrityTest},
};
use sp_core::H256;
use sp_runtime::{DispatchError, MultiSignature};

type E = crate::Event<Test>;
type Err = crate::Error<Test>;

fn genesis() -> H256 {
	ReferralRebate::genesis_hash()
}

/// The open rebates `merchant` has escrowed.
fn held(merchant: &AccountId) -> Balance {
	Promotions::<Test>::iter()
		.filter(|((_, m, _), _)| m == merchant)
		.filter_map(|(_, p)| p.rebate.map(|r| r.amount))
		.sum()
}

/// The escrow account's balance.
fn escrow() -> Balance {
	Balances::free_balance(ReferralRebate::escrow_account())
}

/// The open promotion `id` of `merchant` due at the mock documents' rebate block, 20.
fn promotion(merchant: &AccountId, id: PromotionId) -> Option<PromotionOf<Test>> {
	Promotions::<Test>::get((BlockKey::of(20u64), merchant.clone(), id))
}

/// Purchase record `id`.
fn record(id: PurchaseIdOf<Test>) -> Option<PurchaseRecordOf<Test>> {
	Purchases::<Test>::get(BlockKey::of(id.block), id.index)
}

/// The id of the purchase recorded last (from its event).
fn last_purchase() -> PurchaseIdOf<Test> {
	rebate_events().iter().rev().find_map(E::recorded_purchase).expect("a purchase was recorded")
}

/// The id of a purchase that was never recorded.
fn unknown_purchase() -> PurchaseIdOf<Test> {
	PurchaseId { block: 1, index: 99 }
}

fn free(who: &AccountId) -> Balance {
	Balances::free_balance(who)
}

fn total(who: &AccountId) -> Balance {
	Balances::total_balance(who)
}

/// Record the customer's origin purchase (1 000 from the customer to the merchant); its id.
fn origin_purchase(p: &Parties) -> PurchaseIdOf<Test> {
	origin_purchase_in(p, NATIVE)
}

/// A complete, valid offer and referred purchase for promotion `id`.
fn signed_referral(
	p: &Parties,
	id: PromotionId,
	origin: PurchaseIdOf<Test>,
) -> (SignedOfferOf<Test>, SignedPurchaseOf<Test>) {
	let offer = offer_doc(p, id, origin);
	let purchase = purchase_doc(p, &offer);
	(sign_offer(p, offer, &genesis()), sign_purchase(p, purchase, &genesis()))
}

/// `settle_referral` by `p`'s merchant; its error without the weight it was charged (the
/// weights refusals are charged have tests of their own).
pub(crate) fn settle(
	p: &Parties,
	offer: SignedOfferOf<Test>,
	purchase: SignedPurchaseOf<Test>,
) -> DispatchResult {
	settle_as(p.merchant.account(), offer, purchase)
}

fn settle_as(
	who: AccountId,
	offer: SignedOfferOf<Test>,
	purchase: SignedPurchaseOf<Test>,
) -> DispatchResult {
	ReferralRebate::settle_referral(RuntimeOrigin::signed(who), Box::new(offer), Box::new(purchase))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// `submit_rebate` by `p`'s customer; its error without the weight.
pub(crate) fn submit(p: &Parties, rebate: SignedRebateOf<Test>) -> DispatchResult {
	submit_as(p.customer.account(), rebate)
}

fn submit_as(who: AccountId, rebate: SignedRebateOf<Test>) -> DispatchResult {
	ReferralRebate::submit_rebate(RuntimeOrigin::signed(who), Box::new(rebate))
		.map(|_| ())
		.map_err(|e| e.error)
}

fn valid_rebate(p: &Parties, id: PromotionId, condition: PayoutCondition) -> SignedRebateOf<Test> {
	sign_rebate(p, rebate_doc(p, id, condition), &genesis())
}

// ---------------------------------------------------------------------------------------------
// The claim flow, end to end.
// ---------------------------------------------------------------------------------------------

#[test]
fn whole_claim_flow_pays_the_rebate_at_the_rebate_block() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let (m, c, r) = (merchant(), customer(), referee());
		let issuance = Balances::total_issuance();

		// Claim 1: the established first-type transaction.
		let origin = origin_purchase(&p);
		assert_eq!(origin.block, 1);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000);
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_000);
		assert_eq!(
			record(origin),
			Some(PurchaseRecord {
				merchant: m.clone(),
				buyer: c.clone(),
				asset: NATIVE,
				price: 1_000,
				promotion: None,
				refunded: false
			})
		);
		System::assert_last_event(
			E::PurchaseRecorded {
				purchase_id: origin,
				merchant: m.clone(),
				buyer: c.clone(),
				asset: NATIVE,
				price: 1_000,
				promotion_id: None,
			}
			.into(),
		);

		// Claims 1, 3 and 5: offer merchant → customer → referee; referred purchase customer →
		// referee; the merchant settles before the settle-by block.
		run_to_block(5);
		let (offer, purchase) = signed_referral(&p, 7, origin);
		assert_ok!(settle(&p, offer, purchase));
		assert_eq!(free(&r), REFEREE_FUNDS - 800);
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_800);
		let referred = last_purchase();
		assert_eq!(referred.block, 5);
		assert_eq!(
			record(referred),
			Some(PurchaseRecord {
				merchant: m.clone(),
				buyer: r.clone(),
				asset: NATIVE,
				price: 800,
				promotion: Some(PromotionRef { promotion_id: 7, pay_at: 20 }),
				refunded: false
			})
		);
		assert_eq!(
			promotion(&m, 7),
			Some(Promotion {
				customer: c.clone(),
				referee: r.clone(),
				asset: NATIVE,
				referral: Some(SettledReferral {
					purchase_id: referred,
					refunded: false,
					price: 800
				}),
				rebate: None,
				campaign: None,
			})
		);
		assert_eq!(
			rebate_events()[1..],
			[
				E::PurchaseRecorded {
					purchase_id: referred,
					merchant: m.clone(),
					buyer: r.clone(),
					asset: NATIVE,
					price: 800,
					promotion_id: Some(7)
				},
				E::ReferralSettled {
					merchant: m.clone(),
					promotion_id: 7,
					customer: c.clone(),
					referee: r.clone(),
					purchase_id: referred,
					asset: NATIVE,
					price: 800,
					pay_at: 20,
					campaign: None,
				},
			]
		);

		// Claims 1, 2 and 4: rebate merchant → referee → customer; the customer broadcasts it
		// before the rebate block; it moves into the escrow account.
		run_to_block(12);
		assert_ok!(submit(&p, valid_rebate(&p, 7, PayoutCondition::ReferralSettled)));
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_800 - 150);
		assert_eq!(escrow(), 150);
		assert_eq!(
			promotion(&m, 7).and_then(|o| o.rebate),
			Some(EscrowedRebate { amount: 150, condition: PayoutCondition::ReferralSettled })
		);
		assert_eq!(Promotions::<Test>::iter().count(), 1, "one promotion for both documents");
		System::assert_last_event(
			E::RebateScheduled {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				condition: PayoutCondition::ReferralSettled,
				campaign: None,
			}
			.into(),
		);

		// Nothing moves before the rebate block.
		run_to_block(19);
		assert_eq!(escrow(), 150);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000);

		// At the rebate block the chain pays the customer from the escrow account.
		run_to_block(20);
		assert_eq!(escrow(), 0);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000 + 150);
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_800 - 150);
		assert_eq!(promotion(&m, 7), None);
		assert_eq!(Promotions::<Test>::iter().count(), 0);
		System::assert_last_event(
			E::RebatePaid {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(Balances::total_issuance(), issuance, "no money created or destroyed");
		// The escrow account outlives its last rebate: the pallet provides for it.
		assert!(System::account_exists(&ReferralRebate::escrow_account()));
		// The referred purchase stays on record, as a purchase of its own, for its lifetime.
		assert!(record(referred).is_some());
	});
}

#[test]
fn rebate_may_reach_the_chain_before_the_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		assert_eq!(held(&merchant()), 150);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		assert_eq!(Promotions::<Test>::iter().count(), 1, "one promotion for both documents");
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
		assert_eq!(held(&merchant()), 0);
	});
}

#[test]
fn referral_settled_rebate_lapses_without_a_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(20);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&merchant()), MERCHANT_FUNDS);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS);
		System::assert_last_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				reason: LapseReason::NotSettled,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(Promotions::<Test>::iter().count(), 0);
	});
}

#[test]
fn unconditional_rebate_pays_without_a_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		run_to_block(20);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&merchant()), MERCHANT_FUNDS - 150);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150);
		System::assert_last_event(
			E::RebatePaid {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
	});
}

#[test]
fn refund_in_the_review_period_makes_a_referral_settled_rebate_lapse() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(19);
		// The last block of the review period.
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referred));
		assert_eq!(free(&referee()), REFEREE_FUNDS);
		assert_eq!(record(referred).map(|x| x.refunded), Some(true));
		assert_eq!(
			promotion(&merchant(), 1).and_then(|p| p.referral).map(|r| r.refunded),
			Some(true)
		);
		System::assert_last_event(
			E::PurchaseRefunded {
				purchase_id: referred,
				merchant: merchant(),
				buyer: referee(),
				asset: NATIVE,
				amount: 800,
				promotion_id: Some(1),
			}
			.into(),
		);
		run_to_block(20);
		System::assert_last_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				reason: LapseReason::Refunded,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000);
		assert_eq!(total(&merchant()), MERCHANT_FUNDS + 1_000);
	});
}

#[test]
fn unconditional_rebate_pays_despite_a_refund() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referred));
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
	});
}

#[test]
fn refund_after_the_rebate_block_does_not_touch_the_closed_promotion() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
		// The referred purchase is still live (PurchaseLifetime), so it can be refunded; the
		// closed promotion is not touched.
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referred));
		System::assert_last_event(
			E::PurchaseRefunded {
				purchase_id: referred,
				merchant: merchant(),
				buyer: referee(),
				asset: NATIVE,
				amount: 800,
				promotion_id: None,
			}
			.into(),
		);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150, "a paid rebate stays paid");
	});
}

#[test]
fn settled_promotion_without_rebate_expires_at_the_rebate_block() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		run_to_block(20);
		System::assert_last_event(
			E::PromotionExpired {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				pay_at: 20,
			}
			.into(),
		);
		assert_eq!(promotion(&merchant(), 1), None);
	});
}

#[test]
fn promotion_ids_are_per_merchant() {
	ExtBuilder::default().build_and_execute(|| {
		// Another merchant (Dave) uses the same promotion id for its own customer.
		let p = Parties::default();
		let q = Parties { merchant: stranger_key(), ..Parties::default() };
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_ok!(submit(&q, valid_rebate(&q, 1, PayoutCondition::Unconditional)));
		assert_eq!(held(&merchant()), 150);
		assert_eq!(held(&stranger()), 150);
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 300);
	});
}

// ---------------------------------------------------------------------------------------------
// `purchase` errors.
// ---------------------------------------------------------------------------------------------

#[test]
fn purchase_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let c = RuntimeOrigin::signed(customer());
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), NATIVE, 0),
			Err::PriceBelowMinimum
		);
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), NATIVE, ED - 1),
			Err::PriceBelowMinimum
		);
		assert_noop!(
			ReferralRebate::purchase(c.clone(), customer(), NATIVE, 50),
			Err::SelfPurchase
		);
		// Paying everything would kill the buyer's account.
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), NATIVE, CUSTOMER_FUNDS),
			Err::CannotPayPrice
		);
		assert_noop!(
			ReferralRebate::purchase(RuntimeOrigin::none(), merchant(), NATIVE, 50),
			DispatchError::BadOrigin
		);
		assert_ok!(ReferralRebate::purchase(c, merchant(), NATIVE, CUSTOMER_FUNDS - ED));
	});
}

#[test]
fn purchase_ids_are_the_block_and_the_event_index_unique_within_a_block() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let first = origin_purchase(&p);
		let second = origin_purchase(&p);
		assert_eq!((first.block, second.block), (1, 1));
		assert!(second.index > first.index, "{first:?} then {second:?}");
		// A referred purchase recorded in the same block gets an id of its own.
		let (offer, purchase) = signed_referral(&p, 1, first);
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		assert_eq!(referred.block, 1);
		assert!(referred.index > second.index);
		assert_eq!(Purchases::<Test>::iter().count(), 3);
		assert_eq!(record(first).map(|r| r.buyer), Some(customer()));
		assert_eq!(record(referred).map(|r| r.buyer), Some(referee()));
		// The next block starts its indices again; its ids still differ by the block.
		run_to_block(2);
		let next = origin_purchase(&p);
		assert_eq!(next.block, 2);
		assert_eq!(Purchases::<Test>::iter().count(), 4);
		assert_eq!(format!("{next}"), format!("2-{}", next.index));
		assert_eq!(format!("{next}").parse::<PurchaseIdOf<Test>>(), Ok(next));
		assert!("2".parse::<PurchaseIdOf<Test>>().is_err());
	});
}

// ---------------------------------------------------------------------------------------------
// `settle_referral` errors, each one with nothing changed.
// ---------------------------------------------------------------------------------------------

/// Run `mutate` on a valid offer/purchase pair (promotion 1, after an origin purchase) and assert
/// that settling it fails with `error` and changes nothing.
fn settle_fails(
	mutate: impl FnOnce(&Parties, &mut SignedOfferOf<Test>, &mut SignedPurchaseOf<Test>),
	error: Err,
) {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (mut offer, mut purchase) = signed_referral(&p, 1, origin);
		mutate(&p, &mut offer, &mut purchase);
		assert_noop!(settle(&p, offer, purchase), error);
	});
}

/// Re-sign a whole offer after changing its document (so every signature is valid).
fn resign_offer(p: &Parties, o: &mut SignedOfferOf<Test>, referee: &Key) {
	let q = Parties { referee: referee.clone(), ..p.clone() };
	*o = sign_offer(&q, o.document.clone(), &genesis());
}

fn resign_purchase(p: &Parties, s: &mut SignedPurchaseOf<Test>) {
	*s = sign_purchase(p, s.document.clone(), &genesis());
}

#[test]
fn settle_rejects_a_sender_other_than_the_merchant() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		for who in [customer(), referee(), stranger()] {
			assert_noop!(settle_as(who, offer.clone(), purchase.clone()), Err::NotMerchant);
		}
	});
}

#[test]
fn settle_rejects_malformed_chains() {
	settle_fails(
		|_, o, _| {
			o.links.pop();
		},
		Err::OfferChainMalformed,
	);
	settle_fails(|_, o, _| o.links.clear(), Err::OfferChainMalformed);
	settle_fails(|_, o, _| o.links[0].designates = Some(stranger()), Err::OfferChainMalformed);
	settle_fails(|_, o, _| o.links[1].designates = None, Err::OfferChainMalformed);
	settle_fails(|_, o, _| o.links[2].designates = Some(referee()), Err::OfferChainMalformed);
	settle_fails(
		|_, _, s| {
			s.links.pop();
		},
		Err::PurchaseChainMalformed,
	);
	settle_fails(|_, _, s| s.links[0].designates = Some(referee()), Err::PurchaseChainMalformed);
	settle_fails(
		|_, _, s| s.links.try_push(s.links[1].clone()).expect("room for a third"),
		Err::PurchaseChainMalformed,
	);
}

#[test]
fn settle_rejects_documents_that_break_the_rules() {
	// Discount not below the original price (claim 2).
	settle_fails(
		|p, o, s| {
			o.document.discounted_price = o.document.original_price;
			resign_offer(p, o, &p.referee);
			s.document.price = o.document.discounted_price;
			resign_purchase(p, s);
		},
		Err::DiscountNotBelowPrice,
	);
	// Settle-by not before the rebate block (claim 2).
	settle_fails(
		|p, o, _| {
			o.document.settle_by = o.document.pay_at;
			resign_offer(p, o, &p.referee);
		},
		Err::SettleByNotBeforePayAt,
	);
	// The customer designates the merchant as the referee.
	settle_fails(
		|p, o, s| {
			resign_offer(p, o, &p.merchant);
			s.document.buyer = merchant();
		},
		Err::PartiesNotDistinct,
	);
	// The customer refers itself.
	settle_fails(|p, o, _| resign_offer(p, o, &p.customer), Err::PartiesNotDistinct);
}

#[test]
fn settle_rejects_a_purchase_that_is_not_the_offers() {
	settle_fails(
		|p, _, s| {
			s.document.promotion_id = 2;
			resign_purchase(p, s);
		},
		Err::PurchasePromotionMismatch,
	);
	settle_fails(
		|p, _, s| {
			s.document.merchant = stranger();
			resign_purchase(p, s);
		},
		Err::PurchasePromotionMismatch,
	);
	settle_fails(
		|p, _, s| {
			s.document.buyer = stranger();
			resign_purchase(p, s);
		},
		Err::PurchaseBuyerNotReferee,
	);
	settle_fails(
		|p, _, s| {
			s.document.referrer = stranger();
			resign_purchase(p, s);
		},
		Err::PurchaseReferrerNotCustomer,
	);
	settle_fails(
		|p, _, s| {
			s.document.price = 700;
			resign_purchase(p, s);
		},
		Err::PurchasePriceNotDiscounted,
	);
	settle_fails(
		|p, _, s| {
			s.document.settle_by += 5;
			resign_purchase(p, s);
		},
		Err::PurchaseDeadlineMismatch,
	);
}

#[test]
fn settle_rejects_a_bad_origin_purchase() {
	settle_fails(
		|p, o, _| {
			o.document.origin_purchase = unknown_purchase();
			resign_offer(p, o, &p.referee);
		},
		Err::UnknownOriginPurchase,
	);
	settle_fails(
		|p, o, s| {
			o.document.original_price = 2_000;
			o.document.discounted_price = 800;
			resign_offer(p, o, &p.referee);
			resign_purchase(p, s);
		},
		Err::OriginPurchaseMismatch,
	);
	// Someone else's purchase from the same merchant.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(ReferralRebate::purchase(
			RuntimeOrigin::signed(stranger()),
			merchant(),
			NATIVE,
			1_000
		));
		let (offer, purchase) = signed_referral(&p, 1, last_purchase());
		assert_noop!(settle(&p, offer, purchase), Err::OriginPurchaseMismatch);
	});
	// A refunded origin purchase.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), origin));
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_noop!(settle(&p, offer, purchase), Err::OriginPurchaseRefunded);
	});
}

#[test]
fn settle_deadline_boundary() {
	// The last allowed block is settle_by - 1.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		run_to_block(offer.document.settle_by - 1);
		assert_ok!(settle(&p, offer, purchase));
	});
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		run_to_block(offer.document.settle_by);
		assert_noop!(settle(&p, offer, purchase), Err::SettleDeadlinePassed);
	});
}

#[test]
fn settle_replay_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer.clone(), purchase.clone()));
		assert_noop!(settle(&p, offer.clone(), purchase.clone()), Err::AlreadySettled);
		// After the promotion closed, the documents have expired.
		run_to_block(20);
		assert_noop!(settle(&p, offer, purchase), Err::SettleDeadlinePassed);
	});
}

#[test]
fn settle_must_agree_with_a_rebate_submitted_first() {
	// Another customer than the rebate's, under the same promotion key.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let q = Parties { customer: stranger_key(), ..Parties::default() };
		assert_ok!(submit(&q, valid_rebate(&q, 1, PayoutCondition::ReferralSettled)));
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_noop!(settle(&p, offer, purchase), Err::PromotionMismatch);
	});
	// Another referee than the rebate's chain designated.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let q = Parties { referee: stranger_key(), ..Parties::default() };
		assert_ok!(submit(&q, valid_rebate(&q, 1, PayoutCondition::ReferralSettled)));
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_noop!(settle(&p, offer, purchase), Err::RefereeMismatch);
	});
	// Another rebate block is another promotion: the two documents do not meet, and the
	// `ReferralSettled` rebate lapses for want of a referral.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		let mut offer = offer_doc(&p, 1, origin);
		offer.pay_at = 25;
		let purchase = purchase_doc(&p, &offer);
		let (o, s) = (sign_offer(&p, offer, &genesis()), sign_purchase(&p, purchase, &genesis()));
		assert_ok!(settle(&p, o, s));
		assert_eq!(Promotions::<Test>::iter().count(), 2);
		run_to_block(20);
		assert_eq!(free(&merchant()), MERCHANT_FUNDS + 1_800, "the rebate went back");
		assert!(matches!(
			rebate_events().last(),
			Some(E::RebateLapsed { reason: LapseReason::NotSettled, .. })
		));
		run_to_block(25);
		assert!(matches!(rebate_events().last(), Some(E::PromotionExpired { pay_at: 25, .. })));
		assert_eq!(Promotions::<Test>::iter().count(), 0);
	});
}

#[test]
fn settle_fails_when_the_referee_cannot_pay() {
	ExtBuilder::default().balance(referee(), 800).build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		// Paying 800 of 800 would reap the referee's account.
		assert_noop!(settle(&p, offer, purchase), Err::RefereeCannotPay);
	});
	ExtBuilder::default().balance(referee(), 0).build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_noop!(settle(&p, offer, purchase), Err::RefereeCannotPay);
	});
}

// ---------------------------------------------------------------------------------------------
// `submit_rebate` errors.
// ---------------------------------------------------------------------------------------------

fn submit_fails(mutate: impl FnOnce(&Parties, &mut SignedRebateOf<Test>), error: Err) {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let mut rebate = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
		mutate(&p, &mut rebate);
		assert_noop!(submit(&p, rebate), error);
	});
}

fn resign_rebate(p: &Parties, r: &mut SignedRebateOf<Test>) {
	*r = sign_rebate(p, r.document.clone(), &genesis());
}

#[test]
fn submit_rejects_a_sender_other_than_the_customer() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let rebate = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
		for who in [merchant(), referee(), stranger()] {
			assert_noop!(submit_as(who, rebate.clone()), Err::NotCustomer);
		}
	});
}

#[test]
fn submit_rejects_malformed_chains_and_bad_documents() {
	submit_fails(
		|_, r| {
			r.links.pop();
		},
		Err::RebateChainMalformed,
	);
	submit_fails(|_, r| r.links[0].designates = Some(referee()), Err::RebateChainMalformed);
	submit_fails(|_, r| r.links[1].designates = None, Err::RebateChainMalformed);
	submit_fails(|_, r| r.links[2].designates = Some(referee()), Err::RebateChainMalformed);
	submit_fails(
		|p, r| {
			r.document.amount = ED - 1;
			resign_rebate(p, r);
		},
		Err::RebateBelowMinimum,
	);
	submit_fails(
		|p, r| {
			let q = Parties { referee: p.merchant.clone(), ..p.clone() };
			*r = sign_rebate(&q, r.document.clone(), &genesis());
		},
		Err::PartiesNotDistinct,
	);
}

#[test]
fn rebate_deadline_boundary() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		run_to_block(19);
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150, "paid at the block it was due");
	});
	submit_fails(|_, _| run_to_block(20), Err::RebateDeadlinePassed);
}

#[test]
fn submit_replay_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let rebate = valid_rebate(&p, 1, PayoutCondition::Unconditional);
		assert_ok!(submit(&p, rebate.clone()));
		assert_noop!(submit(&p, rebate.clone()), Err::RebateAlreadySubmitted);
		run_to_block(20);
		assert_noop!(submit(&p, rebate), Err::RebateDeadlinePassed);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150, "paid once");
	});
}

#[test]
fn submit_must_agree_with_a_settled_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		// Another customer under the same promotion key.
		let q = Parties { customer: stranger_key(), ..Parties::default() };
		assert_noop!(
			submit(&q, valid_rebate(&q, 1, PayoutCondition::ReferralSettled)),
			Err::PromotionMismatch
		);
		// Another referee.
		let q = Parties { referee: stranger_key(), ..Parties::default() };
		assert_noop!(
			submit(&p, valid_rebate(&q, 1, PayoutCondition::ReferralSettled)),
			Err::RefereeMismatch
		);
	});
}

#[test]
fn submit_fails_when_the_merchant_cannot_escrow() {
	ExtBuilder::default().balance(merchant(), 100).build_and_execute(|| {
		let p = Parties::default();
		assert_noop!(
			submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)),
			Err::MerchantCannotEscrow
		);
	});
	// Enough in total, but not while keeping the existential deposit free.
	ExtBuilder::default().balance(merchant(), 150).build_and_execute(|| {
		let p = Parties::default();
		assert_noop!(
			submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)),
			Err::MerchantCannotEscrow
		);
	});
	ExtBuilder::default().balance(merchant(), 150 + ED).build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_eq!(free(&merchant()), ED);
	});
}

// ---------------------------------------------------------------------------------------------
// Every link of every chain: tampered, wrong signer, out of order, other chain, other domain.
// ---------------------------------------------------------------------------------------------

/// A document wearing another kind's domain tag: what a signature made for the other kind
/// would have signed.
struct Retagged<'a, D, K>(&'a D, core::marker::PhantomData<K>);

impl<D: Encode, K> Encode for Retagged<'_, D, K> {
	fn size_hint(&self) -> usize {
		self.0.size_hint()
	}
	fn encode_to<O: codec::Output + ?Sized>(&self, dest: &mut O) {
		self.0.encode_to(dest)
	}
}

impl<D: Document<AccountId>, K: Document<AccountId>> Document<AccountId> for Retagged<'_, D, K> {
	const DOMAIN: &'static [u8] = K::DOMAIN;
	const ORDER: &'static [LinkRule] = D::ORDER;
	fn merchant(&self) -> &AccountId {
		self.0.merchant()
	}
	fn customer(&self) -> &AccountId {
		self.0.customer()
	}
	fn promotion_id(&self) -> PromotionId {
		self.0.promotion_id()
	}
}

/// How a test spoils one link.
#[derive(Clone, Copy, Debug)]
enum Spoil {
	/// Signed over a document with a field changed.
	TamperedField,
	/// Signed by the stranger's key instead.
	WrongSigner,
	/// Signed before the link that should precede it (the two swapped in signing order).
	OutOfOrder,
	/// Signed for another chain's genesis hash.
	OtherGenesis,
	/// Signed with another document kind's domain tag.
	OtherDomain,
}

const SPOILS: [Spoil; 5] = [
	Spoil::TamperedField,
	Spoil::WrongSigner,
	Spoil::OutOfOrder,
	Spoil::OtherGenesis,
	Spoil::OtherDomain,
];

/// Build a chain for `doc` signed by `keys` (with `designations`), spoiling link `k` by `spoil`.
/// `tampered` is the document with a field changed; `K` the foreign document kind.
fn spoiled_chain<D, K>(
	doc: &D,
	tampered: &D,
	keys: &[Key],
	designations: &[Option<AccountId>],
	k: usize,
	spoil: Spoil,
) -> Signed<D, AccountId, MultiSignature>
where
	D: Document<AccountId> + Clone,
	K: Document<AccountId>,
{
	let g = genesis();
	let other_genesis = H256::repeat_byte(0x42);
	let mut links: Vec<LinkOf<Test>> = Vec::new();
	let sign = |i: usize, earlier: &[LinkOf<Test>]| -> LinkOf<Test> {
		let designates = designations[i].clone();
		let payload = match (i == k, spoil) {
			(true, Spoil::TamperedField) => {
				signing_payload(&g, tampered, earlier, designates.as_ref())
			}
			(true, Spoil::OtherGenesis) => {
				signing_payload(&other_genesis, doc, earlier, designates.as_ref())
			}
			(true, Spoil::OtherDomain) => signing_payload(
				&g,
				&Retagged::<D, K>(doc, Default::default()),
				earlier,
				designates.as_ref(),
			),
			_ => signing_payload(&g, doc, earlier, designates.as_ref()),
		};
		let key = match (i == k, spoil) {
			(true, Spoil::WrongSigner) => stranger_key(),
			_ => keys[i].clone(),
		};
		Link { designates, framing: Framing::Raw, signature: key.sign(&payload) }
	};
	if let Spoil::OutOfOrder = spoil {
		// Link k is signed first over the links before k; the link after it (or, for the
		// last link, the one before it) signs over it; each then takes its own position.
		let n = keys.len();
		let (a, b) = if k + 1 < n { (k, k + 1) } else { (k - 1, k) };
		for i in 0..a {
			let l = sign(i, &links);
			links.push(l);
		}
		let lb = sign(b, &links);
		let mut with_b = links.clone();
		with_b.push(lb.clone());
		let la = sign(a, &with_b);
		links.push(la);
		links.push(lb);
		for i in (b + 1)..n {
			let l = sign(i, &links);
			links.push(l);
		}
	} else {
		for i in 0..keys.len() {
			let l = sign(i, &links);
			links.push(l);
		}
	}
	Signed { document: doc.clone(), links: links.try_into().expect("within bound") }
}

#[test]
fn every_offer_link_is_checked() {
	let errors = |i: usize| {
		[
			Err::BadOfferMerchantSignature,
			Err::BadOfferCustomerSignature,
			Err::BadOfferRefereeSignature,
		]
		.into_iter()
		.nth(i)
		.expect("three links")
	};
	for k in 0..3 {
		for spoil in SPOILS {
			ExtBuilder::default().build_and_execute(|| {
				let p = Parties::default();
				let origin = origin_purchase(&p);
				let (good, purchase) = signed_referral(&p, 1, origin);
				let mut tampered = good.document.clone();
				tampered.discounted_price -= 1;
				let keys = [p.merchant.clone(), p.customer.clone(), p.referee.clone()];
				let offer = spoiled_chain::<_, RebateOf<Test>>(
					&good.document,
					&tampered,
					&keys,
					&[None, Some(referee()), None],
					k,
					spoil,
				);
				// With links 0 and 1 signed out of order the first bad link is link 0.
				let expected = match spoil {
					Spoil::OutOfOrder if k == 2 => errors(1),
					_ => errors(k),
				};
				assert_noop!(settle(&p, offer, purchase), expected);
			});
		}
	}
}

#[test]
fn every_referred_purchase_link_is_checked() {
	let errors = |i: usize| {
		[Err::BadPurchaseCustomerSignature, Err::BadPurchaseRefereeSignature]
			.into_iter()
			.nth(i)
			.expect("two links")
	};
	for k in 0..2 {
		for spoil in SPOILS {
			ExtBuilder::default().build_and_execute(|| {
				let p = Parties::default();
				let origin = origin_purchase(&p);
				let (offer, good) = signed_referral(&p, 1, origin);
				let mut tampered = good.document.clone();
				tampered.price += 1;
				let purchase = spoiled_chain::<_, OfferOf<Test>>(
					&good.document,
					&tampered,
					&[p.customer.clone(), p.referee.clone()],
					&[None, None],
					k,
					spoil,
				);
				let expected = match spoil {
					Spoil::OutOfOrder => errors(0),
					_ => errors(k),
				};
				assert_noop!(settle(&p, offer, purchase), expected);
			});
		}
	}
}

#[test]
fn every_rebate_link_is_checked() {
	let errors = |i: usize| {
		[
			Err::BadRebateMerchantSignature,
			Err::BadRebateRefereeSignature,
			Err::BadRebateCustomerSignature,
		]
		.into_iter()
		.nth(i)
		.expect("three links")
	};
	for k in 0..3 {
		for spoil in SPOILS {
			ExtBuilder::default().build_and_execute(|| {
				let p = Parties::default();
				let good = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
				let mut tampered = good.document.clone();
				tampered.amount += 1;
				let rebate = spoiled_chain::<_, OfferOf<Test>>(
					&good.document,
					&tampered,
					&[p.merchant.clone(), p.referee.clone(), p.customer.clone()],
					&[None, Some(referee()), None],
					k,
					spoil,
				);
				let expected = match spoil {
					Spoil::OutOfOrder if k == 2 => errors(1),
					_ => errors(k),
				};
				assert_noop!(submit(&p, rebate), expected);
			});
		}
	}
}

#[test]
fn a_tampered_document_fails_at_its_first_link() {
	// Tampering after everyone signed: the merchant's link is the first to fail.
	settle_fails(
		|p, o, s| {
			o.document.settle_by = 9;
			s.document.settle_by = 9;
			resign_purchase(p, s);
		},
		Err::BadOfferMerchantSignature,
	);
	settle_fails(|_, o, _| o.document.pay_at = 30, Err::BadOfferMerchantSignature);
	submit_fails(|_, r| r.document.amount = 10_000, Err::BadRebateMerchantSignature);
	submit_fails(
		|_, r| r.document.condition = PayoutCondition::Unconditional,
		Err::BadRebateMerchantSignature,
	);
	// Swapping the designated referee in the customer's offer link breaks that link.
	settle_fails(
		|p, o, s| {
			o.links[1].designates = Some(stranger());
			s.document.buyer = stranger();
			let q = Parties { referee: stranger_key(), ..p.clone() };
			*s = sign_purchase(&q, s.document.clone(), &genesis());
		},
		Err::BadOfferCustomerSignature,
	);
}

#[test]
fn bytes_wrapped_signatures_are_accepted_on_every_link() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let g = genesis();
		let origin = origin_purchase(&p);
		let offer = offer_doc(&p, 1, origin);
		let mut o = Signed::unsigned(offer.clone());
		add_link(&mut o, &p.merchant, None, Framing::Bytes, &g);
		add_link(&mut o, &p.customer, Some(referee()), Framing::Bytes, &g);
		add_link(&mut o, &p.referee, None, Framing::Raw, &g);
		let mut s = Signed::unsigned(purchase_doc(&p, &offer));
		add_link(&mut s, &p.customer, None, Framing::Raw, &g);
		add_link(&mut s, &p.referee, None, Framing::Bytes, &g);
		assert_ok!(settle(&p, o, s));
		let mut r = Signed::unsigned(rebate_doc(&p, 1, PayoutCondition::ReferralSettled));
		add_link(&mut r, &p.merchant, None, Framing::Bytes, &g);
		add_link(&mut r, &p.referee, Some(referee()), Framing::Bytes, &g);
		add_link(&mut r, &p.customer, None, Framing::Bytes, &g);
		assert_ok!(submit(&p, r));
	});
	// A wrapped signature claimed as raw (and the reverse) does not verify.
	submit_fails(|_, r| r.links[2].framing = Framing::Bytes, Err::BadRebateCustomerSignature);
	settle_fails(|_, o, _| o.links[2].framing = Framing::Bytes, Err::BadOfferRefereeSignature);
}

fn flow_with(p: Parties) {
	let fund = |b: ExtBuilder, k: &Key| b.balance(k.account(), 1_000_000);
	let builder = fund(fund(fund(ExtBuilder::default(), &p.merchant), &p.customer), &p.referee);
	builder.build_and_execute(|| {
		let customer_before = free(&p.customer.account());
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		assert_ok!(settle(&p, offer, purchase));
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(20);
		assert_eq!(free(&p.customer.account()), customer_before - 1_000 + 150);
		System::assert_last_event(
			E::RebatePaid {
				merchant: p.merchant.account(),
				promotion_id: 1,
				customer: p.customer.account(),
				referee: p.referee.account(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
	});
}

#[test]
fn ed25519_parties_complete_the_flow() {
	flow_with(Parties {
		merchant: Key::ed("//Alice"),
		customer: Key::ed("//Bob"),
		referee: Key::ed("//Charlie"),
	});
}

#[test]
fn ecdsa_parties_complete_the_flow() {
	flow_with(Parties {
		merchant: Key::ec("//Alice"),
		customer: Key::ec("//Bob"),
		referee: Key::ec("//Charlie"),
	});
}

#[test]
fn mixed_schemes_complete_the_flow() {
	flow_with(Parties {
		merchant: Key::ec("//Merchant"),
		customer: Key::sr("//Customer"),
		referee: Key::ed("//Referee"),
	});
}

#[test]
fn malformed_call_bytes_do_not_decode() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let (offer, purchase) = signed_referral(&p, 1, unknown_purchase());
		let call = RuntimeCall::ReferralRebate(crate::Call::settle_referral {
			offer: Box::new(offer),
			purchase: Box::new(purchase),
		});
		let bytes = call.encode();
		assert_eq!(RuntimeCall::decode(&mut &bytes[..]).ok(), Some(call));
		for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
			assert!(RuntimeCall::decode(&mut &bytes[..cut]).is_err(), "cut at {cut}");
		}
		// A chain longer than the bound does not decode, even with every link present.
		let (offer, _) = signed_referral(&p, 1, unknown_purchase());
		let mut links: Vec<LinkOf<Test>> = offer.links.to_vec();
		links.push(links[2].clone());
		let four = (&offer.document, &links).encode();
		let error = SignedOfferOf::<Test>::decode(&mut &four[..]).expect_err("over the bound");
		assert!(error.to_string().contains("BoundedVec exceeds its limit"), "{error}");
		let three = (&offer.document, &links[..3]).encode();
		assert_eq!(SignedOfferOf::<Test>::decode(&mut &three[..]).ok(), Some(offer));
	});
}

// ---------------------------------------------------------------------------------------------
// `refund` and `close_overdue` errors.
// ---------------------------------------------------------------------------------------------

#[test]
fn refund_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), unknown_purchase()),
			Err::UnknownPurchase
		);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(customer()), origin),
			Err::NotPurchaseMerchant
		);
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), origin));
		assert_eq!(free(&customer()), CUSTOMER_FUNDS);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), origin),
			Err::AlreadyRefunded
		);
	});
	ExtBuilder::default().balance(merchant(), 0).build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		// The merchant holds exactly the price: refunding it would reap its account.
		assert_eq!(free(&merchant()), 1_000);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), origin),
			Err::MerchantCannotRefund
		);
	});
}

#[test]
fn close_overdue_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let close = |origin, pay_at| ReferralRebate::close_overdue(origin, pay_at, merchant(), 1);
		run_to_block(20);
		assert_noop!(close(RuntimeOrigin::signed(stranger()), 20), Err::UnknownPromotion);
		assert_noop!(close(RuntimeOrigin::signed(stranger()), 21), Err::NotYetDue);
		let mut doc = rebate_doc(&p, 1, PayoutCondition::Unconditional);
		doc.pay_at = 30;
		assert_ok!(submit(&p, sign_rebate(&p, doc, &genesis())));
		run_to_block(29);
		assert_noop!(close(RuntimeOrigin::signed(stranger()), 30), Err::NotYetDue);
		// The same promotion id under another rebate block is another promotion.
		assert_noop!(close(RuntimeOrigin::signed(stranger()), 20), Err::UnknownPromotion);
		assert_noop!(close(RuntimeOrigin::none(), 30), DispatchError::BadOrigin);
	});
}

// ---------------------------------------------------------------------------------------------
// The pay-at queue and the hook.
// ---------------------------------------------------------------------------------------------

/// Submit unconditional rebates for promotions `ids`, all due at block 20.
fn submit_many(ids: core::ops::Range<PromotionId>) {
	let p = Parties::default();
	for id in ids {
		assert_ok!(submit(&p, valid_rebate(&p, id, PayoutCondition::Unconditional)));
	}
}

/// The hook's fixed cost and its cost per promotion closed.
fn hook_weights() -> (Weight, Weight) {
	(charges::close_base::<()>(), ReferralRebate::close_one_weight())
}

/// A `MaxHookWeight` that closes exactly `n` promotions a block (closing leaves room to remove
/// one purchase record).
fn hook_room_for(n: u64) -> Weight {
	let (base, per) = hook_weights();
	base + per * n + <() as WeightInfo>::remove_purchases(1)
}

/// The rebate blocks of the promotions closed so far (paid, lapsed or expired), in order.
fn closed_pay_ats() -> Vec<BlockNumber> {
	rebate_events()
		.into_iter()
		.filter_map(|e| match e {
			E::RebatePaid { pay_at, .. }
			| E::RebateLapsed { pay_at, .. }
			| E::PromotionExpired { pay_at, .. } => Some(pay_at),
			_ => None,
		})
		.collect()
}

#[test]
fn squatters_cannot_refuse_an_honest_document_for_a_busy_rebate_block() {
	// Colluding accounts open more promotions due at block 20 (and 21) than the hook closes in a
	// block, paying nothing but an origin purchase: referred purchases at price 0, no rebate.
	// Under the v1 agenda this filled every slot from 20 on and refused the victim `AgendaFull`.
	let squatter = Key::sr("//Squatter");
	let friends: Vec<Key> = (0..2).map(|i| Key::sr(&format!("//SquatFriend{i}"))).collect();
	let mut builder = ExtBuilder::default().balance(squatter.account(), 100_000);
	for k in &friends {
		builder = builder.balance(k.account(), 100_000);
	}
	builder.build_and_execute(|| {
		// Room for exactly two closings per block.
		MaxHookWeight::set(hook_room_for(2));
		let s = Parties {
			merchant: squatter.clone(),
			customer: friends[0].clone(),
			referee: friends[1].clone(),
		};
		let origin = origin_purchase(&s);
		for id in 0..12 {
			let mut offer = offer_doc(&s, id, origin);
			offer.discounted_price = 0;
			offer.pay_at = if id < 8 { 20 } else { 21 };
			let purchase = purchase_doc(&s, &offer);
			let (o, r) =
				(sign_offer(&s, offer, &genesis()), sign_purchase(&s, purchase, &genesis()));
			assert_ok!(settle(&s, o, r));
		}
		assert_eq!(Promotions::<Test>::iter().count(), 12);

		// The victim's documents for block 20 are accepted, by either call.
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 100, origin);
		assert_ok!(settle(&p, offer, purchase));
		assert_ok!(submit(&p, valid_rebate(&p, 100, PayoutCondition::ReferralSettled)));
		assert_eq!(escrow(), 150);

		// Every promotion closes, two a block, earliest rebate block first; nothing is lost.
		run_to_block(20);
		assert_eq!(closed_pay_ats().len(), 2);
		System::assert_last_event(E::ClosingCarried { pay_at: 20 }.into());
		run_to_block(26);
		assert_eq!(Promotions::<Test>::iter().count(), 0);
		let closed = closed_pay_ats();
		assert_eq!(closed.len(), 13);
		assert!(closed.windows(2).all(|w| w[0] <= w[1]), "in rebate-block order: {closed:?}");
		assert_eq!(closed.iter().filter(|b| **b == 20).count(), 9);
		// The victim was paid, a block or more late, in full.
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
		assert_eq!(escrow(), 0);
		let paid = rebate_events()
			.into_iter()
			.filter(|e| matches!(e, E::RebatePaid { promotion_id: 100, amount: 150, .. }))
			.count();
		assert_eq!(paid, 1);
	});
}

#[test]
fn the_hook_carries_what_does_not_fit_and_drops_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		MaxHookWeight::set(hook_room_for(2));
		submit_many(0..5);
		assert_eq!(escrow(), 750);

		run_to_block(20);
		assert_eq!(escrow(), 450);
		System::assert_last_event(E::ClosingCarried { pay_at: 20 }.into());

		run_to_block(21);
		assert_eq!(escrow(), 150);
		let (_, m, last) = Promotions::<Test>::iter_keys().next().expect("one left");

		// Anyone may close the last one by hand meanwhile.
		assert_ok!(ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), 20, m, last));
		assert_eq!(escrow(), 0);
		System::assert_last_event(
			E::RebatePaid {
				merchant: merchant(),
				promotion_id: last,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);

		run_to_block(22);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 750, "each rebate paid exactly once");
		let paid = rebate_events().iter().filter(|e| matches!(e, E::RebatePaid { .. })).count();
		assert_eq!(paid, 5);
	});
}

#[test]
fn the_hook_reports_the_weight_it_used() {
	ExtBuilder::default().build_and_execute(|| {
		let (base, per) = hook_weights();
		submit_many(0..3);
		System::set_block_number(20);
		assert_eq!(ReferralRebate::on_initialize(20), base + per * 3);
		// A block with nothing due costs the base only (no purchase has ended yet).
		System::set_block_number(21);
		assert_eq!(ReferralRebate::on_initialize(21), base);
	});
}

#[test]
fn a_hook_without_room_to_look_leaves_the_queue_for_the_next_block() {
	ExtBuilder::default().build_and_execute(|| {
		let (base, per) = hook_weights();
		submit_many(0..1);
		System::set_block_number(20);
		let limit = MaxHookWeight::get();
		MaxHookWeight::set(base / 2 + <() as WeightInfo>::remove_purchases(1));
		assert_eq!(ReferralRebate::on_initialize(20), Weight::zero());
		assert_eq!(escrow(), 150);
		MaxHookWeight::set(limit);
		System::set_block_number(21);
		assert_eq!(ReferralRebate::on_initialize(21), base + per);
		assert_eq!(escrow(), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150);
	});
}

#[test]
fn a_reused_promotion_id_with_another_rebate_block_is_another_promotion() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		submit_many(1..2);
		let mut doc = rebate_doc(&p, 1, PayoutCondition::Unconditional);
		doc.pay_at = 30;
		assert_ok!(submit(&p, sign_rebate(&p, doc, &genesis())));
		assert_eq!(held(&merchant()), 300);
		run_to_block(20);
		assert_eq!(held(&merchant()), 150, "the one due at 20 closed");
		run_to_block(30);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 300);
	});
}

#[test]
fn a_rebate_block_is_at_most_max_rebate_delay_ahead() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let delay = MaxRebateDelay::get();
		let origin = origin_purchase(&p);
		let rebate_at = |pay_at| {
			let mut doc = rebate_doc(&p, 1, PayoutCondition::Unconditional);
			doc.pay_at = pay_at;
			sign_rebate(&p, doc, &genesis())
		};
		assert_noop!(submit(&p, rebate_at(1 + delay + 1)), Err::PayAtTooFar);
		let mut offer = offer_doc(&p, 1, origin);
		offer.pay_at = 1 + delay + 1;
		let purchase = purchase_doc(&p, &offer);
		let (o, s) =
			(sign_offer(&p, offer.clone(), &genesis()), sign_purchase(&p, purchase, &genesis()));
		assert_noop!(settle(&p, o, s), Err::PayAtTooFar);
		// At the limit both are accepted.
		assert_ok!(submit(&p, rebate_at(1 + delay)));
		offer.pay_at = 1 + delay;
		let purchase = purchase_doc(&p, &offer);
		let (o, s) = (sign_offer(&p, offer, &genesis()), sign_purchase(&p, purchase, &genesis()));
		assert_ok!(settle(&p, o, s));
	});
}

#[test]
fn a_discounted_price_is_zero_or_at_least_the_existential_deposit() {
	let with_discount = |price: Balance| {
		move |p: &Parties, o: &mut SignedOfferOf<Test>, s: &mut SignedPurchaseOf<Test>| {
			o.document.discounted_price = price;
			resign_offer(p, o, &p.referee);
			s.document.price = price;
			resign_purchase(p, s);
		}
	};
	settle_fails(with_discount(ED - 1), Err::DiscountBelowMinimum);
	settle_fails(with_discount(1), Err::DiscountBelowMinimum);
	// Zero: the referee pays nothing, the referral is still recorded and settled.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (mut o, mut s) = signed_referral(&p, 1, origin);
		with_discount(0)(&p, &mut o, &mut s);
		assert_ok!(settle(&p, o, s));
		assert_eq!(free(&referee()), REFEREE_FUNDS);
		assert_eq!(record(last_purchase()).map(|r| r.price), Some(0));
		assert!(promotion(&merchant(), 1).is_some_and(|p| p.referral.is_some()));
	});
	// At the minimum: accepted.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (mut o, mut s) = signed_referral(&p, 1, origin);
		with_discount(ED)(&p, &mut o, &mut s);
		assert_ok!(settle(&p, o, s));
		assert_eq!(free(&referee()), REFEREE_FUNDS - ED);
	});
}

// ---------------------------------------------------------------------------------------------
// Purchase records that end.
// ---------------------------------------------------------------------------------------------

#[test]
fn an_offer_or_a_refund_on_an_expired_purchase_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let lifetime = PurchaseLifetime::get();
		// The last block it is live: an offer on it settles, a refund would go through.
		run_to_block(origin.block + lifetime - 1);
		let mut offer = offer_doc(&p, 1, origin);
		offer.settle_by = System::block_number() + 5;
		offer.pay_at = System::block_number() + 10;
		let purchase = purchase_doc(&p, &offer);
		let signed = (sign_offer(&p, offer, &genesis()), sign_purchase(&p, purchase, &genesis()));
		// From its end on, before the hook removed it (no room this block): refused as expired.
		MaxHookWeight::set(Weight::zero());
		run_to_block(origin.block + lifetime);
		assert!(record(origin).is_some(), "still stored");
		assert_noop!(settle(&p, signed.0.clone(), signed.1.clone()), Err::OriginPurchaseExpired);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), origin),
			Err::PurchaseExpired
		);
	});
}

#[test]
fn purchase_records_are_removed_at_the_end_of_their_lifetime_within_what_was_charged() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let lifetime = PurchaseLifetime::get();
		let first = origin_purchase(&p);
		let second = origin_purchase(&p);
		run_to_block(2);
		let third = origin_purchase(&p);
		// Each purchase was charged its record's removal.
		let call =
			crate::Call::<Test>::purchase { merchant: merchant(), asset: NATIVE, price: 1_000 };
		let native = <() as WeightInfo>::purchase(0);
		assert_eq!(call.get_dispatch_info().call_weight, native + ReferralRebate::removal_weight());
		// In another asset, the other benchmarked path.
		let call = crate::Call::<Test>::purchase { merchant: merchant(), asset: USD, price: 1_000 };
		let other = <() as WeightInfo>::purchase(1);
		assert_eq!(call.get_dispatch_info().call_weight, other + ReferralRebate::removal_weight());
		run_to_block(1 + lifetime - 1);
		assert_eq!(Purchases::<Test>::iter().count(), 3, "all live");
		// At block 1 + lifetime the hook removes block 1's records, and charges just that.
		System::set_block_number(1 + lifetime);
		let used = ReferralRebate::on_initialize(1 + lifetime);
		let (base, _) = hook_weights();
		let removal =
			<() as WeightInfo>::remove_purchases(0) + ReferralRebate::removal_weight() * 2;
		assert_eq!(used, base + removal);
		assert_eq!(record(first), None);
		assert_eq!(record(second), None);
		assert!(record(third).is_some());
		run_to_block(2 + lifetime);
		assert_eq!(Purchases::<Test>::iter().count(), 0);
		// Gone records are unknown to offers and refunds.
		let (offer, purchase) = signed_referral(&p, 1, third);
		let mut offer_doc = offer.document.clone();
		offer_doc.settle_by = System::block_number() + 1;
		offer_doc.pay_at = System::block_number() + 2;
		let purchase_doc = ReferredPurchase::for_offer(&offer_doc, &referee());
		let _ = (offer, purchase);
		assert_noop!(
			settle(
				&p,
				sign_offer(&p, offer_doc, &genesis()),
				sign_purchase(&p, purchase_doc, &genesis())
			),
			Err::UnknownOriginPurchase
		);
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), third),
			Err::UnknownPurchase
		);
	});
}

// ---------------------------------------------------------------------------------------------
// Refusals are charged what they did; each path what it cost.
// ---------------------------------------------------------------------------------------------

fn post_weight(result: frame_support::dispatch::DispatchResultWithPostInfo) -> Option<Weight> {
	match result {
		Ok(info) => info.actual_weight,
		Err(e) => e.post_info.actual_weight,
	}
}

#[test]
fn refusals_are_charged_what_they_did() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let (offer, purchase) = signed_referral(&p, 1, origin);
		let settle_by = |who: AccountId, o: &SignedOfferOf<Test>, s: &SignedPurchaseOf<Test>| {
			ReferralRebate::settle_referral(
				RuntimeOrigin::signed(who),
				Box::new(o.clone()),
				Box::new(s.clone()),
			)
		};
		let full = ReferralRebate::settle_weight(None, &NATIVE, false);
		// Refused by the first check: the refusal's weight, no signature.
		let refused = settle_by(customer(), &offer, &purchase);
		assert_eq!(refused.map_err(|e| e.error), Err(Err::NotMerchant.into()));
		let refused = settle_by(customer(), &offer, &purchase);
		assert_eq!(post_weight(refused), Some(ReferralRebate::refusal_weight(0)));
		assert!(ReferralRebate::refusal_weight(0).all_lt(full));
		// A bad third offer link: three signatures checked.
		let mut bad = offer.clone();
		bad.links[2].signature = offer.links[1].signature.clone();
		let refused = settle_by(merchant(), &bad, &purchase);
		assert_eq!(post_weight(refused), Some(ReferralRebate::refusal_weight(3)));
		// A bad second purchase link: all five.
		let mut bad = purchase.clone();
		bad.links[1].signature = purchase.links[0].signature.clone();
		let refused = settle_by(merchant(), &offer, &bad);
		assert_eq!(post_weight(refused), Some(ReferralRebate::refusal_weight(5)));
		assert_eq!(refused.map_err(|e| e.error), Err(Err::BadPurchaseRefereeSignature.into()));
		// Success, opening the promotion: the open path's weight.
		let settled = settle_by(merchant(), &offer, &purchase);
		assert_eq!(
			post_weight(settled),
			Some(ReferralRebate::settle_weight(Some(Path::Open), &NATIVE, false))
		);
		// The rebate joins it: the join path's weight; refused, the refusal's.
		let rebate = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
		let submit_by = |who: AccountId, r: &SignedRebateOf<Test>| {
			ReferralRebate::submit_rebate(RuntimeOrigin::signed(who), Box::new(r.clone()))
		};
		assert_eq!(
			post_weight(submit_by(merchant(), &rebate)),
			Some(ReferralRebate::refusal_weight(0))
		);
		let mut bad = rebate.clone();
		bad.links[0].signature = rebate.links[1].signature.clone();
		assert_eq!(
			post_weight(submit_by(customer(), &bad)),
			Some(ReferralRebate::refusal_weight(1))
		);
		assert_eq!(
			post_weight(submit_by(customer(), &rebate)),
			Some(ReferralRebate::submit_weight(Some(Path::Join), &NATIVE, false))
		);
		// The pre-dispatch weight is the costlier path, every link at the costliest scheme.
		let call = crate::Call::<Test>::submit_rebate { rebate: Box::new(rebate) };
		assert_eq!(
			call.get_dispatch_info().call_weight,
			ReferralRebate::submit_weight(None, &NATIVE, false)
		);
		assert!(ReferralRebate::submit_weight(Some(Path::Open), &NATIVE, false)
			.all_lte(ReferralRebate::submit_weight(None, &NATIVE, false)));
		let link = ReferralRebate::link_weight();
		assert!(link.all_gte(<() as WeightInfo>::verify_sr25519()));
		assert!(link.all_gte(<() as WeightInfo>::verify_ed25519()));
		assert!(link.all_gte(<() as WeightInfo>::verify_ecdsa()));
		assert!(link.all_gte(<() as WeightInfo>::verify_eth()));
	});
}

#[test]
fn integrity_test_passes_and_catches_bad_constants() {
	new_test_ext().execute_with(|| {
		AllPalletsWithSystem::integrity_test();
		assert_eq!(ReferralRebate::check_constants(), Ok(()));
		let old = MaxHookWeight::get();
		MaxHookWeight::set(charges::close_base::<()>() + ReferralRebate::close_one_weight());
		assert!(ReferralRebate::check_constants().is_err(), "no room to remove a record too");
		MaxHookWeight::set(Weight::zero());
		assert!(
			std::panic::catch_unwind(<ReferralRebate as IntegrityTest>::integrity_test).is_err()
		);
		MaxHookWeight::set(old);
		PurchaseLifetime::set(MaxRebateDelay::get() - 1);
		assert_eq!(
			ReferralRebate::check_constants(),
			Err("PurchaseLifetime must be at least MaxRebateDelay")
		);
		PurchaseLifetime::set(100);
		MaxRebateDelay::set(0);
		assert!(ReferralRebate::check_constants().is_err());
		MaxRebateDelay::set(50);
		assert_eq!(ReferralRebate::check_constants(), Ok(()));
	});
}

#[test]
fn try_state_catches_an_escrow_short_of_the_open_rebates() {
	new_test_ext().execute_with(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_ok!(ReferralRebate::do_try_state());
		// Take the escrow away behind the pallet's back: the invariant names it.
		let escrow_account = ReferralRebate::escrow_account();
		<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&escrow_account, 100);
		assert_eq!(
			ReferralRebate::do_try_state(),
			Err("the escrow account holds less than the open rebates".into())
		);
		<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&escrow_account, 150);
		assert_ok!(ReferralRebate::do_try_state());
		// A promotion due beyond MaxRebateDelay.
		let open = promotion(&merchant(), 1).expect("open");
		let far = (BlockKey::of(1 + MaxRebateDelay::get() + 1), merchant(), 2);
		Promotions::<Test>::insert(&far, open);
		assert!(ReferralRebate::do_try_state().is_err());
		Promotions::<Test>::remove(&far);
		assert_ok!(ReferralRebate::do_try_state());
	});
}

#[test]
fn the_escrow_account_lives_by_itself_and_an_upgrade_provides_for_it_once() {
	new_test_ext().execute_with(|| {
		let escrow_account = ReferralRebate::escrow_account();
		assert_eq!(System::providers(&escrow_account), 1, "provided for at genesis");
		assert!(EscrowProvided::<Test>::get());
		assert_eq!(escrow(), 0);
		// Nothing to do on an upgrade of a chain that started with the pallet.
		ReferralRebate::on_runtime_upgrade();
		assert_eq!(System::providers(&escrow_account), 1);
		// A chain that adds the pallet by an upgrade: no genesis build ran, so no provider and
		// no flag (whatever storage version FRAME recorded for the new pallet).
		EscrowProvided::<Test>::kill();
		System::dec_providers(&escrow_account).expect("one provider");
		assert!(ReferralRebate::do_try_state().is_err());
		ReferralRebate::on_runtime_upgrade();
		assert_eq!(System::providers(&escrow_account), 1);
		assert_ok!(ReferralRebate::do_try_state());
		ReferralRebate::on_runtime_upgrade();
		assert_eq!(System::providers(&escrow_account), 1, "once");
		// Emptied by its last payout, the account stays.
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		run_to_block(20);
		assert_eq!(escrow(), 0);
		assert!(System::account_exists(&escrow_account));
	});
}

#[test]
fn nothing_can_be_stranded_in_the_escrow_account_by_a_purchase() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			ReferralRebate::purchase(
				RuntimeOrigin::signed(customer()),
				ReferralRebate::escrow_account(),
				NATIVE,
				1_000
			),
			Err::EscrowAccountNotAMerchant
		);
	});
}

#[test]
fn a_free_referral_cannot_be_refunded_to_cancel_its_rebate() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		let mut offer = offer_doc(&p, 1, origin);
		offer.discounted_price = 0;
		let purchase = purchase_doc(&p, &offer);
		assert_ok!(settle(
			&p,
			sign_offer(&p, offer, &genesis()),
			sign_purchase(&p, purchase, &genesis())
		));
		let referred = last_purchase();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referred),
			Err::NothingToRefund
		);
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150, "the rebate was paid");
	});
}

#[test]
fn frozen_funds_cannot_be_escrowed_and_a_later_lock_cannot_hold_back_the_payout() {
	use frame_support::traits::{LockableCurrency, WithdrawReasons};
	const LOCK: frame_support::traits::LockIdentifier = *b"vesting ";
	// A lock on all but 100 of the merchant's funds: 150 cannot be escrowed.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		Balances::set_lock(LOCK, &merchant(), MERCHANT_FUNDS - 100, WithdrawReasons::all());
		assert_noop!(
			submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)),
			Err::FundsFrozen
		);
	});
	// A lock over everything, escrow included, placed after the rebate was submitted.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		Balances::set_lock(LOCK, &merchant(), MERCHANT_FUNDS, WithdrawReasons::all());
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150);
		assert_eq!(held(&merchant()), 0);
		System::assert_last_event(
			E::RebatePaid {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
	});
}

#[test]
fn chain_helpers_refuse_a_fourth_link_and_report_missing_ones() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let mut r = valid_rebate(&p, 1, PayoutCondition::Unconditional);
		assert_eq!(r.next_rule(), None);
		assert_eq!(
			r.sign_next(&genesis(), None, Framing::Raw, |m| p.customer.sign(m)),
			Err(ChainError::TooManyLinks)
		);
		r.links.pop();
		assert_eq!(check_shape(&r, true), Err(ChainError::MissingLinks { have: 2, need: 3 }));
		assert_eq!(check_shape(&r, false), Ok(()));
		assert_eq!(verify_chain(&genesis(), &r, false), Ok(()));
		assert_eq!(r.next_rule().map(|x| x.signer), Some(Role::Customer));
	});
}

#[test]
fn verifying_from_a_trusted_prefix_still_checks_every_later_link() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let good = valid_rebate(&p, 1, PayoutCondition::Unconditional);
		for trusted in 0..=3 {
			assert_eq!(verify_links_from(&genesis(), &good, trusted), Ok(()));
		}
		// A bad last link is caught whatever prefix is trusted before it.
		let mut bad = good.clone();
		bad.links[2].signature = good.links[1].signature.clone();
		for trusted in 0..=2 {
			assert_eq!(
				verify_links_from(&genesis(), &bad, trusted),
				Err(ChainError::BadSignature { link: 2, role: Role::Customer })
			);
		}
		// A link in the trusted prefix is not checked again (its holder checked it), but every
		// later link's payload still covers it: changing it breaks the links after it.
		let mut changed = good.clone();
		changed.links[0].signature = good.links[1].signature.clone();
		assert_eq!(
			verify_links_from(&genesis(), &changed, 1),
			Err(ChainError::BadSignature { link: 1, role: Role::Referee })
		);
		assert_eq!(
			verify_links(&genesis(), &changed),
			Err(ChainError::BadSignature { link: 0, role: Role::Merchant })
		);
	});
}

// ---------------------------------------------------------------------------------------------
// Any asset: the stablecoin path, and every way an asset can refuse.
// ---------------------------------------------------------------------------------------------

/// `who`'s stablecoin balance.
fn usd(who: &AccountId) -> Balance {
	balance(USD, who)
}

/// The customer's origin purchase of 1 000 in `asset`.
pub(crate) fn origin_purchase_in(p: &Parties, asset: AssetKind) -> PurchaseIdOf<Test> {
	assert_ok!(ReferralRebate::purchase(
		RuntimeOrigin::signed(p.customer.account()),
		p.merchant.account(),
		asset,
		1_000
	));
	last_purchase()
}

/// The mock offer, its referred purchase and the rebate for promotion `id`, all in `asset`,
/// signed.
fn signed_in(
	p: &Parties,
	id: PromotionId,
	origin: PurchaseIdOf<Test>,
	asset: AssetKind,
) -> (SignedOfferOf<Test>, SignedPurchaseOf<Test>, SignedRebateOf<Test>) {
	let mut offer = offer_doc(p, id, origin);
	offer.asset = asset.clone();
	let purchase = purchase_doc(p, &offer);
	let mut rebate = rebate_doc(p, id, PayoutCondition::ReferralSettled);
	rebate.asset = asset;
	(
		sign_offer(p, offer, &genesis()),
		sign_purchase(p, purchase, &genesis()),
		sign_rebate(p, rebate, &genesis()),
	)
}

/// Promotion 1 in the stablecoin, due at block 20: the origin purchase, the settled referral
/// and the escrowed rebate.
fn settled_and_submitted_in_usd(p: &Parties) {
	let origin = origin_purchase_in(p, USD);
	let (offer, purchase, rebate) = signed_in(p, 1, origin, USD);
	assert_ok!(settle(p, offer, purchase));
	assert_ok!(submit(p, rebate));
}

fn admin() -> RuntimeOrigin {
	RuntimeOrigin::signed(asset_admin())
}

#[test]
fn whole_claim_flow_in_the_stablecoin_leaves_the_native_token_alone() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let (m, c, r) = (merchant(), customer(), referee());
		let natives = [&m, &c, &r].map(free);
		let issued = (issuance(NATIVE), issuance(USD));

		let origin = origin_purchase_in(&p, USD);
		assert_eq!(record(origin).map(|r| r.asset), Some(USD));
		System::assert_last_event(
			E::PurchaseRecorded {
				purchase_id: origin,
				merchant: m.clone(),
				buyer: c.clone(),
				asset: USD,
				price: 1_000,
				promotion_id: None,
			}
			.into(),
		);
		let (offer, purchase, rebate) = signed_in(&p, 7, origin, USD);
		run_to_block(5);
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		System::assert_last_event(
			E::ReferralSettled {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				purchase_id: referred,
				asset: USD,
				price: 800,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(promotion(&m, 7).map(|o| o.asset), Some(USD));
		assert_ok!(submit(&p, rebate));
		assert_eq!(usd(&ReferralRebate::escrow_account()), 150);
		assert_eq!(escrow(), 0, "no native escrow");
		assert_eq!(usd(&m), MERCHANT_FUNDS + 1_800 - 150);
		run_to_block(20);
		System::assert_last_event(
			E::RebatePaid {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				asset: USD,
				amount: 150,
				pay_at: 20,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(usd(&c), CUSTOMER_FUNDS - 1_000 + 150);
		assert_eq!(usd(&r), REFEREE_FUNDS - 800);
		assert_eq!(usd(&ReferralRebate::escrow_account()), 0);
		assert_eq!([&m, &c, &r].map(free), natives, "the native token did not move");
		assert_eq!((issuance(NATIVE), issuance(USD)), issued);
	});
}

#[test]
fn amounts_are_measured_against_their_own_assets_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let c = RuntimeOrigin::signed(customer());
		// USD_MIN (4) is below the native ED (10): 5 is a price in the one, not in the other.
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), NATIVE, 5),
			Err::PriceBelowMinimum
		);
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), USD, USD_MIN - 1),
			Err::PriceBelowMinimum
		);
		assert_ok!(ReferralRebate::purchase(c, merchant(), USD, USD_MIN));
		let origin = origin_purchase_in(&p, USD);
		let (offer, _, _) = signed_in(&p, 1, origin, USD);
		let mut doc = offer.document.clone();
		doc.discounted_price = USD_MIN - 1;
		let purchase = sign_purchase(&p, purchase_doc(&p, &doc), &genesis());
		assert_noop!(
			settle(&p, sign_offer(&p, doc.clone(), &genesis()), purchase),
			Err::DiscountBelowMinimum
		);
		doc.discounted_price = USD_MIN;
		let purchase = sign_purchase(&p, purchase_doc(&p, &doc), &genesis());
		assert_ok!(settle(&p, sign_offer(&p, doc, &genesis()), purchase));
		let mut rebate = rebate_doc(&p, 1, PayoutCondition::ReferralSettled);
		rebate.asset = USD;
		rebate.amount = USD_MIN - 1;
		assert_noop!(
			submit(&p, sign_rebate(&p, rebate.clone(), &genesis())),
			Err::RebateBelowMinimum
		);
		rebate.amount = USD_MIN;
		assert_ok!(submit(&p, sign_rebate(&p, rebate, &genesis())));
		// A native rebate of USD_MIN is below the native minimum.
		let mut native = rebate_doc(&p, 2, PayoutCondition::Unconditional);
		native.amount = USD_MIN;
		assert_noop!(submit(&p, sign_rebate(&p, native, &genesis())), Err::RebateBelowMinimum);
	});
}

#[test]
fn an_unknown_asset_is_refused_by_every_call() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_noop!(
			ReferralRebate::purchase(RuntimeOrigin::signed(customer()), merchant(), UNKNOWN, 1_000),
			Err::UnknownAsset
		);
		let origin = origin_purchase(&p);
		let (offer, purchase, rebate) = signed_in(&p, 1, origin, UNKNOWN);
		assert_noop!(settle(&p, offer, purchase), Err::UnknownAsset);
		assert_noop!(submit(&p, rebate), Err::UnknownAsset);
	});
}

#[test]
fn documents_in_another_asset_than_their_promotion_or_purchase_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let native_origin = origin_purchase(&p);
		let usd_origin = origin_purchase_in(&p, USD);
		// The offer in USD on a native purchase (same price, merchant and customer).
		let (offer, purchase, _) = signed_in(&p, 1, native_origin, USD);
		assert_noop!(settle(&p, offer, purchase), Err::OriginPurchaseMismatch);
		// The referred purchase in another asset than its offer.
		let (offer, _, _) = signed_in(&p, 1, usd_origin, USD);
		let mut purchase = purchase_doc(&p, &offer.document);
		purchase.asset = NATIVE;
		assert_noop!(
			settle(&p, offer.clone(), sign_purchase(&p, purchase, &genesis())),
			Err::PurchaseAssetMismatch
		);
		// The offer settled in USD; its rebate in the native token cannot join it.
		let (_, purchase, usd_rebate) = signed_in(&p, 1, usd_origin, USD);
		assert_ok!(settle(&p, offer, purchase));
		let native_rebate = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
		assert_noop!(submit(&p, native_rebate), Err::AssetMismatch);
		assert_ok!(submit(&p, usd_rebate));
		// The other order: a native rebate first, then a USD offer for the same promotion.
		let (offer, purchase, _) = signed_in(&p, 2, usd_origin, USD);
		assert_ok!(submit(&p, valid_rebate(&p, 2, PayoutCondition::ReferralSettled)));
		assert_noop!(settle(&p, offer, purchase), Err::AssetMismatch);
	});
}

#[test]
fn frozen_or_blocked_assets_and_accounts_are_refused_by_name() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let buy = |asset| {
			ReferralRebate::purchase(RuntimeOrigin::signed(customer()), merchant(), asset, 1_000)
		};
		// The whole asset frozen: nobody can pay in it; the native token still works.
		assert_ok!(Assets::freeze_asset(admin(), USD_ID));
		assert_noop!(buy(USD), Err::FundsFrozen);
		assert_ok!(buy(NATIVE));
		assert_ok!(Assets::thaw_asset(admin(), USD_ID));
		// The payer's account frozen in the asset.
		assert_ok!(Assets::freeze(admin(), USD_ID, customer()));
		assert_noop!(buy(USD), Err::FundsFrozen);
		assert_ok!(Assets::thaw(admin(), USD_ID, customer()));
		// The recipient blocked: it cannot receive.
		assert_ok!(Assets::block(admin(), USD_ID, merchant()));
		assert_noop!(buy(USD), Err::RecipientCannotReceive);
		assert_ok!(Assets::thaw(admin(), USD_ID, merchant()));
		// The referee frozen: the referral cannot be settled.
		let origin = origin_purchase_in(&p, USD);
		let (offer, purchase, rebate) = signed_in(&p, 1, origin, USD);
		assert_ok!(Assets::freeze(admin(), USD_ID, referee()));
		assert_noop!(settle(&p, offer.clone(), purchase.clone()), Err::FundsFrozen);
		assert_ok!(Assets::thaw(admin(), USD_ID, referee()));
		// The merchant frozen: the rebate cannot be escrowed; the escrow account blocked: it
		// cannot receive it.
		assert_ok!(Assets::freeze(admin(), USD_ID, merchant()));
		assert_noop!(submit(&p, rebate.clone()), Err::FundsFrozen);
		assert_ok!(Assets::thaw(admin(), USD_ID, merchant()));
		// (An account must hold the asset to be blocked in it: another rebate's escrow.)
		let mut other = rebate_doc(&p, 5, PayoutCondition::Unconditional);
		other.asset = USD;
		assert_ok!(submit(&p, sign_rebate(&p, other, &genesis())));
		assert_ok!(Assets::block(admin(), USD_ID, ReferralRebate::escrow_account()));
		assert_noop!(submit(&p, rebate.clone()), Err::RecipientCannotReceive);
		assert_ok!(Assets::thaw(admin(), USD_ID, ReferralRebate::escrow_account()));
		// A refund by a frozen merchant.
		assert_ok!(settle(&p, offer, purchase));
		let referred = last_purchase();
		assert_ok!(Assets::freeze(admin(), USD_ID, merchant()));
		assert_noop!(
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referred),
			Err::FundsFrozen
		);
		assert_ok!(Assets::thaw(admin(), USD_ID, merchant()));
		assert_ok!(submit(&p, rebate));
	});
}

#[test]
fn a_payout_the_customer_cannot_receive_goes_back_to_the_merchant() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		settled_and_submitted_in_usd(&p);
		let merchant_before = usd(&merchant());
		// The asset's admin blocks the customer before the rebate block.
		assert_ok!(Assets::block(admin(), USD_ID, customer()));
		run_to_block(20);
		System::assert_last_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: USD,
				amount: 150,
				pay_at: 20,
				reason: LapseReason::PayoutFailed,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(usd(&merchant()), merchant_before + 150);
		assert_eq!(usd(&ReferralRebate::escrow_account()), 0, "nothing stranded");
	});
}

#[test]
fn an_escrow_that_cannot_move_is_held_and_closed_once_the_asset_thaws() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		settled_and_submitted_in_usd(&p);
		// The whole asset frozen at the rebate block: neither the customer nor the merchant can
		// be paid. The promotion is held with its escrow, not dropped.
		assert_ok!(Assets::freeze_asset(admin(), USD_ID));
		run_to_block(20);
		let key = (BlockKey::of(20u64), merchant(), 1);
		System::assert_last_event(
			E::PayoutHeld {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: USD,
				amount: 150,
				pay_at: 20,
			}
			.into(),
		);
		assert_eq!(Promotions::<Test>::get(&key), None, "out of the queue");
		assert!(Held::<Test>::get(&key).is_some());
		assert_eq!(usd(&ReferralRebate::escrow_account()), 150);
		// Still frozen: closing it is refused and changes nothing.
		let close =
			|| ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), 20, merchant(), 1);
		assert_noop!(close(), Err::PayoutStillBlocked);
		run_to_block(25);
		assert!(Held::<Test>::get(&key).is_some(), "the hook does not retry held promotions");
		// Thawed: anyone closes it, and the customer is paid as its condition says.
		assert_ok!(Assets::thaw_asset(admin(), USD_ID));
		let before = usd(&customer());
		assert_ok!(close());
		assert_eq!(usd(&customer()), before + 150);
		assert_eq!(Held::<Test>::get(&key), None);
		assert_eq!(usd(&ReferralRebate::escrow_account()), 0);
		assert_noop!(close(), Err::UnknownPromotion);
	});
}

#[test]
fn a_held_promotion_whose_asset_was_destroyed_closes_with_nothing_to_move() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		settled_and_submitted_in_usd(&p);
		assert_ok!(Assets::freeze_asset(admin(), USD_ID));
		run_to_block(20);
		let key = (BlockKey::of(20u64), merchant(), 1);
		assert!(Held::<Test>::get(&key).is_some());
		// The owner destroys the asset, every account in it the escrow account's included.
		assert_ok!(Assets::start_destroy(admin(), USD_ID));
		assert_ok!(Assets::destroy_accounts(admin(), USD_ID));
		assert_ok!(Assets::destroy_accounts(admin(), USD_ID));
		assert_ok!(Assets::destroy_approvals(admin(), USD_ID));
		assert_ok!(Assets::finish_destroy(admin(), USD_ID));
		assert_ok!(ReferralRebate::close_overdue(
			RuntimeOrigin::signed(stranger()),
			20,
			merchant(),
			1
		));
		System::assert_last_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: USD,
				amount: 150,
				pay_at: 20,
				reason: LapseReason::AssetDestroyed,
				campaign: None,
			}
			.into(),
		);
		assert_eq!(Held::<Test>::get(&key), None, "nothing left held");
	});
}

// ---------------------------------------------------------------------------------------------
// Property tests: money is never created, lost or stranded.
// ---------------------------------------------------------------------------------------------

mod properties {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	#[derive(Clone, Debug)]
	enum Op {
		/// Customer `c` buys from merchant `m` at `price` in asset `asset` (0: native, 1: USD).
		Purchase { m: usize, c: usize, asset: usize, price: Balance },
		/// Merchant `m` settles a referral of promotion `id` (customer `c`, referee `r`) on the
		/// most recent purchase of `c` from `m`.
		Settle { m: usize, c: usize, r: usize, id: PromotionId, pay_in: u64 },
		/// Customer `c` submits a rebate of `amount` in asset `asset` for promotion `id` of
		/// merchant `m`.
		Submit {
			m: usize,
			c: usize,
			r: usize,
			id: PromotionId,
			asset: usize,
			amount: Balance,
			pay_in: u64,
			unconditional: bool,
		},
		/// Its merchant refunds purchase number `nth` (modulo those recorded).
		Refund { nth: usize },
		/// Someone closes open promotion number `nth` (modulo those open), early or not.
		Close { nth: usize },
		/// Blocks pass.
		Advance { blocks: u64 },
		/// Merchant `m` creates a campaign with `budget` in asset `asset`.
		CreateCampaign { m: usize, asset: usize, budget: Balance },
		/// Someone (its merchant, or merchant `m` when `stranger`) tops up campaign number `nth`
		/// (modulo those open).
		TopUp { nth: usize, amount: Balance, stranger: bool },
		/// Its merchant closes campaign number `nth` (modulo those open).
		CloseCampaign { nth: usize },
		/// Merchant `m` settles a referral of promotion `id` (customer `c`, referee `r`) on the
		/// most recent purchase of `c` from `m`, under campaign number `nth` (its terms).
		CampaignSettle { m: usize, c: usize, r: usize, id: PromotionId, nth: usize },
		/// Customer `c` submits the rebate of promotion `id` of merchant `m` under campaign
		/// number `nth` (its terms).
		CampaignSubmit { m: usize, c: usize, r: usize, id: PromotionId, nth: usize },
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(0..2usize, 0..4usize, 0..2usize, 1..5_000u128)
				.prop_map(|(m, c, asset, price)| Op::Purchase { m, c, asset, price }),
			(0..2usize, 0..4usize, 0..4usize, 0..4u64, 2..12u64)
				.prop_map(|(m, c, r, id, pay_in)| Op::Settle { m, c, r, id, pay_in }),
			(
				(0..2usize, 0..4usize, 0..4usize, 0..4u64),
				(0..2usize, 1..3_000u128, 2..12u64, any::<bool>())
			)
				.prop_map(|((m, c, r, id), (asset, amount, pay_in, unconditional))| {
					Op::Submit { m, c, r, id, asset, amount, pay_in, unconditional }
				}),
			(0..16usize).prop_map(|nth| Op::Refund { nth }),
			(0..16usize).prop_map(|nth| Op::Close { nth }),
			(1..6u64).prop_map(|blocks| Op::Advance { blocks }),
			(0..2usize, 0..2usize, 0..25_000u128)
				.prop_map(|(m, asset, budget)| Op::CreateCampaign { m, asset, budget }),
			(0..8usize, 0..8_000u128, any::<bool>())
				.prop_map(|(nth, amount, stranger)| Op::TopUp { nth, amount, stranger }),
			(0..8usize).prop_map(|nth| Op::CloseCampaign { nth }),
			(0..2usize, 0..4usize, 0..4usize, 0..4u64, 0..8usize)
				.prop_map(|(m, c, r, id, nth)| Op::CampaignSettle { m, c, r, id, nth }),
			(0..2usize, 0..4usize, 0..4usize, 0..4u64, 0..8usize)
				.prop_map(|(m, c, r, id, nth)| Op::CampaignSubmit { m, c, r, id, nth }),
		]
	}

	thread_local! {
		static KEYS: (Vec<Key>, Vec<Key>) = (
			(0..2).map(|i| Key::sr(&format!("//Merchant{i}"))).collect(),
			(0..4).map(|i| Key::sr(&format!("//Person{i}"))).collect(),
		);
	}

	/// Campaign terms the property tests' merchants create campaigns with.
	fn campaign_terms() -> CampaignTermsOf<Test> {
		CampaignTerms {
			discount: Share::Percent(sp_runtime::Percent::from_percent(20)),
			rebate: Share::Fixed(50),
			min_origin_price: 100,
			settle_window: 5,
			review_period: 5,
			condition: PayoutCondition::ReferralSettled,
			last_issue_block: 0,
			new_referees_only: false,
			rebates_per_customer: 1,
		}
	}

	/// The most recent purchase of `p`'s customer from `p`'s merchant.
	fn latest_origin(p: &Parties) -> Option<PurchaseIdOf<Test>> {
		Purchases::<Test>::iter()
			.filter(|(_, _, x)| {
				x.merchant == p.merchant.account() && x.buyer == p.customer.account()
			})
			.map(|(b, index, _)| PurchaseId { block: b.block(), index })
			.max()
	}

	/// The two assets of the property tests, by index.
	const ASSETS: [AssetKind; 2] = [NATIVE, USD];

	/// The model's balances: (account, asset index) → total balance.
	type Ledger = BTreeMap<(AccountId, usize), Balance>;

	/// The index of `asset` in [`ASSETS`].
	fn index_of(asset: &AssetKind) -> usize {
		ASSETS.iter().position(|a| a == asset).expect("a test asset")
	}

	/// The model's view of an open promotion.
	#[derive(Clone, Debug, Default)]
	struct ModelPromotion {
		asset: usize,
		customer: Option<AccountId>,
		settled: bool,
		refunded: bool,
		rebate: Option<(Balance, bool)>,
		/// The campaign the rebate was reserved from (a lapse goes back to its budget).
		campaign: Option<CampaignId>,
	}

	/// The model's key of a promotion: (rebate block, merchant, id).
	type ModelKey = (u64, AccountId, PromotionId);

	/// 1,000 cases by default (CI); `PROPTEST_CASES=10000 cargo test -p pallet-referral-rebate
	/// properties` for more.
	fn cases() -> u32 {
		std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000)
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

		#[test]
		fn money_is_conserved_and_every_escrow_closes(
			ops in proptest::collection::vec(op(), 1..40),
			room in proptest::option::of(1..4u64),
		) {
			// `Some(n)`: the hook closes at most `n` promotions a block, so promotions due at one
			// block are carried to the next ones; `None`: it has room for everything.
			MaxHookWeight::set(match room {
				Some(n) => hook_room_for(n),
				None => Weight::from_parts(
					100 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_MILLIS,
					1 << 20,
				),
			});
			let carried = room.is_some();
			let (merchants, people) = KEYS.with(|k| k.clone());
			let mut builder = ExtBuilder::default();
			for k in merchants.iter().chain(people.iter()) {
				builder = builder.balance(k.account(), 20_000);
			}
			builder.build().execute_with(|| {
				let accounts: Vec<AccountId> =
					merchants.iter().chain(people.iter()).map(Key::account).collect();
				let issuances = ASSETS.map(issuance);
				let mut model: Ledger = accounts
					.iter()
					.flat_map(|a| (0..ASSETS.len()).map(move |i| ((a.clone(), i), balance(ASSETS[i].clone(), a))))
					.collect();
				let mut promotions: BTreeMap<ModelKey, ModelPromotion> = BTreeMap::new();
				// The model's open campaigns: id → (merchant, asset index, budget).
				let campaigns: std::cell::RefCell<BTreeMap<CampaignId, (AccountId, usize, Balance)>> =
					Default::default();
				let mut last_pay_at = 0u64;
				let g = genesis();

				let apply = |op: &Op, model: &mut Ledger,
								 promotions: &mut BTreeMap<ModelKey, ModelPromotion>| {
					let now = System::block_number();
					match op.clone() {
						Op::Purchase { m, c, asset, price } => {
							let (m, c) = (merchants[m].account(), people[c].account());
							if ReferralRebate::purchase(RuntimeOrigin::signed(c.clone()), m.clone(), ASSETS[asset].clone(), price).is_ok() {
								*model.get_mut(&(c, asset)).expect("known") -= price;
								*model.get_mut(&(m, asset)).expect("known") += price;
							}
						},
						Op::Settle { m, c, r, id, pay_in } => {
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let Some(origin) = latest_origin(&p) else { return };
							let record = record(origin).expect("exists");
							let offer = Offer {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								origin_purchase: origin,
								asset: record.asset.clone(),
								original_price: record.price,
								discounted_price: record.price / 2,
								settle_by: now + 1,
								pay_at: now + pay_in,
								campaign: None,
							};
							let purchase = purchase_doc(&p, &offer);
							let price = offer.discounted_price;
							let pay_at = offer.pay_at;
							let asset = index_of(&offer.asset);
							let res = settle(&p, sign_offer(&p, offer, &g), sign_purchase(&p, purchase, &g));
							if res.is_ok() {
								*model.get_mut(&(p.referee.account(), asset)).expect("known") -= price;
								*model.get_mut(&(p.merchant.account(), asset)).expect("known") += price;
								let e = promotions.entry((pay_at, p.merchant.account(), id)).or_default();
								e.asset = asset;
								e.customer = Some(p.customer.account());
								e.settled = true;
							}
						},
						Op::Submit { m, c, r, id, asset, amount, pay_in, unconditional } => {
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let doc = Rebate {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								asset: ASSETS[asset].clone(),
								amount,
								pay_at: now + pay_in,
								condition: if unconditional { PayoutCondition::Unconditional } else { PayoutCondition::ReferralSettled },
								campaign: None,
							};
							if submit(&p, sign_rebate(&p, doc, &g)).is_ok() {
								*model.get_mut(&(p.merchant.account(), asset)).expect("known") -= amount;
								let e = promotions.entry((now + pay_in, p.merchant.account(), id)).or_default();
								assert!(e.customer.is_none() || e.asset == asset, "joined across assets");
								e.asset = asset;
								e.customer = Some(p.customer.account());
								e.rebate = Some((amount, unconditional));
							}
						},
						Op::Refund { nth } => {
							let ids: Vec<_> = Purchases::<Test>::iter_keys()
								.map(|(b, index)| PurchaseId { block: b.block(), index })
								.collect();
							if ids.is_empty() { return }
							let id = ids[nth % ids.len()];
							let Some(record) = record(id) else { return };
							if ReferralRebate::refund(RuntimeOrigin::signed(record.merchant.clone()), id).is_ok() {
								let asset = index_of(&record.asset);
								*model.get_mut(&(record.merchant.clone(), asset)).expect("known") -= record.price;
								*model.get_mut(&(record.buyer.clone(), asset)).expect("known") += record.price;
								if let Some(PromotionRef { promotion_id, pay_at }) = record.promotion {
									if let Some(e) = promotions.get_mut(&(pay_at, record.merchant.clone(), promotion_id)) {
										if e.settled && now < pay_at { e.refunded = true; }
									}
								}
							}
						},
						Op::Close { nth } => {
							let keys: Vec<ModelKey> = promotions.keys().cloned().collect();
							if keys.is_empty() { return }
							let (pay_at, m, id) = keys[nth % keys.len()].clone();
							let _ = ReferralRebate::close_overdue(RuntimeOrigin::signed(accounts[2].clone()), pay_at, m, id);
						},
						Op::Advance { blocks } => run_to_block(now + blocks),
						Op::CreateCampaign { m, asset, budget } => {
							let m = merchants[m].account();
							let mut t = campaign_terms();
							t.last_issue_block = now + 1_000;
							let id = NextCampaignId::<Test>::get();
							if ReferralRebate::create_campaign(RuntimeOrigin::signed(m.clone()), ASSETS[asset].clone(), budget, t).is_ok() {
								*model.get_mut(&(m.clone(), asset)).expect("known") -= budget;
								campaigns.borrow_mut().insert(id, (m, asset, budget));
							}
						},
						Op::TopUp { nth, amount, stranger } => {
							let ids: Vec<CampaignId> = campaigns.borrow().keys().copied().collect();
							if ids.is_empty() { return }
							let id = ids[nth % ids.len()];
							let (owner, asset, _) = campaigns.borrow()[&id].clone();
							let who = if stranger { people[0].account() } else { owner };
							if ReferralRebate::top_up_campaign(RuntimeOrigin::signed(who.clone()), id, amount).is_ok() {
								assert!(!stranger, "a stranger topped up a campaign");
								*model.get_mut(&(who, asset)).expect("known") -= amount;
								campaigns.borrow_mut().get_mut(&id).expect("open").2 += amount;
							}
						},
						Op::CloseCampaign { nth } => {
							let ids: Vec<CampaignId> = campaigns.borrow().keys().copied().collect();
							if ids.is_empty() { return }
							let id = ids[nth % ids.len()];
							let (owner, asset, budget) = campaigns.borrow()[&id].clone();
							if ReferralRebate::close_campaign(RuntimeOrigin::signed(owner.clone()), id).is_ok() {
								*model.get_mut(&(owner, asset)).expect("known") += budget;
								campaigns.borrow_mut().remove(&id);
							}
						},
						Op::CampaignSettle { m, c, r, id, nth } => {
							let ids: Vec<CampaignId> = campaigns.borrow().keys().copied().collect();
							if ids.is_empty() { return }
							let campaign = ids[nth % ids.len()];
							let t = campaign_terms();
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let Some(origin) = latest_origin(&p) else { return };
							let record = record(origin).expect("exists");
							let offer = Offer {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								origin_purchase: origin,
								asset: record.asset.clone(),
								original_price: record.price,
								discounted_price: t.discounted(record.price),
								settle_by: now + t.settle_window,
								pay_at: now + t.settle_window + t.review_period,
								campaign: Some(campaign),
							};
							let purchase = purchase_doc(&p, &offer);
							let (price, pay_at, asset) = (offer.discounted_price, offer.pay_at, index_of(&offer.asset));
							if settle(&p, sign_offer(&p, offer, &g), sign_purchase(&p, purchase, &g)).is_ok() {
								*model.get_mut(&(p.referee.account(), asset)).expect("known") -= price;
								*model.get_mut(&(p.merchant.account(), asset)).expect("known") += price;
								let e = promotions.entry((pay_at, p.merchant.account(), id)).or_default();
								e.asset = asset;
								e.customer = Some(p.customer.account());
								e.settled = true;
							}
						},
						Op::CampaignSubmit { m, c, r, id, nth } => {
							let ids: Vec<CampaignId> = campaigns.borrow().keys().copied().collect();
							if ids.is_empty() { return }
							let campaign = ids[nth % ids.len()];
							let (_, asset, _) = campaigns.borrow()[&campaign].clone();
							let t = campaign_terms();
							let Share::Fixed(amount) = t.rebate else { unreachable!("a fixed rebate") };
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let pay_at = now + t.settle_window + t.review_period;
							let doc = Rebate {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								asset: ASSETS[asset].clone(),
								amount,
								pay_at,
								condition: t.condition,
								campaign: Some(campaign),
							};
							let before = balance(ASSETS[asset].clone(), &p.merchant.account());
							if submit(&p, sign_rebate(&p, doc, &g)).is_ok() {
								// Reserved from the budget: the merchant's balance is not touched.
								assert_eq!(balance(ASSETS[asset].clone(), &p.merchant.account()), before);
								campaigns.borrow_mut().get_mut(&campaign).expect("open").2 -= amount;
								let e = promotions.entry((pay_at, p.merchant.account(), id)).or_default();
								assert!(e.customer.is_none() || e.asset == asset, "joined across assets");
								e.asset = asset;
								e.customer = Some(p.customer.account());
								e.rebate = Some((amount, false));
								e.campaign = Some(campaign);
							}
						},
					}
				};

				// Close in the model whatever the chain closed, paying exactly when the model says
				// the condition held.
				let reconcile = |model: &mut Ledger,
								 promotions: &mut BTreeMap<ModelKey, ModelPromotion>| {
					let open: Vec<_> = promotions.keys().cloned().collect();
					for key in open {
						let (pay_at, m, id) = key.clone();
						if Promotions::<Test>::get((BlockKey::of(pay_at), m.clone(), id)).is_none() {
							let e = promotions.remove(&key).expect("listed");
							if let Some((amount, unconditional)) = e.rebate {
								let paid = unconditional || (e.settled && !e.refunded);
								match (paid, e.campaign) {
									// A campaign's lapsed rebate goes back to its budget.
									(false, Some(id)) => {
										campaigns.borrow_mut().get_mut(&id).expect("open").2 += amount;
									}
									(true, _) => {
										let to = e.customer.clone().expect("set");
										*model.get_mut(&(to, e.asset)).expect("known") += amount;
									}
									(false, None) => {
										*model.get_mut(&(m, e.asset)).expect("known") += amount;
									}
								}
							}
						}
					}
				};
				let check = |model: &Ledger,
							 promotions: &BTreeMap<ModelKey, ModelPromotion>,
							 op: &str| -> Result<(), TestCaseError> {
					ReferralRebate::do_try_state().map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
					for (i, asset) in ASSETS.iter().enumerate() {
						// No asset's money is created or destroyed, none moves anywhere the
						// model does not say.
						prop_assert_eq!(issuance(asset.clone()), issuances[i], "{:?} issuance after {}", asset, op);
						for a in &accounts {
							prop_assert_eq!(balance(asset.clone(), a), model[&(a.clone(), i)], "account {:?} in {:?} after {}", a, asset, op);
						}
						// The escrow account holds exactly the open rebates and the open
						// campaigns' budgets in each asset: no asset's escrow leaks into another's.
						let open: Balance = promotions
							.values()
							.filter(|e| e.asset == i)
							.filter_map(|e| e.rebate.map(|r| r.0))
							.sum::<Balance>()
							+ campaigns.borrow().values().filter(|c| c.1 == i).map(|c| c.2).sum::<Balance>();
						let escrowed = balance(asset.clone(), &ReferralRebate::escrow_account());
						prop_assert_eq!(escrowed, open, "escrow in {:?} after {}", asset, op);
					}
					prop_assert_eq!(Promotions::<Test>::iter().count(), promotions.len());
					// No record outlives its end: the hook with room removes ended purchases and
					// closes what is due at the start of its block; every open promotion is due
					// within MaxRebateDelay.
					let now = System::block_number();
					for (block, _) in Purchases::<Test>::iter_keys() {
						let block: BlockNumber = block.block();
						prop_assert!(carried || block + PurchaseLifetime::get() > now, "a purchase outlived its end");
					}
					for (pay_at, _, _) in promotions.keys() {
						prop_assert!(*pay_at <= now + MaxRebateDelay::get());
						prop_assert!(carried || *pay_at > now, "a promotion due at {} open at {}", pay_at, now);
					}
					Ok(())
				};

				for op in &ops {
					apply(op, &mut model, &mut promotions);
					reconcile(&mut model, &mut promotions);
					for (pay_at, _, _) in promotions.keys() { last_pay_at = last_pay_at.max(*pay_at); }
					check(&model, &promotions, &format!("{op:?}"))?;
				}
				run_to_block(last_pay_at.max(System::block_number()) + 1);
				// Carried promotions close within as many more blocks as there are of them.
				let open = Promotions::<Test>::iter().count() as u64;
				run_to_block(System::block_number() + open);
				reconcile(&mut model, &mut promotions);
				check(&model, &promotions, "the last rebate block")?;
				// Every campaign closes, its budget back with its merchant.
				let open: Vec<_> = campaigns.borrow().iter().map(|(id, c)| (*id, c.clone())).collect();
				for (id, (owner, asset, budget)) in open {
					prop_assert!(ReferralRebate::close_campaign(RuntimeOrigin::signed(owner.clone()), id).is_ok());
					*model.get_mut(&(owner, asset)).expect("known") += budget;
					campaigns.borrow_mut().remove(&id);
				}
				check(&model, &promotions, "closing every campaign")?;
				prop_assert_eq!(Campaigns::<Test>::iter().count(), 0);
				for asset in ASSETS {
					let escrowed = balance(asset.clone(), &ReferralRebate::escrow_account());
					prop_assert_eq!(escrowed, 0, "escrow in {:?} outlived the last rebate block", asset);
				}
				prop_assert_eq!(Promotions::<Test>::iter().count(), 0);
				// Every purchase record ends too (at least one removed a block once nothing is due).
				let records = Purchases::<Test>::iter().count() as u64;
				run_to_block(System::block_number() + PurchaseLifetime::get() + records);
				prop_assert_eq!(Purchases::<Test>::iter().count(), 0);
				Ok(())
			})?;
		}
	}
}

#[test]
fn documents_round_trip_through_json_with_their_links() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let (offer, purchase) = signed_referral(&p, 1, unknown_purchase());
		let rebate = valid_rebate(&p, 1, PayoutCondition::ReferralSettled);
		let json = serde_json::to_string(&offer).expect("serializes");
		assert!(json.contains("\"designates\""), "{json}");
		assert_eq!(serde_json::from_str::<SignedOfferOf<Test>>(&json).ok(), Some(offer));
		let json = serde_json::to_string(&purchase).expect("serializes");
		assert_eq!(serde_json::from_str::<SignedPurchaseOf<Test>>(&json).ok(), Some(purchase));
		let json = serde_json::to_string(&rebate).expect("serializes");
		assert!(json.contains("\"referral_settled\""), "{json}");
		assert_eq!(serde_json::from_str::<SignedRebateOf<Test>>(&json).ok(), Some(rebate));
		// Malformed JSON and a chain over the bound are refused.
		assert!(serde_json::from_str::<SignedRebateOf<Test>>("{\"document\":").is_err());
	});
}
