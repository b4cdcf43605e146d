//! Tests of campaigns: creating, topping up and closing one, the budget in the escrow account,
//! and every refusal as a named error that changes nothing.

use crate::{
	mock::*,
	tests::{origin_purchase_in, settle, submit},
	*,
};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::Percent;

type E = crate::Event<Test>;
type Err = crate::Error<Test>;

/// Terms every test campaign starts from: 10 % off, a 50 rebate, settle within 10 blocks, a
/// review period of 10, issued until block 100, new referees only, 2 rebates per customer.
fn terms() -> CampaignTermsOf<Test> {
	CampaignTerms {
		discount: Share::Percent(Percent::from_percent(10)),
		rebate: Share::Fixed(50),
		min_origin_price: 100,
		settle_window: 10,
		review_period: 10,
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: 100,
		new_referees_only: true,
		rebates_per_customer: 2,
	}
}

fn create(asset: AssetKind, budget: Balance, terms: CampaignTermsOf<Test>) -> DispatchResult {
	ReferralRebate::create_campaign(RuntimeOrigin::signed(merchant()), asset, budget, terms)
}

fn escrowed(asset: AssetKind) -> Balance {
	balance(asset, &ReferralRebate::escrow_account())
}

#[test]
fn a_campaign_is_funded_topped_up_and_closed_back_to_the_merchant() {
	ExtBuilder::default().build_and_execute(|| {
		for (id, asset) in [NATIVE, USD].into_iter().enumerate() {
			let id = id as CampaignId;
			let before = balance(asset.clone(), &merchant());
			assert_ok!(create(asset.clone(), 10_000, terms()));
			assert_eq!(balance(asset.clone(), &merchant()), before - 10_000);
			assert_eq!(escrowed(asset.clone()), 10_000);
			let c = Campaigns::<Test>::get(id).expect("stored");
			assert_eq!(
				(c.merchant, c.asset.clone(), c.budget, c.reserved),
				(merchant(), asset.clone(), 10_000, 0)
			);
			assert_eq!(c.terms, terms());
			assert_eq!(NextCampaignId::<Test>::get(), id + 1);
			System::assert_has_event(
				E::CampaignCreated {
					campaign: id,
					merchant: merchant(),
					asset: asset.clone(),
					budget: 10_000,
				}
				.into(),
			);

			assert_ok!(ReferralRebate::top_up_campaign(
				RuntimeOrigin::signed(merchant()),
				id,
				2_500
			));
			assert_eq!(Campaigns::<Test>::get(id).map(|c| c.budget), Some(12_500));
			assert_eq!(escrowed(asset.clone()), 12_500);
			System::assert_has_event(
				E::CampaignToppedUp {
					campaign: id,
					asset: asset.clone(),
					amount: 2_500,
					budget: 12_500,
				}
				.into(),
			);

			assert_ok!(ReferralRebate::close_campaign(RuntimeOrigin::signed(merchant()), id));
			assert!(!Campaigns::<Test>::contains_key(id));
			assert_eq!(balance(asset.clone(), &merchant()), before);
			assert_eq!(escrowed(asset.clone()), 0);
			System::assert_has_event(
				E::CampaignClosed {
					campaign: id,
					merchant: merchant(),
					asset: asset.clone(),
					returned: 12_500,
				}
				.into(),
			);
		}
		// Ids are never reused.
		assert_ok!(create(NATIVE, 1_000, terms()));
		assert!(Campaigns::<Test>::contains_key(2));
	});
}

