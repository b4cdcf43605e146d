//! Test vectors for implementers of the protocol in other languages: `docs/test-vectors.json`.
//!
//! The vectors use the test runtime's concrete types (`AccountId32`, `NativeOrWithId<u32>` asset
//! kinds, `u128` balances, `u32` block numbers, `MultiSignature`), fixed keys from fixed 32-byte seeds and a fixed genesis hash. For
//! every case the file holds the document's SCALE encoding and, for every link, the exact
//! preimage of its payload, the payload, the message signed (raw or `<Bytes>`-framed), the
//! signer's public key and account, and the signature.
//!
//! - `REBATE_WRITE_VECTORS=1 cargo test -p pallet-referral-rebate --test vectors` (re)writes the
//!   file. sr25519 signatures are randomized: a stored sr25519 signature that still verifies for
//!   the recomputed message is kept, so rewriting an unchanged protocol leaves the file as it is.
//! - Without the variable the test regenerates everything in memory (reusing the stored sr25519
//!   signatures, which later links' payloads cover) and asserts that it equals the file, and
//!   that every stored signature verifies against its stored message and account, and that
//!   every stored payload is the BLAKE2b-256 of its stored preimage.
//!
//! The test needs no mock runtime: it uses the pallet's public types and functions only.

use codec::{Decode, Encode};
use pallet_referral_rebate::{
	expected_signer, signing_payload, verify_chain, Document, Framing, Link, Offer,
	PayoutCondition, PurchaseId, Rebate, ReferredPurchase, Role, Signed, BYTES_PREFIX,
	BYTES_SUFFIX,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sp_core::{ecdsa, ed25519, sr25519, Pair as _, H256};
use sp_runtime::{
	traits::{AccountIdConversion, IdentifyAccount, Verify},
	AccountId32, MultiSignature, MultiSigner,
};

/// The test runtime's types.
type AccountId = AccountId32;
type Balance = u128;
type BlockNumber = u32;
type AssetKind = frame_support::traits::fungible::NativeOrWithId<u32>;
type TestOffer = Offer<AccountId, AssetKind, Balance, BlockNumber>;
type TestRebate = Rebate<AccountId, AssetKind, Balance, BlockNumber>;
type TestPurchase = ReferredPurchase<AccountId, AssetKind, Balance, BlockNumber>;

/// The test runtime's stablecoin (`rebate_test_runtime::STABLECOIN`), a pallet-assets asset.
const STABLECOIN: AssetKind = AssetKind::WithId(1984);
/// The stablecoin's minimum balance (`rebate_test_runtime::STABLECOIN_MIN_BALANCE`; 6 decimals).
const STABLECOIN_MIN: Balance = 10_000;
/// One dollar of the stablecoin.
const DOLLAR: Balance = 1_000_000;
/// The native token.
const NATIVE: AssetKind = AssetKind::Native;

/// The minimum balance of `asset` in the test runtime.
fn minimum(asset: &AssetKind) -> Balance {
	if *asset == STABLECOIN {
		STABLECOIN_MIN
	} else {
		EXISTENTIAL_DEPOSIT
	}
}
type SignedDoc<D> = Signed<D, AccountId, MultiSignature>;

/// The test runtime's existential deposit (`rebate_test_runtime::EXISTENTIAL_DEPOSIT`): the
/// minimum the document rules are checked against here.
const EXISTENTIAL_DEPOSIT: Balance = 1_000_000_000;
/// One unit of the test runtime's token.
const UNIT: Balance = 1_000_000_000_000;
/// The version of the file's layout.
const FORMAT: u32 = 2;

fn vectors_path() -> std::path::PathBuf {
	std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/test-vectors.json")
}

/// The fixed genesis hash every vector is bound to: the bytes 0x00, 0x01, …, 0x1f.
fn genesis() -> H256 {
	let mut g = [0u8; 32];
	for (i, b) in g.iter_mut().enumerate() {
		*b = i as u8;
	}
	H256(g)
}

fn hex(bytes: &[u8]) -> String {
	let mut s = String::with_capacity(2 + 2 * bytes.len());
	s.push_str("0x");
	for b in bytes {
		s.push_str(&format!("{b:02x}"));
	}
	s
}

fn unhex(s: &str) -> Vec<u8> {
	let s = s.strip_prefix("0x").expect("hex in the vectors is 0x-prefixed");
	assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
		.collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scheme {
	Sr25519,
	Ed25519,
	Ecdsa,
	Eth,
}

impl Scheme {
	fn name(self) -> &'static str {
		match self {
			Scheme::Sr25519 => "sr25519",
			Scheme::Ed25519 => "ed25519",
			Scheme::Ecdsa => "ecdsa",
			Scheme::Eth => "eth",
		}
	}
	/// Whether the scheme's signatures are a function of key and message (RFC 8032 for
	/// ed25519, RFC 6979 nonces for secp256k1); sr25519 signing is randomized.
	fn deterministic(self) -> bool {
		self != Scheme::Sr25519
	}
}

/// A party's key: a scheme and a fixed 32-byte seed.
#[derive(Clone, Copy, Debug)]
struct Key {
	name: &'static str,
	scheme: Scheme,
	seed: [u8; 32],
}

impl Key {
	const fn new(name: &'static str, scheme: Scheme, byte: u8) -> Self {
		Key { name, scheme, seed: [byte; 32] }
	}

	fn signer(&self) -> MultiSigner {
		match self.scheme {
			Scheme::Sr25519 => sr25519::Pair::from_seed(&self.seed).public().into(),
			Scheme::Ed25519 => ed25519::Pair::from_seed(&self.seed).public().into(),
			Scheme::Ecdsa => ecdsa::Pair::from_seed(&self.seed).public().into(),
			Scheme::Eth => MultiSigner::Eth(ecdsa::KeccakPair::from_seed(&self.seed).public()),
		}
	}

	fn public(&self) -> Vec<u8> {
		self.signer().as_ref().to_vec()
	}

	fn account(&self) -> AccountId {
		self.signer().into_account()
	}

	fn sign(&self, message: &[u8]) -> MultiSignature {
		match self.scheme {
			Scheme::Sr25519 => sr25519::Pair::from_seed(&self.seed).sign(message).into(),
			Scheme::Ed25519 => ed25519::Pair::from_seed(&self.seed).sign(message).into(),
			// `ecdsa::Pair::sign` signs blake2_256(message), which is what
			// `MultiSignature::Ecdsa` verification recovers from.
			Scheme::Ecdsa => ecdsa::Pair::from_seed(&self.seed).sign(message).into(),
			// `KeccakPair::sign` signs keccak_256(message), as `MultiSignature::Eth` expects.
			Scheme::Eth => {
				MultiSignature::Eth(ecdsa::KeccakPair::from_seed(&self.seed).sign(message))
			}
		}
	}

	#[allow(clippy::wrong_self_convention)] // a test key, serialised for the vector file
	fn to_json(&self) -> Value {
		json!({
			"scheme": self.scheme.name(),
			"seed": hex(&self.seed),
			"public": hex(&self.public()),
			"account": hex(self.account().as_ref()),
			"ss58": self.account().to_string(),
		})
	}
}

/// The raw signature bytes inside a `MultiSignature` (without its variant byte).
fn signature_bytes(s: &MultiSignature) -> Vec<u8> {
	let bytes: &[u8] = match s {
		MultiSignature::Ed25519(s) => s.as_ref(),
		MultiSignature::Sr25519(s) => s.as_ref(),
		MultiSignature::Ecdsa(s) => s.as_ref(),
		MultiSignature::Eth(s) => s.as_ref(),
	};
	bytes.to_vec()
}

/// The keys of the three promotions the vectors cover. Promotion 1 mixes the schemes,
/// promotion 2 uses only deterministic schemes (every byte of its cases is fixed), promotion 3
/// has an `Eth` (keccak-derived account) referee.
mod keys {
	use super::{Key, Scheme::*};
	pub const M1: Key = Key::new("merchant-1", Sr25519, 0x11);
	pub const C1: Key = Key::new("customer-1", Ed25519, 0x21);
	pub const R1: Key = Key::new("referee-1", Ecdsa, 0x31);
	pub const M2: Key = Key::new("merchant-2", Ed25519, 0x12);
	pub const C2: Key = Key::new("customer-2", Ecdsa, 0x22);
	pub const R2: Key = Key::new("referee-2", Ed25519, 0x32);
	pub const M3: Key = Key::new("merchant-3", Ecdsa, 0x13);
	pub const C3: Key = Key::new("customer-3", Sr25519, 0x23);
	pub const R3: Key = Key::new("referee-3", Eth, 0x33);
	pub const ALL: [Key; 9] = [M1, C1, R1, M2, C2, R2, M3, C3, R3];
}

/// The envelope the client exchanges (`rebate_client::documents::Envelope`), declared again
/// here with the same serde attributes so the vectors show the JSON form.
#[derive(Serialize)]
struct Envelope<'a> {
	chain: H256,
	document: AnyDocument<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum AnyDocument<'a> {
	Offer(&'a SignedDoc<TestOffer>),
	Rebate(&'a SignedDoc<TestRebate>),
	Purchase(&'a SignedDoc<TestPurchase>),
}

/// A document kind as the envelope names it.
trait Kind:
	Document<AccountId> + Encode + Serialize + serde::de::DeserializeOwned + Clone + Sized
{
	const NAME: &'static str;
	fn any(signed: &SignedDoc<Self>) -> AnyDocument<'_>;
}

impl Kind for TestOffer {
	const NAME: &'static str = "offer";
	fn any(signed: &SignedDoc<Self>) -> AnyDocument<'_> {
		AnyDocument::Offer(signed)
	}
}

impl Kind for TestRebate {
	const NAME: &'static str = "rebate";
	fn any(signed: &SignedDoc<Self>) -> AnyDocument<'_> {
		AnyDocument::Rebate(signed)
	}
}

impl Kind for TestPurchase {
	const NAME: &'static str = "purchase";
	fn any(signed: &SignedDoc<Self>) -> AnyDocument<'_> {
		AnyDocument::Purchase(signed)
	}
}

