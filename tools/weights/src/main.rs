//! `referral-rebate-weights`: runs `pallet-referral-rebate`'s frame-benchmarking benchmarks
//! natively, over the same tracking state (`sc_client_db::BenchmarkingState`) that
//! `frame-benchmarking-cli` uses, and writes `weights.rs` in the standard generated form plus a
//! report of each benchmark against one bare signature verification measured in the same run.
//!
//! It follows the CLI's procedure: for every component value (steps over each `Linear` range,
//! the other components at their maximum) a verification pass, a database pass that counts reads,
//! writes and the recorded proof, and `repeat` timing passes; then least-squares fits for time,
//! reads and writes, and the CLI's MaxEncodedLen proof-size estimate.
//!
//! The times are native execution of the mock runtime, not wasm: use them for ratios and for the
//! mock's weights; a production runtime regenerates its weights with `frame-omni-bencher` against
//! its own wasm (see `docs/benchmarks.md`).

mod analysis;
mod render;
mod state;

use clap::Parser;
use std::path::PathBuf;

/// Run the pallet's benchmarks natively and write weights.rs.
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
	/// Where to write the markdown report (printed to stdout as well).
	#[arg(long)]
	report: Option<PathBuf>,
	/// Only the benchmarks whose name contains this.
	#[arg(long)]
	only: Option<String>,
}

fn main() -> Result<(), String> {
	let args = Args::parse();
	let names = state::benchmark_names();
	let mut results = Vec::new();
	for name in names.iter().filter(|n| args.only.as_ref().map_or(true, |o| n.contains(o))) {
		eprintln!("benchmarking {name} (steps {}, repeat {})", args.steps, args.repeat);
		let raw = state::run(name, args.steps.max(2), args.repeat.max(1))?;
		results.push(analysis::analyse(name, &raw)?);
	}
	let command: Vec<String> = ["cargo run --release -p referral-rebate-weights --".to_owned()]
		.into_iter()
		.chain(std::env::args().skip(1))
		.collect();
	if let Some(out) = &args.output {
		let text = render::weights_rs(&results, &args.steps, &args.repeat, &command);
		std::fs::write(out, text).map_err(|e| format!("writing {}: {e}", out.display()))?;
		eprintln!("wrote {}", out.display());
	}
	let report = render::report(&results, &command);
	println!("{report}");
	if let Some(path) = &args.report {
		std::fs::write(path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
	}
	Ok(())
}
