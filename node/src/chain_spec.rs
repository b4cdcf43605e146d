//! Chain specifications: `dev` (the runtime's wasm with its `development` genesis preset) or a
//! JSON file, such as the raw spec `rebate chain-spec` writes (the one chopsticks serves).

use sc_service::ChainType;

/// The chain spec type: no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The development chain: the runtime's wasm and its `development` genesis preset (Alice, Bob,
/// Charlie, Dave, Eve and Ferdie endowed; Alice the Aura authority).
pub fn development() -> Result<ChainSpec, String> {
	let wasm = rebate_test_runtime::WASM_BINARY
		.ok_or_else(|| "the runtime's wasm was not built (SKIP_WASM_BUILD set?)".to_string())?;
	let properties = serde_json_properties();
	Ok(ChainSpec::builder(wasm, None)
		.with_name("Referral rebate development")
		.with_id("rebate_development")
		.with_chain_type(ChainType::Development)
		.with_protocol_id("rebate")
		.with_genesis_config_preset_name("development")
		.with_properties(properties)
		.build())
}

fn serde_json_properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "UNIT".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}
