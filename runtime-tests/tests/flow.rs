//! The patent's flow through the test runtime: signed extrinsics in blocks, across blocks, with
//! fees, events, balances and the escrow account checked at each step.

use pallet_referral_rebate::{Event as RebateEvent, LapseReason, PayoutCondition};
use rebate_runtime_tests::{
	documents::{purchase_call, settle_call, submit_call, Parties, PurchaseId, Terms},
	fee_paid, rebate_events, recorded_purchase, Chain, DevKey as Key,
};
use rebate_test_runtime::{Balance, RuntimeCall, UNIT};

const PRICE: Balance = 100 * UNIT;

fn terms(origin_purchase: PurchaseId, now: u32, condition: PayoutCondition) -> Terms {
	Terms { condition, ..Terms::standard(origin_purchase, now + 5, now + 10) }
}

/// The purchase a block's events recorded first.
fn recorded(events: &[rebate_test_runtime::RuntimeEvent]) -> PurchaseId {
	recorded_purchase(events).expect("a purchase was recorded")
}

fn funded_chain(p: &Parties) -> Chain {
	let extra: Vec<_> = [&p.merchant, &p.customer, &p.referee]
		.iter()
		.map(|k| (k.account(), 1_000 * UNIT))
		.collect();
	Chain::development(&extra)
}

