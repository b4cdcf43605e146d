//! Request authentication: every request is signed by the caller's own key.
//!
//! The signed message is
//! `rebate-coordinator/v1 \n METHOD \n HOST \n PATH?QUERY \n hex(blake2_256(body)) \n TIMESTAMP_MS \n NONCE`
//! (HOST: the authority the client addressed, as in its `Host` header; a coordinator with a
//! configured public origin refuses a request addressed or signed for any other, so a request
//! captured at one coordinator does not replay at another),
//! signed with the account's key (sr25519, ed25519 or ecdsa, as a `MultiSignature`), raw or, as
//! browser wallets sign, inside `<Bytes>…</Bytes>` (named by the optional framing header), and
//! sent in four headers. The account header is an address (SS58 or 0x-hex); dev names only on a
//! coordinator that allows them. The server accepts a timestamp within its window of its own clock and each
//! signed (account, nonce, timestamp) once: the nonce is stored with the request's effects, so a
//! replay is refused even by another coordinator instance over the same database (instances over
//! one database run with the same window). The server holds no keys.

use crate::CoordinatorError;
use codec::{Decode, Encode};
use pallet_referral_rebate::Framing;
use rebate_client::keys::{self, KeyPair};
use rebate_test_runtime::{AccountId, Signature};
use sp_runtime::traits::Verify;

/// The caller's account (SS58).
pub const ACCOUNT: &str = "x-rebate-account";
/// Milliseconds since the Unix epoch, when the request was signed.
pub const TIMESTAMP: &str = "x-rebate-timestamp";
/// A value the caller never reuses (hex, at most 64 characters).
pub const NONCE: &str = "x-rebate-nonce";
/// The SCALE-encoded `MultiSignature`, hex.
pub const SIGNATURE: &str = "x-rebate-signature";
/// How the signature frames the message: `raw` (the default) or `bytes` (inside
/// `<Bytes>…</Bytes>`, as wallets sign raw messages).
pub const FRAMING: &str = "x-rebate-framing";

/// What a coordinator requires of a request besides its signature.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
	/// How far the timestamp may be from the server's clock (milliseconds).
	pub window_ms: u64,
	/// The coordinator's public origin (`host:port`, what clients address): the request's `Host`
	/// header must be it, and the signature is checked over it. `None`: whatever `Host` says.
	pub origin: Option<&'a str>,
	/// Whether the account header may be a dev name (`alice`): dev chains only.
	pub dev_names: bool,
}

/// The message a request's signature covers.
pub fn message(
	method: &str,
	host: &str,
	path: &str,
	body: &[u8],
	timestamp_ms: u64,
	nonce: &str,
) -> Vec<u8> {
	format!(
		"rebate-coordinator/v1\n{method}\n{host}\n{path}\n{}\n{timestamp_ms}\n{nonce}",
		hex::encode(sp_io::hashing::blake2_256(body))
	)
	.into_bytes()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or(0)
}