#[test]
fn terms_that_break_a_rule_are_refused_by_name() {
	ExtBuilder::default().build_and_execute(|| {
		let with = |change: fn(&mut CampaignTermsOf<Test>)| {
			let mut t = terms();
			change(&mut t);
			create(USD, 10_000, t)
		};
		assert_noop!(with(|t| t.discount = Share::Fixed(0)), Err::NoCampaignDiscount);
		assert_noop!(
			with(|t| t.discount = Share::Percent(Percent::zero())),
			Err::NoCampaignDiscount
		);
		assert_noop!(with(|t| t.rebate = Share::Percent(Percent::zero())), Err::NoCampaignRebate);
		assert_noop!(
			with(|t| t.rebate = Share::Fixed(USD_MIN - 1)),
			Err::CampaignRebateBelowMinimum
		);
		assert_noop!(with(|t| t.settle_window = 0), Err::EmptyCampaignWindow);
		assert_noop!(with(|t| t.review_period = 0), Err::EmptyCampaignWindow);
		// MaxRebateDelay is 50 in the mock: 30 + 21 passes it, 30 + 20 does not.
		assert_noop!(
			with(|t| (t.settle_window, t.review_period) = (30, 21)),
			Err::CampaignWindowTooLong
		);
		assert_noop!(
			with(|t| (t.settle_window, t.review_period) = (u64::MAX, 1)),
			Err::CampaignWindowTooLong
		);
		assert_ok!(with(|t| (t.settle_window, t.review_period) = (30, 20)));
		assert_noop!(with(|t| t.last_issue_block = 1), Err::CampaignLastIssuePassed);
		assert_noop!(with(|t| t.rebates_per_customer = 0), Err::NoRebatesPerCustomer);
		// A percent rebate needs no minimum of its own (the documents' rules check each amount).
		assert_ok!(with(|t| t.rebate = Share::Percent(Percent::from_percent(1))));
	});
}

#[test]
fn creating_a_campaign_refuses_bad_budgets_assets_and_funds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(create(UNKNOWN, 10_000, terms()), Err::UnknownAsset);
		assert_noop!(create(USD, 0, terms()), Err::BudgetBelowMinimum);
		assert_noop!(create(USD, USD_MIN - 1, terms()), Err::BudgetBelowMinimum);
		assert_noop!(create(NATIVE, ED - 1, terms()), Err::BudgetBelowMinimum);
		// More than the merchant has, or all of it (its account must stay alive).
		assert_noop!(create(NATIVE, MERCHANT_FUNDS + 1, terms()), Err::MerchantCannotFund);
		assert_noop!(create(NATIVE, MERCHANT_FUNDS, terms()), Err::MerchantCannotFund);
		// A frozen asset.
		assert_ok!(Assets::freeze_asset(RuntimeOrigin::signed(asset_admin()), USD_ID));
		assert_noop!(create(USD, 10_000, terms()), Err::FundsFrozen);
		// The escrow account cannot run a campaign.
		let escrow = ReferralRebate::escrow_account();
		assert_noop!(
			ReferralRebate::create_campaign(RuntimeOrigin::signed(escrow), NATIVE, 1_000, terms()),
			Err::EscrowAccountNotAMerchant
		);
		// No ids left.
		NextCampaignId::<Test>::put(CampaignId::MAX);
		assert_noop!(create(NATIVE, 1_000, terms()), Err::CampaignIdsExhausted);
	});
}

#[test]
fn topping_up_refuses_nothing_strangers_unknown_campaigns_overflow_and_short_funds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(create(NATIVE, 1_000, terms()));
		let top_up = |who: AccountId, id, amount| {
			ReferralRebate::top_up_campaign(RuntimeOrigin::signed(who), id, amount)
		};
		assert_noop!(top_up(merchant(), 0, 0), Err::NothingToTopUp);
		assert_noop!(top_up(merchant(), 7, 100), Err::UnknownCampaign);
		assert_noop!(top_up(stranger(), 0, 100), Err::NotCampaignMerchant);
		assert_noop!(top_up(merchant(), 0, MERCHANT_FUNDS), Err::MerchantCannotFund);
		Campaigns::<Test>::mutate(0, |c| c.as_mut().map(|c| c.budget = Balance::MAX - 10));
		assert_noop!(top_up(merchant(), 0, 11), Err::BudgetOverflow);
		Campaigns::<Test>::mutate(0, |c| c.as_mut().map(|c| c.budget = 1_000));
	});
}

