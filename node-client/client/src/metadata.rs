//! What the client reads from a chain's metadata about the referral-rebate pallet, and whether
//! it is a pallet this client understands.
//!
//! The client signs documents and builds calls with this crate's types (the pallet's documents
//! over the test runtime's account, asset, balance and block-number types). A chain that deploys
//! the pallet may place it at another index under another name and with other constants; those
//! are read from its metadata. What the client cannot adapt to — other document layouts, other
//! call arguments, other storage, other domain tags — is compared with the metadata this client
//! was built against (the test runtime's), by subxt's structural hashes of each call and storage
//! entry the client uses, and by the pallet's `DomainTags` constant. A chain that differs is
//! refused with what differs, before anything is signed.
//!
//! From the same metadata the client learns how its vocabulary — the test runtime's calls and
//! events — is numbered on the chain ([`Vocabulary`]: a call or event of a pallet with the same
//! name and the same field types, renumbered; the referral-rebate pallet under whatever name the
//! chain gives it), which transaction extensions a signed extrinsic carries ([`Extensions`]: the
//! ones subxt fills, and those that carry nothing; any other is refused by name), and the
//! constants its rules and displays use ([`constants`]).

use crate::{
	chain::{ChainEvent, Constants, Extrinsic, RuntimeInfo},
	extrinsic::{Birth, MORTALITY},
	keys::KeyPair,
	ClientError,
};
use codec::{Decode, DecodeAll, Encode};
use rebate_test_runtime::{RuntimeCall, RuntimeEvent};
use sp_runtime::DispatchError;
use std::collections::HashMap;
use subxt::{
	client::{ClientAtBlock, OfflineClient, OfflineClientAtBlockImpl},
	config::{substrate::SpecVersionForRange, DefaultExtrinsicParamsBuilder},
	Metadata, SubstrateConfig,
};

type Config = SubstrateConfig;

/// The calls the client submits.
pub const CALLS: [&str; 5] =
	["purchase", "settle_referral", "submit_rebate", "refund", "close_overdue"];
/// The storage entries the client reads.
pub const STORAGE: [&str; 4] = ["Purchases", "Promotions", "Campaigns", "CampaignRebates"];
/// The constant that names the documents' domain tags.
pub const DOMAIN_TAGS: &str = "DomainTags";
/// The other pallets' storage the client reads by the test runtime's keys and types (accounts,
/// assets): where a chain has one of them, it must have the test runtime's layout.
pub const OTHER_STORAGE: [(&str, &str); 4] =
	[("System", "Account"), ("Assets", "Asset"), ("Assets", "Account"), ("Assets", "Metadata")];

/// Check that every entry of [`OTHER_STORAGE`] the chain has is laid out as the client reads it
/// (subxt's storage hashes); a chain without pallet-assets simply has no assets to read.
pub fn other_storage(chain: &Metadata, ours: &Metadata) -> Result<(), ClientError> {
	let differs: Vec<String> = OTHER_STORAGE
		.iter()
		.filter(|(pallet, entry)| {
			let theirs = chain.pallet_by_name(pallet).and_then(|p| p.storage_hash(entry));
			let mine = ours.pallet_by_name(pallet).and_then(|p| p.storage_hash(entry));
			theirs.is_some() && theirs != mine
		})
		.map(|(pallet, entry)| format!("its storage `{pallet}.{entry}` has another layout"))
		.collect();
	if differs.is_empty() {
		Ok(())
	} else {
		Err(ClientError::IncompatibleChain { pallet: None, why: differs.join("; ") })
	}
}

/// The referral-rebate pallet as one chain deploys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PalletInfo {
	/// Its name in the chain's runtime (its storage prefix).
	pub name: String,
	/// Its index (of its calls, events and errors in the runtime's enums).
	pub index: u8,
	/// The furthest a rebate block may be (`MaxRebateDelay`).
	pub max_rebate_delay: u32,
	/// How long a purchase record lives (`PurchaseLifetime`).
	pub purchase_lifetime: u32,
	/// The id its escrow account is derived from (`PalletId`).
	pub pallet_id: [u8; 8],
	/// Its errors' names, by index.
	pub errors: Vec<String>,
}

