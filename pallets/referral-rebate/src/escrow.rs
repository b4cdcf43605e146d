//! The escrow account and the one place the pallet moves money.

use crate::*;
use frame_support::traits::tokens::{
	DepositConsequence, Preservation, Provenance, WithdrawConsequence,
};
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The account escrowed rebates wait in until their rebate block, derived from
	/// [`Config::PalletId`] (as treasury's and bounties' accounts are).
	///
	/// It is kept alive by a provider reference the pallet adds once (at genesis, or by
	/// `on_runtime_upgrade` on a chain that adds the pallet later), so its balance may fall to
	/// zero without the account being reaped. Its balance in each asset is exactly the sum of
	/// the open and held promotions' escrowed rebates in that asset (each at least the asset's
	/// minimum balance, so the balance is never left as dust), plus whatever anyone transferred
	/// to it unasked.
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

	/// Move `amount` of `asset` from `from` to `to`; nothing for a zero amount. Every transfer
	/// the pallet makes goes through here. A refused transfer is named by what the asset says
	/// stops it ([`Pallet::transfer_refused`]), `short` when the payer has too little.
	pub(crate) fn move_funds(
		asset: &AssetKindOf<T>,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
		preservation: Preservation,
		short: Error<T>,
	) -> Result<(), Error<T>> {
		Self::transfer(asset, from, to, amount, preservation)
			.map_err(|_| Self::transfer_refused(asset, from, to, amount, preservation, short))
	}

	/// The one transfer every money movement of the pallet is: `amount` of `asset` from `from`
	/// to `to`, nothing for a zero amount; its refusal unnamed (the hook's closing, which only
	/// needs to know whether it moved, uses it directly).
	pub(crate) fn transfer(
		asset: &AssetKindOf<T>,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
		preservation: Preservation,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Assets::transfer(asset.clone(), from, to, amount, preservation).map(|_| ())
	}

	/// Why a transfer of `amount` of `asset` from `from` to `to` was refused, asked of the asset
	/// only once it was (so a transfer that succeeds costs no extra reads), the payer first: the
	/// asset is unknown, the payer's balance is frozen (its account frozen or blocked, or the
	/// asset frozen), the payer has too little (`short`), or the recipient cannot receive it
	/// (blocked, or its account cannot be created).
	fn transfer_refused(
		asset: &AssetKindOf<T>,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
		preservation: Preservation,
		short: Error<T>,
	) -> Error<T> {
		let keep_alive = preservation != Preservation::Expendable;
		match T::Assets::can_withdraw(asset.clone(), from, amount) {
			WithdrawConsequence::UnknownAsset => return Error::UnknownAsset,
			// A balance that would cover the amount and the minimum but may not move is frozen;
			// one that would not is short (pallet-balances answers `Frozen` for both).
			WithdrawConsequence::Frozen => {
				let needed = amount.saturating_add(T::Assets::minimum_balance(asset.clone()));
				return if T::Assets::balance(asset.clone(), from) >= needed {
					Error::FundsFrozen
				} else {
					short
				};
			}
			// The payer first: one that cannot pay is short whatever the recipient.
			c if c.into_result(keep_alive).is_err() => return short,
			_ => {}
		}
		match T::Assets::can_deposit(asset.clone(), to, amount, Provenance::Extant) {
			DepositConsequence::UnknownAsset => Error::UnknownAsset,
			DepositConsequence::Blocked
			| DepositConsequence::CannotCreate
			| DepositConsequence::BelowMinimum => Error::RecipientCannotReceive,
			_ => short,
		}
	}

	/// That `asset` exists and its minimum balance: what a document's amounts are measured
	/// against. One read of the asset's details: an unknown asset has a zero minimum, so only a
	/// zero minimum is asked about again.
	pub(crate) fn minimum_of(asset: &AssetKindOf<T>) -> Result<BalanceOf<T>, Error<T>> {
		let minimum = T::Assets::minimum_balance(asset.clone());
		ensure!(
			!minimum.is_zero() || T::Assets::asset_exists(asset.clone()),
			Error::<T>::UnknownAsset
		);
		Ok(minimum)
	}
}