#[test]
fn closing_refuses_strangers_unknown_campaigns_and_open_promotions() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(create(USD, 1_000, terms()));
		let close =
			|who: AccountId, id| ReferralRebate::close_campaign(RuntimeOrigin::signed(who), id);
		assert_noop!(close(merchant(), 3), Err::UnknownCampaign);
		assert_noop!(close(stranger(), 0), Err::NotCampaignMerchant);
		Campaigns::<Test>::mutate(0, |c| c.as_mut().map(|c| c.open_promotions = 1));
		assert_noop!(close(merchant(), 0), Err::CampaignHasOpenPromotions);
		Campaigns::<Test>::mutate(0, |c| c.as_mut().map(|c| c.open_promotions = 0));
		// A merchant blocked in the asset cannot receive its budget back: it stays.
		assert_ok!(Assets::block(RuntimeOrigin::signed(asset_admin()), USD_ID, merchant()));
		assert_noop!(close(merchant(), 0), Err::RecipientCannotReceive);
		assert_ok!(Assets::thaw(RuntimeOrigin::signed(asset_admin()), USD_ID, merchant()));
		assert_ok!(close(merchant(), 0));
	});
}

#[test]
fn share_amounts_follow_the_price() {
	assert_eq!(Share::<Balance>::Fixed(7).of(1_000), 7);
	assert_eq!(Share::<Balance>::Percent(Percent::from_percent(15)).of(1_000), 150);
	assert_eq!(Share::<Balance>::Percent(Percent::from_percent(15)).of(9), 1);
}

// ---------------------------------------------------------------------------------------------
// Documents under a campaign.
// ---------------------------------------------------------------------------------------------

/// The terms the mock documents follow: 20 % off 1 000 (800), a 150 rebate, issued at block 1
/// (settle-by 10 = 1 + 9, rebate block 20 = 10 + 10), new referees only, two rebates each.
fn doc_terms() -> CampaignTermsOf<Test> {
	CampaignTerms {
		discount: Share::Percent(Percent::from_percent(20)),
		rebate: Share::Fixed(150),
		min_origin_price: 100,
		settle_window: 9,
		review_period: 10,
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: 100,
		new_referees_only: true,
		rebates_per_customer: 2,
	}
}

/// The mock offer and rebate for promotion `id` under `campaign`, each changed by its closure,
/// signed by all; the referred purchase the offer gives.
fn campaign_docs(
	p: &Parties,
	id: PromotionId,
	origin: PurchaseIdOf<Test>,
	campaign: Option<CampaignId>,
	offer: impl FnOnce(&mut OfferOf<Test>),
	rebate: impl FnOnce(&mut RebateOf<Test>),
) -> (SignedOfferOf<Test>, SignedPurchaseOf<Test>, SignedRebateOf<Test>) {
	let genesis = ReferralRebate::genesis_hash();
	let mut o = offer_doc(p, id, origin);
	o.campaign = campaign;
	offer(&mut o);
	let mut r = rebate_doc(p, id, PayoutCondition::ReferralSettled);
	r.campaign = campaign;
	r.asset = o.asset.clone();
	rebate(&mut r);
	let purchase = sign_purchase(p, purchase_doc(p, &o), &genesis);
	(sign_offer(p, o, &genesis), purchase, sign_rebate(p, r, &genesis))
}

fn settle_docs(
	p: &Parties,
	o: &SignedOfferOf<Test>,
	pu: &SignedPurchaseOf<Test>,
) -> DispatchResult {
	settle(p, o.clone(), pu.clone())
}

fn submit_doc(p: &Parties, r: &SignedRebateOf<Test>) -> DispatchResult {
	submit(p, r.clone())
}

fn campaign(id: CampaignId) -> CampaignOf<Test> {
	Campaigns::<Test>::get(id).expect("the campaign is open")
}

