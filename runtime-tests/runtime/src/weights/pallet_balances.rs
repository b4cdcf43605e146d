//! Placeholder until regenerated from the wasm.
pub type WeightInfo<T> = pallet_balances::weights::SubstrateWeight<T>;
