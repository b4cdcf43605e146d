//! The client's errors: one variant per kind of failure, each with a one-line message that says
//! which rule, which signature or which deadline.

use pallet_referral_rebate::Role;

/// An error of the referral-rebate pallet, as a value (decoded by the pallet's index on the
/// chain: the runtime's, or on a node the one its metadata gives).
pub type PalletError = pallet_referral_rebate::Error<rebate_test_runtime::Runtime>;

/// Everything that can go wrong in the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
	/// A key spec, key file or account could not be used.
	#[error("key: {0}")]
	Key(String),
	/// A document file is not valid JSON for a document.
	#[error("malformed document: {0}")]
	Malformed(String),
	/// The document was made for another chain.
	#[error("the document is for chain {document:?}, but this chain's genesis is {chain:?}")]
	WrongChain { document: sp_core::H256, chain: sp_core::H256 },
	/// A link does not verify.
	#[error("{kind}: link {link} is not a valid signature of the {role:?} over the document and the links before it")]
	BadSignature { kind: &'static str, link: u32, role: Role },
	/// The chain's links do not have the protocol's shape.
	#[error("{kind}: {reason}")]
	BadChain { kind: &'static str, reason: String },
	/// It is not this key's turn to sign.
	#[error("{kind}: the next link is the {role:?}'s{expected}, not {signer}'s")]
	NotYourTurn { kind: &'static str, role: Role, expected: String, signer: String },
	/// The document is fully signed already.
	#[error("{kind}: every party has signed already")]
	Complete { kind: &'static str },
	/// The document lacks links it needs for this step.
	#[error("{kind}: {have} of {need} signatures present; {next} must sign first")]
	Incomplete { kind: &'static str, have: u32, need: u32, next: String },
	/// A deadline has passed (or leaves no block to act in).
	#[error("{what} was block {deadline}; the chain is at block {now}")]
	DeadlinePassed { what: &'static str, deadline: u32, now: u32 },
	/// A document or request breaks a rule of the protocol.
	#[error("{0}")]
	Rule(String),
	/// The chain refused the call when it was dispatched (or would, by a dry run): the error's
	/// name and documentation, and, when it is the referral-rebate pallet's, the error itself.
	#[error("the chain refused the call: {name}: {description}")]
	Rejected { name: String, description: String, pallet: Option<PalletError> },
	/// The transaction is not valid (nonce, fee, era, signature…).
	#[error("the transaction is invalid: {0}")]
	Invalid(String),
	/// A chain backend failed (I/O, RPC, storage).
	#[error("chain: {0}")]
	Backend(String),
	/// The chain's referral-rebate pallet is not one this client understands (or it has none).
	#[error("the chain's {} is not one this client understands: {why}", pallet.as_deref().map(|p| format!("pallet {p}")).unwrap_or_else(|| "runtime".into()))]
	IncompatibleChain { pallet: Option<String>, why: String },
	/// The embedded chain's data directory is damaged.
	#[error("chain data {path}: {reason}")]
	Corrupt { path: String, reason: String },
	/// I/O on a document or key file.
	#[error("{path}: {source}")]
	Io { path: String, source: std::io::Error },
}

impl ClientError {
	/// A stable machine-readable code for scripts (`--json`).
	pub fn code(&self) -> &'static str {
		match self {
			ClientError::Key(_) => "key",
			ClientError::Malformed(_) => "malformed",
			ClientError::WrongChain { .. } => "wrong_chain",
			ClientError::BadSignature { .. } => "bad_signature",
			ClientError::BadChain { .. } => "bad_chain",
			ClientError::NotYourTurn { .. } => "not_your_turn",
			ClientError::Complete { .. } => "complete",
			ClientError::Incomplete { .. } => "incomplete",
			ClientError::DeadlinePassed { .. } => "deadline_passed",
			ClientError::Rule(_) => "rule",
			ClientError::Rejected { .. } => "rejected",
			ClientError::Invalid(_) => "invalid",
			ClientError::Backend(_) => "backend",
			ClientError::IncompatibleChain { .. } => "incompatible_chain",
			ClientError::Corrupt { .. } => "corrupt",
			ClientError::Io { .. } => "io",
		}
	}

	pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
		ClientError::Io { path: path.display().to_string(), source }
	}
}

/// Describe a dispatch error: for the referral-rebate pallet, the error's name and its doc line.
/// `e` as the client reports it; `pallet_index` is where the chain has the referral-rebate
/// pallet ([`crate::chain::Chain::pallet_index`]), so its errors come back as values.
pub fn describe_dispatch_error(e: &sp_runtime::DispatchError, pallet_index: u8) -> ClientError {
	use codec::Decode;
	if let sp_runtime::DispatchError::Module(m) = e {
		if m.index == pallet_index {
			if let Ok(err) = PalletError::decode(&mut &m.error[..]) {
				let name = err.as_str();
				let description = variant_docs::<PalletError>(name).unwrap_or_default();
				return ClientError::Rejected {
					name: name.to_string(),
					description,
					pallet: Some(err),
				};
			}
		}
		return ClientError::Rejected {
			name: m.message.unwrap_or("module error").to_string(),
			description: format!("error {:?} of pallet {}", m.error, m.index),
			pallet: None,
		};
	}
	ClientError::Rejected { name: format!("{e:?}"), description: String::new(), pallet: None }
}

/// The doc comment of variant `name` of `T`'s type info.
fn variant_docs<T: scale_info::TypeInfo + 'static>(name: &str) -> Option<String> {
	let info = T::type_info();
	match info.type_def {
		scale_info::TypeDef::Variant(v) => v
			.variants
			.iter()
			.find(|var| var.name == name)
			.map(|var| var.docs.join(" ").trim().to_string()),
		_ => None,
	}
}