#[test]
fn a_campaign_rebate_is_reserved_from_the_budget_and_paid_at_the_rebate_block() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(NATIVE, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, NATIVE);
		let (o, pu, r) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
		assert_eq!(campaign(0).open_promotions, 0, "nothing reserved yet");
		System::assert_has_event(
			E::ReferralSettled {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				purchase_id: rebate_events().iter().rev().find_map(E::recorded_purchase).unwrap(),
				asset: NATIVE,
				price: 800,
				pay_at: 20,
				campaign: Some(0),
			}
			.into(),
		);
		// The merchant moves all it can away: the rebate does not need its balance.
		let merchant_left = balance(NATIVE, &merchant()) - ED;
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(merchant()),
			stranger(),
			merchant_left
		));
		let escrow_before = escrowed(NATIVE);
		assert_ok!(submit_doc(&p, &r));
		assert_eq!(escrowed(NATIVE), escrow_before, "nothing moved: the budget was there");
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions, c.customers), (850, 150, 1, 1));
		assert_eq!(CampaignRebates::<Test>::get(0, customer()), 1);
		System::assert_has_event(
			E::RebateScheduled {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				condition: PayoutCondition::ReferralSettled,
				campaign: Some(0),
			}
			.into(),
		);

		let customer_before = balance(NATIVE, &customer());
		run_to_block(20);
		assert_eq!(balance(NATIVE, &customer()), customer_before + 150);
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions), (850, 0, 0));
		System::assert_has_event(
			E::RebatePaid {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				amount: 150,
				pay_at: 20,
				campaign: Some(0),
			}
			.into(),
		);
		assert_ok!(ReferralRebate::close_campaign(RuntimeOrigin::signed(merchant()), 0));
		assert_eq!(balance(NATIVE, &merchant()), ED + 850);
		assert_eq!(CampaignRebates::<Test>::iter_prefix(0).count(), 0, "counts removed");
		assert_eq!(escrowed(NATIVE), 0);
	});
}

#[test]
fn a_lapsed_campaign_rebate_goes_back_to_the_budget_not_the_merchant() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(USD, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, USD);
		let (_, _, r) = campaign_docs(&p, 1, origin, Some(0), |o| o.asset = USD, |_| {});
		assert_ok!(submit_doc(&p, &r));
		assert_eq!(campaign(0).budget, 850);
		let merchant_before = balance(USD, &merchant());
		run_to_block(20);
		assert_eq!(balance(USD, &merchant()), merchant_before, "nothing went to the merchant");
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions), (1_000, 0, 0));
		System::assert_has_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: USD,
				amount: 150,
				pay_at: 20,
				reason: LapseReason::NotSettled,
				campaign: Some(0),
			}
			.into(),
		);
		// A lapsed rebate still counts against its customer.
		assert_eq!(CampaignRebates::<Test>::get(0, customer()), 1);
	});
}

#[test]
fn an_offer_that_breaks_its_campaign_is_refused_by_name() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let stranger_terms = doc_terms();
		assert_ok!(ReferralRebate::create_campaign(
			RuntimeOrigin::signed(stranger()),
			NATIVE,
			1_000,
			stranger_terms
		));
		let mut id = 1;
		let mut open = |asset: AssetKind, terms: CampaignTermsOf<Test>| {
			assert_ok!(create(asset, 1_000, terms));
			id += 1;
			id - 1
		};
		let plain = open(NATIVE, doc_terms());
		let in_usd = open(USD, doc_terms());
		let dear = open(NATIVE, CampaignTerms { min_origin_price: 2_000, ..doc_terms() });
		let ten_off = open(
			NATIVE,
			CampaignTerms { discount: Share::Percent(Percent::from_percent(10)), ..doc_terms() },
		);
		let short_review = open(NATIVE, CampaignTerms { review_period: 5, ..doc_terms() });
		let short_window = open(NATIVE, CampaignTerms { settle_window: 5, ..doc_terms() });
		let origin = origin_purchase_in(&p, NATIVE);
		let cases: [(Option<CampaignId>, Err); 7] = [
			(Some(99), Err::UnknownCampaign),
			(Some(0), Err::NotCampaignMerchant),
			(Some(in_usd), Err::CampaignAssetMismatch),
			(Some(dear), Err::OriginBelowCampaignMinimum),
			(Some(ten_off), Err::DiscountBreaksCampaign),
			(Some(short_review), Err::WindowBreaksCampaign),
			(Some(short_window), Err::WindowBreaksCampaign),
		];
		for (campaign, error) in cases {
			let (o, pu, _) = campaign_docs(&p, 1, origin, campaign, |_| {}, |_| {});
			assert_noop!(settle_docs(&p, &o, &pu), error);
		}
		// The referee bought from the merchant: not new.
		assert_ok!(ReferralRebate::purchase(
			RuntimeOrigin::signed(referee()),
			merchant(),
			NATIVE,
			100
		));
		let (o, pu, _) = campaign_docs(&p, 1, origin, Some(plain), |_| {}, |_| {});
		assert_noop!(settle_docs(&p, &o, &pu), Err::RefereeNotNew);
		// A campaign that does not ask for new referees takes it.
		let anyone = open(NATIVE, CampaignTerms { new_referees_only: false, ..doc_terms() });
		let (o, pu, _) = campaign_docs(&p, 1, origin, Some(anyone), |_| {}, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
	});
}

