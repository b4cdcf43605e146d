//! Raw chain specs for nodes (chopsticks, polkadot-omni-node, any Substrate node) from the
//! runtime's wasm and one of its named genesis presets: the genesis storage is built by the
//! runtime's own genesis config (natively, the same code the wasm runs), with `:code` set to the
//! wasm.

use crate::ClientError;
use rebate_test_runtime::{BuildStorage, RuntimeGenesisConfig};

/// A raw chain spec (JSON) for `wasm` with genesis preset `preset` (`development` or
/// `local_testnet`). `para_id` adds the fields polkadot-omni-node reads.
pub fn raw(
	wasm: &[u8],
	preset: &str,
	para_id: Option<u32>,
) -> Result<serde_json::Value, ClientError> {
	let json = match preset {
		"development" => rebate_test_runtime::genesis::development(),
		"local_testnet" => rebate_test_runtime::genesis::local_testnet(),
		other => {
			return Err(ClientError::Rule(format!(
				"unknown genesis preset `{other}` (development, local_testnet)"
			)))
		}
	};
	let config: RuntimeGenesisConfig = serde_json::from_value(json)
		.map_err(|e| ClientError::Backend(format!("genesis preset: {e}")))?;
	let mut storage = config.build_storage().map_err(ClientError::Backend)?;
	storage.top.insert(sp_core::storage::well_known_keys::CODE.to_vec(), wasm.to_vec());
	let top: serde_json::Map<String, serde_json::Value> = storage
		.top
		.iter()
		.map(|(k, v)| (format!("0x{}", hex::encode(k)), format!("0x{}", hex::encode(v)).into()))
		.collect();
	let mut spec = serde_json::json!({
		"name": "Referral rebate development",
		"id": format!("rebate_{preset}"),
		"chainType": if preset == "development" { "Development" } else { "Local" },
		"bootNodes": [],
		"telemetryEndpoints": null,
		"protocolId": "rebate",
		"properties": { "tokenDecimals": 12, "tokenSymbol": "UNIT", "ss58Format": 42 },
		"codeSubstitutes": {},
		"genesis": { "raw": { "top": top, "childrenDefault": {} } },
	});
	if let (Some(id), Some(map)) = (para_id, spec.as_object_mut()) {
		map.insert("para_id".into(), id.into());
		map.insert("relay_chain".into(), "rococo-local".into());
	}
	Ok(spec)
}
