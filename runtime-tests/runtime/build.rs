//! Builds the runtime's wasm blob when the `wasm` feature is on (and `SKIP_WASM_BUILD` is unset).

fn main() {
	#[cfg(all(feature = "std", feature = "wasm"))]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
