//! The client reads the referral-rebate pallet from a chain's metadata: found under another name
//! and index, with its constants; refused, saying what differs, when its documents, calls,
//! storage or domain tags are not the ones this client was built for.

use codec::{Decode, Encode};
use frame_metadata::{v15::RuntimeMetadataV15, RuntimeMetadata, RuntimeMetadataPrefixed};
use rebate_client::{metadata, ClientError};
use scale_info::{form::PortableForm, TypeDef, TypeDefPrimitive};

/// The test runtime's metadata, as frame-metadata's types, to doctor.
fn v15() -> RuntimeMetadataV15 {
	let opaque = rebate_test_runtime::Runtime::metadata_at_version(15).expect("v15");
	match RuntimeMetadataPrefixed::decode(&mut &opaque[..]).expect("decodes").1 {
		RuntimeMetadata::V15(m) => m,
		_ => panic!("v15"),
	}
}

fn subxt(m: RuntimeMetadataV15) -> subxt::Metadata {
	let bytes = RuntimeMetadataPrefixed::from(m).encode();
	subxt::Metadata::decode_from(&bytes[..]).expect("subxt reads it")
}

fn doctored(
	change: impl FnOnce(&mut RuntimeMetadataV15),
) -> Result<metadata::PalletInfo, ClientError> {
	let mut m = v15();
	change(&mut m);
	metadata::pallet(&subxt(m), &metadata::ours().expect("ours"))
}

fn ours_pallet(
	m: &mut RuntimeMetadataV15,
) -> &mut frame_metadata::v15::PalletMetadata<PortableForm> {
	m.pallets.iter_mut().find(|p| p.name == "ReferralRebate").expect("the pallet")
}

#[test]
fn the_pallet_is_read_from_metadata_under_any_name_and_index() {
	let info = doctored(|_| {}).expect("the test runtime's pallet");
	assert_eq!(info.name, "ReferralRebate");
	use frame_support::traits::{Get, PalletInfoAccess};
	assert_eq!(info.index as usize, rebate_test_runtime::ReferralRebate::index());
	type C = <rebate_test_runtime::Runtime as pallet_referral_rebate::Config>::PurchaseLifetime;
	assert_eq!(info.purchase_lifetime, <C as Get<u32>>::get());
	let settled = pallet_referral_rebate::Error::<rebate_test_runtime::Runtime>::AlreadySettled;
	assert_eq!(info.error_name(settled.encode()[0]), Some("AlreadySettled"));
	// Another chain puts it elsewhere, under another name: found there.
	let info = doctored(|m| {
		let p = ours_pallet(m);
		p.name = "Rebates".into();
		p.index = 42;
	})
	.expect("found by its calls");
	assert_eq!((info.name.as_str(), info.index), ("Rebates", 42));
}

fn refusal(r: Result<metadata::PalletInfo, ClientError>) -> String {
	match r {
		Err(e @ ClientError::IncompatibleChain { .. }) => e.to_string(),
		other => panic!("expected a refusal, got {other:?}"),
	}
}

#[test]
fn a_pallet_this_client_does_not_understand_is_refused_saying_why() {
	// Other domain tags.
	let e = refusal(doctored(|m| {
		let c = ours_pallet(m).constants.iter_mut().find(|c| c.name == "DomainTags").unwrap();
		c.value = vec![b"cn113177820/offer/v9".to_vec()].encode();
	}));
	assert!(e.contains("domain tags") && e.contains("offer/v9"), "{e}");
	// Another document layout: settle_referral's first argument of another type.
	let e = refusal(doctored(|m| {
		let u32_id = m
			.types
			.types
			.iter()
			.find(|t| matches!(t.ty.type_def, TypeDef::Primitive(TypeDefPrimitive::U32)))
			.map(|t| t.id)
			.expect("a u32");
		let calls = ours_pallet(m).calls.as_ref().expect("calls").ty.id;
		let ty = m.types.types.iter_mut().find(|t| t.id == calls).expect("the call enum");
		let TypeDef::Variant(v) = &mut ty.ty.type_def else { panic!("an enum") };
		let settle = v.variants.iter_mut().find(|v| v.name == "settle_referral").expect("it");
		settle.fields[0].ty = u32_id.into();
	}));
	assert!(e.contains("call `settle_referral` has other arguments"), "{e}");
	assert!(e.contains("pallet ReferralRebate"), "{e}");
	// No such pallet.
	let e = refusal(doctored(|m| m.pallets.retain(|p| p.name != "ReferralRebate")));
	assert!(e.contains("no referral-rebate pallet"), "{e}");
}

#[test]
fn the_pallets_errors_come_back_as_values_at_the_index_the_chain_gives() {
	use rebate_client::{describe_dispatch_error, PalletError};
	let settled = PalletError::AlreadySettled.encode();
	let mut error = [0u8; 4];
	error[..settled.len()].copy_from_slice(&settled);
	// A chain with the pallet at index 42 (its metadata says so): its error 42/AlreadySettled is
	// the pallet's error, a value the agent matches on, not a name.
	let module = sp_runtime::DispatchError::Module(sp_runtime::ModuleError {
		index: 42,
		error,
		message: None,
	});
	match describe_dispatch_error(&module, 42) {
		ClientError::Rejected { name, pallet: Some(PalletError::AlreadySettled), .. } => {
			assert_eq!(name, "AlreadySettled")
		}
		other => panic!("expected the pallet's AlreadySettled, got {other:?}"),
	}
	// The same bytes from another pallet are not the referral-rebate pallet's.
	assert!(matches!(
		describe_dispatch_error(&module, 7),
		ClientError::Rejected { pallet: None, .. }
	));
}

#[test]
fn the_pallets_storage_is_read_under_the_name_the_chain_gives() {
	use rebate_client::chain::state::at_pallet;
	let typed = pallet_referral_rebate::Purchases::<rebate_test_runtime::Runtime>::hashed_key_for(
		pallet_referral_rebate::BlockKey::of(5u32),
		2u32,
	);
	// The test runtime's name: the key as frame writes it.
	assert_eq!(at_pallet("ReferralRebate", typed.clone()), typed);
	// A chain that calls the pallet `Rebates`: frame's prefix for that name, the rest unchanged.
	let moved = at_pallet("Rebates", typed.clone());
	let prefix = frame_support::storage::storage_prefix(b"Rebates", b"Purchases");
	assert_eq!(&moved[..32], &prefix[..]);
	assert_eq!(&moved[32..], &typed[32..]);
}
