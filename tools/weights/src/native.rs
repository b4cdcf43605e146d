//! The pallet's benchmarks executed natively in its mock runtime, over the tracking state
//! (`sc_client_db::BenchmarkingState`) that `frame-benchmarking-cli` uses.

use crate::state::{Listed, Runner};
use frame_benchmarking::{BenchmarkError, BenchmarkParameter, BenchmarkResult, Benchmarking};
use frame_support::traits::{StorageInfo, StorageInfoTrait, WhitelistedStorageKeys};
use pallet_referral_rebate::mock::{AllPalletsWithSystem, ExtBuilder, Test};
use sc_client_db::BenchmarkingState;
use sp_externalities::Extensions;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{Ext, OverlayedChanges};
use sp_storage::TrackedStorageKey;

type Bench = pallet_referral_rebate::Pallet<Test>;

/// The mock runtime's genesis in a plain and a tracking state.
pub struct Native {
	timing: BenchmarkingState<BlakeTwo256>,
	tracking: BenchmarkingState<BlakeTwo256>,
}

impl Native {
	pub fn new() -> Result<Self, String> {
		let state = |tracking| {
			BenchmarkingState::<BlakeTwo256>::new(
				ExtBuilder::default().genesis(),
				None,
				true,
				tracking,
			)
		};
		Ok(Self { timing: state(false)?, tracking: state(true)? })
	}
}

impl Runner for Native {
	fn benchmarks(&self) -> Result<Vec<Listed>, String> {
		Ok(<Bench as Benchmarking>::benchmarks(false)
			.into_iter()
			.map(|m| Listed {
				name: String::from_utf8_lossy(&m.name).into_owned(),
				components: m.components,
			})
			.collect())
	}

	fn storage_info(&self) -> Result<Vec<StorageInfo>, String> {
		Ok(AllPalletsWithSystem::storage_info())
	}

	fn dispatch(
		&self,
		tracking: bool,
		name: &str,
		components: &[(BenchmarkParameter, u32)],
		verify: bool,
		repeats: u32,
	) -> Result<Vec<BenchmarkResult>, String> {
		let state = if tracking { &self.tracking } else { &self.timing };
		let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();
		let mut overlay = OverlayedChanges::default();
		let mut extensions = Extensions::default();
		extensions.register(KeystoreExt::new(MemoryKeystore::new()));
		let mut ext = Ext::new(&mut overlay, state, Some(&mut extensions));
		let outcome = sp_externalities::set_and_run_with_externalities(&mut ext, || {
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
}