impl PalletInfo {
	/// The name of the pallet's error `index`, if the chain's metadata names one.
	pub fn error_name(&self, index: u8) -> Option<&str> {
		self.errors.get(index as usize).map(String::as_str)
	}
}

/// The metadata this client was built against.
pub fn ours() -> Result<Metadata, ClientError> {
	let opaque = rebate_test_runtime::Runtime::metadata_at_version(15)
		.ok_or_else(|| ClientError::Backend("the client's runtime has no metadata v15".into()))?;
	Metadata::decode_from(&opaque[..])
		.map_err(|e| ClientError::Backend(format!("the client's own metadata: {e}")))
}

/// Find the referral-rebate pallet in `chain`'s metadata (the pallet with the calls the client
/// submits) and check it against `ours`.
/// The pallets of `md` with the calls the client submits.
fn rebate_pallets(md: &Metadata) -> Vec<subxt::metadata::PalletMetadata<'_>> {
	md.pallets().filter(|p| CALLS.iter().all(|c| p.call_variant_by_name(c).is_some())).collect()
}

pub fn pallet(chain: &Metadata, ours: &Metadata) -> Result<PalletInfo, ClientError> {
	let reference = rebate_pallets(ours)
		.pop()
		.ok_or_else(|| ClientError::Backend("the client's own metadata has no pallet".into()))?;
	let found = match rebate_pallets(chain).as_slice() {
		[one] => one.clone(),
		[] => return Err(ClientError::IncompatibleChain {
			pallet: None,
			why: "its runtime has no referral-rebate pallet (no pallet with the calls purchase, settle_referral, submit_rebate, …)".into(),
		}),
		several => return Err(ClientError::IncompatibleChain {
			pallet: None,
			why: format!(
				"its runtime has {} referral-rebate pallets ({}): name one",
				several.len(),
				several.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
			),
		}),
	};
	let mut differs = Vec::new();
	for call in CALLS {
		if found.call_hash(call) != reference.call_hash(call) {
			differs.push(format!("call `{call}` has other arguments"));
		}
	}
	for entry in STORAGE {
		if found.storage_hash(entry) != reference.storage_hash(entry) {
			differs.push(format!("storage `{entry}` has another layout"));
		}
	}
	let theirs = found.event_variants().unwrap_or_default();
	for event in reference.event_variants().unwrap_or_default() {
		match theirs.iter().find(|t| t.name == event.name) {
			Some(t) if same_fields(ours, &event.fields, chain, &t.fields) => {}
			Some(_) => differs.push(format!("event `{}` has other fields", event.name)),
			None => differs.push(format!("it has no event `{}`", event.name)),
		}
	}
	// Its errors are decoded as this client's, by index: the same names at the same indices.
	let names = |p: &subxt::metadata::PalletMetadata<'_>| -> Vec<(u8, String)> {
		p.error_variants().unwrap_or_default().iter().map(|v| (v.index, v.name.clone())).collect()
	};
	if names(&found) != names(&reference) {
		differs.push("its errors are other ones, or in another order".into());
	}
	match (found.constant_by_name("PalletId"), reference.constant_by_name("PalletId")) {
		(Some(theirs), Some(_)) if theirs.value().len() == 8 => {}
		_ => differs.push("it has no `PalletId` constant of 8 bytes".into()),
	}
	let tags = |p: &subxt::metadata::PalletMetadata<'_>| {
		p.constant_by_name(DOMAIN_TAGS).map(|c| c.value().to_vec())
	};
	match (tags(&found), tags(&reference)) {
		(Some(theirs), Some(mine)) if theirs == mine => {}
		(None, _) => differs.push(format!("it has no `{DOMAIN_TAGS}` constant")),
		(Some(theirs), _) => {
			let named = Vec::<Vec<u8>>::decode(&mut &theirs[..])
				.map(|t| {
					t.iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect::<Vec<_>>()
				})
				.unwrap_or_default();
			differs.push(format!("its documents' domain tags are {named:?}"));
		}
	}
	if !differs.is_empty() {
		return Err(ClientError::IncompatibleChain {
			pallet: Some(format!("{} (index {})", found.name(), found.call_index())),
			why: differs.join("; "),
		});
	}
	let constant = |name: &str| -> Result<u32, ClientError> {
		let c = found.constant_by_name(name).ok_or_else(|| ClientError::IncompatibleChain {
			pallet: Some(found.name().to_owned()),
			why: format!("it has no `{name}` constant"),
		})?;
		u32::decode_all(&mut c.value()).map_err(|e| ClientError::IncompatibleChain {
			pallet: Some(found.name().to_owned()),
			why: format!("its `{name}` is not a block number of this client's: {e}"),
		})
	};
	let mut pallet_id = [0u8; 8];
	if let Some(c) = found.constant_by_name("PalletId") {
		pallet_id.copy_from_slice(c.value());
	}
	Ok(PalletInfo {
		name: found.name().to_owned(),
		index: found.call_index(),
		pallet_id,
		max_rebate_delay: constant("MaxRebateDelay")?,
		purchase_lifetime: constant("PurchaseLifetime")?,
		errors: found
			.error_variants()
			.map(|v| {
				let mut names =
					vec![String::new(); v.iter().map(|e| e.index as usize + 1).max().unwrap_or(0)];
				for e in v {
					names[e.index as usize] = e.name.clone();
				}
				names
			})
			.unwrap_or_default(),
	})
}

