//! Sign-in once per session: a party signs a challenge (raw or `<Bytes>`-framed, as wallets
//! sign), and the coordinator gives it a short-lived token scoped to that account and this
//! coordinator's origin. Requests then carry `Authorization: Bearer <token>` instead of a
//! signature of their own (agents may keep signing every request).
//!
//! Nothing is stored: a challenge and a token each carry a tag, a keyed BLAKE2-256 over what
//! they say under a secret the coordinators over one database share ([`crate::Store::secret`]),
//! so any of them checks either with one hash and no database read.
//!
//! A challenge reads
//!
//! ```text
//! rebate-coordinator/v1 sign-in
//! origin: rebate.example.com:443
//! account: 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
//! expires: 1796140800000
//! nonce: 3f1c…
//! tag: 9a0e…
//! ```
//!
//! and a token `v1.ACCOUNT.EXPIRES_MS.TAG`.

use crate::{api, auth, CoordinatorError};
use pallet_referral_rebate::Framing;
use rebate_client::keys;
use rebate_test_runtime::AccountId;
use sp_runtime::traits::Verify;

const CHALLENGE_HEADER: &str = "rebate-coordinator/v1 sign-in";
/// How long a challenge can be answered.
pub const CHALLENGE_TTL_MS: u64 = 5 * 60 * 1000;

/// The coordinator's side of sessions.
#[derive(Clone)]
pub struct Sessions {
	secret: [u8; 32],
	/// How long a token is valid.
	pub ttl_ms: u64,
}

impl Sessions {
	/// Sessions under `secret`, tokens valid `ttl_ms`.
	pub fn new(secret: [u8; 32], ttl_ms: u64) -> Self {
		Self { secret, ttl_ms }
	}

	/// The tag of `parts` for `purpose` (an origin among them is lower-cased by the caller: hosts
	/// compare without case).
	fn tag(&self, purpose: &str, parts: &[&str]) -> String {
		let mut input = Vec::with_capacity(64 + parts.iter().map(|p| p.len() + 1).sum::<usize>());
		input.extend_from_slice(&self.secret);
		input.extend_from_slice(purpose.as_bytes());
		for part in parts {
			input.push(0);
			input.extend_from_slice(part.as_bytes());
		}
		hex::encode(sp_io::hashing::blake2_256(&input))
	}

	/// A challenge for `account` to sign at `origin`.
	pub fn challenge(&self, origin: &str, account: &AccountId) -> api::Challenge {
		let origin = &origin.to_ascii_lowercase();
		let expires_ms = auth::now_ms().saturating_add(CHALLENGE_TTL_MS);
		let account = keys::ss58(account);
		// Unpredictable without the secret, and costs one hash (the route is unauthenticated).
		let nonce = self.tag("nonce", &[&auth::now_ms().to_string(), &counter()])[..32].to_owned();
		let expires = expires_ms.to_string();
		let tag = self.tag("challenge", &[origin, &account, &expires, &nonce]);
		let challenge = format!(
			"{CHALLENGE_HEADER}\norigin: {origin}\naccount: {account}\nexpires: {expires}\nnonce: {nonce}\ntag: {tag}"
		);
		api::Challenge { challenge, expires_ms }
	}

	/// Check a signed challenge answered at `origin`, and give the session it opens.
	pub fn open(
		&self,
		origin: &str,
		request: &api::SessionRequest,
	) -> Result<api::Session, CoordinatorError> {
		let origin = &origin.to_ascii_lowercase();
		let bad = |why: &str| CoordinatorError::Session(format!("the challenge {why}"));
		let mut lines = request.challenge.split('\n');
		if lines.next() != Some(CHALLENGE_HEADER) {
			return Err(bad("is not a sign-in challenge of this coordinator"));
		}
		let mut field = |name: &str| {
			lines
				.next()
				.and_then(|l| l.strip_prefix(name))
				.and_then(|l| l.strip_prefix(": "))
				.ok_or_else(|| bad(&format!("has no `{name}` line where expected")))
		};
		let (o, account, expires, nonce, tag) = (
			field("origin")?,
			field("account")?,
			field("expires")?,
			field("nonce")?,
			field("tag")?,
		);
		if lines.next().is_some() {
			return Err(bad("has lines after its tag"));
		}
		if !same(tag, &self.tag("challenge", &[o, account, expires, nonce])) {
			return Err(bad("was not given by this coordinator"));
		}
		if !o.eq_ignore_ascii_case(origin) {
			return Err(bad(&format!("was given for `{o}`, not `{origin}`")));
		}
		let expires_ms: u64 = expires.parse().map_err(|_| bad("has a malformed expiry"))?;
		if expires_ms <= auth::now_ms() {
			return Err(bad("has expired; ask for a new one"));
		}
		let who = keys::parse_address(account).map_err(|e| bad(&format!("account: {e}")))?;
		let signature = auth::parse_signature(&request.signature)?;
		let signed = request.framing.message(request.challenge.as_bytes());
		if !signature.verify(&signed[..], &who) {
			return Err(CoordinatorError::BadRequestSignature(keys::ss58(&who)));
		}
		Ok(self.token(origin, &who))
	}

