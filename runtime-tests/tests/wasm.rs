//! The runtime's wasm blob: it exists, it executes (version, metadata, a whole block built
//! natively and re-executed in wasm), and its metadata lists the pallet's calls, events and
//! errors. Needs the `wasm` feature (default) and the wasm32v1-none target.
#![cfg(feature = "wasm")]

use codec::{Decode, Encode};
use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
use rebate_runtime_tests::{
	documents::{purchase_call, settle_call, Parties, Terms},
	Chain,
};
use rebate_test_runtime::{Block, UNIT, VERSION, WASM_BINARY};

fn call(
	ext: &mut dyn sp_core::traits::Externalities,
	method: &str,
	data: &[u8],
) -> Result<Vec<u8>, String> {
	rebate_runtime_tests::wasm::call(ext, method, data).expect(
		"the wasm blob was not built: build with the `wasm` feature and without SKIP_WASM_BUILD",
	)
}

#[test]
fn the_wasm_runtime_reports_its_version_and_metadata() {
	let wasm = WASM_BINARY.expect("built with the wasm feature");
	let compressed = wasm.starts_with(&[0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05]);
	println!("wasm runtime: {} bytes (zstd-compressed: {compressed})", wasm.len());
	let mut chain = Chain::development(&[]);
	let (version, metadata) = chain.with_ext(|ext| {
		let version = call(ext, "Core_version", &[]).expect("Core_version executes");
		let metadata = call(ext, "Metadata_metadata", &[]).expect("Metadata_metadata executes");
		(version, metadata)
	});
	let version = sp_version::RuntimeVersion::decode(&mut &version[..]).expect("a version");
	assert_eq!(version.spec_name, VERSION.spec_name);
	assert_eq!(version.spec_version, VERSION.spec_version);

	let opaque = Vec::<u8>::decode(&mut &metadata[..]).expect("opaque metadata");
	let prefixed = RuntimeMetadataPrefixed::decode(&mut &opaque[..]).expect("metadata decodes");
	let RuntimeMetadata::V14(metadata) = prefixed.1 else { panic!("metadata v14 by default") };
	let pallet = metadata
		.pallets
		.iter()
		.find(|p| p.name == "ReferralRebate")
		.expect("the pallet is in the metadata");
	let variants = |ty: Option<u32>| -> Vec<String> {
		let id = ty.expect("has the type");
		match &metadata.types.resolve(id).expect("type in registry").type_def {
			scale_info::TypeDef::Variant(v) => v.variants.iter().map(|v| v.name.clone()).collect(),
			other => panic!("not an enum: {other:?}"),
		}
	};
	let calls = variants(pallet.calls.as_ref().map(|c| c.ty.id));
	let events = variants(pallet.event.as_ref().map(|e| e.ty.id));
	let errors = variants(pallet.error.as_ref().map(|e| e.ty.id));
	for call in ["purchase", "settle_referral", "submit_rebate", "refund", "close_overdue"] {
		assert!(calls.iter().any(|c| c == call), "call {call} in {calls:?}");
	}
	for event in [
		"PurchaseRecorded",
		"ReferralSettled",
		"RebateScheduled",
		"RebatePaid",
		"RebateLapsed",
		"PurchaseRefunded",
	] {
		assert!(events.iter().any(|e| e == event), "event {event} in {events:?}");
	}
	for error in ["SettleDeadlinePassed", "BadOfferRefereeSignature", "PayAtTooFar"] {
		assert!(errors.iter().any(|e| e == error), "error {error} in {errors:?}");
	}
	let constants: Vec<_> = pallet.constants.iter().map(|c| c.name.clone()).collect();
	for constant in ["PalletId", "MaxRebateDelay", "PurchaseLifetime", "MaxHookWeight"] {
		assert!(constants.iter().any(|c| c == constant), "{constant} in {constants:?}");
	}
}

#[test]
fn a_block_built_natively_executes_in_wasm() {
	let p = Parties::dev();
	let mut author = Chain::development(&[]);
	let mut importer = Chain::development(&[]);
	let genesis = author.genesis_hash();
	assert_eq!(genesis, importer.genesis_hash());

	// Block 2: a purchase. Block 3: a settlement carrying five document signatures.
	let xt = author.sign(
		&p.customer,
		purchase_call(p.merchant.account(), rebate_test_runtime::AssetKind::Native, 100 * UNIT),
	);
	let produced2 = author.produce(vec![xt]);
	let (block2, author_events) = (produced2.block, produced2.events);
	let origin = rebate_runtime_tests::recorded_purchase(&author_events).expect("recorded");
	let t = Terms::standard(origin, 10, 20);
	let xt = author.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let produced = author.produce(vec![xt]);
	assert!(matches!(produced.results[..], [Ok(Ok(()))]));

	// The importer executes both blocks with the wasm runtime; execute_block checks the state
	// and extrinsics roots, so equal results mean the wasm and native runtimes agree.
	for block in [block2, produced.block] {
		importer.with_ext(|ext| {
			call(ext, "Core_execute_block", &Block::encode(&block))
				.expect("the wasm runtime executes the block");
		});
		importer.commit();
	}
	let referee = p.referee.account();
	assert_eq!(importer.free(&referee), author.free(&referee));
}

#[test]
fn the_wasm_genesis_builder_builds_the_same_development_state() {
	use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET};
	let mut empty = sp_io::TestExternalities::default();
	let names =
		call(&mut empty.ext(), "GenesisBuilder_preset_names", &[]).expect("preset_names executes");
	let names = Vec::<PresetId>::decode(&mut &names[..]).expect("preset names");
	assert!(names.iter().any(|n| AsRef::<str>::as_ref(n) == DEV_RUNTIME_PRESET), "{names:?}");

	let id: Option<PresetId> = Some(DEV_RUNTIME_PRESET.into());
	let preset = call(&mut empty.ext(), "GenesisBuilder_get_preset", &id.encode())
		.expect("get_preset executes");
	let preset = Option::<Vec<u8>>::decode(&mut &preset[..])
		.expect("an option")
		.expect("the development preset exists");

	let mut built = sp_io::TestExternalities::default();
	let result = call(&mut built.ext(), "GenesisBuilder_build_state", &preset.encode())
		.expect("build_state executes");
	assert_eq!(Result::<(), String>::decode(&mut &result[..]), Ok(Ok(())));
	let wasm_root = built.execute_with(|| sp_io::storage::root(sp_runtime::StateVersion::V1));

	use rebate_test_runtime::BuildStorage;
	let config: rebate_test_runtime::RuntimeGenesisConfig =
		serde_json::from_slice(&preset).expect("the preset parses natively");
	let mut native = sp_io::TestExternalities::new(config.build_storage().expect("builds"));
	let native_root = native.execute_with(|| sp_io::storage::root(sp_runtime::StateVersion::V1));
	assert_eq!(wasm_root, native_root, "wasm and native genesis agree");
}