/// A call of the client's vocabulary as one chain numbers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOnChain {
	/// The chain's index of the call's pallet.
	pub pallet_index: u8,
	/// The chain's index of the call in its pallet.
	pub call_index: u8,
	/// The pallet's name on the chain.
	pub pallet: String,
	/// The call's name.
	pub call: String,
}

/// How the client's calls and events (the test runtime's) are numbered on one chain: only those
/// whose pallet and name exist there with the same field types (by their metadata hashes).
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
	/// The test runtime's (pallet, call) indices → the chain's call.
	calls: HashMap<(u8, u8), CallOnChain>,
	/// The chain's (pallet, event) indices → the test runtime's.
	events: HashMap<(u8, u8), (u8, u8)>,
	/// The test runtime's pallet names by index (for errors).
	names: HashMap<(u8, u8), (String, String)>,
}

impl Vocabulary {
	/// The chain's call for the test runtime's call encoded as `encoded` (pallet index, call
	/// index, arguments), or an error naming the call the chain lacks.
	pub fn call(&self, encoded: &[u8]) -> Result<&CallOnChain, ClientError> {
		let key = match encoded {
			[pallet, call, ..] => (*pallet, *call),
			_ => return Err(ClientError::Backend("an encoded call is two bytes at least".into())),
		};
		self.calls.get(&key).ok_or_else(|| {
			let (pallet, call) = self
				.names
				.get(&key)
				.cloned()
				.unwrap_or_else(|| (format!("pallet {}", key.0), format!("call {}", key.1)));
			ClientError::IncompatibleChain {
				pallet: Some(pallet.clone()),
				why: format!(
					"it has no call `{pallet}.{call}` with the arguments this client encodes"
				),
			}
		})
	}

	/// The test runtime's (pallet, event) indices for the chain's event at `at`, if the chain's
	/// event is one of the client's.
	pub fn event(&self, at: (u8, u8)) -> Option<(u8, u8)> {
		self.events.get(&at).copied()
	}
}

