//! Keys: the well-known dev accounts by name, secret URIs and mnemonics, and key files.
//!
//! A key spec is one of:
//! - a dev name (`alice`, `bob`, `charlie`, `dave`, `eve`, `ferdie`): the `//Alice`… dev keys;
//! - a secret URI: `//Seed`, a BIP-39 phrase with optional `//hard/soft///password`, or `0x`-hex
//!   seed;
//! - `@PATH` or the path of an existing key file (see [`KeyFile`]).
//!
//! Any of them may be prefixed with the scheme, `ed25519:` or `ecdsa:` (`sr25519:` is the
//! default).

use crate::ClientError;
use rebate_test_runtime::{AccountId, Signature};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::Ss58Codec, ecdsa, ed25519, sr25519, Pair as _};
use sp_runtime::traits::IdentifyAccount;
use std::{fmt, path::Path, str::FromStr};

/// A signature scheme of `MultiSignature`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
	/// Schnorrkel/Ristretto (the default).
	#[default]
	Sr25519,
	/// Ed25519.
	Ed25519,
	/// ECDSA over secp256k1; the account is the blake2-256 of the compressed public key.
	Ecdsa,
}

impl FromStr for Scheme {
	type Err = ClientError;
	fn from_str(s: &str) -> Result<Self, ClientError> {
		match s {
			"sr25519" => Ok(Scheme::Sr25519),
			"ed25519" => Ok(Scheme::Ed25519),
			"ecdsa" => Ok(Scheme::Ecdsa),
			other => Err(ClientError::Key(format!(
				"unknown scheme `{other}` (expected sr25519, ed25519 or ecdsa)"
			))),
		}
	}
}

impl fmt::Display for Scheme {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		f.write_str(match self {
			Scheme::Sr25519 => "sr25519",
			Scheme::Ed25519 => "ed25519",
			Scheme::Ecdsa => "ecdsa",
		})
	}
}

/// A party's signing key.
#[derive(Clone)]
pub enum KeyPair {
	/// An sr25519 key.
	Sr25519(sr25519::Pair),
	/// An ed25519 key.
	Ed25519(ed25519::Pair),
	/// An ECDSA key.
	Ecdsa(ecdsa::Pair),
}

impl fmt::Debug for KeyPair {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		write!(f, "KeyPair({}, {})", self.scheme(), self.account().to_ss58check())
	}
}

/// A key file: what `rebate key generate` writes. It holds a secret; keep it private.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyFile {
	/// The scheme of the key.
	pub scheme: Scheme,
	/// The secret URI (a BIP-39 phrase, possibly with a derivation path).
	pub secret: String,
	/// The account, SS58 (informational; checked when the file is read).
	pub account: String,
}

/// The well-known dev accounts: their names and secret URIs.
pub const DEV_NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];

impl KeyPair {
	/// A key of `scheme` from a secret URI.
	pub fn from_suri(scheme: Scheme, suri: &str) -> Result<Self, ClientError> {
		let bad = |e: sp_core::crypto::SecretStringError| {
			ClientError::Key(format!("not a valid {scheme} secret: {e:?}"))
		};
		Ok(match scheme {
			Scheme::Sr25519 => {
				KeyPair::Sr25519(sr25519::Pair::from_string(suri, None).map_err(bad)?)
			}
			Scheme::Ed25519 => {
				KeyPair::Ed25519(ed25519::Pair::from_string(suri, None).map_err(bad)?)
			}
			Scheme::Ecdsa => KeyPair::Ecdsa(ecdsa::Pair::from_string(suri, None).map_err(bad)?),
		})
	}

	/// A dev key by name (`alice` → `//Alice`), sr25519.
	pub fn dev(name: &str) -> Result<Self, ClientError> {
		Self::from_suri(Scheme::Sr25519, &dev_suri(name)?)
	}

	/// Parse a key spec (see the module docs).
	pub fn parse(spec: &str) -> Result<Self, ClientError> {
		let (scheme, rest) = match spec.split_once(':') {
			Some((s @ ("sr25519" | "ed25519" | "ecdsa"), rest)) => (s.parse()?, rest),
			_ => (Scheme::Sr25519, spec),
		};
		if let Some(path) = rest.strip_prefix('@') {
			return Self::read_file(Path::new(path));
		}
		if DEV_NAMES.contains(&rest.to_ascii_lowercase().as_str()) {
			return Self::from_suri(scheme, &dev_suri(rest)?);
		}
		if !rest.starts_with("//") && !rest.starts_with("0x") && Path::new(rest).is_file() {
			return Self::read_file(Path::new(rest));
		}
		Self::from_suri(scheme, rest)
	}

	/// Generate a new key; returns it with its key file.
	pub fn generate(scheme: Scheme) -> (Self, KeyFile) {
		let (key, phrase) = match scheme {
			Scheme::Sr25519 => {
				let (p, phrase, _) = sr25519::Pair::generate_with_phrase(None);
				(KeyPair::Sr25519(p), phrase)
			}
			Scheme::Ed25519 => {
				let (p, phrase, _) = ed25519::Pair::generate_with_phrase(None);
				(KeyPair::Ed25519(p), phrase)
			}
			Scheme::Ecdsa => {
				let (p, phrase, _) = ecdsa::Pair::generate_with_phrase(None);
				(KeyPair::Ecdsa(p), phrase)
			}
		};
		let file = KeyFile { scheme, secret: phrase, account: key.account().to_ss58check() };
		(key, file)
	}

