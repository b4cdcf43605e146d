//! Placeholder until regenerated from the wasm.
pub type WeightInfo<T> = pallet_multisig::weights::SubstrateWeight<T>;
