//! Builds the runtime's wasm blobs when the `wasm` feature is on (and `SKIP_WASM_BUILD` is unset):
//! this runtime's, and the other chain's (the `other-chain` feature, `rebate_other_chain.wasm`).

fn main() {
	#[cfg(all(feature = "std", feature = "wasm"))]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("other-chain")
			.set_file_name("rebate_other_chain")
			.build();
	}
}
