//! Tests of the referral-rebate pallet: the claim flow end to end, every error path, every link of
//! every chain, deadlines, payout conditions, the hook's agenda and carry-over, and property tests
//! over random operation sequences.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks, IntegrityTest,
	},
};
use sp_core::H256;
use sp_runtime::{DispatchError, MultiSignature};

type E = crate::Event<Test>;
type Err = crate::Error<Test>;

fn genesis() -> H256 {
	ReferralRebate::genesis_hash()
}

fn escrow_reason() -> RuntimeHoldReason {
	HoldReason::RebateEscrow.into()
}

fn held(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&escrow_reason(), who)
}

fn free(who: &AccountId) -> Balance {
	Balances::free_balance(who)
}

fn total(who: &AccountId) -> Balance {
	Balances::total_balance(who)
}

/// Record the customer's origin purchase (1 000 from the customer to the merchant); its id.
fn origin_purchase(p: &Parties) -> PurchaseId {
	let id = NextPurchaseId::<Test>::get();
	assert_ok!(ReferralRebate::purchase(
		RuntimeOrigin::signed(p.customer.account()),
		p.merchant.account(),
		1_000
	));
	id
}

/// A complete, valid offer and referred purchase for promotion `id`.
fn signed_referral(
	p: &Parties,
	id: PromotionId,
	origin: PurchaseId,
) -> (SignedOfferOf<Test>, SignedPurchaseOf<Test>) {
	let offer = offer_doc(p, id, origin);
	let purchase = purchase_doc(p, &offer);
	(sign_offer(p, offer, &genesis()), sign_purchase(p, purchase, &genesis()))
}

fn settle(
	p: &Parties,
	offer: SignedOfferOf<Test>,
	purchase: SignedPurchaseOf<Test>,
) -> DispatchResult {
	ReferralRebate::settle_referral(
		RuntimeOrigin::signed(p.merchant.account()),
		Box::new(offer),
		Box::new(purchase),
	)
}

