//! Running one benchmark over a tracking, proof-recording state, as `frame-benchmarking-cli` does.

use frame_benchmarking::{BenchmarkError, BenchmarkParameter, BenchmarkResult, Benchmarking};
use frame_support::traits::WhitelistedStorageKeys;
use pallet_referral_rebate::mock::{AllPalletsWithSystem, ExtBuilder, Test};
use sc_client_db::BenchmarkingState;
use sp_externalities::Extensions;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{Ext, OverlayedChanges};
use sp_storage::TrackedStorageKey;

type Hashing = BlakeTwo256;
type Bench = pallet_referral_rebate::Pallet<Test>;

/// What one benchmark produced: timing runs, database runs and its components' ranges.
pub struct Raw {
	pub time: Vec<BenchmarkResult>,
	pub db: Vec<BenchmarkResult>,
	pub components: Vec<(BenchmarkParameter, u32, u32)>,
}

fn new_state(tracking: bool) -> Result<BenchmarkingState<Hashing>, String> {
	BenchmarkingState::<Hashing>::new(ExtBuilder::default().genesis(), None, true, tracking)
}

/// Run `f` with `state` as the externalities, with a fresh overlay and a keystore.
fn with_state<R>(state: &BenchmarkingState<Hashing>, f: impl FnOnce() -> R) -> R {
	let mut overlay = OverlayedChanges::<Hashing>::default();
	let mut extensions = Extensions::default();
	extensions.register(KeystoreExt::new(MemoryKeystore::new()));
	let mut ext = Ext::new(&mut overlay, state, Some(&mut extensions));
	sp_externalities::set_and_run_with_externalities(&mut ext, f)
}

/// The names of the pallet's benchmarks.
pub fn benchmark_names() -> Vec<String> {
	<Bench as Benchmarking>::benchmarks(false)
		.into_iter()
		.map(|m| String::from_utf8_lossy(&m.name).into_owned())
		.collect()
}

fn dispatch(
	state: &BenchmarkingState<Hashing>,
	name: &str,
	components: &[(BenchmarkParameter, u32)],
	verify: bool,
	repeats: u32,
) -> Result<Vec<BenchmarkResult>, String> {
	let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();
	let outcome = with_state(state, || {
		<Bench as Benchmarking>::run_benchmark(
			name.as_bytes(),
			components,
			&whitelist,
			verify,
			repeats,
		)
	});
	match outcome {
		Ok(results) => Ok(results),
		Err(BenchmarkError::Stop(e)) => Err(format!("{name}: {e}")),
		Err(e) => Err(format!("{name}: unsupported benchmark outcome {e:?}")),
	}
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

/// Run benchmark `name`: a verification pass, a tracking pass and `repeat` timing passes for each
/// component value.
pub fn run(name: &str, steps: u32, repeat: u32) -> Result<Raw, String> {
	let tracking = new_state(true)?;
	let timing = new_state(false)?;
	let meta = <Bench as Benchmarking>::benchmarks(false)
		.into_iter()
		.find(|m| m.name == name.as_bytes())
		.ok_or_else(|| format!("no benchmark {name}"))?;
	let (mut time, mut db) = (Vec::new(), Vec::new());
	for set in component_sets(&meta.components, steps) {
		dispatch(&timing, name, &set, true, 1)?;
		db.extend(dispatch(&tracking, name, &set, false, 1)?);
		time.extend(dispatch(&timing, name, &set, false, repeat)?);
	}
	Ok(Raw { time, db, components: meta.components })
}