/// What the generator may do with an sr25519 link.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
	/// Reuse the stored signature if it verifies, else sign afresh.
	Write,
	/// Reuse the stored signature; fail if there is none or it does not verify.
	Check,
}

/// One link to sign: the key, the account it designates, the framing.
struct Step {
	key: Key,
	designates: Option<AccountId>,
	framing: Framing,
}

fn step(key: Key, designates: Option<&Key>, framing: Framing) -> Step {
	Step { key, designates: designates.map(Key::account), framing }
}

fn role_name(role: Role) -> Value {
	serde_json::to_value(role).unwrap()
}

/// The stored signature of link `k` of case `name`, if the stored file has one.
fn stored_signature(stored: Option<&Value>, name: &str, k: usize) -> Option<MultiSignature> {
	let cases = stored?.get("cases")?.as_array()?;
	let case = cases.iter().find(|c| c["name"] == name)?;
	let link = case["links"].as_array()?.get(k)?;
	MultiSignature::decode(&mut &unhex(link["signature_scale"].as_str()?)[..]).ok()
}

/// Build, sign and describe one case.
fn build_case<D: Kind>(
	name: &str,
	document: D,
	steps: &[Step],
	stored: Option<&Value>,
	mode: Mode,
) -> Value {
	let kind = D::NAME;
	let genesis = genesis();
	assert_eq!(steps.len(), D::ORDER.len(), "{name}: one step per link");
	let mut signed = SignedDoc::<D>::unsigned(document.clone());
	let mut links = Vec::new();
	for (k, step) in steps.iter().enumerate() {
		let rule = D::ORDER[k];
		// The payload, computed from its definition in docs/protocol.md ...
		let mut preimage = Vec::new();
		preimage.extend_from_slice(D::DOMAIN);
		preimage.extend_from_slice(genesis.as_bytes());
		preimage.extend_from_slice(&document.encode());
		preimage.extend_from_slice(&signed.links.as_slice().encode());
		preimage.extend_from_slice(&step.designates.encode());
		let payload = sp_io::hashing::blake2_256(&preimage);
		// ... is the pallet's.
		assert_eq!(
			payload,
			signing_payload(&genesis, &document, &signed.links, step.designates.as_ref()),
			"{name} link {k}: the documented preimage is not the pallet's"
		);
		let message = match step.framing {
			Framing::Raw => payload.to_vec(),
			Framing::Bytes => [BYTES_PREFIX, &payload[..], BYTES_SUFFIX].concat(),
		};
		assert_eq!(message, signed.next_message(&genesis, step.designates.as_ref(), step.framing));
		let account = step.key.account();
		let signature = if step.key.scheme.deterministic() {
			step.key.sign(&message)
		} else {
			match stored_signature(stored, name, k) {
				Some(s) if s.verify(&message[..], &account) => s,
				_ if mode == Mode::Write => step.key.sign(&message),
				_ => panic!(
					"{name} link {k}: no stored sr25519 signature verifies for the regenerated \
					 message; the protocol's bytes changed (regenerate with REBATE_WRITE_VECTORS=1)"
				),
			}
		};
		assert!(signature.verify(&message[..], &account), "{name} link {k}: fresh signature");
		signed
			.sign_next(&genesis, step.designates.clone(), step.framing, |m| {
				assert_eq!(m, &message[..]);
				signature.clone()
			})
			.unwrap();
		assert_eq!(
			expected_signer(&signed.document, &signed.links, k),
			Some(&account),
			"{name} link {k}: the key is not the {:?}'s",
			rule.signer
		);
		let link = Link { designates: step.designates.clone(), framing: step.framing, signature };
		assert_eq!(&link, signed.links.last().unwrap());
		links.push(json!({
			"index": k,
			"role": role_name(rule.signer),
			"signer": step.key.name,
			"scheme": step.key.scheme.name(),
			"public": hex(&step.key.public()),
			"account": hex(account.as_ref()),
			"designates": step.designates.as_ref().map(|a| hex(a.as_ref())),
			"framing": serde_json::to_value(step.framing).unwrap(),
			"preimage": hex(&preimage),
			"payload": hex(&payload),
			"message": hex(&message),
			"signature": hex(&signature_bytes(&link.signature)),
			"signature_scale": hex(&link.signature.encode()),
			"link_scale": hex(&link.encode()),
			"deterministic": step.key.scheme.deterministic(),
		}));
	}
	// The chain as the pallet checks it: complete, well-formed, every signature valid.
	verify_chain(&genesis, &signed, true).unwrap_or_else(|e| panic!("{name}: {e:?}"));
	// The JSON form reads back as the same document.
	let envelope_json =
		serde_json::to_value(Envelope { chain: genesis, document: D::any(&signed) }).unwrap();
	let back: SignedDoc<D> =
		serde_json::from_value(envelope_json["document"][kind].clone()).unwrap();
	assert_eq!(back.encode(), signed.encode(), "{name}: the JSON round trip changed the document");
	let case = json!({
		"name": name,
		"kind": kind,
		"domain": std::str::from_utf8(D::DOMAIN).unwrap(),
		"domain_hex": hex(D::DOMAIN),
		"document": serde_json::to_value(&document).unwrap(),
		"document_scale": hex(&document.encode()),
		"links": links,
		"signed_scale": hex(&signed.encode()),
		"envelope": envelope_json,
	});
	case
}

