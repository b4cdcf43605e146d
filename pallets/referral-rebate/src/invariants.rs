//! The pallet's checks of itself: its constants (`integrity_test`) and its storage (`try_state`).

use crate::*;
use alloc::vec::Vec;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The constants' consistency, checked by `integrity_test`: the hook can always close at least
	/// one promotion and remove at least one record, within a block; a referred purchase lives
	/// at least until its promotion's rebate block.
	pub fn check_constants() -> Result<(), &'static str> {
		let hook = T::MaxHookWeight::get();
		if T::MaxRebateDelay::get().is_zero() {
			return Err("MaxRebateDelay must be at least one block");
		}
		if T::PurchaseLifetime::get() < T::MaxRebateDelay::get() {
			return Err("PurchaseLifetime must be at least MaxRebateDelay");
		}
		let one_each = crate::charges::close_base::<T::WeightInfo>()
			.saturating_add(crate::charges::close_one::<T::WeightInfo>())
			.saturating_add(T::WeightInfo::remove_purchases(1));
		if !one_each.all_lte(hook) {
			return Err("MaxHookWeight must fit closing one promotion and removing one record");
		}
		if crate::charges::close_one::<T::WeightInfo>().is_zero()
			|| crate::charges::removal::<T::WeightInfo>().is_zero()
		{
			return Err(
				"the hook's per-item weights must not be zero (its loops are bounded by them)",
			);
		}
		if !hook.all_lte(<T as frame_system::Config>::BlockWeights::get().max_block) {
			return Err("MaxHookWeight must fit in a block");
		}
		Ok(())
	}

	/// What the escrow account holds for others, summed per asset (in the order each asset is
	/// first met): the escrowed rebates of the open and held promotions, and the open campaigns'
	/// budgets and reserves.
	pub fn open_escrow() -> Vec<(AssetKindOf<T>, BalanceOf<T>)> {
		let mut sums: Vec<(AssetKindOf<T>, BalanceOf<T>)> = Vec::new();
		let mut add = |asset: AssetKindOf<T>, amount: BalanceOf<T>| match sums
			.iter_mut()
			.find(|(a, _)| *a == asset)
		{
			Some((_, sum)) => *sum = sum.saturating_add(amount),
			None => sums.push((asset, amount)),
		};
		// A campaign's rebates are counted in its reserve.
		for p in Promotions::<T>::iter_values().chain(Held::<T>::iter_values()) {
			if let (Some(rebate), None) = (p.rebate, p.campaign) {
				add(p.asset, rebate.amount);
			}
		}
		for c in Campaigns::<T>::iter_values() {
			add(c.asset, c.budget.saturating_add(c.reserved));
		}
		sums
	}

	/// The pallet's invariants: the escrow account exists and its balance in each asset covers
	/// every open and held rebate in that asset (it equals their sum but for what anyone
	/// transferred to it unasked); every open promotion's parties are distinct and its escrowed
	/// rebate at least its asset's minimum balance; no promotion is due later than
	/// `MaxRebateDelay` from now, and none is held before its rebate block; each campaign counts
	/// its open promotions, reserve and customers right (within `MaxCampaignCustomers`), a closed
	/// one leaves no counts; every last purchase names a live record.
	#[cfg(any(feature = "try-runtime", feature = "mock", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let escrow = Self::escrow_account();
		ensure!(EscrowProvided::<T>::get(), "the escrow account was not provided for");
		ensure!(
			frame_system::Pallet::<T>::account_exists(&escrow),
			"the escrow account does not exist"
		);
		for (asset, sum) in Self::open_escrow() {
			// A destroyed asset took the escrow with it; its promotions close as such.
			if !T::Assets::asset_exists(asset.clone()) {
				continue;
			}
			ensure!(
				T::Assets::balance(asset, &escrow) >= sum,
				"the escrow account holds less than the open rebates"
			);
		}
		let now = frame_system::Pallet::<T>::block_number();
		let latest = BlockKey::of(now.saturating_add(T::MaxRebateDelay::get()));
		for (pay_at, _, _) in Held::<T>::iter_keys() {
			ensure!(pay_at <= BlockKey::of(now), "a promotion is held before its rebate block");
		}
		for ((pay_at, merchant, _), open) in Promotions::<T>::iter() {
			let minimum = T::Assets::minimum_balance(open.asset.clone());
			ensure!(pay_at <= latest, "a promotion is due beyond MaxRebateDelay");
			ensure!(
				types::distinct(&merchant, &open.customer, &open.referee),
				"a promotion's parties are not distinct"
			);
			ensure!(
				open.rebate.is_none_or(|r| r.amount >= minimum),
				"an escrowed rebate is below the minimum balance"
			);
			ensure!(
				open.referral.is_some() || open.rebate.is_some(),
				"an open promotion has neither side"
			);
		}
		let next = NextCampaignId::<T>::get();
		for (id, c) in Campaigns::<T>::iter() {
			ensure!(id < next, "a campaign's id is not below NextCampaignId");
			let mut open = 0u32;
			let mut reserved = BalanceOf::<T>::zero();
			for p in Promotions::<T>::iter_values().chain(Held::<T>::iter_values()) {
				if p.campaign == Some(id) {
					ensure!(p.asset == c.asset, "a campaign's promotion is in another asset");
					if let Some(r) = p.rebate {
						open = open.saturating_add(1);
						reserved = reserved.saturating_add(r.amount);
					}
				}
			}
			ensure!(c.open_promotions == open, "a campaign miscounts its open promotions");
			ensure!(c.reserved == reserved, "a campaign's reserve is not its open rebates");
			let customers = CampaignRebates::<T>::iter_prefix(id).count();
			ensure!(c.customers as usize == customers, "a campaign miscounts its customers");
			ensure!(
				c.customers <= T::MaxCampaignCustomers::get(),
				"a campaign has more customers than MaxCampaignCustomers"
			);
		}
		for (id, _) in CampaignRebates::<T>::iter_keys() {
			ensure!(Campaigns::<T>::contains_key(id), "a closed campaign's counts remain");
		}
		for (merchant, buyer, block) in LastPurchase::<T>::iter() {
			let records = Purchases::<T>::iter_prefix(BlockKey::of(block));
			ensure!(
				records.into_iter().any(|(_, r)| r.merchant == merchant && r.buyer == buyer),
				"a last purchase names no record"
			);
		}
		Ok(())
	}
}