fn submit(p: &Parties, rebate: SignedRebateOf<Test>) -> DispatchResult {
	ReferralRebate::submit_rebate(RuntimeOrigin::signed(p.customer.account()), Box::new(rebate))
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

		// Claim 1: the established first-type transaction.
		let origin = origin_purchase(&p);
		assert_eq!(origin, 0);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000);
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_000);
		assert_eq!(
			Purchases::<Test>::get(0),
			Some(PurchaseRecord {
				merchant: m.clone(),
				buyer: c.clone(),
				price: 1_000,
				promotion_id: None,
				refunded: false
			})
		);
		System::assert_last_event(
			E::PurchaseRecorded {
				purchase_id: 0,
				merchant: m.clone(),
				buyer: c.clone(),
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
		assert_eq!(
			Purchases::<Test>::get(1),
			Some(PurchaseRecord {
				merchant: m.clone(),
				buyer: r.clone(),
				price: 800,
				promotion_id: Some(7),
				refunded: false
			})
		);
		assert_eq!(
			Promotions::<Test>::get(&m, 7),
			Some(Promotion {
				customer: c.clone(),
				referee: r.clone(),
				pay_at: 20,
				due: 20,
				referral: Some(SettledReferral { purchase_id: 1, refunded: false }),
				rebate: None,
			})
		);
		assert_eq!(ReferralRebate::agenda_len(20), 1);
		assert_eq!(Agenda::<Test>::get(20, 0), Some((m.clone(), 7)));
		assert_eq!(
			rebate_events()[1..],
			[
				E::PurchaseRecorded {
					purchase_id: 1,
					merchant: m.clone(),
					buyer: r.clone(),
					price: 800,
					promotion_id: Some(7)
				},
				E::ReferralSettled {
					merchant: m.clone(),
					promotion_id: 7,
					customer: c.clone(),
					referee: r.clone(),
					purchase_id: 1,
					price: 800,
					pay_at: 20,
				},
			]
		);

		// Claims 1, 2 and 4: rebate merchant → referee → customer; the customer broadcasts it
		// before the rebate block; it is escrowed.
		run_to_block(12);
		assert_ok!(submit(&p, valid_rebate(&p, 7, PayoutCondition::ReferralSettled)));
		assert_eq!(free(&m), MERCHANT_FUNDS + 1_800 - 150);
		assert_eq!(held(&m), 150);
		assert_eq!(total(&m), MERCHANT_FUNDS + 1_800);
		assert_eq!(
			Promotions::<Test>::get(&m, 7).and_then(|o| o.rebate),
			Some(EscrowedRebate { amount: 150, condition: PayoutCondition::ReferralSettled })
		);
		assert_eq!(ReferralRebate::agenda_len(20), 1, "scheduled once");
		System::assert_last_event(
			E::RebateScheduled {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				amount: 150,
				pay_at: 20,
				condition: PayoutCondition::ReferralSettled,
			}
			.into(),
		);

		// Nothing moves before the rebate block.
		run_to_block(19);
		assert_eq!(held(&m), 150);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000);

		// At the rebate block the chain pays the customer.
		run_to_block(20);
		assert_eq!(held(&m), 0);
		assert_eq!(free(&c), CUSTOMER_FUNDS - 1_000 + 150);
		assert_eq!(total(&m), MERCHANT_FUNDS + 1_800 - 150);
		assert_eq!(Promotions::<Test>::get(&m, 7), None);
		assert_eq!(ReferralRebate::agenda_len(20), 0);
		assert_eq!(Agenda::<Test>::get(20, 0), None);
		assert_eq!(Backlog::<Test>::get(), None);
		System::assert_last_event(
			E::RebatePaid {
				merchant: m.clone(),
				promotion_id: 7,
				customer: c.clone(),
				referee: r.clone(),
				amount: 150,
			}
			.into(),
		);
		// The referred purchase stays on record as a purchase of its own.
		assert!(Purchases::<Test>::get(1).is_some());
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
		assert_eq!(ReferralRebate::agenda_len(20), 1, "one agenda entry for the promotion");
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
				amount: 150,
				reason: LapseReason::NotSettled,
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
				amount: 150,
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
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(19);
		// The last block of the review period.
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), 1));
		assert_eq!(free(&referee()), REFEREE_FUNDS);
		assert_eq!(Purchases::<Test>::get(1).map(|x| x.refunded), Some(true));
		System::assert_last_event(
			E::PurchaseRefunded {
				purchase_id: 1,
				merchant: merchant(),
				buyer: referee(),
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
				amount: 150,
				reason: LapseReason::Refunded,
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
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), 1));
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
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), 1));
		System::assert_last_event(
			E::PurchaseRefunded {
				purchase_id: 1,
				merchant: merchant(),
				buyer: referee(),
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
			}
			.into(),
		);
		assert_eq!(Promotions::<Test>::get(merchant(), 1), None);
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
		assert_noop!(ReferralRebate::purchase(c.clone(), merchant(), 0), Err::PriceBelowMinimum);
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), ED - 1),
			Err::PriceBelowMinimum
		);
		assert_noop!(ReferralRebate::purchase(c.clone(), customer(), 50), Err::SelfPurchase);
		// Paying everything would kill the buyer's account.
		assert_noop!(
			ReferralRebate::purchase(c.clone(), merchant(), CUSTOMER_FUNDS),
			Err::CannotPayPrice
		);
		assert_noop!(
			ReferralRebate::purchase(RuntimeOrigin::none(), merchant(), 50),
			DispatchError::BadOrigin
		);
		assert_ok!(ReferralRebate::purchase(c, merchant(), CUSTOMER_FUNDS - ED));
	});
}

