//! `rebate chain-spec`: a raw chain spec for a node from the runtime's wasm and a preset.

use super::Context;
use crate::coordination::CliError;
use rebate_client::ClientError;

#[derive(clap::Args)]
pub struct Args {
	/// The runtime's wasm blob (e.g. `rebate_test_runtime.compact.compressed.wasm`).
	#[arg(long)]
	wasm: std::path::PathBuf,
	/// The genesis preset: `development` or `local_testnet`.
	#[arg(long, default_value = "development")]
	preset: String,
	/// Add a para id and relay chain (what polkadot-omni-node reads).
	#[arg(long)]
	para_id: Option<u32>,
	/// Where to write the spec (`-`: stdout).
	#[arg(short, long, default_value = "-")]
	out: String,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let code = std::fs::read(&self.wasm)
			.map_err(|e| ClientError::Io { path: self.wasm.display().to_string(), source: e })?;
		let spec = rebate_client::chain_spec::raw(&code, &self.preset, self.para_id)?;
		let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
		if self.out == "-" {
			println!("{text}");
		} else {
			std::fs::write(&self.out, text)
				.map_err(|e| ClientError::Io { path: self.out.clone(), source: e })?;
			ctx.out.value(
				&format!("raw chain spec → {}", self.out),
				serde_json::json!({ "spec": self.out }),
			);
		}
		Ok(())
	}
}