#[test]
fn an_offer_issued_after_the_last_issue_block_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(NATIVE, 1_000, CampaignTerms { last_issue_block: 3, ..doc_terms() }));
		let origin = origin_purchase_in(&p, NATIVE);
		run_to_block(5);
		// Issued at block 5: settle-by 14, rebate block 24.
		let late = |o: &mut OfferOf<Test>| {
			o.settle_by = 14;
			o.pay_at = 24;
		};
		let (o, pu, r) =
			campaign_docs(&p, 1, origin, Some(0), late, |r: &mut RebateOf<Test>| r.pay_at = 24);
		assert_noop!(settle_docs(&p, &o, &pu), Err::IssuedAfterCampaignEnd);
		assert_noop!(submit_doc(&p, &r), Err::IssuedAfterCampaignEnd);
		// Issued at block 3, the last: settle-by 12, rebate block 22.
		let last = |o: &mut OfferOf<Test>| {
			o.settle_by = 12;
			o.pay_at = 22;
		};
		let (o, pu, _) = campaign_docs(&p, 1, origin, Some(0), last, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
	});
}

#[test]
fn a_rebate_that_breaks_its_campaign_is_refused_by_name() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(NATIVE, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, NATIVE);
		let cases: [(fn(&mut RebateOf<Test>), Err); 4] = [
			(|r| r.condition = PayoutCondition::Unconditional, Err::ConditionBreaksCampaign),
			(|r| r.amount = 140, Err::RebateBreaksCampaign),
			// Settle-by 15: issued at 6, after this block.
			(|r| r.pay_at = 25, Err::WindowBreaksCampaign),
			(|r| r.campaign = Some(7), Err::UnknownCampaign),
		];
		for (change, error) in cases {
			let (_, _, r) = campaign_docs(&p, 1, origin, Some(0), |_| {}, change);
			assert_noop!(submit_doc(&p, &r), error);
		}
	});
}

#[test]
fn a_percent_rebate_is_checked_against_the_referred_price_whichever_document_comes_first() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		// 20 % of the referred 800: 160 (the same referee twice: not only new ones).
		let percent = CampaignTerms {
			rebate: Share::Percent(Percent::from_percent(20)),
			new_referees_only: false,
			..doc_terms()
		};
		assert_ok!(create(NATIVE, 1_000, percent.clone()));
		assert_ok!(create(NATIVE, 1_000, percent));
		let origin = origin_purchase_in(&p, NATIVE);
		// Settled first: a wrong amount is refused at submit.
		let (o, pu, wrong) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
		assert_noop!(submit_doc(&p, &wrong), Err::RebateBreaksCampaign);
		let (_, _, right) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |r| r.amount = 160);
		assert_ok!(submit_doc(&p, &right));
		// Submitted first: the amount is checked when the referral joins, and a wrong one
		// refuses the referral (the rebate then lapses back to the budget).
		let (o, pu, wrong) = campaign_docs(&p, 2, origin, Some(1), |_| {}, |_| {});
		assert_ok!(submit_doc(&p, &wrong));
		assert_noop!(settle_docs(&p, &o, &pu), Err::RebateBreaksCampaign);
	});
}

