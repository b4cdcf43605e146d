//! The coordinator's errors: each with an HTTP status and a stable machine-readable code.

use rebate_client::ClientError;

/// Why the coordinator refused a request (or failed to serve it).
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
	/// The request carries no authentication, or a malformed one.
	#[error("unauthenticated: {0}")]
	Unauthenticated(String),
	/// The request's signature does not verify.
	#[error("the request signature does not verify for {0}")]
	BadRequestSignature(String),
	/// The request was addressed to (and signed for) another coordinator than this one.
	#[error("the request was addressed to `{got}`; this coordinator is `{expected}`")]
	WrongOrigin { expected: String, got: String },
	/// The request's timestamp is outside the validity window.
	#[error("the request timestamp is {skew_ms} ms away from the server's clock (window {window_ms} ms)")]
	Expired { skew_ms: i64, window_ms: u64 },
	/// The request's nonce was used before.
	#[error("the request nonce was already used (a replay)")]
	Replayed,
	/// A session token or sign-in challenge that is not valid here (forged, expired, for
	/// another origin or account).
	#[error("session: {0}")]
	Session(String),
	/// The caller is not a party of the promotion.
	#[error("{0} is not a party of this promotion")]
	NotAParty(String),
	/// The document failed a check (its links, rules, chain, deadline…); the code says which.
	#[error("{0}")]
	Document(#[from] ClientError),
	/// Nothing on chain backs the document: the offer's origin purchase is not the customer's
	/// live, unrefunded purchase from the merchant (a stranger cannot address an offer to a
	/// customer who never bought).
	#[error("{0}")]
	NotBacked(String),
	/// The caller already has its limit of documents waiting for the recipient.
	#[error("{sender} already has {limit} open documents waiting for {recipient} (at most {limit}); wait until they are signed or their deadlines pass")]
	TooManyOpen { sender: String, recipient: String, limit: u32 },
	/// The caller's stored documents reached its quota.
	#[error("{account} has {quota} documents stored at this coordinator (its quota is {quota}); they are forgotten after their promotions end")]
	QuotaExceeded { account: String, quota: u32 },
	/// The document does not extend the stored one.
	#[error("{0}")]
	Conflict(String),
	/// The posted document has fewer links than the stored one (already superseded).
	#[error("the coordinator already holds this {kind} with {stored} links; it has {posted}")]
	Stale { kind: &'static str, stored: u32, posted: u32 },
	/// No such promotion or document.
	#[error("not found: {0}")]
	NotFound(String),
	/// The request body is larger than any document.
	#[error("the body is over {0} bytes")]
	TooLarge(usize),
	/// A request that makes no sense (bad path, bad query).
	#[error("bad request: {0}")]
	BadRequest(String),
	/// The chain the coordinator follows could not be read.
	#[error("the chain is unavailable: {0}")]
	ChainUnavailable(String),
	/// The database failed.
	#[error("store: {0}")]
	Store(String),
	/// Talking to a coordinator failed (client side).
	#[error("coordinator at {url}: {reason}")]
	Transport { url: String, reason: String },
	/// The coordinator refused a request (client side): its status, code and message.
	#[error("the coordinator refused the request ({status}, {code}): {message}")]
	Refused { status: u16, code: String, message: String },
}

impl CoordinatorError {
	/// A stable machine-readable code.
	pub fn code(&self) -> String {
		match self {
			Self::Unauthenticated(_) => "unauthenticated".into(),
			Self::BadRequestSignature(_) => "bad_request_signature".into(),
			Self::WrongOrigin { .. } => "wrong_origin".into(),
			Self::Expired { .. } => "request_expired".into(),
			Self::Replayed => "replayed".into(),
			Self::Session(_) => "bad_session".into(),
			Self::NotBacked(_) => "not_backed".into(),
			Self::TooManyOpen { .. } => "too_many_open".into(),
			Self::QuotaExceeded { .. } => "quota_exceeded".into(),
			Self::ChainUnavailable(_) => "chain_unavailable".into(),
			Self::NotAParty(_) => "not_a_party".into(),
			Self::Document(e) => e.code().into(),
			Self::Conflict(_) => "conflict".into(),
			Self::Stale { .. } => "stale".into(),
			Self::NotFound(_) => "not_found".into(),
			Self::BadRequest(_) => "bad_request".into(),
			Self::TooLarge(_) => "too_large".into(),
			Self::Store(_) => "store".into(),
			Self::Transport { .. } => "transport".into(),
			Self::Refused { code, .. } => code.clone(),
		}
	}

	/// The HTTP status the server answers with.
	pub fn status(&self) -> u16 {
		match self {
			Self::Unauthenticated(_)
			| Self::BadRequestSignature(_)
			| Self::Expired { .. }
			| Self::Replayed
			| Self::Session(_) => 401,
			Self::NotBacked(_) => 422,
			Self::TooManyOpen { .. } | Self::QuotaExceeded { .. } => 429,
			Self::NotAParty(_) => 403,
			Self::WrongOrigin { .. } => 421,
			Self::NotFound(_) => 404,
			Self::TooLarge(_) => 413,
			Self::Conflict(_) | Self::Stale { .. } => 409,
			Self::Document(ClientError::Malformed(_)) | Self::BadRequest(_) => 400,
			Self::Document(_) => 422,
			Self::Store(_) | Self::Transport { .. } | Self::ChainUnavailable(_) => 503,
			Self::Refused { status, .. } => *status,
		}
	}
}

impl From<sqlx::Error> for CoordinatorError {
	fn from(e: sqlx::Error) -> Self {
		Self::Store(e.to_string())
	}
}