#[test]
fn purchase_ids_never_wrap() {
	ExtBuilder::default().build_and_execute(|| {
		NextPurchaseId::<Test>::put(PurchaseId::MAX);
		assert_noop!(
			ReferralRebate::purchase(RuntimeOrigin::signed(customer()), merchant(), 50),
			sp_runtime::ArithmeticError::Overflow
		);
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
			assert_noop!(
				ReferralRebate::settle_referral(
					RuntimeOrigin::signed(who),
					Box::new(offer.clone()),
					Box::new(purchase.clone())
				),
				Err::NotMerchant
			);
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
			o.document.origin_purchase = 99;
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
		assert_ok!(ReferralRebate::purchase(RuntimeOrigin::signed(stranger()), merchant(), 1_000));
		let (offer, purchase) = signed_referral(&p, 1, 0);
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
	// Another rebate block.
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase(&p);
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::ReferralSettled)));
		let mut offer = offer_doc(&p, 1, origin);
		offer.pay_at = 25;
		let purchase = purchase_doc(&p, &offer);
		let (o, s) = (sign_offer(&p, offer, &genesis()), sign_purchase(&p, purchase, &genesis()));
		assert_noop!(settle(&p, o, s), Err::PromotionMismatch);
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
			assert_noop!(
				ReferralRebate::submit_rebate(RuntimeOrigin::signed(who), Box::new(rebate.clone())),
				Err::NotCustomer
			);
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
		// Another rebate block.
		let mut doc = rebate_doc(&p, 1, PayoutCondition::ReferralSettled);
		doc.pay_at = 21;
		assert_noop!(submit(&p, sign_rebate(&p, doc, &genesis())), Err::PromotionMismatch);
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
				amount: 150,
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
		let (offer, purchase) = signed_referral(&p, 1, 0);
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
		let (offer, _) = signed_referral(&p, 1, 0);
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
			ReferralRebate::refund(RuntimeOrigin::signed(merchant()), 42),
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
		assert_noop!(
			ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), merchant(), 1),
			Err::UnknownPromotion
		);
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		run_to_block(19);
		assert_noop!(
			ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), merchant(), 1),
			Err::NotYetDue
		);
		assert_noop!(
			ReferralRebate::close_overdue(RuntimeOrigin::none(), merchant(), 1),
			DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------------------------------------
// The agenda and the hook.
// ---------------------------------------------------------------------------------------------

/// Submit unconditional rebates for promotions `ids`, all due at block 20.
fn submit_many(ids: core::ops::Range<PromotionId>) {
	let p = Parties::default();
	for id in ids {
		assert_ok!(submit(&p, valid_rebate(&p, id, PayoutCondition::Unconditional)));
	}
}

#[test]
fn agenda_lengths_share_entries_of_32_blocks_and_empty_entries_go() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		// Block 31 is the last block of entry 0, block 32 the first of entry 1.
		ReferralRebate::set_agenda_len(31, MaxDuePerBlock::get());
		assert_eq!(AgendaLens::<Test>::iter_keys().collect::<Vec<_>>(), vec![0]);
		let mut doc = rebate_doc(&p, 7, PayoutCondition::Unconditional);
		doc.pay_at = 31;
		assert_ok!(submit(&p, sign_rebate(&p, doc, &genesis())));
		assert_eq!(Promotions::<Test>::get(merchant(), 7).map(|o| o.due), Some(32));
		assert_eq!(ReferralRebate::agenda_len(31), MaxDuePerBlock::get());
		assert_eq!(ReferralRebate::agenda_len(32), 1);
		let mut keys = AgendaLens::<Test>::iter_keys().collect::<Vec<_>>();
		keys.sort();
		assert_eq!(keys, vec![0, 1]);
		run_to_block(32);
		assert!(!Promotions::<Test>::contains_key(merchant(), 7), "paid at block 32");
		assert_eq!(ReferralRebate::agenda_len(32), 0);
		assert_eq!(AgendaLens::<Test>::iter().count(), 0, "entries left all empty are removed");
	});
}

#[test]
fn a_full_agenda_spills_into_the_next_blocks_then_refuses() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let max = MaxDuePerBlock::get() as PromotionId;
		let delay = MaxPayoutDelay::get() as PromotionId;
		let origin = origin_purchase(&p);
		// Fill the agendas of blocks 20, 21 and 22 (pay-at 20 and the two blocks it may spill
		// into) with referrals (no rebate yet), all with pay-at 20.
		for id in 0..max * (delay + 1) {
			let (o, s) = signed_referral(&p, id, origin);
			assert_ok!(settle(&p, o, s));
			let due = Promotions::<Test>::get(merchant(), id).map(|o| o.due);
			assert_eq!(due, Some(20 + id / max), "promotion {id}");
		}
		for b in 20..=22 {
			assert_eq!(ReferralRebate::agenda_len(b), MaxDuePerBlock::get());
		}
		// A new promotion with pay-at 20 is refused, by either call.
		let id = max * (delay + 1);
		let (o, s) = signed_referral(&p, id, origin);
		assert_noop!(settle(&p, o, s), Err::AgendaFull);
		assert_noop!(
			submit(&p, valid_rebate(&p, id, PayoutCondition::Unconditional)),
			Err::AgendaFull
		);
		// The rebate of a promotion already on an agenda still goes in, wherever it is due.
		assert_ok!(submit(&p, valid_rebate(&p, 0, PayoutCondition::ReferralSettled)));
		assert_ok!(submit(&p, valid_rebate(&p, id - 1, PayoutCondition::ReferralSettled)));
		// Another rebate block has room.
		let mut doc = rebate_doc(&p, id, PayoutCondition::Unconditional);
		doc.pay_at = 23;
		assert_ok!(submit(&p, sign_rebate(&p, doc, &genesis())));

		run_to_block(20);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150, "promotion 0 paid at 20");
		assert_eq!(held(&merchant()), 300);
		run_to_block(22);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 300, "the spilled one at 22");
		run_to_block(23);
		assert_eq!(Promotions::<Test>::iter().count(), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 450);
	});
}

