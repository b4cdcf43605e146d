//! The client reads the referral-rebate pallet from a chain's metadata: found under another name
//! and index, with its constants; refused, saying what differs, when its documents, calls,
//! storage or domain tags are not the ones this client was built for.

#[path = "../benches/support/documents.rs"]
mod referral;

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

use rebate_client::{
	chain::{ChainEvent, Constants, RuntimeInfo},
	extrinsic::Birth,
	keys::{KeyPair, Scheme},
	metadata::Profile,
};
use rebate_test_runtime::{RuntimeCall, RuntimeEvent};

fn info() -> RuntimeInfo {
	let v = rebate_test_runtime::VERSION;
	RuntimeInfo {
		genesis: sp_core::H256::repeat_byte(7),
		spec_version: v.spec_version,
		transaction_version: v.transaction_version,
	}
}

fn profile(change: impl FnOnce(&mut RuntimeMetadataV15)) -> Result<Profile, ClientError> {
	let mut m = v15();
	change(&mut m);
	Profile::new(subxt(m).arc(), &info())
}

/// A settlement (its signer payload is over 256 bytes: hashed before signing).
fn settlement() -> RuntimeCall {
	let dev = |n| KeyPair::dev(n).unwrap();
	let p =
		referral::Parties { merchant: dev("alice"), customer: dev("bob"), referee: dev("charlie") };
	let origin = pallet_referral_rebate::PurchaseId { block: 2, index: 1 };
	let (offer, _, purchase) = referral::documents(&info().genesis, 3, &p, origin, 20, 30);
	RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::settle_referral {
		offer: Box::new(offer),
		purchase: Box::new(purchase),
	})
}

/// A purchase of alice's, and a transfer (another pallet's call).
fn calls() -> [RuntimeCall; 2] {
	let alice = KeyPair::dev("alice").unwrap().account();
	[
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::purchase {
			merchant: alice.clone(),
			asset: rebate_test_runtime::STABLECOIN,
			price: 5_000_000,
		}),
		RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: alice.into(),
			value: rebate_test_runtime::UNIT,
		}),
	]
}

const BIRTH: Birth = Birth { number: 9, hash: sp_core::H256::repeat_byte(3) };

fn type_id(m: &RuntimeMetadataV15, def: impl Fn(&TypeDef<PortableForm>) -> bool) -> u32 {
	m.types.types.iter().find(|t| def(&t.ty.type_def)).map(|t| t.id).expect("a type")
}

#[test]
fn the_metadata_path_signs_exactly_what_the_typed_path_signs_on_the_test_runtime() {
	// ed25519 signs deterministically: the same payload gives the same bytes.
	let key = KeyPair::from_suri(Scheme::Ed25519, "//Bob").unwrap();
	let p = profile(|_| {}).expect("the test runtime's profile");
	assert_eq!(p.constants, Constants::test_runtime());
	assert!(p.extensions.asset_fees);
	let [purchase, transfer] = calls();
	for call in [purchase, transfer, settlement()] {
		for fee in [None, Some(rebate_test_runtime::STABLECOIN_ID)] {
			let typed = rebate_client::extrinsic::sign(&info(), &key, call.clone(), 4, BIRTH, fee);
			let by_metadata = p.sign(&key, call.clone(), 4, BIRTH, fee).expect("signed");
			assert_eq!(by_metadata.encoded(), codec::Encode::encode(&typed), "{call:?} {fee:?}");
		}
	}
}

