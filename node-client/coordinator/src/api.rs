//! The service's request and response types: declared once, used by the server, its client
//! ([`crate::Coordinator`]) and the OpenAPI description ([`crate::openapi`], generated from
//! them).
//!
//! A document's inspection is the client library's
//! [`Inspection`](rebate_client::documents::Inspection), carried as JSON.

use pallet_referral_rebate::Framing;
use rebate_client::documents::{AnyDocument, Envelope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A document kind: the three documents of a promotion.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
	/// The referral offer (merchant, customer, referee).
	Offer,
	/// The rebate (merchant, customer, referee).
	Rebate,
	/// The referee's purchase at the discounted price (referee, customer).
	Purchase,
}

impl DocumentKind {
	/// Every kind, in the order a promotion's documents are shown.
	pub const ALL: [DocumentKind; 3] = [Self::Offer, Self::Purchase, Self::Rebate];

	/// The kind's name, as in an envelope and in the database.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Offer => "offer",
			Self::Rebate => "rebate",
			Self::Purchase => "purchase",
		}
	}

	/// The kind named `name`.
	pub fn parse(name: &str) -> Option<Self> {
		Self::ALL.into_iter().find(|k| k.as_str() == name)
	}

	/// The kind of `document`.
	pub fn of(document: &AnyDocument) -> Self {
		match document {
			AnyDocument::Offer(_) => Self::Offer,
			AnyDocument::Rebate(_) => Self::Rebate,
			AnyDocument::Purchase(_) => Self::Purchase,
		}
	}
}

impl std::fmt::Display for DocumentKind {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.as_str())
	}
}

/// What a mailbox entry asks its party to do.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
	/// Settle the referral on chain (the merchant: the offer and the referred purchase are
	/// complete). Listed as the referred purchase.
	Settle,
	/// Submit the rebate on chain (the customer: the rebate is complete).
	Submit,
	/// Add your link to the document.
	Sign,
}

impl Action {
	/// The action's name, as the service writes it.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Settle => "settle",
			Self::Submit => "submit",
			Self::Sign => "sign",
		}
	}
}

impl std::fmt::Display for Action {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.as_str())
	}
}

/// Whether a posted document changed what the coordinator holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
	/// Stored: new, or extended by more links.
	Stored,
	/// The coordinator already held these links.
	Unchanged,
}

/// What the service answers to an accepted document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
	pub status: PostStatus,
	pub kind: DocumentKind,
	pub merchant: String,
	pub promotion_id: u64,
	/// The promotion's rebate block: with the merchant and the id, what names the promotion
	/// (a reused id with another rebate block is another promotion).
	pub pay_at: u32,
	pub links: u32,
	pub complete: bool,
	/// Whose turn it is.
	pub next: Option<String>,
}

/// One document of a promotion as a party sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
	/// The envelope: the genesis hash it is bound to and the signed document under its kind,
	/// with the pallet's field names (accounts SS58, signatures hex, amounts decimal strings).
	#[schema(value_type = Object)]
	pub envelope: Envelope,
	/// The coordinator's inspection of it (links verified on arrival, deadlines now): each link
	/// valid, invalid or missing, whose turn it is, the asset and amounts, the deadlines.
	#[schema(value_type = Object)]
	pub inspection: serde_json::Value,
}

/// A promotion as its parties see it: its documents and what happens next.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PromotionView {
	pub merchant: String,
	pub promotion_id: u64,
	pub pay_at: u32,
	/// The chain's best block, if the coordinator follows a chain.
	pub best_block: Option<u32>,
	pub offer: Option<DocumentView>,
	pub rebate: Option<DocumentView>,
	pub purchase: Option<DocumentView>,
	/// What has to happen next, in order.
	pub next_steps: Vec<String>,
}

/// One entry of a mailbox.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MailboxEntry {
	pub action: Action,
	pub kind: DocumentKind,
	pub merchant: String,
	pub promotion_id: u64,
	pub pay_at: u32,
	/// The document's own deadline block (entries are listed soonest first).
	pub deadline: u32,
	pub document: DocumentView,
}

/// A page of a mailbox: what the party must do on chain (`settle`, `submit`) first, then the
/// documents it signs next; in each, the soonest deadline first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MailboxPage {
	pub entries: Vec<MailboxEntry>,
	/// Where the next page starts (`GET /v1/mailbox?cursor=…`); `None`: this was the last.
	pub next_cursor: Option<String>,
}

/// A sign-in challenge: the text to sign (raw or inside `<Bytes>…</Bytes>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Challenge {
	pub challenge: String,
	/// Until when it can be answered (milliseconds since the Unix epoch).
	pub expires_ms: u64,
}

/// The answer to a challenge: `POST /v1/sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionRequest {
	/// The challenge, as given.
	pub challenge: String,
	/// The SCALE-encoded `MultiSignature` over it, hex.
	pub signature: String,
	/// How the signature frames the challenge: `raw` (the default) or `bytes` (inside
	/// `<Bytes>…</Bytes>`, as wallets sign).
	#[serde(default)]
	#[schema(value_type = String)]
	pub framing: Framing,
}

/// A session: a short-lived token scoped to one account at one coordinator origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Session {
	/// Sent as `Authorization: Bearer <token>`.
	pub token: String,
	pub account: String,
	pub origin: String,
	pub expires_ms: u64,
}

/// The senders a party muted: their documents to sign no longer reach its mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Mutes {
	pub muted: Vec<String>,
}

/// A refusal: the HTTP status says its class, `code` which one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refusal {
	pub code: String,
	pub message: String,
}