/// Purchase, settle (five links), submit the rebate (three links), reach pay-at: the rebate is
/// paid in the rebate block. Every party pays its own fees.
fn complete_referral(p: &Parties) {
	let mut chain = funded_chain(p);
	let (m, c, r) = (p.merchant.account(), p.customer.account(), p.referee.account());
	let genesis = chain.genesis_hash();

	// The established purchase, signed by the customer.
	let (m0, c0, r0) = (chain.free(&m), chain.free(&c), chain.free(&r));
	let xt = chain.sign(&p.customer, purchase_call(m.clone(), PRICE));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &c);
	assert!(fee > 0);
	assert_eq!(chain.free(&c), c0 - PRICE - fee);
	assert_eq!(chain.free(&m), m0 + PRICE);
	assert_eq!(chain.free(&r), r0);
	let origin = recorded(&block.events);
	assert_eq!(origin.block, block.block.header.number);
	assert!(matches!(
		rebate_events(&block.events)[..],
		[RebateEvent::PurchaseRecorded { price: PRICE, .. }]
	));

	// Documents built and signed off chain; the merchant settles before settle-by.
	let now = chain.best_number();
	let t = terms(origin, now, PayoutCondition::ReferralSettled);
	let (m1, r1) = (chain.free(&m), chain.free(&r));
	let xt = chain.sign(&p.merchant, settle_call(&genesis, p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &m);
	assert!(fee > 0);
	assert_eq!(chain.free(&r), r1 - t.discounted_price, "the referee pays no fee");
	assert_eq!(chain.free(&m), m1 + t.discounted_price - fee);
	let events = rebate_events(&block.events);
	let referred = recorded(&block.events);
	assert!(
		matches!(&events[..], [
			RebateEvent::PurchaseRecorded { .. },
			RebateEvent::ReferralSettled { purchase_id, pay_at, .. },
		] if *pay_at == t.pay_at && *purchase_id == referred),
		"{events:?}"
	);

	// The customer submits the all-signed rebate before pay-at: escrowed.
	let (m2, c2) = (chain.free(&m), chain.free(&c));
	let xt = chain.sign(&p.customer, submit_call(&genesis, p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &c);
	assert!(fee > 0);
	assert_eq!(chain.free(&c), c2 - fee);
	assert_eq!(chain.free(&m), m2 - t.rebate);
	assert_eq!(chain.escrow(), t.rebate, "moved into the escrow account");
	assert!(
		rebate_events(&block.events).iter().any(|e| matches!(
			e,
			RebateEvent::RebateScheduled { amount, pay_at, .. } if *amount == t.rebate && *pay_at == t.pay_at
		)),
		"RebateScheduled"
	);

	// Nothing moves before the rebate block; at it, the chain pays.
	chain.advance_to(t.pay_at - 1);
	assert_eq!(chain.escrow(), t.rebate);
	let (c3, m3) = (chain.free(&c), chain.free(&m));
	let issuance = chain.issuance();
	let block = chain.produce(vec![]);
	assert_eq!(block.block.header.number, t.pay_at);
	assert_eq!(chain.escrow(), 0);
	assert_eq!(chain.free(&c), c3 + t.rebate);
	assert_eq!(chain.free(&m), m3, "paid from the escrow account, not from the merchant");
	assert_eq!(chain.issuance(), issuance, "nothing minted");
	let events = rebate_events(&block.events);
	assert!(
		matches!(&events[..], [RebateEvent::RebatePaid { amount, .. }] if *amount == t.rebate),
		"{events:?}"
	);
}

#[test]
fn sr25519_parties_complete_a_referral_through_signed_extrinsics() {
	complete_referral(&Parties::dev());
}

#[test]
fn ed25519_parties_complete_a_referral() {
	complete_referral(&Parties {
		merchant: Key::ed("//Alice"),
		customer: Key::ed("//Bob"),
		referee: Key::ed("//Charlie"),
	});
}

#[test]
fn ecdsa_parties_complete_a_referral() {
	complete_referral(&Parties {
		merchant: Key::ec("//Alice"),
		customer: Key::ec("//Bob"),
		referee: Key::ec("//Charlie"),
	});
}

#[test]
fn wallet_wrapped_signatures_work_through_the_runtime() {
	let p = Parties::dev();
	let mut chain = funded_chain(&p);
	let genesis = chain.genesis_hash();
	let xt = chain.sign(&p.customer, purchase_call(p.merchant.account(), PRICE));
	let origin = recorded(&chain.produce(vec![xt]).events);
	let t = Terms {
		framing: pallet_referral_rebate::Framing::Bytes,
		..terms(origin, chain.best_number(), PayoutCondition::ReferralSettled)
	};
	let settle = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let submit = chain.sign(&p.customer, submit_call(&genesis, &p, &t));
	let block = chain.produce(vec![settle, submit]);
	assert!(matches!(block.results[..], [Ok(Ok(())), Ok(Ok(()))]), "{:?}", block.results);
	let c0 = chain.free(&p.customer.account());
	chain.advance_to(t.pay_at);
	assert_eq!(chain.free(&p.customer.account()), c0 + t.rebate);
}

#[test]
fn a_rebate_without_a_referral_lapses_at_pay_at() {
	let p = Parties::dev();
	let mut chain = funded_chain(&p);
	let genesis = chain.genesis_hash();
	let m = p.merchant.account();
	let unknown = PurchaseId { block: 0, index: 0 };
	let t = terms(unknown, chain.best_number(), PayoutCondition::ReferralSettled);
	let xt = chain.sign(&p.customer, submit_call(&genesis, &p, &t));
	assert!(matches!(chain.produce(vec![xt]).results[..], [Ok(Ok(()))]));
	let m0 = chain.free(&m);
	chain.advance_to(t.pay_at - 1);
	let block = chain.produce(vec![]);
	assert_eq!(chain.escrow(), 0);
	assert_eq!(chain.free(&m), m0 + t.rebate, "returned to the merchant");
	assert!(matches!(
		rebate_events(&block.events)[..],
		[RebateEvent::RebateLapsed { reason: LapseReason::NotSettled, .. }]
	));
}

#[test]
fn a_refund_in_the_review_period_makes_the_rebate_lapse() {
	let p = Parties::dev();
	let mut chain = funded_chain(&p);
	let genesis = chain.genesis_hash();
	let (m, c, r) = (p.merchant.account(), p.customer.account(), p.referee.account());
	let xt = chain.sign(&p.customer, purchase_call(m.clone(), PRICE));
	let origin = recorded(&chain.produce(vec![xt]).events);
	let t = terms(origin, chain.best_number(), PayoutCondition::ReferralSettled);
	let settle = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let submit = chain.sign(&p.customer, submit_call(&genesis, &p, &t));
	let block = chain.produce(vec![settle, submit]);
	assert!(matches!(block.results[..], [Ok(Ok(())), Ok(Ok(()))]), "{:?}", block.results);
	let referred = recorded(&block.events);

	chain.advance_to(t.pay_at - 2);
	let r0 = chain.free(&r);
	let refund =
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::refund { purchase_id: referred });
	let xt = chain.sign(&p.merchant, refund);
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]));
	assert_eq!(chain.free(&r), r0 + t.discounted_price);
	assert!(rebate_events(&block.events).iter().any(|e| matches!(
		e,
		RebateEvent::PurchaseRefunded { purchase_id, promotion_id: Some(1), .. } if *purchase_id == referred
	)));

	let c0 = chain.free(&c);
	chain.advance_to(t.pay_at - 1);
	let block = chain.produce(vec![]);
	assert!(matches!(
		rebate_events(&block.events)[..],
		[RebateEvent::RebateLapsed { reason: LapseReason::Refunded, .. }]
	));
	assert_eq!(chain.free(&c), c0);
	assert_eq!(chain.escrow(), 0);
}