#[test]
fn a_spilled_promotion_keeps_the_outcome_fixed_at_its_rebate_block() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let max = MaxDuePerBlock::get() as PromotionId;
		let origin = origin_purchase(&p);
		for id in 0..=max {
			let (o, s) = signed_referral(&p, id, origin);
			assert_ok!(settle(&p, o, s));
		}
		assert_ok!(submit(&p, valid_rebate(&p, max, PayoutCondition::ReferralSettled)));
		assert_eq!(Promotions::<Test>::get(merchant(), max).map(|o| o.due), Some(21));
		run_to_block(20);
		// At the rebate block the refund no longer counts, though the promotion is open.
		let referral = Promotions::<Test>::get(merchant(), max)
			.and_then(|o| o.referral)
			.map(|r| r.purchase_id)
			.expect("settled");
		assert_ok!(ReferralRebate::refund(RuntimeOrigin::signed(merchant()), referral));
		// And anyone may close it now: its fate is fixed.
		assert_ok!(ReferralRebate::close_overdue(
			RuntimeOrigin::signed(stranger()),
			merchant(),
			max
		));
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150);
		run_to_block(21);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS - 1_000 + 150, "paid once");
	});
}

#[test]
fn the_hook_carries_what_does_not_fit_and_drops_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let base = <() as WeightInfo>::on_initialize(0);
		let per = <() as WeightInfo>::on_initialize(1) - base;
		// Room for exactly two closings per block.
		MaxHookWeight::set(base + per * 2);
		submit_many(0..5);
		assert_eq!(held(&merchant()), 750);

		run_to_block(20);
		assert_eq!(held(&merchant()), 450);
		assert_eq!(Backlog::<Test>::get(), Some((20, 2)));
		System::assert_last_event(E::ClosingCarried { block: 20, index: 2 }.into());

		run_to_block(21);
		assert_eq!(held(&merchant()), 150);
		assert_eq!(Backlog::<Test>::get(), Some((20, 4)));

		// Anyone may close the last one by hand meanwhile.
		assert_ok!(ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), merchant(), 4));
		assert_eq!(held(&merchant()), 0);
		System::assert_last_event(
			E::RebatePaid {
				merchant: merchant(),
				promotion_id: 4,
				customer: customer(),
				referee: referee(),
				amount: 150,
			}
			.into(),
		);

		// The hook skips the entry closed by hand and finishes the backlog.
		run_to_block(22);
		assert_eq!(Backlog::<Test>::get(), None);
		assert_eq!(ReferralRebate::agenda_len(20), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 750, "each rebate paid exactly once");
		let paid = rebate_events().iter().filter(|e| matches!(e, E::RebatePaid { .. })).count();
		assert_eq!(paid, 5);
	});
}

#[test]
fn the_hook_reports_the_weight_it_used() {
	ExtBuilder::default().build_and_execute(|| {
		let base = <() as WeightInfo>::on_initialize(0);
		let per = <() as WeightInfo>::on_initialize(1) - base;
		submit_many(0..3);
		System::set_block_number(20);
		assert_eq!(ReferralRebate::on_initialize(20), base + per * 3);
		// A block with nothing due costs the base only.
		System::set_block_number(21);
		assert_eq!(ReferralRebate::on_initialize(21), base);
	});
}

#[test]
fn a_hook_without_room_to_look_carries_the_whole_agenda() {
	ExtBuilder::default().build_and_execute(|| {
		let base = <() as WeightInfo>::on_initialize(0);
		let per = <() as WeightInfo>::on_initialize(1) - base;
		submit_many(0..1);
		System::set_block_number(20);
		let limit = MaxHookWeight::get();
		MaxHookWeight::set(base / 2);
		assert_eq!(ReferralRebate::on_initialize(20), Weight::zero());
		assert_eq!(Backlog::<Test>::get(), Some((20, 0)));
		assert_eq!(held(&merchant()), 150);
		MaxHookWeight::set(limit);
		System::set_block_number(21);
		assert_eq!(
			ReferralRebate::on_initialize(21),
			base + per
				+ <<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
					frame_support::weights::RuntimeDbWeight,
				>>::get()
				.reads_writes(1, 1)
		);
		assert_eq!(Backlog::<Test>::get(), None);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 150);
	});
}

