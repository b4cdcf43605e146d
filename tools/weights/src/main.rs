//! `referral-rebate-weights`: runs `pallet-referral-rebate`'s frame-benchmarking benchmarks and
//! writes `weights.rs` in the standard generated form plus a report of each benchmark against one
//! bare signature verification measured in the same run.
//!
//! The benchmarks execute either in a runtime's benchmark-enabled wasm (`--wasm`, through its
//! `Benchmark` runtime API, as `frame-omni-bencher` runs them) or natively in the pallet's mock
//! runtime (quick, for development). Either way it follows the CLI's procedure over the same
//! tracking state (`sc_client_db::BenchmarkingState`): for every component value (steps over
//! each `Linear` range, the other components at their maximum) a verification pass, a database
//! pass that counts reads, writes and the recorded proof, and `repeat` timing passes; then
//! least-squares fits for time, reads and writes, and the CLI's MaxEncodedLen proof-size estimate.

mod analysis;
mod native;
mod render;
mod state;
mod wasm;

use clap::Parser;
use std::path::PathBuf;

/// Run the pallet's benchmarks (in a runtime's wasm or natively) and write weights.rs.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
	/// Values taken over each component's range.
	#[arg(long, default_value_t = 50)]
	steps: u32,
	/// Timing repetitions per component value.
	#[arg(long, default_value_t = 20)]
	repeat: u32,
	/// Where to write weights.rs (nothing is written without it).
	#[arg(long)]
	output: Option<PathBuf>,
	/// Where to write a runtime's weights file for the pallet (a `WeightInfo<T>` struct, as
	/// frame-omni-bencher writes them; e.g. runtime-tests/runtime/src/weights/).
	#[arg(long)]
	runtime_output: Option<PathBuf>,
	/// Where to write the markdown report (printed to stdout as well).
	#[arg(long)]
	report: Option<PathBuf>,
	/// Execute the benchmarks in this benchmark-enabled runtime wasm (built with the
	/// `runtime-benchmarks` feature) instead of natively in the pallet's mock.
	#[arg(long)]
	wasm: Option<PathBuf>,
	/// The runtime's genesis preset the benchmarks start from (with `--wasm`).
	#[arg(long, default_value = "development")]
	preset: String,
	/// The pallet to benchmark, as the runtime's `define_benchmarks!` names it (another pallet
	/// than this one only with `--wasm`: e.g. `pallet_multisig`, for comparisons on one basis).
	#[arg(long, default_value = PALLET)]
	pallet: String,
	/// Only the benchmarks whose name contains this.
	#[arg(long)]
	only: Option<String>,
}

/// This repository's pallet.
const PALLET: &str = "pallet_referral_rebate";

fn main() -> Result<(), String> {
	let args = Args::parse();
	let (runner, source): (Box<dyn state::Runner>, String) = match &args.wasm {
		Some(path) => (
			Box::new(wasm::Wasm::new(path, &args.preset, &args.pallet)?),
			format!("compiled wasm execution of {}, preset `{}`", path.display(), args.preset),
		),
		None if args.pallet == PALLET => {
			(Box::new(native::Native::new()?), "native execution of the pallet's mock".into())
		}
		None => {
			return Err(format!("{} can only be benchmarked in a runtime (--wasm)", args.pallet))
		}
	};
	let info = runner.storage_info()?;
	let mut results = Vec::new();
	for benchmark in runner.benchmarks()? {
		if args.only.as_ref().is_some_and(|o| !benchmark.name.contains(o)) {
			continue;
		}
		let name = &benchmark.name;
		eprintln!("benchmarking {name} (steps {}, repeat {})", args.steps, args.repeat);
		let raw = state::run(runner.as_ref(), &benchmark, args.steps.max(2), args.repeat.max(1))?;
		results.push(analysis::analyse(name, &raw, &info)?);
	}
	let command: Vec<String> = ["cargo run --release -p referral-rebate-weights --".to_owned()]
		.into_iter()
		.chain(std::env::args().skip(1))
		.collect();
	let run = render::Provenance {
		pallet: args.pallet.clone(),
		source,
		steps: args.steps,
		repeat: args.repeat,
		command,
	};
	let write = |path: &PathBuf, text: String| {
		std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
	};
	if let Some(out) = &args.output {
		write(out, render::weights_rs(&results, &run))?;
		eprintln!("wrote {}", out.display());
	}
	if let Some(out) = &args.runtime_output {
		write(out, render::runtime_weights_rs(&results, &run))?;
		eprintln!("wrote {}", out.display());
	}
	let report = render::report(&results, &run);
	println!("{report}");
	if let Some(path) = &args.report {
		write(path, report)?;
	}
	Ok(())
}