#[test]
fn documents_of_one_promotion_must_name_one_campaign() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(NATIVE, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, NATIVE);
		let (o, pu, _) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |_| {});
		let (_, _, plain) = campaign_docs(&p, 1, origin, None, |_| {}, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
		assert_noop!(submit_doc(&p, &plain), Err::CampaignMismatch);
	});
}

#[test]
fn caps_and_budgets_refuse_what_the_campaign_cannot_take() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		// One rebate per customer, a budget for one and a half.
		assert_ok!(create(NATIVE, 250, CampaignTerms { rebates_per_customer: 1, ..doc_terms() }));
		let origin = origin_purchase_in(&p, NATIVE);
		let (_, _, first) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |_| {});
		assert_ok!(submit_doc(&p, &first));
		System::assert_has_event(E::CampaignBudgetSpent { campaign: 0, budget: 100 }.into());
		let (_, _, second) = campaign_docs(&p, 2, origin, Some(0), |_| {}, |_| {});
		assert_noop!(submit_doc(&p, &second), Err::CustomerAtRebateCap);

		// Another customer: the budget left (100) cannot cover 150.
		let other = Parties { customer: stranger_key(), ..Parties::default() };
		let origin = origin_purchase_in(&other, NATIVE);
		let (_, _, theirs) = campaign_docs(&other, 3, origin, Some(0), |_| {}, |_| {});
		assert_noop!(submit_doc(&other, &theirs), Err::CampaignBudgetTooLow);
		assert_ok!(ReferralRebate::top_up_campaign(RuntimeOrigin::signed(merchant()), 0, 50));
		// No room for a new customer.
		MaxCampaignCustomers::set(1);
		assert_noop!(submit_doc(&other, &theirs), Err::CampaignFull);
		MaxCampaignCustomers::set(3);
		assert_ok!(submit_doc(&other, &theirs));
		assert_eq!(campaign(0).customers, 2);
	});
}

#[test]
fn a_percent_rebate_must_wait_for_a_settled_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let terms = CampaignTerms {
			rebate: Share::Percent(Percent::from_percent(5)),
			condition: PayoutCondition::Unconditional,
			..doc_terms()
		};
		assert_noop!(create(NATIVE, 1_000, terms), Err::PercentRebateUnconditional);
	});
}

#[test]
fn a_buyer_is_new_to_a_merchant_again_once_its_purchases_records_end() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(ReferralRebate::purchase(
			RuntimeOrigin::signed(referee()),
			merchant(),
			NATIVE,
			100
		));
		assert_eq!(LastPurchase::<Test>::get(merchant(), referee()), Some(1));
		assert!(ReferralRebate::bought_from(&merchant(), &referee(), 1));
		run_to_block(50);
		assert_ok!(ReferralRebate::purchase(
			RuntimeOrigin::signed(referee()),
			merchant(),
			NATIVE,
			100
		));
		// The first record ends: the later purchase's entry stays.
		run_to_block(101);
		assert_eq!(LastPurchase::<Test>::get(merchant(), referee()), Some(50));
		// The second ends too: the referee is new again.
		run_to_block(150);
		assert_eq!(LastPurchase::<Test>::get(merchant(), referee()), None);
		assert!(!ReferralRebate::bought_from(&merchant(), &referee(), 150));
	});
}

