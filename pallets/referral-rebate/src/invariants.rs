//! The pallet's checks of itself: its constants (`integrity_test`) and its storage (`try_state`).

use crate::*;
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
		let one_each =
			T::WeightInfo::close_promotions(1).saturating_add(T::WeightInfo::remove_purchases(1));
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

	/// The sum of the open promotions' escrowed rebates.
	pub fn open_escrow() -> BalanceOf<T> {
		Promotions::<T>::iter_values()
			.filter_map(|p| p.rebate.map(|r| r.amount))
			.fold(Zero::zero(), |sum: BalanceOf<T>, amount| sum.saturating_add(amount))
	}

	/// The pallet's invariants: the escrow account exists and its balance covers every open
	/// rebate (it equals their sum but for what anyone transferred to it unasked); every open
	/// promotion's parties are distinct and its escrowed rebate at least the minimum balance; no
	/// promotion is due later than `MaxRebateDelay` from now.
	#[cfg(any(feature = "try-runtime", feature = "mock", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let escrow = Self::escrow_account();
		ensure!(EscrowProvided::<T>::get(), "the escrow account was not provided for");
		ensure!(
			frame_system::Pallet::<T>::account_exists(&escrow),
			"the escrow account does not exist"
		);
		ensure!(
			T::Currency::balance(&escrow) >= Self::open_escrow(),
			"the escrow account holds less than the open rebates"
		);
		let now = frame_system::Pallet::<T>::block_number();
		let latest = BlockKey::of(now.saturating_add(T::MaxRebateDelay::get()));
		let minimum = T::Currency::minimum_balance();
		for ((pay_at, merchant, _), open) in Promotions::<T>::iter() {
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
		Ok(())
	}
}