#[test]
fn a_backlog_spanning_empty_blocks_is_walked_to_the_end() {
	ExtBuilder::default().build_and_execute(|| {
		let base = <() as WeightInfo>::on_initialize(0);
		let per = <() as WeightInfo>::on_initialize(1) - base;
		MaxHookWeight::set(base + per);
		submit_many(0..3);
		// Skip ahead without running hooks, as if blocks 20..=24 passed with no hook room.
		System::set_block_number(24);
		Backlog::<Test>::put((20, 0));
		MaxHookWeight::set(base + per * 10);
		run_to_block(25);
		assert_eq!(Backlog::<Test>::get(), None);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 450);
	});
}

#[test]
fn a_promotion_id_reused_after_a_manual_close_is_not_closed_early() {
	ExtBuilder::default().build_and_execute(|| {
		let base = <() as WeightInfo>::on_initialize(0);
		let per = <() as WeightInfo>::on_initialize(1) - base;
		let p = Parties::default();
		MaxHookWeight::set(base + per);
		submit_many(0..2);
		run_to_block(20);
		// Promotion 1 is carried; close it by hand and reuse its id for a rebate due at 30.
		assert_ok!(ReferralRebate::close_overdue(RuntimeOrigin::signed(stranger()), merchant(), 1));
		let mut doc = rebate_doc(&p, 1, PayoutCondition::Unconditional);
		doc.pay_at = 30;
		assert_ok!(submit(&p, sign_rebate(&p, doc, &genesis())));
		run_to_block(21);
		// The stale entry at block 20 did not close the new promotion.
		assert_eq!(Promotions::<Test>::get(merchant(), 1).map(|o| o.pay_at), Some(30));
		assert_eq!(held(&merchant()), 150);
		run_to_block(30);
		assert_eq!(held(&merchant()), 0);
		assert_eq!(free(&customer()), CUSTOMER_FUNDS + 450);
	});
}

#[test]
fn integrity_test_passes_and_catches_bad_constants() {
	new_test_ext().execute_with(|| {
		AllPalletsWithSystem::integrity_test();
		let old = MaxHookWeight::get();
		MaxHookWeight::set(Weight::zero());
		assert!(
			std::panic::catch_unwind(<ReferralRebate as IntegrityTest>::integrity_test).is_err()
		);
		MaxHookWeight::set(old);
		MaxDuePerBlock::set(0);
		assert!(
			std::panic::catch_unwind(<ReferralRebate as IntegrityTest>::integrity_test).is_err()
		);
		MaxDuePerBlock::set(8);
	});
}

