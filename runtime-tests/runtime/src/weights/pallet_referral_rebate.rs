//! Placeholder until regenerated from the wasm.
pub type WeightInfo<T> = pallet_referral_rebate::weights::SubstrateWeight<T>;