/// The name the chain gives the test runtime's pallet `ours`: the referral-rebate pallet's is
/// the one [`pallet`] found; every other pallet is looked up by its own name.
fn chain_name<'a>(ours: &'a str, rebate: (&str, &'a str)) -> &'a str {
	if ours == rebate.0 {
		rebate.1
	} else {
		ours
	}
}

/// Whether two variants' fields have the same names and types (by their metadata hashes).
fn same_fields(
	ours: &Metadata,
	mine: &[scale_info::Field<scale_info::form::PortableForm>],
	chain: &Metadata,
	theirs: &[scale_info::Field<scale_info::form::PortableForm>],
) -> bool {
	mine.len() == theirs.len()
		&& mine.iter().zip(theirs).all(|(a, b)| {
			a.name == b.name
				&& ours.type_hash(a.ty.id).is_some()
				&& ours.type_hash(a.ty.id) == chain.type_hash(b.ty.id)
		})
}

/// The [`Vocabulary`] of the client (metadata `ours`) on `chain`, whose referral-rebate pallet
/// is `pallet`.
pub fn vocabulary(chain: &Metadata, ours: &Metadata, pallet: &PalletInfo) -> Vocabulary {
	let our_rebate = rebate_pallets(ours).pop().map(|p| p.name().to_owned()).unwrap_or_default();
	let mut vocabulary = Vocabulary::default();
	for mine in ours.pallets() {
		let name = chain_name(mine.name(), (&our_rebate, &pallet.name));
		for v in mine.call_variants().unwrap_or_default() {
			vocabulary
				.names
				.insert((mine.call_index(), v.index), (name.to_owned(), v.name.clone()));
		}
		let Some(theirs) = chain.pallet_by_name(name) else { continue };
		for v in mine.call_variants().unwrap_or_default() {
			let Some(t) = theirs.call_variant_by_name(&v.name) else { continue };
			if theirs.call_hash(&v.name).is_some()
				&& theirs.call_hash(&v.name) == mine.call_hash(&v.name)
			{
				vocabulary.calls.insert(
					(mine.call_index(), v.index),
					CallOnChain {
						pallet_index: theirs.call_index(),
						call_index: t.index,
						pallet: name.to_owned(),
						call: v.name.clone(),
					},
				);
			}
		}
		let their_events = theirs.event_variants().unwrap_or_default();
		for v in mine.event_variants().unwrap_or_default() {
			let Some(t) = their_events.iter().find(|t| t.name == v.name) else { continue };
			if same_fields(ours, &v.fields, chain, &t.fields) {
				vocabulary
					.events
					.insert((theirs.event_index(), t.index), (mine.event_index(), v.index));
			}
		}
	}
	vocabulary
}

/// The transaction extensions subxt fills (`subxt::config::DefaultTransactionExtensions`).
pub const FILLED_BY_SUBXT: [&str; 9] = [
	"VerifyMultiSignature",
	"CheckSpecVersion",
	"CheckTxVersion",
	"CheckNonce",
	"CheckGenesis",
	"CheckMortality",
	"ChargeAssetTxPayment",
	"ChargeTransactionPayment",
	"CheckMetadataHash",
];

/// What the chain's signed extrinsics carry, as far as the client decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extensions {
	/// Whether fees can be paid in a pallet-assets asset (`ChargeAssetTxPayment` with the client's
	/// asset id type).
	pub asset_fees: bool,
}

/// Whether the type `id` encodes to nothing (a unit, an empty tuple or composite).
fn is_empty(md: &Metadata, id: u32) -> bool {
	use scale_info::TypeDef;
	match md.types().resolve(id).map(|t| &t.type_def) {
		Some(TypeDef::Composite(c)) => c.fields.iter().all(|f| is_empty(md, f.ty.id)),
		Some(TypeDef::Tuple(t)) => t.fields.iter().all(|f| is_empty(md, f.id)),
		Some(TypeDef::Array(a)) => a.len == 0 || is_empty(md, a.type_param.id),
		_ => false,
	}
}