#[test]
fn calls_and_events_are_renumbered_where_the_chain_puts_the_pallet() {
	let key = KeyPair::dev("bob").unwrap();
	let moved = profile(|m| {
		let p = ours_pallet(m);
		p.name = "Rebates".into();
		p.index = 42;
		// And pallet Multisig as something this client does not know.
		m.pallets.iter_mut().find(|p| p.name == "Multisig").unwrap().name = "Proxy".into();
	})
	.expect("the moved pallet's profile");
	let [purchase, transfer] = calls();
	// The call goes out under index 42, its arguments unchanged; a v4 extrinsic ends with it.
	let mut renumbered = codec::Encode::encode(&purchase);
	let on_chain = moved.vocabulary.call(&renumbered).expect("the chain has it").clone();
	assert_eq!((on_chain.pallet_index, on_chain.pallet.as_str()), (42, "Rebates"));
	renumbered[0] = 42;
	let xt = moved.sign(&key, purchase, 0, BIRTH, None).expect("signed");
	assert!(xt.encoded().ends_with(&renumbered));
	// Another pallet's call keeps its index.
	let plain = codec::Encode::encode(&transfer);
	assert!(moved.sign(&key, transfer, 1, BIRTH, None).unwrap().encoded().ends_with(&plain));

	// The chain's event 42/… is the pallet's event; an unknown pallet's event keeps its names.
	let event = RuntimeEvent::ReferralRebate(pallet_referral_rebate::Event::PurchaseRefunded {
		purchase_id: pallet_referral_rebate::PurchaseId { block: 3, index: 1 },
		merchant: key.account(),
		buyer: key.account(),
		asset: rebate_test_runtime::STABLECOIN,
		amount: 5,
		promotion_id: None,
	});
	let record = |event: RuntimeEvent, pallet: u8| {
		let mut bytes = frame_system::EventRecord {
			phase: frame_system::Phase::ApplyExtrinsic(1),
			event,
			topics: Vec::<sp_core::H256>::new(),
		}
		.encode();
		// Phase (variant and u32), then the event's pallet index.
		bytes[5] = pallet;
		bytes
	};
	let mut raw = codec::Compact(2u32).encode();
	raw.extend(record(event.clone(), 42));
	let multisig = RuntimeEvent::Multisig(pallet_multisig::Event::MultisigCancelled {
		cancelling: key.account(),
		timepoint: pallet_multisig::Timepoint { height: 1, index: 0 },
		multisig: key.account(),
		call_hash: [0; 32],
	});
	let multisig_index = codec::Encode::encode(&multisig)[0];
	raw.extend(record(multisig, multisig_index));
	let events = moved.events(raw).expect("decoded by the chain's metadata");
	assert_eq!((events[0].extrinsic, &events[0].event), (Some(1), &ChainEvent::Known(event)));
	assert_eq!(
		events[1].event,
		ChainEvent::Other { pallet: "Proxy".into(), name: "MultisigCancelled".into() }
	);
	assert!(events.iter().all(|e| e.failed.is_none()));
	// A call of a pallet the chain names otherwise is refused before signing, naming it.
	let e = moved
		.sign(
			&key,
			RuntimeCall::Multisig(pallet_multisig::Call::approve_as_multi {
				threshold: 2,
				other_signatories: vec![],
				maybe_timepoint: None,
				call_hash: [0; 32],
				max_weight: Default::default(),
			}),
			2,
			BIRTH,
			None,
		)
		.unwrap_err();
	assert!(e.to_string().contains("no call `Multisig.approve_as_multi`"), "{e}");
}

/// `System::Events` holding `event`, emitted by extrinsic 1.
fn one_event(event: RuntimeEvent) -> Vec<u8> {
	let mut raw = codec::Compact(1u32).encode();
	raw.extend(
		frame_system::EventRecord {
			phase: frame_system::Phase::ApplyExtrinsic(1),
			event,
			topics: Vec::<sp_core::H256>::new(),
		}
		.encode(),
	);
	raw
}

