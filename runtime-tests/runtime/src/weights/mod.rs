//! Weights measured with this runtime's own wasm by frame-omni-bencher (see docs/runtime.md).

pub mod pallet_referral_rebate;
