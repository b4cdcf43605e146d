//! Tests of campaigns: creating, topping up and closing one, the budget in the escrow account,
//! and every refusal as a named error that changes nothing.

use crate::{mock::*, *};
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