#[test]
fn a_rebate_joining_under_another_merchant_asset_or_campaign_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(NATIVE, 1_000, doc_terms()));
		assert_ok!(create(USD, 1_000, doc_terms()));
		assert_ok!(ReferralRebate::create_campaign(
			RuntimeOrigin::signed(stranger()),
			NATIVE,
			1_000,
			doc_terms()
		));
		let origin = origin_purchase_in(&p, NATIVE);
		// At submit: a campaign in another asset, another merchant's.
		let (_, _, r) = campaign_docs(&p, 1, origin, Some(1), |_| {}, |_| {});
		assert_noop!(submit_doc(&p, &r), Err::CampaignAssetMismatch);
		let (_, _, r) = campaign_docs(&p, 1, origin, Some(2), |_| {}, |_| {});
		assert_noop!(submit_doc(&p, &r), Err::NotCampaignMerchant);
		// At settle, the rebate having opened the promotion under campaign 0: an offer under none.
		let (_, _, r) = campaign_docs(&p, 1, origin, Some(0), |_| {}, |_| {});
		assert_ok!(submit_doc(&p, &r));
		let (o, pu, _) = campaign_docs(&p, 1, origin, None, |_| {}, |_| {});
		assert_noop!(settle_docs(&p, &o, &pu), Err::CampaignMismatch);
	});
}

#[test]
fn new_referees_only_needs_a_settled_referral() {
	ExtBuilder::default().build_and_execute(|| {
		let terms = CampaignTerms { condition: PayoutCondition::Unconditional, ..doc_terms() };
		assert_noop!(create(NATIVE, 1_000, terms.clone()), Err::NewRefereesUnconditional);
		assert_ok!(create(NATIVE, 1_000, CampaignTerms { new_referees_only: false, ..terms }));
	});
}

#[test]
fn a_campaign_rebate_that_cannot_leave_the_escrow_is_held_not_returned_to_the_budget() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(USD, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, USD);
		let (o, pu, r) = campaign_docs(&p, 1, origin, Some(0), |o| o.asset = USD, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
		assert_ok!(submit_doc(&p, &r));
		// The asset frozen at the rebate block: the escrow cannot send; the rebate waits.
		assert_ok!(Assets::freeze_asset(RuntimeOrigin::signed(asset_admin()), USD_ID));
		run_to_block(20);
		let key = (BlockKey::of(20u64), merchant(), 1);
		assert!(Held::<Test>::get(&key).is_some(), "held with its reservation");
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions), (850, 150, 1));
		assert_noop!(
			ReferralRebate::close_campaign(RuntimeOrigin::signed(merchant()), 0),
			Err::CampaignHasOpenPromotions
		);
		// Thawed: closed, the customer paid from the reservation.
		assert_ok!(Assets::thaw_asset(RuntimeOrigin::signed(asset_admin()), USD_ID));
		let before = balance(USD, &customer());
		assert_ok!(ReferralRebate::close_overdue(
			RuntimeOrigin::signed(stranger()),
			20,
			merchant(),
			1
		));
		assert_eq!(balance(USD, &customer()), before + 150);
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions), (850, 0, 0));
	});
}

#[test]
fn a_campaign_rebate_its_customer_cannot_receive_goes_back_to_the_budget() {
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		assert_ok!(create(USD, 1_000, doc_terms()));
		let origin = origin_purchase_in(&p, USD);
		let (o, pu, r) = campaign_docs(&p, 1, origin, Some(0), |o| o.asset = USD, |_| {});
		assert_ok!(settle_docs(&p, &o, &pu));
		assert_ok!(submit_doc(&p, &r));
		// Only the customer blocked: the escrow can send, the customer cannot take it.
		assert_ok!(Assets::block(RuntimeOrigin::signed(asset_admin()), USD_ID, customer()));
		run_to_block(20);
		let c = campaign(0);
		assert_eq!((c.budget, c.reserved, c.open_promotions), (1_000, 0, 0));
		System::assert_has_event(
			E::RebateLapsed {
				merchant: merchant(),
				promotion_id: 1,
				customer: customer(),
				referee: referee(),
				asset: USD,
				amount: 150,
				pay_at: 20,
				reason: LapseReason::PayoutFailed,
				campaign: Some(0),
			}
			.into(),
		);
	});
}