/// The four headers that authenticate a request by `key` (a raw signature).
pub fn sign(
	key: &KeyPair,
	method: &str,
	host: &str,
	path: &str,
	body: &[u8],
) -> [(&'static str, String); 4] {
	let [a, b, c, d, _] = sign_framed(key, method, host, path, body, Framing::Raw);
	[a, b, c, d]
}

/// The headers that authenticate a request by `key`, its signature framed as `framing` says
/// (with the framing header).
pub fn sign_framed(
	key: &KeyPair,
	method: &str,
	host: &str,
	path: &str,
	body: &[u8],
	framing: Framing,
) -> [(&'static str, String); 5] {
	let timestamp = now_ms();
	let mut nonce = [0u8; 16];
	nonce.copy_from_slice(&sp_io::hashing::blake2_128(
		&(key.account(), timestamp, process_seed(), counter()).encode(),
	));
	let nonce = hex::encode(nonce);
	let signature =
		key.sign(&framing.message(&message(method, host, path, body, timestamp, &nonce)));
	[
		(ACCOUNT, keys::ss58(&key.account())),
		(TIMESTAMP, timestamp.to_string()),
		(NONCE, nonce),
		(SIGNATURE, format!("0x{}", hex::encode(signature.encode()))),
		(FRAMING, framing_name(framing).to_owned()),
	]
}

/// The framing header's value for `framing` (the one spelling; `verify` parses by it).
pub fn framing_name(framing: Framing) -> &'static str {
	match framing {
		Framing::Raw => "raw",
		Framing::Bytes => "bytes",
	}
}

/// A value random per process (the standard library seeds `RandomState` from the OS).
fn process_seed() -> u64 {
	use std::hash::{BuildHasher, Hasher};
	use std::sync::OnceLock;
	static SEED: OnceLock<u64> = OnceLock::new();
	*SEED.get_or_init(|| {
		let mut h = std::collections::hash_map::RandomState::new().build_hasher();
		h.write_u32(std::process::id());
		h.finish()
	})
}

fn counter() -> u64 {
	use std::sync::atomic::{AtomicU64, Ordering};
	static COUNTER: AtomicU64 = AtomicU64::new(0);
	COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// An authenticated request's caller.
#[derive(Clone, Debug)]
pub struct Caller {
	pub account: AccountId,
	/// How it was authenticated.
	pub by: By,
}

/// How a request was authenticated.
#[derive(Clone, Debug)]
pub enum By {
	/// Its own signature: the nonce is still to be claimed (with the request's effects, in the
	/// store).
	Signature { nonce: String, timestamp_ms: u64 },
	/// A session token (no nonce: the token is the request's authority until it expires).
	Session,
}

impl Caller {
	/// The (nonce, signed timestamp) of a signed request.
	pub fn nonce(&self) -> Option<(&str, u64)> {
		match &self.by {
			By::Signature { nonce, timestamp_ms } => Some((nonce, *timestamp_ms)),
			By::Session => None,
		}
	}
}

/// The framing named by `name` (a framing header's or field's value).
pub fn parse_framing(name: &str) -> Result<Framing, CoordinatorError> {
	[Framing::Raw, Framing::Bytes].into_iter().find(|f| framing_name(*f) == name).ok_or_else(|| {
		CoordinatorError::Unauthenticated(format!("{FRAMING} is `raw` or `bytes`, not `{name}`"))
	})
}

/// A hex SCALE `MultiSignature`.
pub fn parse_signature(text: &str) -> Result<Signature, CoordinatorError> {
	let bytes = hex::decode(text.trim_start_matches("0x"))
		.map_err(|_| CoordinatorError::Unauthenticated(format!("{SIGNATURE} is not hex")))?;
	Signature::decode(&mut &bytes[..]).map_err(|_| {
		CoordinatorError::Unauthenticated(format!("{SIGNATURE} is not a MultiSignature"))
	})
}

/// The origin a request was addressed to (its `Host`), refused unless it is the coordinator's.
pub fn addressed(
	header: &impl Fn(&str) -> Option<String>,
	policy: Policy<'_>,
) -> Result<String, CoordinatorError> {
	let host = header("host").unwrap_or_default();
	if let Some(origin) = policy.origin.filter(|o| !host.eq_ignore_ascii_case(o)) {
		return Err(CoordinatorError::WrongOrigin { expected: origin.to_owned(), got: host });
	}
	Ok(host)
}

/// Check a request's headers: present, well-formed, addressed to this coordinator, fresh, and
/// signed by the account they name; the cheap checks first, the one signature check last.
pub fn verify(
	header: impl Fn(&str) -> Option<String>,
	method: &str,
	path: &str,
	body: &[u8],
	policy: Policy<'_>,
) -> Result<Caller, CoordinatorError> {
	let window_ms = policy.window_ms;
	let get = |name: &str| {
		header(name).ok_or_else(|| CoordinatorError::Unauthenticated(format!("no {name} header")))
	};
	let host = addressed(&header, policy)?;
	let who = get(ACCOUNT)?;
	let parse = if policy.dev_names { keys::parse_account } else { keys::parse_address };
	let account =
		parse(&who).map_err(|e| CoordinatorError::Unauthenticated(format!("{ACCOUNT}: {e}")))?;
	let framing = match header(FRAMING) {
		None => Framing::Raw,
		Some(name) => parse_framing(&name)?,
	};
	let timestamp_ms: u64 = get(TIMESTAMP)?
		.parse()
		.map_err(|_| CoordinatorError::Unauthenticated(format!("{TIMESTAMP} is not a number")))?;
	let nonce = get(NONCE)?;
	if nonce.is_empty() || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
		return Err(CoordinatorError::Unauthenticated(format!("{NONCE} must be 1–64 hex digits")));
	}
	let signature = parse_signature(&get(SIGNATURE)?)?;
	let skew_ms = timestamp_ms as i64 - now_ms() as i64;
	if skew_ms.unsigned_abs() > window_ms {
		return Err(CoordinatorError::Expired { skew_ms, window_ms });
	}
	let signed = framing.message(&message(method, &host, path, body, timestamp_ms, &nonce));
	if !signature.verify(&signed[..], &account) {
		return Err(CoordinatorError::BadRequestSignature(keys::ss58(&account)));
	}
	Ok(Caller { account, by: By::Signature { nonce, timestamp_ms } })
}
