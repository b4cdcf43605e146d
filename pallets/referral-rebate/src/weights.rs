//! Placeholder weights, replaced by the generated file.
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_referral_rebate`.
pub trait WeightInfo {
	fn verify_sr25519() -> Weight;
	fn verify_ed25519() -> Weight;
	fn verify_ecdsa() -> Weight;
	fn verify_eth() -> Weight;
	fn purchase() -> Weight;
	fn settle_referral(j: u32) -> Weight;
	fn submit_rebate(j: u32) -> Weight;
	fn refused() -> Weight;
	fn refund() -> Weight;
	fn close_overdue() -> Weight;
	fn close_promotions(n: u32) -> Weight;
	fn remove_purchases(n: u32) -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn verify_sr25519() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
	fn verify_ed25519() -> Weight {
		Weight::from_parts(50_000_000, 0)
	}
	fn verify_ecdsa() -> Weight {
		Weight::from_parts(70_000_000, 0)
	}
	fn verify_eth() -> Weight {
		Weight::from_parts(70_000_000, 0)
	}
	fn purchase() -> Weight {
		Weight::from_parts(60_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(1, 2))
	}
	fn settle_referral(j: u32) -> Weight {
		Weight::from_parts(400_000_000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(j.into()))
			.saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn submit_rebate(j: u32) -> Weight {
		Weight::from_parts(280_000_000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(j.into()))
			.saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn refused() -> Weight {
		Weight::from_parts(20_000_000, 6000).saturating_add(T::DbWeight::get().reads(2))
	}
	fn refund() -> Weight {
		Weight::from_parts(80_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn close_overdue() -> Weight {
		Weight::from_parts(80_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn close_promotions(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(Weight::from_parts(40_000_000, 5000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn remove_purchases(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(Weight::from_parts(5_000_000, 2600).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1).saturating_mul(n.into()))
	}
}

impl WeightInfo for () {
	fn verify_sr25519() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
	fn verify_ed25519() -> Weight {
		Weight::from_parts(50_000_000, 0)
	}
	fn verify_ecdsa() -> Weight {
		Weight::from_parts(70_000_000, 0)
	}
	fn verify_eth() -> Weight {
		Weight::from_parts(70_000_000, 0)
	}
	fn purchase() -> Weight {
		Weight::from_parts(60_000_000, 6000).saturating_add(RocksDbWeight::get().reads_writes(1, 2))
	}
	fn settle_referral(j: u32) -> Weight {
		Weight::from_parts(400_000_000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(j.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn submit_rebate(j: u32) -> Weight {
		Weight::from_parts(280_000_000, 10000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(j.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn refused() -> Weight {
		Weight::from_parts(20_000_000, 6000).saturating_add(RocksDbWeight::get().reads(2))
	}
	fn refund() -> Weight {
		Weight::from_parts(80_000_000, 6000).saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn close_overdue() -> Weight {
		Weight::from_parts(80_000_000, 6000).saturating_add(RocksDbWeight::get().reads_writes(3, 3))
	}
	fn close_promotions(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(Weight::from_parts(40_000_000, 5000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn remove_purchases(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(Weight::from_parts(5_000_000, 2600).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1).saturating_mul(n.into()))
	}
}