/// Check the transaction extensions of `chain`'s signed extrinsics: each is one subxt fills
/// (with the client's types where the client's runtime has it too) or carries nothing; any
/// other is refused by name, before anything is signed.
pub fn extensions(chain: &Metadata, ours: &Metadata) -> Result<Extensions, ClientError> {
	let mut asset_fees = false;
	let mine: HashMap<&str, (u32, u32)> = ours
		.extrinsic()
		.transaction_extensions_to_use_for_encoding()
		.map(|e| (e.identifier(), (e.extra_ty(), e.additional_ty())))
		.collect();
	let mut refused = Vec::new();
	for e in chain.extrinsic().transaction_extensions_to_use_for_encoding() {
		let name = e.identifier();
		if FILLED_BY_SUBXT.contains(&name) {
			let same_types = mine.get(name).map(|(extra, implicit)| {
				ours.type_hash(*extra) == chain.type_hash(e.extra_ty())
					&& ours.type_hash(*implicit) == chain.type_hash(e.additional_ty())
			});
			if name == "ChargeAssetTxPayment" {
				// Without an asset it encodes a tip and `None` whatever the asset id's type.
				asset_fees = same_types == Some(true);
			} else if same_types == Some(false) {
				refused.push(format!("its transaction extension `{name}` has other types"));
			}
		} else if !(is_empty(chain, e.extra_ty()) && is_empty(chain, e.additional_ty())) {
			refused.push(format!(
				"its transaction extension `{name}` carries data this client cannot fill"
			));
		}
	}
	if !refused.is_empty() {
		return Err(ClientError::IncompatibleChain { pallet: None, why: refused.join("; ") });
	}
	Ok(Extensions { asset_fees })
}

/// The constants the client uses, from `chain`'s metadata (`pallet` holds the
/// referral-rebate pallet's). The native token's minimum must be there (the rules are checked
/// against it); the block time, which only shows deadlines in seconds, is the test runtime's
/// where the chain names none.
pub fn constants(chain: &Metadata, pallet: &PalletInfo) -> Result<Constants, ClientError> {
	let read = |p: &str, c: &str| -> Option<Vec<u8>> {
		chain.pallet_by_name(p)?.constant_by_name(c).map(|c| c.value().to_vec())
	};
	let u64_of = |p: &str, c: &str| read(p, c).and_then(|v| u64::decode_all(&mut &v[..]).ok());
	let existential_deposit = read("Balances", "ExistentialDeposit")
		.and_then(|v| u128::decode_all(&mut &v[..]).ok())
		.ok_or_else(|| ClientError::IncompatibleChain {
			pallet: None,
			why: "it has no `Balances.ExistentialDeposit` of this client's balance type".into(),
		})?;
	Ok(Constants {
		max_rebate_delay: pallet.max_rebate_delay,
		purchase_lifetime: pallet.purchase_lifetime,
		existential_deposit,
		block_time_ms: u64_of("Aura", "SlotDuration")
			.or_else(|| u64_of("Babe", "ExpectedBlockTime"))
			.or_else(|| u64_of("Timestamp", "MinimumPeriod").map(|p| p.saturating_mul(2)))
			.filter(|ms| *ms > 0)
			.unwrap_or(Constants::test_runtime().block_time_ms),
		pallet_id: pallet.pallet_id,
	})
}

/// An event of a chain's block as the client reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRead {
	/// The index of the extrinsic that emitted it (`None`: block initialization or finalization).
	pub extrinsic: Option<u32>,
	/// The event.
	pub event: ChainEvent,
	/// For `System.ExtrinsicFailed`, the extrinsic's dispatch error.
	pub failed: Option<DispatchError>,
}

