//! Weights for `pallet_referral_rebate` (placeholder until the benchmarks are run; see
//! `docs/benchmarks.md`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_referral_rebate`.
pub trait WeightInfo {
	fn verify_signature() -> Weight;
	fn purchase() -> Weight;
	fn settle_referral() -> Weight;
	fn submit_rebate() -> Weight;
	fn refund() -> Weight;
	fn close_overdue() -> Weight;
	fn on_initialize(n: u32, ) -> Weight;
}

/// Weights for `pallet_referral_rebate` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn verify_signature() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn purchase() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn settle_referral() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn submit_rebate() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn refund() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn close_overdue() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn on_initialize(n: u32, ) -> Weight { Weight::from_parts(5_000_000, 0).saturating_add(Weight::from_parts(50_000_000, 0).saturating_mul(n.into())) }
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn verify_signature() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn purchase() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn settle_referral() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn submit_rebate() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn refund() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn close_overdue() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn on_initialize(n: u32, ) -> Weight { Weight::from_parts(5_000_000, 0).saturating_add(Weight::from_parts(50_000_000, 0).saturating_mul(n.into())) }
}
