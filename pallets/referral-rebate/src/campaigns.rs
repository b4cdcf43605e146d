//! Campaigns: a merchant's referral program, funded once. Its budget moves into the escrow
//! account when it is created or topped up, and what is left goes back when it is closed.

use crate::*;
use frame_support::traits::tokens::Preservation;
use sp_runtime::traits::{CheckedAdd, Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Create campaign `NextCampaignId` for `merchant` in `asset` with `budget` and `terms`.
	pub(crate) fn do_create_campaign(
		merchant: T::AccountId,
		asset: AssetKindOf<T>,
		budget: BalanceOf<T>,
		terms: CampaignTermsOf<T>,
	) -> DispatchResult {
		let escrow = Self::escrow_account();
		ensure!(merchant != escrow, Error::<T>::EscrowAccountNotAMerchant);
		let minimum = Self::minimum_of(&asset)?;
		ensure!(!budget.is_zero() && budget >= minimum, Error::<T>::BudgetBelowMinimum);
		let now = frame_system::Pallet::<T>::block_number();
		terms.check(now, minimum, T::MaxRebateDelay::get()).map_err(Error::<T>::from)?;
		let campaign = NextCampaignId::<T>::get();
		let next = campaign.checked_add(1).ok_or(Error::<T>::CampaignIdsExhausted)?;
		Self::fund(&asset, &merchant, budget)?;
		NextCampaignId::<T>::put(next);
		Campaigns::<T>::insert(
			campaign,
			Campaign {
				merchant: merchant.clone(),
				asset: asset.clone(),
				budget,
				reserved: Zero::zero(),
				open_promotions: 0,
				customers: 0,
				terms,
			},
		);
		Self::deposit_event(Event::CampaignCreated { campaign, merchant, asset, budget });
		Ok(())
	}

	/// Add `amount` to the budget of `merchant`'s campaign `campaign`.
	pub(crate) fn do_top_up_campaign(
		merchant: T::AccountId,
		campaign: CampaignId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::NothingToTopUp);
		Campaigns::<T>::try_mutate(campaign, |slot| {
			let c = slot.as_mut().ok_or(Error::<T>::UnknownCampaign)?;
			ensure!(c.merchant == merchant, Error::<T>::NotCampaignMerchant);
			c.budget = c.budget.checked_add(&amount).ok_or(Error::<T>::BudgetOverflow)?;
			Self::fund(&c.asset, &merchant, amount)?;
			Self::deposit_event(Event::CampaignToppedUp {
				campaign,
				asset: c.asset.clone(),
				amount,
				budget: c.budget,
			});
			Ok(())
		})
	}

	/// Close `merchant`'s campaign `campaign`, its promotions all closed: its budget goes back.
	pub(crate) fn do_close_campaign(
		merchant: T::AccountId,
		campaign: CampaignId,
	) -> DispatchResultWithPostInfo {
		let c = Campaigns::<T>::get(campaign).ok_or(Error::<T>::UnknownCampaign)?;
		ensure!(c.merchant == merchant, Error::<T>::NotCampaignMerchant);
		ensure!(c.open_promotions == 0, Error::<T>::CampaignHasOpenPromotions);
		// With no promotion open nothing is reserved; whatever is left is the budget. An asset
		// its owner destroyed took the budget with it: the campaign closes, returning nothing.
		let returned = if T::Assets::asset_exists(c.asset.clone()) {
			c.budget.saturating_add(c.reserved)
		} else {
			Zero::zero()
		};
		Self::move_funds(
			&c.asset,
			&Self::escrow_account(),
			&merchant,
			returned,
			Preservation::Expendable,
			Error::<T>::RecipientCannotReceive,
		)?;
		Campaigns::<T>::remove(campaign);
		// At most `MaxCampaignCustomers` entries (the weight charged up front), `c.customers`
		// of them in fact (the weight charged after).
		let _ = CampaignRebates::<T>::clear_prefix(campaign, c.customers, None);
		Self::deposit_event(Event::CampaignClosed { campaign, merchant, asset: c.asset, returned });
		Ok(Some(charges::close_campaign::<T::WeightInfo>(c.customers)).into())
	}

	/// Move `amount` of `asset` from `merchant` into the escrow account, keeping its account
	/// alive.
	fn fund(
		asset: &AssetKindOf<T>,
		merchant: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		let escrow = Self::escrow_account();
		Self::move_funds(
			asset,
			merchant,
			&escrow,
			amount,
			Preservation::Preserve,
			Error::<T>::MerchantCannotFund,
		)?;
		Ok(())
	}
}