#[test]
fn try_state_catches_a_stranded_escrow() {
	new_test_ext().execute_with(|| {
		let p = Parties::default();
		assert_ok!(submit(&p, valid_rebate(&p, 1, PayoutCondition::Unconditional)));
		assert_ok!(ReferralRebate::do_try_state());
		// Forget the promotion while its escrow stays held: the invariant names it.
		let open = Promotions::<Test>::take(merchant(), 1).expect("open");
		assert_eq!(
			ReferralRebate::do_try_state(),
			Err("an account's rebate escrow hold differs from its open rebates".into())
		);
		// Put it back under the wrong due block: the agenda check names that.
		Promotions::<Test>::insert(merchant(), 1, Promotion { due: 21, ..open.clone() });
		assert!(ReferralRebate::do_try_state().is_err());
		Promotions::<Test>::insert(merchant(), 1, open);
		assert_ok!(ReferralRebate::do_try_state());
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
			Err::MerchantCannotEscrow
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
				amount: 150,
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
// Property tests: money is never created, lost or stranded.
// ---------------------------------------------------------------------------------------------

mod properties {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	#[derive(Clone, Debug)]
	enum Op {
		/// Customer `c` buys from merchant `m` at `price`.
		Purchase { m: usize, c: usize, price: Balance },
		/// Merchant `m` settles a referral of promotion `id` (customer `c`, referee `r`) on the
		/// most recent purchase of `c` from `m`.
		Settle { m: usize, c: usize, r: usize, id: PromotionId, pay_in: u64 },
		/// Customer `c` submits a rebate of `amount` for promotion `id` of merchant `m`.
		Submit {
			m: usize,
			c: usize,
			r: usize,
			id: PromotionId,
			amount: Balance,
			pay_in: u64,
			unconditional: bool,
		},
		/// Merchant `m` refunds purchase number `nth` (modulo those recorded).
		Refund { nth: usize },
		/// Someone closes promotion `id` of merchant `m`.
		Close { m: usize, id: PromotionId },
		/// Blocks pass.
		Advance { blocks: u64 },
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(0..2usize, 0..4usize, 1..5_000u128).prop_map(|(m, c, price)| Op::Purchase {
				m,
				c,
				price
			}),
			(0..2usize, 0..4usize, 0..4usize, 0..4u64, 2..12u64)
				.prop_map(|(m, c, r, id, pay_in)| Op::Settle { m, c, r, id, pay_in }),
			(0..2usize, 0..4usize, 0..4usize, 0..4u64, 1..3_000u128, 2..12u64, any::<bool>())
				.prop_map(|(m, c, r, id, amount, pay_in, unconditional)| Op::Submit {
					m,
					c,
					r,
					id,
					amount,
					pay_in,
					unconditional
				}),
			(0..16usize).prop_map(|nth| Op::Refund { nth }),
			(0..2usize, 0..4u64).prop_map(|(m, id)| Op::Close { m, id }),
			(1..6u64).prop_map(|blocks| Op::Advance { blocks }),
		]
	}

	thread_local! {
		static KEYS: (Vec<Key>, Vec<Key>) = (
			(0..2).map(|i| Key::sr(&format!("//Merchant{i}"))).collect(),
			(0..4).map(|i| Key::sr(&format!("//Person{i}"))).collect(),
		);
	}

	/// The model's view of an open promotion.
	#[derive(Clone, Debug, Default)]
	struct ModelPromotion {
		customer: Option<AccountId>,
		pay_at: u64,
		settled: bool,
		refunded: bool,
		rebate: Option<(Balance, bool)>,
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

		#[test]
		fn money_is_conserved_and_every_escrow_closes(ops in proptest::collection::vec(op(), 1..40)) {
			let (merchants, people) = KEYS.with(|k| k.clone());
			let mut builder = ExtBuilder::default();
			for k in merchants.iter().chain(people.iter()) {
				builder = builder.balance(k.account(), 20_000);
			}
			builder.build().execute_with(|| {
				let accounts: Vec<AccountId> =
					merchants.iter().chain(people.iter()).map(Key::account).collect();
				let issuance = Balances::total_issuance();
				let mut model: BTreeMap<AccountId, Balance> =
					accounts.iter().map(|a| (a.clone(), total(a))).collect();
				let mut promotions: BTreeMap<(AccountId, PromotionId), ModelPromotion> = BTreeMap::new();
				let mut last_pay_at = 0u64;
				let g = genesis();

				let apply = |op: &Op, model: &mut BTreeMap<AccountId, Balance>,
								 promotions: &mut BTreeMap<(AccountId, PromotionId), ModelPromotion>| {
					let now = System::block_number();
					match op.clone() {
						Op::Purchase { m, c, price } => {
							let (m, c) = (merchants[m].account(), people[c].account());
							if ReferralRebate::purchase(RuntimeOrigin::signed(c.clone()), m.clone(), price).is_ok() {
								*model.get_mut(&c).expect("known") -= price;
								*model.get_mut(&m).expect("known") += price;
							}
						},
						Op::Settle { m, c, r, id, pay_in } => {
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let origin = Purchases::<Test>::iter()
								.filter(|(_, x)| x.merchant == p.merchant.account() && x.buyer == p.customer.account())
								.map(|(i, _)| i)
								.max();
							let Some(origin) = origin else { return };
							let record = Purchases::<Test>::get(origin).expect("exists");
							let offer = Offer {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								origin_purchase: origin,
								original_price: record.price,
								discounted_price: record.price / 2,
								settle_by: now + 1,
								pay_at: now + pay_in,
							};
							let purchase = purchase_doc(&p, &offer);
							let price = offer.discounted_price;
							let pay_at = offer.pay_at;
							let res = ReferralRebate::settle_referral(
								RuntimeOrigin::signed(p.merchant.account()),
								Box::new(sign_offer(&p, offer, &g)),
								Box::new(sign_purchase(&p, purchase, &g)),
							);
							if res.is_ok() {
								*model.get_mut(&p.referee.account()).expect("known") -= price;
								*model.get_mut(&p.merchant.account()).expect("known") += price;
								let e = promotions.entry((p.merchant.account(), id)).or_default();
								e.customer = Some(p.customer.account());
								e.pay_at = pay_at;
								e.settled = true;
							}
						},
						Op::Submit { m, c, r, id, amount, pay_in, unconditional } => {
							let p = Parties { merchant: merchants[m].clone(), customer: people[c].clone(), referee: people[r].clone() };
							let doc = Rebate {
								promotion_id: id,
								merchant: p.merchant.account(),
								customer: p.customer.account(),
								amount,
								pay_at: now + pay_in,
								condition: if unconditional { PayoutCondition::Unconditional } else { PayoutCondition::ReferralSettled },
							};
							if submit(&p, sign_rebate(&p, doc, &g)).is_ok() {
								let e = promotions.entry((p.merchant.account(), id)).or_default();
								e.customer = Some(p.customer.account());
								e.pay_at = now + pay_in;
								e.rebate = Some((amount, unconditional));
							}
						},
						Op::Refund { nth } => {
							let n = NextPurchaseId::<Test>::get() as usize;
							if n == 0 { return }
							let id = (nth % n) as PurchaseId;
							let Some(record) = Purchases::<Test>::get(id) else { return };
							if ReferralRebate::refund(RuntimeOrigin::signed(record.merchant.clone()), id).is_ok() {
								*model.get_mut(&record.merchant).expect("known") -= record.price;
								*model.get_mut(&record.buyer).expect("known") += record.price;
								if let Some(pid) = record.promotion_id {
									if let Some(e) = promotions.get_mut(&(record.merchant.clone(), pid)) {
										if e.settled && now < e.pay_at { e.refunded = true; }
									}
								}
							}
						},
						Op::Close { m, id } => {
							let m = merchants[m].account();
							let _ = ReferralRebate::close_overdue(RuntimeOrigin::signed(accounts[2].clone()), m, id);
						},
						Op::Advance { blocks } => run_to_block(now + blocks),
					}
				};

				// Close in the model whatever the chain closed, paying exactly when the model says
				// the condition held.
				let reconcile = |model: &mut BTreeMap<AccountId, Balance>,
								 promotions: &mut BTreeMap<(AccountId, PromotionId), ModelPromotion>| {
					let open: Vec<_> = promotions.keys().cloned().collect();
					for key in open {
						if Promotions::<Test>::get(&key.0, key.1).is_none() {
							let e = promotions.remove(&key).expect("listed");
							if let Some((amount, unconditional)) = e.rebate {
								if unconditional || (e.settled && !e.refunded) {
									*model.get_mut(&key.0).expect("known") -= amount;
									*model.get_mut(e.customer.as_ref().expect("set")).expect("known") += amount;
								}
							}
						}
					}
				};
				let check = |model: &BTreeMap<AccountId, Balance>, op: &str| -> Result<(), TestCaseError> {
					prop_assert_eq!(Balances::total_issuance(), issuance);
					for a in &accounts {
						prop_assert_eq!(total(a), model[a], "account {:?} after {}", a, op);
					}
					ReferralRebate::do_try_state().map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
					Ok(())
				};

				for op in &ops {
					apply(op, &mut model, &mut promotions);
					reconcile(&mut model, &mut promotions);
					for e in promotions.values() { last_pay_at = last_pay_at.max(e.pay_at); }
					check(&model, &format!("{op:?}"))?;
				}
				run_to_block(last_pay_at.max(System::block_number()) + 1);
				reconcile(&mut model, &mut promotions);
				check(&model, "the last rebate block")?;
				for a in &accounts {
					prop_assert_eq!(held(a), 0, "a hold outlived the last rebate block");
				}
				prop_assert_eq!(Promotions::<Test>::iter().count(), 0);
				prop_assert_eq!(Backlog::<Test>::get(), None);
				Ok(())
			})?;
		}
	}
}

#[test]
fn documents_round_trip_through_json_with_their_links() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let (offer, purchase) = signed_referral(&p, 1, 0);
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
