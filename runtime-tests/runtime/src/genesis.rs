//! Named genesis presets: `development` and `local_testnet` create the stablecoin (owned by
//! Alice), fund the well-known dev accounts in the native token and in it, and make Alice (or
//! Alice and Bob) the Aura authorities.

use crate::{
	AccountId, AssetsConfig, BalancesConfig, RuntimeGenesisConfig, DOLLARS, STABLECOIN_DECIMALS,
	STABLECOIN_ID, STABLECOIN_MIN_BALANCE, STABLECOIN_NAME, STABLECOIN_SYMBOL, UNIT,
};
use alloc::{vec, vec::Vec};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;

/// What each dev account starts with in the native token.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;
/// What each dev account starts with in the stablecoin.
pub const DEV_STABLECOIN_ENDOWMENT: crate::Balance = 1_000_000 * DOLLARS;

/// The genesis of a chain with these Aura authorities and funded accounts, as the JSON a preset
/// is made of.
pub fn genesis(authorities: Vec<AuraId>, endowed: Vec<AccountId>) -> serde_json::Value {
	let owner = Sr25519Keyring::Alice.to_account_id();
	let config = RuntimeGenesisConfig {
		assets: AssetsConfig {
			assets: vec![(STABLECOIN_ID, owner, true, STABLECOIN_MIN_BALANCE)],
			metadata: vec![(
				STABLECOIN_ID,
				STABLECOIN_NAME.as_bytes().to_vec(),
				STABLECOIN_SYMBOL.as_bytes().to_vec(),
				STABLECOIN_DECIMALS,
			)],
			accounts: endowed
				.iter()
				.map(|a| (STABLECOIN_ID, a.clone(), DEV_STABLECOIN_ENDOWMENT))
				.collect(),
			..Default::default()
		},
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|a| (a, DEV_ENDOWMENT)).collect(),
			..Default::default()
		},
		aura: pallet_aura::GenesisConfig { authorities },
		..Default::default()
	};
	serde_json::to_value(config).expect("a genesis config serializes to JSON")
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// The `development` preset: Alice authors; every dev account is funded.
pub fn development() -> serde_json::Value {
	genesis(vec![Sr25519Keyring::Alice.public().into()], dev_accounts())
}

/// The `local_testnet` preset: Alice and Bob author; every dev account is funded.
pub fn local_testnet() -> serde_json::Value {
	genesis(
		vec![Sr25519Keyring::Alice.public().into(), Sr25519Keyring::Bob.public().into()],
		dev_accounts(),
	)
}

/// The preset called `id`, as JSON bytes.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let value = match id.as_ref() {
		DEV_RUNTIME_PRESET => development(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
		_ => return None,
	};
	serde_json::to_vec(&value).ok()
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}