/// One chain as the client knows it from its metadata: its referral-rebate pallet, the
/// numbering of the client's calls and events, its transaction extensions and constants. It
/// signs and reads events offline (subxt's metadata-driven encoder and decoder): what the node
/// backend does with a connected chain's metadata.
pub struct Profile {
	at: ClientAtBlock<Config, OfflineClientAtBlockImpl<Config>>,
	/// The referral-rebate pallet.
	pub pallet: PalletInfo,
	/// The client's calls and events on this chain.
	pub vocabulary: Vocabulary,
	/// Its transaction extensions, as far as the client decides them.
	pub extensions: Extensions,
	/// Its constants.
	pub constants: Constants,
}

/// A call's arguments, already encoded by the test runtime's types (the same types as the
/// chain's: [`Vocabulary`] maps only calls whose metadata hashes agree), written as they are.
struct RawArgs<'a>(&'a [u8]);

impl subxt::ext::scale_encode::EncodeAsFields for RawArgs<'_> {
	fn encode_as_fields_to<R: subxt::ext::scale_type_resolver::TypeResolver>(
		&self,
		_fields: &mut dyn subxt::ext::scale_encode::FieldIter<'_, R::TypeId>,
		_types: &R,
		out: &mut Vec<u8>,
	) -> Result<(), subxt::ext::scale_encode::Error> {
		out.extend_from_slice(self.0);
		Ok(())
	}
}

/// A call of the chain's, by its names, with its encoded arguments: what subxt signs.
struct RawCall<'a> {
	on_chain: &'a CallOnChain,
	args: RawArgs<'a>,
}

impl<'a> subxt::transactions::Payload for RawCall<'a> {
	type CallData = RawArgs<'a>;
	fn pallet_name(&self) -> &str {
		&self.on_chain.pallet
	}
	fn call_name(&self) -> &str {
		&self.on_chain.call
	}
	fn call_data(&self) -> &Self::CallData {
		&self.args
	}
}

impl Profile {
	/// The profile of the chain with `metadata` and `info`, checked against the metadata this
	/// client was built against: an error, before anything is signed, if its pallet or its
	/// transaction extensions are not ones this client understands.
	pub fn new(
		metadata: subxt::metadata::ArcMetadata,
		info: &RuntimeInfo,
	) -> Result<Self, ClientError> {
		let ours = ours()?;
		let pallet = pallet(&metadata, &ours)?;
		other_storage(&metadata, &ours)?;
		let extensions = extensions(&metadata, &ours)?;
		let vocabulary = vocabulary(&metadata, &ours, &pallet);
		let constants = constants(&metadata, &pallet)?;
		let config = SubstrateConfig::builder()
			.set_genesis_hash(info.genesis.0.into())
			.set_metadata_for_spec_versions([(info.spec_version, metadata.clone())])
			.set_spec_version_for_block_ranges([SpecVersionForRange {
				block_range: 0..u64::MAX,
				spec_version: info.spec_version,
				transaction_version: info.transaction_version,
			}])
			.build();
		let at = OfflineClient::new_with_config(config)
			.at_block(0u64)
			.map_err(|e| ClientError::Backend(format!("the chain's metadata: {e}")))?;
		Ok(Profile { at, pallet, vocabulary, extensions, constants })
	}

