//! The runtime's named genesis presets, through the GenesisBuilder runtime API's logic.

use rebate_test_runtime::{genesis::DEV_ENDOWMENT, BuildStorage, Runtime, RuntimeGenesisConfig};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;

#[test]
fn presets_are_listed_and_fund_the_dev_accounts() {
	let names = rebate_test_runtime::genesis::preset_names();
	assert!(names.iter().any(|n| AsRef::<str>::as_ref(n) == DEV_RUNTIME_PRESET));
	assert!(names.iter().any(|n| AsRef::<str>::as_ref(n) == LOCAL_TESTNET_RUNTIME_PRESET));
	assert!(rebate_test_runtime::genesis::get_preset(&"nonsense".into()).is_none());

	for (name, authorities) in [(DEV_RUNTIME_PRESET, 1), (LOCAL_TESTNET_RUNTIME_PRESET, 2)] {
		let json = rebate_test_runtime::genesis::get_preset(&name.into()).expect("preset exists");
		let config: RuntimeGenesisConfig = serde_json::from_slice(&json).expect("parses");
		assert_eq!(config.aura.authorities.len(), authorities, "{name}");
		let storage = config.build_storage().expect("builds");
		sp_io::TestExternalities::new(storage).execute_with(|| {
			for who in Sr25519Keyring::iter() {
				assert_eq!(
					pallet_balances::Pallet::<Runtime>::free_balance(who.to_account_id()),
					DEV_ENDOWMENT,
					"{name}: {who:?}"
				);
			}
		});
	}
}
