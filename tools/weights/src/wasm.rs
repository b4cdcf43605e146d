//! The pallet's benchmarks executed in a runtime's benchmark-enabled wasm, through its
//! `Benchmark` runtime API, as `frame-omni-bencher` runs them: genesis from the runtime's own
//! `GenesisBuilder` preset, compiled wasm execution, the same tracking state.

use crate::state::{Listed, Runner};
use codec::{Decode, Encode};
use frame_benchmarking::{
	BenchmarkBatch, BenchmarkConfig, BenchmarkList, BenchmarkParameter, BenchmarkResult,
};
use frame_support::traits::StorageInfo;
use sc_client_db::BenchmarkingState;
use sc_executor::WasmExecutor;
use sp_core::traits::{
	CallContext, CodeExecutor, ReadRuntimeVersionExt, RuntimeCode, WrappedRuntimeCode,
};
use sp_externalities::Extensions;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{BasicExternalities, StateMachine};
use std::path::Path;

/// The host functions a benchmark-enabled runtime imports.
type HostFunctions =
	(sp_io::SubstrateHostFunctions, frame_benchmarking::benchmarking::HostFunctions);
type Executor = WasmExecutor<HostFunctions>;

/// A runtime's wasm, its genesis in a plain and a tracking state.
pub struct Wasm {
	code: Vec<u8>,
	hash: Vec<u8>,
	executor: Executor,
	timing: BenchmarkingState<BlakeTwo256>,
	tracking: BenchmarkingState<BlakeTwo256>,
	/// The pallet's benchmarks and instance name, and the runtime's storage items.
	list: BenchmarkList,
	storage_info: Vec<StorageInfo>,
}

impl Wasm {
	/// Load the runtime at `path`, build the genesis of its preset `preset`, and find the
	/// benchmarks of `pallet` (its name in the runtime's `define_benchmarks!`).
	pub fn new(path: &Path, preset: &str, pallet: &str) -> Result<Self, String> {
		let code = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
		let hash = sp_io::hashing::blake2_256(&code).to_vec();
		let executor = Executor::builder().with_max_runtime_instances(2).build();
		let mut genesis = Self::genesis(&executor, &code, &hash, preset)?;
		genesis.top.insert(sp_core::storage::well_known_keys::CODE.to_vec(), code.clone());
		let state =
			|tracking| BenchmarkingState::<BlakeTwo256>::new(genesis.clone(), None, true, tracking);
		let mut wasm = Self {
			timing: state(false)?,
			tracking: state(true)?,
			code,
			hash,
			executor,
			list: BenchmarkList { pallet: vec![], instance: vec![], benchmarks: vec![] },
			storage_info: vec![],
		};
		let (lists, storage_info): (Vec<BenchmarkList>, Vec<StorageInfo>) =
			wasm.call(false, "Benchmark_benchmark_metadata", &false.encode()).map_err(|e| {
				format!("{e} (is this wasm built with the runtime-benchmarks feature?)")
			})?;
		wasm.list = lists
			.into_iter()
			.find(|l| l.pallet == pallet.as_bytes())
			.ok_or_else(|| format!("the runtime does not benchmark {pallet}"))?;
		wasm.storage_info = storage_info;
		Ok(wasm)
	}

	fn runtime_code<'a>(code: &'a WrappedRuntimeCode<'a>, hash: &[u8]) -> RuntimeCode<'a> {
		RuntimeCode { code_fetcher: code, heap_pages: None, hash: hash.to_vec() }
	}

	/// The storage the runtime's `GenesisBuilder` builds from its preset `preset`.
	fn genesis(
		executor: &Executor,
		code: &[u8],
		hash: &[u8],
		preset: &str,
	) -> Result<sp_core::storage::Storage, String> {
		let wrapped = WrappedRuntimeCode(code.into());
		let runtime_code = Self::runtime_code(&wrapped, hash);
		let mut ext = BasicExternalities::new_empty();
		let mut call = |method: &str, data: &[u8]| {
			executor
				.call(&mut ext, &runtime_code, method, data, CallContext::Offchain)
				.0
				.map_err(|e| format!("{method}: {e}"))
		};
		let id: Option<sp_genesis_builder::PresetId> = Some(preset.into());
		let json = call("GenesisBuilder_get_preset", &id.encode())?;
		let json = Option::<Vec<u8>>::decode(&mut &json[..])
			.map_err(|e| format!("GenesisBuilder_get_preset: {e}"))?
			.ok_or_else(|| format!("the runtime has no genesis preset {preset:?}"))?;
		let built = call("GenesisBuilder_build_state", &json.encode())?;
		Result::<(), String>::decode(&mut &built[..])
			.map_err(|e| format!("GenesisBuilder_build_state: {e}"))?
			.map_err(|e| format!("building genesis preset {preset:?}: {e}"))?;
		Ok(ext.into_storages())
	}

	/// Call runtime API `method` over the plain or the tracking state and decode its result.
	fn call<R: Decode>(&self, tracking: bool, method: &str, data: &[u8]) -> Result<R, String> {
		let state = if tracking { &self.tracking } else { &self.timing };
		let wrapped = WrappedRuntimeCode(self.code.as_slice().into());
		let runtime_code = Self::runtime_code(&wrapped, &self.hash);
		let mut extensions = Extensions::default();
		extensions.register(KeystoreExt::new(MemoryKeystore::new()));
		extensions.register(ReadRuntimeVersionExt::new(self.executor.clone()));
		let mut overlay = Default::default();
		let out = StateMachine::new(
			state,
			&mut overlay,
			&self.executor,
			method,
			data,
			&mut extensions,
			&runtime_code,
			CallContext::Offchain,
		)
		.execute()
		.map_err(|e| format!("{method}: {e}"))?;
		R::decode(&mut &out[..]).map_err(|e| format!("decoding the result of {method}: {e}"))
	}
}

impl Runner for Wasm {
	fn benchmarks(&self) -> Result<Vec<Listed>, String> {
		Ok(self
			.list
			.benchmarks
			.iter()
			.map(|m| Listed {
				name: String::from_utf8_lossy(&m.name).into_owned(),
				components: m.components.clone(),
			})
			.collect())
	}

	fn storage_info(&self) -> Result<Vec<StorageInfo>, String> {
		Ok(self.storage_info.clone())
	}

	fn dispatch(
		&self,
		tracking: bool,
		name: &str,
		components: &[(BenchmarkParameter, u32)],
		verify: bool,
		repeats: u32,
	) -> Result<Vec<BenchmarkResult>, String> {
		let config = BenchmarkConfig {
			pallet: self.list.pallet.clone(),
			instance: self.list.instance.clone(),
			benchmark: name.as_bytes().to_vec(),
			selected_components: components.to_vec(),
			verify,
			internal_repeats: repeats,
		};
		let batches: Result<Vec<BenchmarkBatch>, String> =
			self.call(tracking, "Benchmark_dispatch_benchmark", &config.encode())?;
		Ok(batches
			.map_err(|e| format!("{name}: {e}"))?
			.into_iter()
			.flat_map(|b| b.results)
			.collect())
	}
}