	/// Sign `call` as `key` with `nonce`, mortal from `birth`, its fee in the native token or
	/// (`fee_asset`) in a pallet-assets asset, as this chain takes it: the call renumbered to
	/// the chain's indices, the extensions the chain's metadata lists filled by subxt.
	pub fn sign(
		&self,
		key: &KeyPair,
		call: RuntimeCall,
		nonce: u32,
		birth: Birth,
		fee_asset: Option<u32>,
	) -> Result<Extrinsic, ClientError> {
		let encoded = call.encode();
		let on_chain = self.vocabulary.call(&encoded)?;
		let mut params = DefaultExtrinsicParamsBuilder::<Config>::new()
			.nonce(nonce as u64)
			.mortal_from_unchecked(MORTALITY, birth.number as u64, birth.hash.0.into());
		if let Some(asset) = fee_asset {
			if !self.extensions.asset_fees {
				return Err(ClientError::Rule(format!(
					"this chain's fees cannot be paid in asset {asset} (its extensions have no ChargeAssetTxPayment with a pallet-assets id): leave out the fee asset"
				)));
			}
			params = params.tip_of(0, asset);
		}
		let payload = RawCall { on_chain, args: RawArgs(&encoded[2..]) };
		let failed = |e: subxt::error::ExtrinsicError| {
			ClientError::Backend(format!("cannot build the extrinsic: {e}"))
		};
		let mut signable =
			self.at.tx().create_signable_offline(&payload, params.build()).map_err(failed)?;
		let signature = match key.sign(&signable.signer_payload().map_err(failed)?) {
			sp_runtime::MultiSignature::Sr25519(s) => subxt::utils::MultiSignature::Sr25519(s.0),
			sp_runtime::MultiSignature::Ed25519(s) => subxt::utils::MultiSignature::Ed25519(s.0),
			sp_runtime::MultiSignature::Ecdsa(s) => subxt::utils::MultiSignature::Ecdsa(s.0),
			sp_runtime::MultiSignature::Eth(_) => {
				return Err(ClientError::Key("an Ethereum key cannot sign extrinsics here".into()))
			}
		};
		let account = subxt::utils::AccountId32::from(<[u8; 32]>::from(key.account()));
		let tx = signable.sign_with_account_and_signature(&account, &signature).map_err(failed)?;
		Ok(Extrinsic::from_encoded(tx.into_encoded()))
	}

	/// The chain's event `e` in the client's vocabulary.
	pub fn event_of(&self, e: &subxt::events::Event<'_, Config>) -> ChainEvent {
		if let Some((pallet, variant)) = self.vocabulary.event((e.pallet_index(), e.event_index()))
		{
			let mut bytes = Vec::with_capacity(2 + e.field_bytes().len());
			bytes.extend_from_slice(&[pallet, variant]);
			bytes.extend_from_slice(e.field_bytes());
			let input = &mut &bytes[..];
			if let Ok(event) = RuntimeEvent::decode(input) {
				if input.is_empty() {
					return ChainEvent::Known(event);
				}
			}
		}
		ChainEvent::Other { pallet: e.pallet_name().to_owned(), name: e.event_name().to_owned() }
	}

	/// Whether `e` is `System.ExtrinsicFailed`, and its dispatch error: its first field, whatever
	/// the rest of the chain's `System` event looks like; an error this client cannot decode is
	/// a failure all the same.
	pub fn failure_of(e: &subxt::events::Event<'_, Config>) -> Option<DispatchError> {
		(e.pallet_name() == "System" && e.event_name() == "ExtrinsicFailed").then(|| {
			DispatchError::decode(&mut e.field_bytes())
				.unwrap_or(DispatchError::Other("a dispatch error this client cannot decode"))
		})
	}

	/// `e` as the client reads it.
	pub fn read(&self, e: &subxt::events::Event<'_, Config>) -> EventRead {
		EventRead {
			extrinsic: match e.phase() {
				subxt::events::Phase::ApplyExtrinsic(i) => Some(i),
				_ => None,
			},
			failed: Self::failure_of(e),
			event: self.event_of(e),
		}
	}

	/// The events of a block's `System::Events` (`raw`).
	pub fn events(&self, raw: Vec<u8>) -> Result<Vec<EventRead>, ClientError> {
		let events = self.at.events().from_bytes(raw);
		let mut out = Vec::with_capacity(events.len() as usize);
		for e in events.iter() {
			let e = e.map_err(|e| ClientError::Backend(format!("undecodable event: {e}")))?;
			out.push(self.read(&e));
		}
		Ok(out)
	}
}