/// Every case, as the file holds them.
fn generate(stored: Option<&Value>, mode: Mode) -> Value {
	use keys::*;
	use Framing::{Bytes, Raw};
	let mut cases = Vec::new();

	// Promotion 1: mixed schemes and framings, a ReferralSettled rebate.
	let offer1 = TestOffer {
		promotion_id: 1,
		merchant: M1.account(),
		customer: C1.account(),
		origin_purchase: PurchaseId { block: 1_000, index: 2 },
		asset: STABLECOIN,
		original_price: 100 * DOLLAR,
		discounted_price: 80 * DOLLAR,
		settle_by: 1_100,
		pay_at: 1_500,
		campaign: None,
	};
	let rebate1 = TestRebate {
		promotion_id: 1,
		merchant: M1.account(),
		customer: C1.account(),
		asset: STABLECOIN,
		amount: 5 * DOLLAR,
		pay_at: 1_500,
		condition: PayoutCondition::ReferralSettled,
		campaign: None,
	};
	let purchase1 = TestPurchase::for_offer(&offer1, &R1.account());

	// Promotion 2: deterministic schemes only; a promotion id and prices that show the byte
	// order, a free referral (discounted price zero), an Unconditional rebate.
	let offer2 = TestOffer {
		promotion_id: 0x0102_0304_0506_0708,
		merchant: M2.account(),
		customer: C2.account(),
		origin_purchase: PurchaseId { block: 0x0001_e240, index: 0x0000_0107 },
		asset: NATIVE,
		original_price: 12_345_678_901_234_567_890,
		discounted_price: 0,
		settle_by: 200_000,
		pay_at: 300_000,
		campaign: None,
	};
	let rebate2 = TestRebate {
		promotion_id: offer2.promotion_id,
		merchant: M2.account(),
		customer: C2.account(),
		asset: NATIVE,
		amount: 0x0102_0304_0506_0708,
		pay_at: 300_000,
		condition: PayoutCondition::Unconditional,
		campaign: None,
	};
	let purchase2 = TestPurchase::for_offer(&offer2, &R2.account());

	// Promotion 3: an ecdsa merchant, an sr25519 customer, an Eth referee; the rebate at the
	// minimum; both documents under campaign 7.
	let offer3 = TestOffer {
		promotion_id: 3,
		merchant: M3.account(),
		customer: C3.account(),
		origin_purchase: PurchaseId { block: 42, index: 0 },
		asset: NATIVE,
		original_price: 10 * UNIT,
		discounted_price: 9_999 * UNIT / 1_000,
		settle_by: 50,
		pay_at: 60,
		campaign: Some(7),
	};
	let rebate3 = TestRebate {
		promotion_id: 3,
		merchant: M3.account(),
		customer: C3.account(),
		asset: NATIVE,
		amount: EXISTENTIAL_DEPOSIT,
		pay_at: 60,
		condition: PayoutCondition::ReferralSettled,
		campaign: Some(7),
	};
	let purchase3 = TestPurchase::for_offer(&offer3, &R3.account());

	// The documents obey the protocol's rules.
	for (offer, rebate, purchase, referee) in [
		(&offer1, &rebate1, &purchase1, R1),
		(&offer2, &rebate2, &purchase2, R2),
		(&offer3, &rebate3, &purchase3, R3),
	] {
		offer.check_rules(Some(&referee.account()), &minimum(&offer.asset)).unwrap();
		rebate.check_rules(Some(&referee.account()), &minimum(&rebate.asset)).unwrap();
		rebate.check_matches(offer).unwrap();
		purchase.check_against(offer, &referee.account()).unwrap();
	}

	cases.push(build_case(
		"offer-1",
		offer1,
		&[step(M1, None, Raw), step(C1, Some(&R1), Bytes), step(R1, None, Raw)],
		stored,
		mode,
	));
	cases.push(build_case(
		"rebate-1",
		rebate1,
		&[step(M1, None, Bytes), step(R1, Some(&R1), Raw), step(C1, None, Raw)],
		stored,
		mode,
	));
	cases.push(build_case(
		"purchase-1",
		purchase1,
		&[step(C1, None, Raw), step(R1, None, Bytes)],
		stored,
		mode,
	));
	cases.push(build_case(
		"offer-2",
		offer2,
		&[step(M2, None, Raw), step(C2, Some(&R2), Raw), step(R2, None, Raw)],
		stored,
		mode,
	));
	cases.push(build_case(
		"rebate-2",
		rebate2,
		&[step(M2, None, Bytes), step(R2, Some(&R2), Bytes), step(C2, None, Bytes)],
		stored,
		mode,
	));
	cases.push(build_case(
		"purchase-2",
		purchase2,
		&[step(C2, None, Raw), step(R2, None, Raw)],
		stored,
		mode,
	));
	cases.push(build_case(
		"offer-3",
		offer3,
		&[step(M3, None, Bytes), step(C3, Some(&R3), Raw), step(R3, None, Bytes)],
		stored,
		mode,
	));
	cases.push(build_case(
		"rebate-3",
		rebate3,
		&[step(M3, None, Raw), step(R3, Some(&R3), Raw), step(C3, None, Bytes)],
		stored,
		mode,
	));
	cases.push(build_case(
		"purchase-3",
		purchase3,
		&[step(C3, None, Bytes), step(R3, None, Raw)],
		stored,
		mode,
	));

	let mut keys = Map::new();
	for key in keys::ALL {
		keys.insert(key.name.into(), key.to_json());
	}
	let escrow: AccountId = frame_support::PalletId(*b"rbt/escr").into_account_truncating();
	json!({
		"format": FORMAT,
		"about": "Test vectors of the CN113177820B referral-rebate protocol; see docs/protocol.md. \
			Hex is 0x-prefixed lowercase. Regenerate with \
			REBATE_WRITE_VECTORS=1 cargo test -p pallet-referral-rebate --test vectors",
		"types": {
			"account_id": "AccountId32 (32 bytes)",
			"asset_kind": "NativeOrWithId<u32>: 0x00 for the native token, 0x01 and the pallet-assets id (u32, little-endian) for an asset",
			"balance": "u128 (16 bytes, little-endian)",
			"block_number": "u32 (4 bytes, little-endian)",
			"promotion_id": "u64 (8 bytes, little-endian)",
			"signature": "sp_runtime::MultiSignature",
		},
		"genesis_hash": hex(genesis().as_bytes()),
		"existential_deposit": EXISTENTIAL_DEPOSIT as u64,
		"stablecoin": { "asset": hex(&STABLECOIN.encode()), "minimum_balance": STABLECOIN_MIN as u64, "decimals": 6 },
		"escrow_account": {
			"pallet_id": "rbt/escr",
			"account": hex(escrow.as_ref()),
			"ss58": escrow.to_string(),
		},
		"keys": keys,
		"cases": cases,
	})
}

