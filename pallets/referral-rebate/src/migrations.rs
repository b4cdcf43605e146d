//! Storage migrations.
//!
//! [`v3::MigrateV2ToV3`]: version 3 names the campaign of a promotion (`Promotion::campaign`),
//! keeps a settled referral's price (`SettledReferral::price`, a campaign's percent rebate is a
//! share of it), counts a campaign's customers (`Campaign::customers`) and adds
//! [`crate::LastPurchase`]. Version 2's documents could not name a campaign, so every promotion it
//! holds has none, no campaign has a promotion or a customer, and a settled referral's price is
//! only ever read for a campaign's rebate: it is set from its purchase record (zero if the record
//! is gone, which cannot matter). `LastPurchase` is filled from the live purchase records, so
//! buyers of purchases made before the upgrade are not taken for new referees.
//!
//! A runtime adds it to its `Executive`'s migrations:
//! `pallet_referral_rebate::migrations::v3::MigrateV2ToV3<Runtime>`. It runs in one block: its
//! weight is one read and write per promotion, held promotion and campaign, and one read and one
//! write per purchase record (at most what `PurchaseLifetime` blocks of purchases left).

use crate::*;
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

pub mod v3 {
	use super::*;

	/// Version 2's settled referral.
	#[derive(Decode, Encode)]
	pub struct OldSettledReferral<BlockNumber> {
		pub purchase_id: PurchaseId<BlockNumber>,
		pub refunded: bool,
	}

	/// Version 2's promotion.
	#[derive(Decode, Encode)]
	pub struct OldPromotion<AccountId, AssetKind, Balance, BlockNumber> {
		pub customer: AccountId,
		pub referee: AccountId,
		pub asset: AssetKind,
		pub referral: Option<OldSettledReferral<BlockNumber>>,
		pub rebate: Option<EscrowedRebate<Balance>>,
	}

	/// Version 2's campaign.
	#[derive(Decode, Encode)]
	pub struct OldCampaign<AccountId, AssetKind, Balance, BlockNumber> {
		pub merchant: AccountId,
		pub asset: AssetKind,
		pub budget: Balance,
		pub reserved: Balance,
		pub open_promotions: u32,
		pub terms: CampaignTerms<Balance, BlockNumber>,
	}

	type OldPromotionOf<T> = OldPromotion<
		<T as frame_system::Config>::AccountId,
		AssetKindOf<T>,
		BalanceOf<T>,
		BlockNumberFor<T>,
	>;
	type OldCampaignOf<T> = OldCampaign<
		<T as frame_system::Config>::AccountId,
		AssetKindOf<T>,
		BalanceOf<T>,
		BlockNumberFor<T>,
	>;

	/// The migration itself, without the version check ([`MigrateV2ToV3`] has it).
	pub struct InnerMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> InnerMigrateV2ToV3<T> {
		fn promotion(old: OldPromotionOf<T>) -> PromotionOf<T> {
			let referral = old.referral.map(|r| {
				let price =
					Purchases::<T>::get(BlockKey::of(r.purchase_id.block), r.purchase_id.index)
						.map_or_else(Zero::zero, |record| record.price);
				SettledReferral { purchase_id: r.purchase_id, price, refunded: r.refunded }
			});
			Promotion {
				customer: old.customer,
				referee: old.referee,
				asset: old.asset,
				referral,
				rebate: old.rebate,
				campaign: None,
			}
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut entries = 0u64;
			let mut reads = 0u64;
			Promotions::<T>::translate_values::<OldPromotionOf<T>, _>(|old| {
				entries += 1;
				reads += u64::from(old.referral.is_some());
				Some(Self::promotion(old))
			});
			Held::<T>::translate_values::<OldPromotionOf<T>, _>(|old| {
				entries += 1;
				reads += u64::from(old.referral.is_some());
				Some(Self::promotion(old))
			});
			Campaigns::<T>::translate_values::<OldCampaignOf<T>, _>(|old| {
				entries += 1;
				Some(Campaign {
					merchant: old.merchant,
					asset: old.asset,
					budget: old.budget,
					reserved: old.reserved,
					open_promotions: old.open_promotions,
					customers: 0,
					terms: old.terms,
				})
			});
			let mut records = 0u64;
			for (block, _, record) in Purchases::<T>::iter() {
				records += 1;
				let block: BlockNumberFor<T> = block.block();
				let later = LastPurchase::<T>::get(&record.merchant, &record.buyer)
					.is_some_and(|latest| latest >= block);
				if !later {
					LastPurchase::<T>::insert(&record.merchant, &record.buyer, block);
				}
			}
			T::DbWeight::get().reads_writes(
				entries.saturating_add(reads).saturating_add(records.saturating_mul(2)),
				entries.saturating_add(records),
			)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			let counts = (
				Promotions::<T>::iter_keys().count() as u64,
				Held::<T>::iter_keys().count() as u64,
				Campaigns::<T>::iter_keys().count() as u64,
			);
			Ok(counts.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (promotions, held, campaigns) = <(u64, u64, u64)>::decode(&mut &state[..])
				.map_err(|_| "the pre-upgrade counts do not decode")?;
			// Every entry decodes in the new layout, none lost.
			ensure!(
				Promotions::<T>::iter_values().count() as u64 == promotions,
				"a promotion was lost"
			);
			ensure!(Held::<T>::iter_values().count() as u64 == held, "a held promotion was lost");
			ensure!(
				Campaigns::<T>::iter_values().count() as u64 == campaigns,
				"a campaign was lost"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 2 to 3, once: [`InnerMigrateV2ToV3`] behind the on-chain version check.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		InnerMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