#[test]
fn a_failed_extrinsic_is_a_failure_even_when_its_event_is_not_the_clients() {
	let error = sp_runtime::DispatchError::Module(sp_runtime::ModuleError {
		index: 6,
		error: [3, 0, 0, 0],
		message: None,
	});
	let failed = RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
		dispatch_error: error,
		dispatch_info: Default::default(),
	});
	let read = &profile(|_| {}).unwrap().events(one_event(failed.clone())).unwrap()[0];
	assert_eq!((&read.event, read.failed), (&ChainEvent::Known(failed.clone()), Some(error)));
	// A chain whose `ExtrinsicFailed` has other fields (here: another name for the second): the
	// event is not the client's, and the failure is still seen.
	let other = profile(|m| {
		let system = m.pallets.iter().find(|p| p.name == "System").unwrap();
		let events = system.event.as_ref().unwrap().ty.id;
		let ty = m.types.types.iter_mut().find(|t| t.id == events).unwrap();
		let TypeDef::Variant(v) = &mut ty.ty.type_def else { panic!("an enum") };
		let f = v.variants.iter_mut().find(|v| v.name == "ExtrinsicFailed").unwrap();
		f.fields[1].name = Some("info".into());
	})
	.unwrap();
	let read = &other.events(one_event(failed)).unwrap()[0];
	assert_eq!(
		read.event,
		ChainEvent::Other { pallet: "System".into(), name: "ExtrinsicFailed".into() }
	);
	assert_eq!(read.failed, Some(error));
}

#[test]
fn errors_in_another_order_or_two_such_pallets_are_refused() {
	let e = refusal(doctored(|m| {
		let errors = ours_pallet(m).error.as_ref().unwrap().ty.id;
		let ty = m.types.types.iter_mut().find(|t| t.id == errors).unwrap();
		let TypeDef::Variant(v) = &mut ty.ty.type_def else { panic!("an enum") };
		let (a, b) = (v.variants[0].index, v.variants[1].index);
		(v.variants[0].index, v.variants[1].index) = (b, a);
	}));
	assert!(e.contains("its errors are other ones, or in another order"), "{e}");
	let e = refusal(doctored(|m| {
		let mut twin = ours_pallet(m).clone();
		(twin.name, twin.index) = ("Rebates2".into(), 77);
		m.pallets.push(twin);
	}));
	assert!(e.contains("2 referral-rebate pallets (ReferralRebate, Rebates2)"), "{e}");
}

#[test]
fn transaction_extensions_the_client_cannot_fill_are_refused_by_name() {
	// One that carries a u32 this client knows nothing of.
	let e = match profile(|m| {
		let u32_id = type_id(m, |t| matches!(t, TypeDef::Primitive(TypeDefPrimitive::U32)));
		m.extrinsic.signed_extensions.push(frame_metadata::v15::SignedExtensionMetadata {
			identifier: "CheckLoyaltyTier".into(),
			ty: u32_id.into(),
			additional_signed: u32_id.into(),
		});
	}) {
		Err(e @ ClientError::IncompatibleChain { .. }) => e.to_string(),
		Err(other) => panic!("expected a refusal, got {other}"),
		Ok(_) => panic!("expected a refusal"),
	};
	assert!(e.contains("`CheckLoyaltyTier` carries data this client cannot fill"), "{e}");
	// One subxt fills, with other types than the client's: refused too.
	let e = match profile(|m| {
		let u64_id = type_id(m, |t| matches!(t, TypeDef::Primitive(TypeDefPrimitive::U64)));
		let nonce = m
			.extrinsic
			.signed_extensions
			.iter_mut()
			.find(|e| e.identifier == "CheckNonce")
			.unwrap();
		nonce.ty = u64_id.into();
	}) {
		Err(e) => e.to_string(),
		Ok(_) => panic!("expected a refusal"),
	};
	assert!(e.contains("`CheckNonce` has other types"), "{e}");
	// One that carries nothing is simply skipped, and the rest signs as before.
	let empty = profile(|m| {
		let unit = type_id(m, |t| matches!(t, TypeDef::Tuple(t) if t.fields.is_empty()));
		m.extrinsic.signed_extensions.push(frame_metadata::v15::SignedExtensionMetadata {
			identifier: "CheckNothing".into(),
			ty: unit.into(),
			additional_signed: unit.into(),
		});
	})
	.expect("an empty extension is skipped");
	let key = KeyPair::from_suri(Scheme::Ed25519, "//Bob").unwrap();
	let [purchase, _] = calls();
	let typed = rebate_client::extrinsic::sign(&info(), &key, purchase.clone(), 0, BIRTH, None);
	assert_eq!(
		empty.sign(&key, purchase.clone(), 0, BIRTH, None).unwrap().encoded(),
		typed.encode()
	);
	// A chain whose fees are native only: a fee asset is refused before signing.
	let native_only = profile(|m| {
		m.extrinsic.signed_extensions.retain(|e| e.identifier != "ChargeAssetTxPayment")
	})
	.expect("a chain without asset fees");
	assert!(!native_only.extensions.asset_fees);
	let e = native_only.sign(&key, purchase, 0, BIRTH, Some(1984)).unwrap_err();
	assert!(matches!(e, ClientError::Rule(_)), "{e}");
	assert!(e.to_string().contains("fees cannot be paid in asset 1984"), "{e}");
}