/// The first place two JSON values differ, as a path.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
	match (a, b) {
		(Value::Object(x), Value::Object(y)) => {
			for k in x.keys().chain(y.keys()) {
				match (x.get(k), y.get(k)) {
					(Some(v), Some(w)) => {
						if let Some(d) = first_difference(&format!("{path}.{k}"), v, w) {
							return Some(d);
						}
					}
					_ => return Some(format!("{path}.{k}: present on one side only")),
				}
			}
			None
		}
		(Value::Array(x), Value::Array(y)) => {
			if x.len() != y.len() {
				return Some(format!("{path}: {} vs {} entries", x.len(), y.len()));
			}
			x.iter()
				.zip(y)
				.enumerate()
				.find_map(|(i, (v, w))| first_difference(&format!("{path}[{i}]"), v, w))
		}
		_ if a == b => None,
		_ => Some(format!("{path}: {a} vs {b}")),
	}
}

/// Check the stored file on its own terms: every payload is the hash of its preimage, every
/// message the payload as framed, every signature valid for its message and account.
fn check_stored(stored: &Value) {
	let cases = stored["cases"].as_array().expect("cases");
	assert!(!cases.is_empty());
	for case in cases {
		let name = case["name"].as_str().unwrap();
		for link in case["links"].as_array().unwrap() {
			let k = &link["index"];
			let field = |f: &str| unhex(link[f].as_str().unwrap());
			let payload = field("payload");
			assert_eq!(
				sp_io::hashing::blake2_256(&field("preimage")).to_vec(),
				payload,
				"{name} link {k}: the payload is not blake2_256(preimage)"
			);
			let message = field("message");
			let framed = match link["framing"].as_str().unwrap() {
				"raw" => payload.clone(),
				"bytes" => [BYTES_PREFIX, &payload[..], BYTES_SUFFIX].concat(),
				other => panic!("{name} link {k}: unknown framing {other}"),
			};
			assert_eq!(message, framed, "{name} link {k}: the message is not the framed payload");
			let account = AccountId::decode(&mut &field("account")[..]).unwrap();
			let signature = MultiSignature::decode(&mut &field("signature_scale")[..]).unwrap();
			assert_eq!(signature_bytes(&signature), field("signature"));
			assert!(
				signature.verify(&message[..], &account),
				"{name} link {k}: the stored signature does not verify"
			);
		}
	}
}

