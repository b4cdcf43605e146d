//! The escrow account and the one place the pallet moves money.

use crate::*;
use frame_support::traits::tokens::Preservation;
use sp_runtime::traits::{AccountIdConversion, Zero};

impl<T: Config> Pallet<T> {
	/// The account escrowed rebates wait in until their rebate block, derived from
	/// [`Config::PalletId`] (as treasury's and bounties' accounts are).
	///
	/// It is kept alive by a provider reference the pallet adds once (at genesis, or by
	/// `on_runtime_upgrade` on a chain that adds the pallet later), so its balance may fall to
	/// zero without the account being reaped. Its balance is exactly the sum of the open
	/// promotions' escrowed rebates (each at least the existential deposit, so the balance is
	/// never left as dust), plus whatever anyone transferred to it unasked.
	pub fn escrow_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Add the escrow account's provider reference, once per chain: at genesis, or at the first
	/// runtime upgrade of a chain that adds the pallet later (FRAME records a new pallet's storage
	/// version before its migrations run, so the version cannot tell; [`EscrowProvided`] does).
	pub(crate) fn provide_escrow_account() -> Weight {
		if EscrowProvided::<T>::get() {
			return T::DbWeight::get().reads(1);
		}
		let _ = frame_system::Pallet::<T>::inc_providers(&Self::escrow_account());
		EscrowProvided::<T>::put(true);
		T::DbWeight::get().reads_writes(2, 2)
	}

	/// Move `amount` from `from` to `to`; nothing for a zero amount. Every transfer the pallet
	/// makes goes through here.
	pub(crate) fn move_funds(
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
		preservation: Preservation,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer(from, to, amount, preservation).map(|_| ())
	}
}