	/// A session for `who` at `origin`, from now.
	fn token(&self, origin: &str, who: &AccountId) -> api::Session {
		let account = keys::ss58(who);
		let expires_ms = auth::now_ms().saturating_add(self.ttl_ms);
		let expires = expires_ms.to_string();
		let tag = self.tag("session", &[origin, &account, &expires]);
		api::Session {
			token: format!("v1.{account}.{expires}.{tag}"),
			account,
			origin: origin.to_owned(),
			expires_ms,
		}
	}

	/// The caller a token names, if it is this coordinator's, for `origin`, and not expired.
	pub fn check(&self, origin: &str, token: &str) -> Result<auth::Caller, CoordinatorError> {
		let origin = &origin.to_ascii_lowercase();
		let bad = |why: &str| CoordinatorError::Session(format!("the token {why}"));
		let mut parts = token.split('.');
		let (Some("v1"), Some(account), Some(expires), Some(tag), None) =
			(parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
		else {
			return Err(bad("is malformed (`v1.ACCOUNT.EXPIRES.TAG`)"));
		};
		if !same(tag, &self.tag("session", &[origin, account, expires])) {
			return Err(bad("is not valid at this coordinator (another origin, or forged)"));
		}
		let expires_ms: u64 = expires.parse().map_err(|_| bad("has a malformed expiry"))?;
		if expires_ms <= auth::now_ms() {
			return Err(bad("has expired; sign in again"));
		}
		let account = keys::parse_address(account).map_err(|e| bad(&format!("account: {e}")))?;
		Ok(auth::Caller { account, by: auth::By::Session })
	}
}

/// A value never repeated within this process.
fn counter() -> String {
	use std::sync::atomic::{AtomicU64, Ordering};
	static COUNTER: AtomicU64 = AtomicU64::new(0);
	COUNTER.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Whether two tags are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
	a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sign `challenge` with `key`, framed as `framing` (a client's side of sign-in).
pub fn answer(
	key: &keys::KeyPair,
	challenge: &api::Challenge,
	framing: Framing,
) -> api::SessionRequest {
	use codec::Encode;
	let signature = key.sign(&framing.message(challenge.challenge.as_bytes()));
	api::SessionRequest {
		challenge: challenge.challenge.clone(),
		signature: format!("0x{}", hex::encode(signature.encode())),
		framing,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use rebate_client::keys::KeyPair;

	#[test]
	fn a_session_is_scoped_to_its_account_origin_and_lifetime() {
		let sessions = Sessions::new([7; 32], 60_000);
		let alice = KeyPair::dev("alice").expect("a dev key");
		for framing in [Framing::Raw, Framing::Bytes] {
			let challenge = sessions.challenge("c.example:443", &alice.account());
			let session = sessions
				.open("c.example:443", &answer(&alice, &challenge, framing))
				.expect("opens");
			let caller = sessions.check("c.example:443", &session.token).expect("valid");
			assert_eq!(caller.account, alice.account());
			// Another origin, a forged account, another secret: refused.
			let other = sessions.check("other.example:443", &session.token).unwrap_err();
			assert_eq!(other.code(), "bad_session");
			let bob = keys::ss58(&KeyPair::dev("bob").expect("a dev key").account());
			let forged = session.token.replace(&session.account, &bob);
			assert_eq!(sessions.check("c.example:443", &forged).unwrap_err().code(), "bad_session");
			let elsewhere = Sessions::new([8; 32], 60_000);
			assert!(elsewhere.check("c.example:443", &session.token).is_err());
			// A challenge answered at another origin, or signed by another key.
			let at_other = sessions.open("other.example:443", &answer(&alice, &challenge, framing));
			assert_eq!(at_other.unwrap_err().code(), "bad_session");
			let bob_key = KeyPair::dev("bob").expect("a dev key");
			let wrong_signer =
				sessions.open("c.example:443", &answer(&bob_key, &challenge, framing));
			assert_eq!(wrong_signer.unwrap_err().code(), "bad_request_signature");
		}
		// An expired token.
		let short = Sessions::new([7; 32], 0);
		let challenge = short.challenge("c.example:443", &alice.account());
		let session =
			short.open("c.example:443", &answer(&alice, &challenge, Framing::Raw)).expect("opens");
		assert_eq!(short.check("c.example:443", &session.token).unwrap_err().code(), "bad_session");
	}
}
