//! The benchmarking procedure of `frame-benchmarking-cli`, over any [`Runner`]: for each
//! component value a verification pass, a database pass over a tracking state and `repeat`
//! timing passes.

use frame_benchmarking::{BenchmarkParameter, BenchmarkResult};
use frame_support::traits::StorageInfo;

/// One benchmark as its pallet lists it.
pub struct Listed {
	pub name: String,
	pub components: Vec<(BenchmarkParameter, u32, u32)>,
}

/// Where the benchmarks execute: natively in the pallet's mock runtime, or in a runtime's wasm.
pub trait Runner {
	/// The pallet's benchmarks.
	fn benchmarks(&self) -> Result<Vec<Listed>, String>;
	/// The runtime's storage items, for the proof-size estimate.
	fn storage_info(&self) -> Result<Vec<StorageInfo>, String>;
	/// Run benchmark `name` at `components`: over the tracking state (reads, writes, proof) or
	/// the plain one (timing).
	fn dispatch(
		&self,
		tracking: bool,
		name: &str,
		components: &[(BenchmarkParameter, u32)],
		verify: bool,
		repeats: u32,
	) -> Result<Vec<BenchmarkResult>, String>;
}

/// What one benchmark produced: timing runs, database runs and its components' ranges.
pub struct Raw {
	pub time: Vec<BenchmarkResult>,
	pub db: Vec<BenchmarkResult>,
	pub components: Vec<(BenchmarkParameter, u32, u32)>,
}

/// The component values the CLI takes: `steps` values over each component's range, the others at
/// their maximum.
fn component_sets(
	components: &[(BenchmarkParameter, u32, u32)],
	steps: u32,
) -> Vec<Vec<(BenchmarkParameter, u32)>> {
	if components.is_empty() {
		return vec![vec![]];
	}
	let mut sets = Vec::new();
	for (name, low, high) in components {
		let step = ((high - low) as f32 / (steps - 1) as f32).max(0.0);
		for s in 0..steps {
			let value = ((*low as f32 + step * s as f32) as u32).clamp(*low, *high);
			sets.push(
				components
					.iter()
					.map(|(n, _, h)| if n == name { (*n, value) } else { (*n, *h) })
					.collect(),
			);
		}
	}
	sets.dedup();
	sets
}

/// Run `benchmark`: a verification pass, a tracking pass and `repeat` timing passes for each
/// component value.
pub fn run(
	runner: &dyn Runner,
	benchmark: &Listed,
	steps: u32,
	repeat: u32,
) -> Result<Raw, String> {
	let name = &benchmark.name;
	let (mut time, mut db) = (Vec::new(), Vec::new());
	for set in component_sets(&benchmark.components, steps) {
		runner.dispatch(false, name, &set, true, 1)?;
		db.extend(runner.dispatch(true, name, &set, false, 1)?);
		time.extend(runner.dispatch(false, name, &set, false, repeat)?);
	}
	Ok(Raw { time, db, components: benchmark.components.clone() })
}