	/// Read a key file.
	pub fn read_file(path: &Path) -> Result<Self, ClientError> {
		let text = std::fs::read_to_string(path).map_err(|e| {
			ClientError::Key(format!("cannot read key file {}: {e}", path.display()))
		})?;
		let file: KeyFile = serde_json::from_str(&text)
			.map_err(|e| ClientError::Key(format!("{} is not a key file: {e}", path.display())))?;
		let key = Self::from_suri(file.scheme, &file.secret)?;
		if key.account().to_ss58check() != file.account {
			return Err(ClientError::Key(format!(
				"{}: the secret is for {}, not the account {} the file names",
				path.display(),
				key.account().to_ss58check(),
				file.account
			)));
		}
		Ok(key)
	}

	/// The scheme of this key.
	pub fn scheme(&self) -> Scheme {
		match self {
			KeyPair::Sr25519(_) => Scheme::Sr25519,
			KeyPair::Ed25519(_) => Scheme::Ed25519,
			KeyPair::Ecdsa(_) => Scheme::Ecdsa,
		}
	}

	/// The on-chain account of this key.
	pub fn account(&self) -> AccountId {
		match self {
			KeyPair::Sr25519(p) => sp_runtime::MultiSigner::from(p.public()).into_account(),
			KeyPair::Ed25519(p) => sp_runtime::MultiSigner::from(p.public()).into_account(),
			KeyPair::Ecdsa(p) => sp_runtime::MultiSigner::from(p.public()).into_account(),
		}
	}

	/// Sign `message` (a link's framed payload or an extrinsic's payload).
	pub fn sign(&self, message: &[u8]) -> Signature {
		match self {
			KeyPair::Sr25519(p) => p.sign(message).into(),
			KeyPair::Ed25519(p) => p.sign(message).into(),
			KeyPair::Ecdsa(p) => p.sign(message).into(),
		}
	}
}

fn dev_suri(name: &str) -> Result<String, ClientError> {
	let lower = name.to_ascii_lowercase();
	if !DEV_NAMES.contains(&lower.as_str()) {
		return Err(ClientError::Key(format!("`{name}` is not a dev account name")));
	}
	let mut chars = lower.chars();
	let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
	Ok(format!("//{first}{}", chars.as_str()))
}

/// Parse an account: an SS58 address, `0x`-hex of 32 bytes, or a dev name.
pub fn parse_account(s: &str) -> Result<AccountId, ClientError> {
	if DEV_NAMES.contains(&s.to_ascii_lowercase().as_str()) {
		return Ok(KeyPair::dev(s)?.account());
	}
	parse_address(s)
}

/// An account by its address only: SS58, or `0x` and 32 bytes of hex; never a dev name (which
/// would cost a key derivation and means nothing outside a dev chain).
pub fn parse_address(s: &str) -> Result<AccountId, ClientError> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes = hex::decode(hex)
			.map_err(|e| ClientError::Key(format!("`{s}` is not an account: {e}")))?;
		let raw: [u8; 32] =
			bytes.try_into().map_err(|_| ClientError::Key(format!("`{s}` is not 32 bytes")))?;
		return Ok(AccountId::from(raw));
	}
	AccountId::from_ss58check(s)
		.map_err(|e| ClientError::Key(format!("`{s}` is not an SS58 address: {e:?}")))
}

/// The account's SS58 address (generic substrate prefix 42).
pub fn ss58(who: &AccountId) -> String {
	who.to_ss58check()
}

/// A short name for `who`: the dev name if it is a dev account, else its SS58 address.
pub fn display_name(who: &AccountId) -> String {
	DEV_NAMES
		.iter()
		.find(|n| KeyPair::dev(n).map(|k| &k.account() == who).unwrap_or(false))
		.map(|n| n.to_string())
		.unwrap_or_else(|| ss58(who))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_names_and_schemes() {
		let alice = KeyPair::parse("alice").unwrap();
		assert_eq!(alice.account(), KeyPair::parse("//Alice").unwrap().account());
		assert_eq!(ss58(&alice.account()), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		let ed = KeyPair::parse("ed25519:alice").unwrap();
		assert_eq!(ed.scheme(), Scheme::Ed25519);
		assert_ne!(ed.account(), alice.account());
		assert_eq!(KeyPair::parse("ecdsa://Bob").unwrap().scheme(), Scheme::Ecdsa);
		assert_eq!(display_name(&alice.account()), "alice");
		assert_eq!(parse_account("bob").unwrap(), KeyPair::dev("bob").unwrap().account());
		assert!(parse_account("not-an-address").is_err());
	}

	#[test]
	fn key_files_round_trip_and_are_checked() {
		let dir = tempfile::tempdir().unwrap();
		let (key, mut file) = KeyPair::generate(Scheme::Ed25519);
		let path = dir.path().join("k.json");
		std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
		let read = KeyPair::parse(&format!("@{}", path.display())).unwrap();
		assert_eq!(read.account(), key.account());
		file.account = ss58(&KeyPair::dev("bob").unwrap().account());
		std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
		let err = KeyPair::read_file(&path).unwrap_err().to_string();
		assert!(err.contains("not the account"), "{err}");
	}
}