#[test]
fn a_campaign_in_a_destroyed_asset_still_closes() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(create(USD, 1_000, doc_terms()));
		let admin = || RuntimeOrigin::signed(asset_admin());
		assert_ok!(Assets::freeze_asset(admin(), USD_ID));
		assert_ok!(Assets::start_destroy(admin(), USD_ID));
		assert_ok!(Assets::destroy_accounts(admin(), USD_ID));
		assert_ok!(Assets::destroy_accounts(admin(), USD_ID));
		assert_ok!(Assets::destroy_approvals(admin(), USD_ID));
		assert_ok!(Assets::finish_destroy(admin(), USD_ID));
		assert_ok!(ReferralRebate::close_campaign(RuntimeOrigin::signed(merchant()), 0));
		System::assert_last_event(
			E::CampaignClosed { campaign: 0, merchant: merchant(), asset: USD, returned: 0 }.into(),
		);
		assert!(!Campaigns::<Test>::contains_key(0));
	});
}

#[test]
fn version_two_storage_migrates_to_version_three() {
	use crate::migrations::v3::{MigrateV2ToV3, OldCampaign, OldPromotion, OldSettledReferral};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().build_and_execute(|| {
		let p = Parties::default();
		let origin = origin_purchase_in(&p, NATIVE);
		LastPurchase::<Test>::remove(merchant(), customer());
		StorageVersion::new(2).put::<ReferralRebate>();
		// Version 2's layouts, written as they were.
		let settled = OldPromotion::<AccountId, AssetKind, Balance, BlockNumber> {
			customer: customer(),
			referee: referee(),
			asset: NATIVE,
			referral: Some(OldSettledReferral { purchase_id: origin, refunded: false }),
			rebate: Some(EscrowedRebate {
				amount: 150,
				condition: PayoutCondition::ReferralSettled,
			}),
		};
		let key = (BlockKey::of(20u64), merchant(), 1u64);
		let raw = |k: Vec<u8>, v: Vec<u8>| frame_support::storage::unhashed::put_raw(&k, &v);
		raw(Promotions::<Test>::hashed_key_for(&key), settled.encode());
		let held_key = (BlockKey::of(1u64), merchant(), 2u64);
		let held = OldPromotion::<AccountId, AssetKind, Balance, BlockNumber> {
			referral: None,
			..OldPromotion {
				customer: customer(),
				referee: referee(),
				asset: NATIVE,
				referral: None,
				rebate: None,
			}
		};
		raw(Held::<Test>::hashed_key_for(&held_key), held.encode());
		let old_campaign = OldCampaign {
			merchant: merchant(),
			asset: NATIVE,
			budget: 500 as Balance,
			reserved: 0 as Balance,
			open_promotions: 0,
			terms: doc_terms(),
		};
		raw(Campaigns::<Test>::hashed_key_for(0), old_campaign.encode());

		assert!(Promotions::<Test>::contains_key(&key), "written at the promotion's key");
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(ReferralRebate::on_chain_storage_version(), StorageVersion::new(3));
		let promotion = Promotions::<Test>::get(&key).expect("decodes in version 3");
		assert_eq!(promotion.campaign, None);
		assert_eq!(
			promotion.referral,
			Some(SettledReferral { purchase_id: origin, price: 1_000, refunded: false }),
			"the price from the purchase record"
		);
		assert_eq!(Held::<Test>::get(&held_key).map(|h| h.campaign), Some(None));
		let c = Campaigns::<Test>::get(0).expect("decodes in version 3");
		assert_eq!((c.budget, c.customers, c.terms), (500, 0, doc_terms()));
		assert_eq!(LastPurchase::<Test>::get(merchant(), customer()), Some(origin.block));
		// Once only: a second run does nothing.
		LastPurchase::<Test>::remove(merchant(), customer());
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(LastPurchase::<Test>::get(merchant(), customer()), None);
		// The test's raw entries are not a consistent chain (no escrow behind them): clear them
		// before the invariants run.
		let _ = Promotions::<Test>::clear(u32::MAX, None);
		let _ = Held::<Test>::clear(u32::MAX, None);
		let _ = Campaigns::<Test>::clear(u32::MAX, None);
		LastPurchase::<Test>::insert(merchant(), customer(), origin.block);
	});
}
