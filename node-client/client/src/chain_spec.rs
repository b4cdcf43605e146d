//! Raw chain specs for nodes (chopsticks, polkadot-omni-node, any Substrate node) from a
//! runtime's wasm and one of its named genesis presets: the genesis storage is built by the wasm
//! itself (its `GenesisBuilder` API, executed here as a node executes it), with `:code` set to
//! the wasm. Any runtime with the genesis builder API and the preset works, not only the test
//! runtime.

use crate::ClientError;
use codec::{Decode, Encode};
use sp_core::traits::{CallContext, CodeExecutor, RuntimeCode, WrappedRuntimeCode};

/// The genesis storage `wasm` builds for its preset `preset`.
pub fn genesis(wasm: &[u8], preset: &str) -> Result<sp_core::storage::Storage, ClientError> {
	// A runtime built with its benchmarks imports their host functions too; building a genesis
	// calls none of them.
	let executor = sc_executor::WasmExecutor::<sp_io::SubstrateHostFunctions>::builder()
		.with_allow_missing_host_functions(true)
		.build();
	let code = WrappedRuntimeCode(wasm.into());
	let runtime_code = RuntimeCode {
		code_fetcher: &code,
		heap_pages: None,
		hash: sp_io::hashing::blake2_256(wasm).to_vec(),
	};
	let mut ext = sp_state_machine::BasicExternalities::new_empty();
	let mut call = |method: &str, data: &[u8]| {
		executor
			.call(&mut ext, &runtime_code, method, data, CallContext::Offchain)
			.0
			.map_err(|e| ClientError::Backend(format!("the runtime's {method}: {e}")))
	};
	let json = call("GenesisBuilder_get_preset", &Some(preset.as_bytes().to_vec()).encode())?;
	let json = Option::<Vec<u8>>::decode(&mut &json[..])
		.map_err(|e| ClientError::Backend(format!("GenesisBuilder_get_preset: {e}")))?
		.ok_or_else(|| {
			ClientError::Rule(format!("the runtime has no genesis preset `{preset}`"))
		})?;
	let built = call("GenesisBuilder_build_state", &json.encode())?;
	Result::<(), String>::decode(&mut &built[..])
		.map_err(|e| ClientError::Backend(format!("GenesisBuilder_build_state: {e}")))?
		.map_err(|e| ClientError::Backend(format!("building genesis preset `{preset}`: {e}")))?;
	Ok(ext.into_storages())
}

/// A raw chain spec (JSON) for `wasm` with genesis preset `preset` (the test runtime's:
/// `development` or `local_testnet`). `para_id` adds the fields polkadot-omni-node reads.
pub fn raw(
	wasm: &[u8],
	preset: &str,
	para_id: Option<u32>,
) -> Result<serde_json::Value, ClientError> {
	let mut storage = genesis(wasm, preset)?;
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
