//! What the store keeps and what the writer is asked to change: the types the store's reads and
//! the writer's transactions share.

use crate::api::DocumentKind;

/// A stored document's key. A promotion is named by its merchant, its id and its rebate block,
/// as the pallet keys an open promotion: a reused id (which the pallet allows once the earlier
/// promotion closed, with a later rebate block) is another promotion, whose documents former
/// parties cannot read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocKey {
	/// SS58.
	pub merchant: String,
	pub promotion: u64,
	pub pay_at: u32,
	pub kind: DocumentKind,
}

/// A stored document and what the coordinator derived from it on arrival.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
	pub key: DocKey,
	pub links: u32,
	pub customer: String,
	pub referee: Option<String>,
	pub next_signer: Option<String>,
	pub complete: bool,
	/// Who posted its first version: its storage counts against this account's quota.
	pub creator: String,
	/// Who posted the current version: what it waits for counts against this sender's limit
	/// towards the next signer, and a next signer who muted the sender does not see it.
	pub sender: String,
	/// The document's own deadline block (settle-by, or the rebate block): it is listed to its
	/// next signer until then (the whole promotion is deleted a grace period after its rebate
	/// block).
	pub deadline: u32,
	/// The envelope, canonical JSON (re-serialised from the parsed document).
	pub body: String,
	/// The body's hash: an update names the version it replaces by it.
	pub digest: String,
}

impl StoredDocument {
	/// The digest of a body (hex blake2-256).
	pub fn digest_of(body: &str) -> String {
		hex::encode(sp_io::hashing::blake2_256(body.as_bytes()))
	}
}

/// A request's claim on its nonce, valid until `expires_ms`.
#[derive(Clone, Debug)]
pub struct NonceClaim {
	pub account: String,
	pub nonce: String,
	pub expires_ms: u64,
}

/// The writer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// Committed.
	Done,
	/// The nonce was used before: nothing was written.
	Replayed,
	/// The stored document changed since the request was checked: nothing was written.
	Raced,
	/// The request's validity window closed before its nonce could be claimed: nothing was
	/// written.
	Expired,
	/// The sender already has its limit of documents waiting for the recipient (counted in the
	/// write's transaction): nothing was written but the nonce.
	OverLimit,
	/// The creator's stored documents reached its quota (counted in the write's transaction):
	/// nothing was written but the nonce.
	OverQuota,
}

/// The limits a write is checked against, in its transaction (so concurrent requests cannot
/// each see a count under the limit and all pass).
#[derive(Clone, Debug)]
pub struct Limits {
	/// Who posts it.
	pub sender: String,
	/// Who it waits for, if that is someone else: at most `open_per_recipient` of the sender's
	/// documents wait for one recipient (deadline after `best`).
	pub recipient: Option<String>,
	pub best: u32,
	pub open_per_recipient: u32,
	/// A new document: its creator (the sender) stores at most this many.
	pub quota: Option<u32>,
}

/// What the writer does for one request. Every variant claims the request's nonce first (none:
/// a session's request, or an earlier attempt claimed it).
#[derive(Clone, Debug)]
pub enum Write {
	/// Claim the nonce only (a read request).
	Nonce(NonceClaim),
	/// Put `document` if the stored version is still the one with digest `replaces` (`None`: if
	/// nothing is stored under its key), and within `limits`.
	Put {
		claim: Option<NonceClaim>,
		document: StoredDocument,
		replaces: Option<String>,
		limits: Option<Limits>,
	},
	/// `account` mutes (`on`) or unmutes `muted`.
	Mute { claim: Option<NonceClaim>, account: String, muted: String, on: bool },
	/// Delete the documents of promotions whose rebate block is before block `before`
	/// (retention).
	Forget { before: u32 },
}

impl Write {
	/// The request's nonce claim.
	pub fn claim(&self) -> Option<&NonceClaim> {
		match self {
			Write::Nonce(c) => Some(c),
			Write::Put { claim, .. } | Write::Mute { claim, .. } => claim.as_ref(),
			Write::Forget { .. } => None,
		}
	}

	/// The document row a request writes (`None`: none): batches write rows in key order.
	pub fn key(&self) -> Option<&DocKey> {
		match self {
			Write::Put { document, .. } => Some(&document.key),
			_ => None,
		}
	}
}