#[test]
fn test_vectors() {
	let path = vectors_path();
	let text = std::fs::read_to_string(&path).ok();
	let stored: Option<Value> = text.as_deref().map(|t| serde_json::from_str(t).expect("JSON"));
	if std::env::var("REBATE_WRITE_VECTORS").as_deref() == Ok("1") {
		let vectors = generate(stored.as_ref(), Mode::Write);
		let out = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
		std::fs::write(&path, out).unwrap();
		check_stored(&vectors);
		eprintln!("wrote {}", path.display());
		return;
	}
	let stored = stored.unwrap_or_else(|| {
		panic!(
			"{} is missing; write it with REBATE_WRITE_VECTORS=1 cargo test -p \
			 pallet-referral-rebate --test vectors",
			path.display()
		)
	});
	check_stored(&stored);
	let regenerated = generate(Some(&stored), Mode::Check);
	if let Some(d) = first_difference("$", &regenerated, &stored) {
		panic!(
			"docs/test-vectors.json is out of date at {d}; if the protocol changed on purpose, \
			 regenerate it with REBATE_WRITE_VECTORS=1 cargo test -p pallet-referral-rebate \
			 --test vectors (and bump the domain tag of a document whose layout changed)"
		);
	}
}

/// The forms the JSON decoder of the envelope accepts, as docs/protocol.md states them.
#[test]
fn json_forms() {
	let g = genesis();
	let with = format!("\"{}\"", hex(g.as_bytes()));
	let without = format!("\"{}\"", &hex(g.as_bytes())[2..]);
	let upper = format!("\"0x{}\"", hex(g.as_bytes())[2..].to_uppercase());
	// The genesis hash (H256): written 0x-prefixed lowercase; read with or without 0x.
	assert_eq!(serde_json::to_string(&g).unwrap(), with);
	assert_eq!(serde_json::from_str::<H256>(&with).unwrap(), g);
	assert_eq!(serde_json::from_str::<H256>(&without).unwrap(), g);
	assert_eq!(serde_json::from_str::<H256>(&upper).unwrap(), g);

	// Signatures: `{"Sr25519": "<hex>"}`; written without 0x; read with or without it.
	let key = keys::M2;
	let signature = key.sign(b"x");
	let bytes = signature_bytes(&signature);
	let written = serde_json::to_string(&signature).unwrap();
	assert_eq!(written, format!("{{\"Ed25519\":\"{}\"}}", &hex(&bytes)[2..]));
	let prefixed = format!("{{\"Ed25519\":\"{}\"}}", hex(&bytes));
	assert_eq!(serde_json::from_str::<MultiSignature>(&prefixed).unwrap(), signature);
	let upper = format!("{{\"Ed25519\":\"{}\"}}", hex(&bytes)[2..].to_uppercase());
	assert_eq!(serde_json::from_str::<MultiSignature>(&upper).unwrap(), signature);
	for (variant, len) in [("Ed25519", 64), ("Sr25519", 64), ("Ecdsa", 65), ("Eth", 65)] {
		let zero = format!("{{\"{variant}\":\"{}\"}}", "00".repeat(len));
		assert!(serde_json::from_str::<MultiSignature>(&zero).is_ok(), "{variant}");
		let short = format!("{{\"{variant}\":\"{}\"}}", "00".repeat(len - 1));
		assert!(serde_json::from_str::<MultiSignature>(&short).is_err(), "{variant}");
	}
	assert!(serde_json::from_str::<MultiSignature>("{\"sr25519\":\"00\"}").is_err());

	// Accounts: SS58 with the generic prefix 42 when written; read from SS58 only (not hex).
	let account = key.account();
	let ss58 = serde_json::to_string(&account).unwrap();
	assert!(ss58.starts_with("\"5"), "{ss58}");
	assert_eq!(serde_json::from_str::<AccountId>(&ss58).unwrap(), account);
	let raw = format!("\"{}\"", hex(account.as_ref()));
	assert!(serde_json::from_str::<AccountId>(&raw).is_err());
	use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
	// An address of another registered network (Polkadot, prefix 0) is read as the same account.
	let polkadot = account.to_ss58check_with_version(Ss58AddressFormat::custom(0));
	assert_eq!(serde_json::from_str::<AccountId>(&format!("\"{polkadot}\"")).unwrap(), account);
	// An unregistered prefix is refused.
	let custom = account.to_ss58check_with_version(Ss58AddressFormat::custom(16_000));
	assert!(serde_json::from_str::<AccountId>(&format!("\"{custom}\"")).is_err());

	// Enums in snake case; purchase ids as objects.
	assert_eq!(serde_json::to_string(&Framing::Bytes).unwrap(), "\"bytes\"");
	assert_eq!(
		serde_json::to_string(&PayoutCondition::ReferralSettled).unwrap(),
		"\"referral_settled\""
	);
	assert_eq!(
		serde_json::to_string(&PurchaseId::<u32> { block: 12, index: 3 }).unwrap(),
		"{\"block\":12,\"index\":3}"
	);
	// u128 amounts are JSON integers, beyond 2^64 too (serde_json reads them back exactly).
	let big: u128 = u128::MAX;
	let text = serde_json::to_string(&big).unwrap();
	assert_eq!(text, "340282366920938463463374607431768211455");
	assert_eq!(serde_json::from_str::<u128>(&text).unwrap(), big);
	// A quoted amount is refused.
	assert!(serde_json::from_str::<u128>("\"1\"").is_err());
	// More than three links are refused.
	let link = Link::<AccountId, MultiSignature> {
		designates: None,
		framing: Framing::Raw,
		signature: signature.clone(),
	};
	// A link may omit `designates` (read as null); unknown fields are ignored; `framing` and
	// `signature` are required.
	let mut value = serde_json::to_value(&link).unwrap();
	value.as_object_mut().unwrap().remove("designates");
	value.as_object_mut().unwrap().insert("note".into(), json!("ignored"));
	assert_eq!(
		serde_json::from_value::<Link<AccountId, MultiSignature>>(value.clone()).unwrap(),
		link
	);
	value.as_object_mut().unwrap().remove("framing");
	assert!(serde_json::from_value::<Link<AccountId, MultiSignature>>(value).is_err());
	let links = serde_json::to_value(vec![link; 4]).unwrap();
	assert!(serde_json::from_value::<
		frame_support::BoundedVec<
			Link<AccountId, MultiSignature>,
			pallet_referral_rebate::MaxLinks,
		>,
	>(links)
	.is_err());
}

