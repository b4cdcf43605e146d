//! The patent's flow through the test runtime: signed extrinsics in blocks, across blocks, with
//! fees, events, balances and the escrow account checked at each step.

use pallet_referral_rebate::{Event as RebateEvent, LapseReason, PayoutCondition};
use rebate_runtime_tests::{
	documents::{purchase_call, settle_call, submit_call, Parties, PurchaseId, Terms},
	fee_paid, rebate_events, recorded_purchase, Chain, DevKey as Key,
};
use rebate_test_runtime::{
	AccountId, AssetKind, Balance, RuntimeCall, DOLLARS, STABLECOIN, STABLECOIN_ID, UNIT,
};

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

/// Purchase, settle (five links), submit the rebate (three links), reach pay-at, all in the
/// asset `t_of` gives: the rebate is paid in the rebate block. Every party pays its own fees in
/// the native token; the balances in the documents' asset, the escrow account and the events are
/// checked at each step, and the other asset moves only by fees.
fn complete_referral_in(p: &Parties, t_of: fn(PurchaseId, u32) -> Terms) {
	let mut chain = funded_chain(p);
	let (m, c, r) = (p.merchant.account(), p.customer.account(), p.referee.account());
	let genesis = chain.genesis_hash();
	let asset = t_of(PurchaseId { block: 0, index: 0 }, 0).asset;
	let native = asset == AssetKind::Native;
	let price = t_of(PurchaseId { block: 0, index: 0 }, 0).original_price;
	let bal = |chain: &mut Chain, who: &AccountId| chain.balance(asset.clone(), who);
	// Fees are in the native token: they count in the documents' asset only when it is native.
	let in_asset = |fee: Balance| if native { fee } else { 0 };
	let other = if native { STABLECOIN } else { AssetKind::Native };
	let others0 = [&m, &c, &r].map(|a| chain.balance(other.clone(), a));

	// The established purchase, signed by the customer.
	let (m0, c0, r0) = (bal(&mut chain, &m), bal(&mut chain, &c), bal(&mut chain, &r));
	let xt = chain.sign(&p.customer, purchase_call(m.clone(), asset.clone(), price));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &c);
	assert!(fee > 0);
	assert_eq!(bal(&mut chain, &c), c0 - price - in_asset(fee));
	assert_eq!(bal(&mut chain, &m), m0 + price);
	assert_eq!(bal(&mut chain, &r), r0);
	let origin = recorded(&block.events);
	assert_eq!(origin.block, block.block.header.number);
	assert!(
		matches!(
			&rebate_events(&block.events)[..],
			[RebateEvent::PurchaseRecorded { price: p, asset: a, .. }] if *p == price && *a == asset
		),
		"{:?}",
		rebate_events(&block.events)
	);

	// Documents built and signed off chain; the merchant settles before settle-by.
	let now = chain.best_number();
	let t = Terms { condition: PayoutCondition::ReferralSettled, ..t_of(origin, now) };
	let (m1, r1) = (bal(&mut chain, &m), bal(&mut chain, &r));
	let xt = chain.sign(&p.merchant, settle_call(&genesis, p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &m);
	assert!(fee > 0);
	assert_eq!(bal(&mut chain, &r), r1 - t.discounted_price, "the referee pays no fee");
	assert_eq!(bal(&mut chain, &m), m1 + t.discounted_price - in_asset(fee));
	let events = rebate_events(&block.events);
	let referred = recorded(&block.events);
	assert!(
		matches!(&events[..], [
			RebateEvent::PurchaseRecorded { .. },
			RebateEvent::ReferralSettled { purchase_id, pay_at, asset: a, .. },
		] if *pay_at == t.pay_at && *purchase_id == referred && *a == asset),
		"{events:?}"
	);

	// The customer submits the all-signed rebate before pay-at: escrowed.
	let (m2, c2) = (bal(&mut chain, &m), bal(&mut chain, &c));
	let xt = chain.sign(&p.customer, submit_call(&genesis, p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &c);
	assert!(fee > 0);
	assert_eq!(bal(&mut chain, &c), c2 - in_asset(fee));
	assert_eq!(bal(&mut chain, &m), m2 - t.rebate);
	assert_eq!(chain.escrow_in(asset.clone()), t.rebate, "moved into the escrow account");
	assert_eq!(chain.escrow_in(other.clone()), 0, "nothing escrowed in the other asset");
	assert!(
		rebate_events(&block.events).iter().any(|e| matches!(
			e,
			RebateEvent::RebateScheduled { amount, pay_at, asset: a, .. }
				if *amount == t.rebate && *pay_at == t.pay_at && *a == asset
		)),
		"RebateScheduled"
	);

	// Nothing moves before the rebate block; at it, the chain pays.
	chain.advance_to(t.pay_at - 1);
	assert_eq!(chain.escrow_in(asset.clone()), t.rebate);
	let (c3, m3) = (bal(&mut chain, &c), bal(&mut chain, &m));
	let issuance = [chain.issuance_of(AssetKind::Native), chain.issuance_of(STABLECOIN)];
	let block = chain.produce(vec![]);
	assert_eq!(block.block.header.number, t.pay_at);
	assert_eq!(chain.escrow_in(asset.clone()), 0);
	assert_eq!(bal(&mut chain, &c), c3 + t.rebate);
	assert_eq!(bal(&mut chain, &m), m3, "paid from the escrow account, not from the merchant");
	let after = [chain.issuance_of(AssetKind::Native), chain.issuance_of(STABLECOIN)];
	assert_eq!(after, issuance, "nothing minted or burned in either asset");
	let events = rebate_events(&block.events);
	assert!(
		matches!(&events[..], [RebateEvent::RebatePaid { amount, asset: a, .. }] if *amount == t.rebate && *a == asset),
		"{events:?}"
	);
	if !native {
		let others = [&m, &c, &r].map(|a| chain.balance(other.clone(), a));
		assert!(others[2] == others0[2], "the referee paid nothing in the native token");
		assert!(others[0] < others0[0] && others[1] < others0[1], "only fees, in the native token");
	}
}

fn complete_referral(p: &Parties) {
	complete_referral_in(p, |origin, now| Terms::standard(origin, now + 5, now + 10));
}

#[test]
fn the_whole_flow_in_the_stablecoin_through_signed_extrinsics() {
	complete_referral_in(&Parties::dev(), |origin, now| {
		Terms::stablecoin(origin, now + 5, now + 10)
	});
}

/// A customer with no native token at all, only the stablecoin: its account exists because the
/// stablecoin is sufficient, and it pays its purchase's and its rebate's fees in the stablecoin.
#[test]
fn a_customer_holding_only_the_stablecoin_pays_its_fees_in_it_and_is_paid_its_rebate() {
	let p = Parties { customer: Key::sr("//StablecoinOnly"), ..Parties::dev() };
	let c = p.customer.account();
	let mut chain = Chain::development_with(&[], &[(c.clone(), 1_000 * DOLLARS)]);
	let genesis = chain.genesis_hash();
	assert_eq!(chain.free(&c), 0, "no native token");
	let issuance = chain.issuance_of(STABLECOIN);

	let xt = chain.sign_paying_in(
		&p.customer,
		purchase_call(p.merchant.account(), STABLECOIN, 100 * DOLLARS),
		STABLECOIN_ID,
	);
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee1 = asset_fee_paid(&block.events, &c);
	assert!(fee1 > 0, "the fee was paid in the stablecoin");
	assert_eq!(chain.balance(STABLECOIN, &c), 1_000 * DOLLARS - 100 * DOLLARS - fee1);
	let origin = recorded(&block.events);

	let t = Terms::stablecoin(origin, chain.best_number() + 5, chain.best_number() + 10);
	let settle = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let submit = chain.sign_paying_in(&p.customer, submit_call(&genesis, &p, &t), STABLECOIN_ID);
	let block = chain.produce(vec![settle, submit]);
	assert!(matches!(block.results[..], [Ok(Ok(())), Ok(Ok(()))]), "{:?}", block.results);
	let fee2 = asset_fee_paid(&block.events, &c);
	assert!(fee2 > 0);
	assert_eq!(chain.escrow_in(STABLECOIN), t.rebate);
	chain.advance_to(t.pay_at);
	assert_eq!(
		chain.balance(STABLECOIN, &c),
		1_000 * DOLLARS - 100 * DOLLARS - fee1 - fee2 + t.rebate
	);
	assert_eq!(chain.free(&c), 0, "never held the native token");
	assert_eq!(chain.escrow_in(STABLECOIN), 0);
	// The fees in the stablecoin are burned (this runtime gives no one the fee credit).
	assert_eq!(chain.issuance_of(STABLECOIN), issuance - fee1 - fee2);
}

/// The fee `who` paid in an asset in `events` (from `AssetTxFeePaid`).
fn asset_fee_paid(events: &[rebate_test_runtime::RuntimeEvent], who: &AccountId) -> Balance {
	events
		.iter()
		.filter_map(|e| match e {
			rebate_test_runtime::RuntimeEvent::AssetTxPayment(
				pallet_asset_tx_payment::Event::AssetTxFeePaid { who: w, actual_fee, .. },
			) if w == who => Some(*actual_fee),
			_ => None,
		})
		.sum()
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
	let xt = chain.sign(&p.customer, purchase_call(p.merchant.account(), AssetKind::Native, PRICE));
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
	let xt = chain.sign(&p.customer, purchase_call(m.clone(), AssetKind::Native, PRICE));
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

#[test]
fn a_campaign_referral_through_signed_extrinsics_pays_from_the_budget() {
	use pallet_referral_rebate::{CampaignTerms, Campaigns, Share};
	let p = Parties::dev();
	let mut chain = funded_chain(&p);
	let (m, c) = (p.merchant.account(), p.customer.account());
	let genesis = chain.genesis_hash();
	let issuance = chain.issuance();
	// 20 % off, a 15 UNIT rebate, settle within 5 blocks of the issue block, 5 to review.
	let now = chain.best_number();
	let terms = CampaignTerms {
		discount: Share::Percent(sp_runtime::Percent::from_percent(20)),
		rebate: Share::Fixed(15 * UNIT),
		min_origin_price: 50 * UNIT,
		settle_window: 5,
		review_period: 5,
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: now + 100,
		new_referees_only: true,
		rebates_per_customer: 1,
	};
	let create = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::create_campaign {
		asset: AssetKind::Native,
		budget: 100 * UNIT,
		terms,
	});
	let xt = chain.sign(&p.merchant, create);
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	assert_eq!(chain.escrow(), 100 * UNIT, "the budget moved into the escrow account");
	assert!(rebate_events(&block.events)
		.iter()
		.any(|e| matches!(e, RebateEvent::CampaignCreated { campaign: 0, .. })));

	let xt = chain.sign(&p.customer, purchase_call(m.clone(), AssetKind::Native, PRICE));
	let block = chain.produce(vec![xt]);
	let origin = recorded(&block.events);
	let now = chain.best_number();
	let t = Terms { campaign: Some(0), ..Terms::standard(origin, now + 5, now + 10) };
	let xt = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	assert!(rebate_events(&block.events)
		.iter()
		.any(|e| matches!(e, RebateEvent::ReferralSettled { campaign: Some(0), .. })));

	// The rebate is reserved from the budget: nothing leaves the merchant but its fee.
	let m0 = chain.free(&m);
	let xt = chain.sign(&p.customer, submit_call(&genesis, &p, &t));
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	assert_eq!(chain.free(&m), m0);
	assert_eq!(chain.escrow(), 100 * UNIT);
	let campaign = chain.with_state(|| Campaigns::<rebate_test_runtime::Runtime>::get(0));
	let campaign = campaign.expect("open");
	assert_eq!((campaign.budget, campaign.reserved, campaign.customers), (85 * UNIT, 15 * UNIT, 1));

	// A second rebate to the same customer is over its cap: refused, nothing moved.
	let xt = chain.sign(&p.customer, purchase_call(m.clone(), AssetKind::Native, PRICE));
	let block = chain.produce(vec![xt]);
	let second = recorded(&block.events);
	let now = chain.best_number();
	let t2 =
		Terms { promotion_id: 2, campaign: Some(0), ..Terms::standard(second, now + 5, now + 10) };
	let xt = chain.sign(&p.customer, submit_call(&genesis, &p, &t2));
	let block = chain.produce(vec![xt]);
	assert!(
		matches!(&block.results[..], [Ok(Err(e))] if format!("{e:?}").contains("CustomerAtRebateCap")),
		"{:?}",
		block.results
	);

	// At the rebate block the customer is paid from the escrow; closing returns the rest.
	chain.advance_to(t.pay_at - 1);
	let c0 = chain.free(&c);
	chain.produce(vec![]);
	assert_eq!(chain.free(&c), c0 + 15 * UNIT);
	let close =
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::close_campaign { campaign: 0 });
	let m1 = chain.free(&m);
	let xt = chain.sign(&p.merchant, close);
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let fee = fee_paid(&block.events, &m);
	assert_eq!(chain.free(&m), m1 + 85 * UNIT - fee);
	assert_eq!(chain.escrow(), 0);
	// Fees are burned or paid to the block author, nothing else is minted or burned.
	assert!(chain.issuance() <= issuance);
	let _ = DOLLARS;
}