#[test]
fn constants_are_read_from_the_chains_metadata() {
	let p = profile(|m| {
		let balances = m.pallets.iter_mut().find(|p| p.name == "Balances").unwrap();
		let ed = balances.constants.iter_mut().find(|c| c.name == "ExistentialDeposit").unwrap();
		ed.value = 7u128.encode();
		let rebates = ours_pallet(m);
		let delay = rebates.constants.iter_mut().find(|c| c.name == "MaxRebateDelay").unwrap();
		delay.value = 99u32.encode();
		m.pallets.retain(|p| p.name != "Aura");
		let timestamp = m.pallets.iter_mut().find(|p| p.name == "Timestamp").unwrap();
		let period = timestamp.constants.iter_mut().find(|c| c.name == "MinimumPeriod").unwrap();
		period.value = 1_000u64.encode();
	})
	.expect("the profile");
	assert_eq!(p.constants.existential_deposit, 7);
	assert_eq!(p.constants.max_rebate_delay, 99);
	// No Aura: twice the timestamp's minimum period.
	assert_eq!(p.constants.block_time_ms, 2_000);
	// The escrow account is derived from the chain's PalletId.
	let p = profile(|m| {
		let id = ours_pallet(m).constants.iter_mut().find(|c| c.name == "PalletId").unwrap();
		id.value = b"py/other".to_vec();
	})
	.unwrap();
	use sp_runtime::traits::AccountIdConversion;
	let other: rebate_test_runtime::AccountId =
		frame_support::PalletId(*b"py/other").into_account_truncating();
	assert_eq!(p.constants.escrow_account(), other);
	// A minimum of another balance type (or none) is refused, not guessed.
	let e = match profile(|m| {
		let balances = m.pallets.iter_mut().find(|p| p.name == "Balances").unwrap();
		let ed = balances.constants.iter_mut().find(|c| c.name == "ExistentialDeposit").unwrap();
		ed.value = 7u64.encode();
	}) {
		Err(e) => e.to_string(),
		Ok(_) => panic!("expected a refusal"),
	};
	assert!(e.contains("no `Balances.ExistentialDeposit` of this client's balance type"), "{e}");
}

#[test]
fn accounts_and_assets_of_another_layout_are_refused_and_no_assets_pallet_is_fine() {
	// A chain whose accounts hold other data (here: System.Account's value of another type).
	let e = match profile(|m| {
		let u32_id = type_id(m, |t| matches!(t, TypeDef::Primitive(TypeDefPrimitive::U32)));
		let system = m.pallets.iter_mut().find(|p| p.name == "System").unwrap();
		let storage = system.storage.as_mut().unwrap();
		let account = storage.entries.iter_mut().find(|e| e.name == "Account").unwrap();
		let frame_metadata::v15::StorageEntryType::Map { value, .. } = &mut account.ty else {
			panic!("a map")
		};
		*value = u32_id.into();
	}) {
		Err(e) => e.to_string(),
		Ok(_) => panic!("expected a refusal"),
	};
	assert!(e.contains("its storage `System.Account` has another layout"), "{e}");
	// A chain without pallet-assets: nothing to read there, nothing refused.
	profile(|m| m.pallets.retain(|p| p.name != "Assets")).expect("no assets is fine");
}