/// The SCALE layouts docs/protocol.md gives, byte by byte.
#[test]
fn scale_layouts() {
	let a = AccountId32::new([0xaa; 32]);
	let b = AccountId32::new([0xbb; 32]);
	let offer = TestOffer {
		promotion_id: 0x0102_0304_0506_0708,
		merchant: a.clone(),
		customer: b.clone(),
		origin_purchase: PurchaseId { block: 0x1122_3344, index: 0x5566_7788 },
		asset: AssetKind::WithId(0x0a0b_0c0d),
		original_price: 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100,
		discounted_price: 1,
		settle_by: 0x0000_0102,
		pay_at: 0x0000_0203,
		campaign: Some(0x0102_0304),
	};
	let mut expected = vec![0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01];
	expected.extend([0xaa; 32]);
	expected.extend([0xbb; 32]);
	expected.extend([0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55]);
	// The asset kind: variant 1 (`WithId`) and the id, little-endian; `Native` is the one byte 0.
	expected.extend([0x01, 0x0d, 0x0c, 0x0b, 0x0a]);
	expected.extend((0u8..16).collect::<Vec<_>>());
	expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
	expected.extend([0x02, 0x01, 0, 0, 0x03, 0x02, 0, 0]);
	// The campaign: `Some` (1) and the id, little-endian; `None` is the one byte 0.
	expected.extend([0x01, 0x04, 0x03, 0x02, 0x01]);
	assert_eq!(offer.encode(), expected);
	assert_eq!(offer.encode().len(), 130);
	assert_eq!(NATIVE.encode(), vec![0]);

	let rebate = TestRebate {
		promotion_id: 9,
		merchant: a.clone(),
		customer: b.clone(),
		asset: NATIVE,
		amount: 2,
		pay_at: 3,
		condition: PayoutCondition::Unconditional,
		campaign: None,
	};
	let mut expected = vec![9, 0, 0, 0, 0, 0, 0, 0];
	expected.extend([0xaa; 32]);
	expected.extend([0xbb; 32]);
	expected.push(0);
	expected.extend([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
	expected.extend([3, 0, 0, 0]);
	expected.push(1);
	expected.push(0);
	assert_eq!(rebate.encode(), expected);
	assert_eq!(PayoutCondition::ReferralSettled.encode(), vec![0]);

	let purchase = TestPurchase {
		promotion_id: 9,
		merchant: a.clone(),
		buyer: b.clone(),
		referrer: a.clone(),
		asset: STABLECOIN,
		price: 2,
		settle_by: 3,
	};
	let mut expected = vec![9, 0, 0, 0, 0, 0, 0, 0];
	expected.extend([0xaa; 32]);
	expected.extend([0xbb; 32]);
	expected.extend([0xaa; 32]);
	expected.extend([0x01, 0xc0, 0x07, 0, 0]);
	expected.extend([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
	expected.extend([3, 0, 0, 0]);
	assert_eq!(purchase.encode(), expected);

	// A link: designates (Option), framing (enum), signature (MultiSignature enum).
	let sig = MultiSignature::Ecdsa(ecdsa::Signature::from_raw([0x5a; 65]));
	let link = Link::<AccountId, MultiSignature> {
		designates: Some(b.clone()),
		framing: Framing::Bytes,
		signature: sig,
	};
	let mut expected = vec![0x01];
	expected.extend([0xbb; 32]);
	expected.push(0x01);
	expected.push(0x02);
	expected.extend([0x5a; 65]);
	assert_eq!(link.encode(), expected);
	let none = Link::<AccountId, MultiSignature> {
		designates: None,
		framing: Framing::Raw,
		signature: MultiSignature::Ed25519(ed25519::Signature::from_raw([1; 64])),
	};
	assert_eq!(&none.encode()[..3], &[0x00, 0x00, 0x00]);
	assert_eq!(none.encode().len(), 3 + 64);
	let sr = MultiSignature::Sr25519(sr25519::Signature::from_raw([1; 64]));
	assert_eq!(sr.encode()[0], 0x01);
	let eth = MultiSignature::Eth(ecdsa::KeccakSignature::from_raw([1; 65]));
	assert_eq!(eth.encode()[0], 0x03);
	// The earlier links: a compact length (0 → 0x00, 1 → 0x04, 2 → 0x08), then each link.
	assert_eq!(Vec::<Link<AccountId, MultiSignature>>::new().encode(), vec![0x00]);
	assert_eq!(vec![none.clone()].encode()[0], 0x04);
	assert_eq!(vec![none.clone(), link.clone()].encode()[0], 0x08);
	// The signed document (a call argument): document, then the links as a vector.
	let signed = SignedDoc::<TestRebate> {
		document: rebate.clone(),
		links: vec![none.clone()].try_into().unwrap(),
	};
	assert_eq!(signed.encode(), [rebate.encode(), vec![none].encode()].concat());
	// The escrow account: "modl" ‖ PalletId ‖ zeros.
	let escrow: AccountId = frame_support::PalletId(*b"rbt/escr").into_account_truncating();
	let mut expected = b"modlrbt/escr".to_vec();
	expected.resize(32, 0);
	assert_eq!(escrow.encode(), expected);
	// An Eth signer's account: the last 20 bytes of keccak_256 of its 33-byte compressed key,
	// then twelve 0xee bytes (sp-runtime's `MultiSigner::Eth`).
	let eth = keys::R3;
	let mut expected = sp_io::hashing::keccak_256(&eth.public())[12..].to_vec();
	expected.extend([0xee; 12]);
	assert_eq!(eth.public().len(), 33);
	assert_eq!(eth.account().encode(), expected);
	// An ecdsa signer's account: blake2_256 of its 33-byte compressed key.
	let ecdsa_key = keys::R1;
	assert_eq!(
		ecdsa_key.account().encode(),
		sp_io::hashing::blake2_256(&ecdsa_key.public()).to_vec()
	);
	// Storage keys of the pay-at queue: the rebate block as a big-endian u64.
	assert_eq!(pallet_referral_rebate::BlockKey::of(0x0102u32).0, [0, 0, 0, 0, 0, 0, 1, 2]);
}
