//! Weights measured with this runtime's own benchmark-enabled wasm on one machine, in one basis
//! (`referral-rebate-weights --wasm …`; docs/benchmarks.md), under the runtime's `DbWeight`.

pub mod pallet_balances;
pub mod pallet_multisig;
pub mod pallet_referral_rebate;
