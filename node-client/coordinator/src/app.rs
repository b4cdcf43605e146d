//! The service's configuration and shared state: the store, the chain it follows, sessions, and
//! what this instance remembers (parsed documents, the nonces it authenticated).

use crate::{
	api::DocumentKind,
	auth::{self, Caller},
	chain::ChainView,
	metrics::Metrics,
	model::{DocKey, NonceClaim, Outcome, StoredDocument},
	session::Sessions,
	CoordinatorError, Store,
};
use axum::http::{HeaderMap, Method, Uri};
use rebate_client::{documents::Envelope, keys};
use rebate_test_runtime::AccountId;
use sp_core::H256;
use std::{collections::HashMap, sync::Arc, sync::Mutex};

/// How the service is set up.
#[derive(Clone, Debug)]
pub struct Config {
	/// The chain every document must be bound to.
	pub genesis: H256,
	/// How far a request's timestamp may be from the server's clock (milliseconds).
	pub window_ms: u64,
	/// At most this many entries per mailbox page.
	pub mailbox_limit: u32,
	/// The coordinator's public origin (`host:port`, as clients address it): a request addressed
	/// or signed for another is refused (`WrongOrigin`), and sessions are scoped to it. `None`
	/// accepts any (tests, behind a proxy that rewrites `Host`).
	pub origin: Option<String>,
	/// Whether requests may name their account by a dev name (`alice`): dev chains only.
	pub dev_names: bool,
	/// At most this many documents from one sender wait for one recipient at a time (deadline
	/// not passed): a stranger cannot flood a party's mailbox.
	pub open_per_recipient: u32,
	/// At most this many stored documents created by one account (checked as it posts an offer;
	/// each offer brings at most a rebate and a referred purchase).
	pub quota: u32,
	/// Documents are forgotten this many blocks after their promotion's rebate block (with a
	/// chain followed; the nonces are forgotten as their windows close).
	pub grace_blocks: u32,
	/// How long a session token is valid (milliseconds).
	pub session_ttl_ms: u64,
}

impl Config {
	/// Defaults for `genesis`: a 30 s window, 200 entries per page, 32 open documents per
	/// (sender, recipient), 10,000 stored per account, forgotten 14,400 blocks (a day of 6 s
	/// blocks) after the rebate block, 15-minute sessions.
	pub fn new(genesis: H256) -> Self {
		Self {
			genesis,
			window_ms: 30_000,
			mailbox_limit: 200,
			origin: None,
			dev_names: false,
			open_per_recipient: 32,
			quota: 10_000,
			grace_blocks: 14_400,
			session_ttl_ms: 15 * 60 * 1000,
		}
	}
}

/// A stored document as this instance holds it, parsed.
#[derive(Debug)]
pub(crate) struct Held {
	pub envelope: Envelope,
	/// The stored version's digest (an update names it).
	pub digest: String,
}

/// At most this many documents are remembered in memory (then the memory starts over).
const CACHE_LIMIT: usize = 100_000;
/// At most this many request nonces are remembered in memory; beyond, the database's claim
/// alone refuses replays.
const SEEN_LIMIT: usize = 200_000;

/// The service's shared state.
pub struct App {
	pub config: Config,
	pub store: Store,
	pub chain: ChainView,
	pub metrics: Metrics,
	pub(crate) sessions: Sessions,
	/// The documents this instance last stored or read, parsed: a post that extends one needs
	/// no read of the database (the write still checks the stored version).
	cache: Mutex<HashMap<DocKey, Arc<Held>>>,
	/// The rebate block of each promotion id's latest offer remembered: where a referred
	/// purchase (which does not name it) belongs.
	offers: Mutex<HashMap<(String, u64), u32>>,
	/// The (account, nonce) of every request this instance authenticated while its window is
	/// open, with when the window closes: a replay, refused or not the first time, is refused
	/// here before any further work (the nonce is still claimed in the database with the
	/// request's effects, which is what refuses a replay at another instance).
	seen: Mutex<Seen>,
}

/// The nonces an instance authenticated, and when it last swept the expired ones.
#[derive(Default)]
struct Seen {
	nonces: HashMap<(AccountId, String), u64>,
	swept_ms: u64,
}

impl App {
	/// The service over `store`, for `config`, checking documents against `chain`.
	pub async fn new(
		config: Config,
		store: Store,
		chain: ChainView,
	) -> Result<Self, CoordinatorError> {
		let sessions = Sessions::new(store.secret().await?, config.session_ttl_ms);
		Ok(Self {
			config,
			store,
			chain,
			metrics: Metrics::new(),
			sessions,
			cache: Default::default(),
			offers: Default::default(),
			seen: Default::default(),
		})
	}

	pub(crate) fn cached(&self, key: &DocKey) -> Option<Arc<Held>> {
		self.cache.lock().ok()?.get(key).cloned()
	}

	/// The rebate block of the latest offer of `merchant`'s promotion `id` this instance holds.
	pub(crate) fn latest_offer(&self, merchant: &str, id: u64) -> Option<u32> {
		self.offers.lock().ok()?.get(&(merchant.to_owned(), id)).copied()
	}

	/// Remember `held` under `key`, unless a longer chain of the same document is already
	/// remembered (two posts may finish out of order).
	pub(crate) fn remember(&self, key: DocKey, held: Arc<Held>) {
		if key.kind == DocumentKind::Offer {
			if let Ok(mut offers) = self.offers.lock() {
				if offers.len() >= CACHE_LIMIT {
					offers.clear();
				}
				let latest = offers.entry((key.merchant.clone(), key.promotion)).or_insert(0);
				*latest = (*latest).max(key.pay_at);
			}
		}
		if let Ok(mut cache) = self.cache.lock() {
			if let Some(known) = cache.get(&key) {
				let (k, h) = (&known.envelope, &held.envelope);
				if crate::intake::same_document(k, h)
					&& crate::intake::links(k) > crate::intake::links(h)
				{
					return;
				}
			}
			if cache.len() >= CACHE_LIMIT {
				cache.clear();
			}
			cache.insert(key, held);
		}
	}

	/// Parse a stored row.
	pub(crate) fn parse(row: &StoredDocument) -> Result<Held, CoordinatorError> {
		let envelope = Envelope::from_json(&row.body).map_err(|e| {
			CoordinatorError::Store(format!("a stored document does not parse: {e}"))
		})?;
		Ok(Held { envelope, digest: row.digest.clone() })
	}

	/// The stored document under `key`, from the database (and remembered).
	pub(crate) async fn load(&self, key: &DocKey) -> Result<Option<Arc<Held>>, CoordinatorError> {
		let Some(row) = self.store.get(key).await? else { return Ok(None) };
		let held = Arc::new(Self::parse(&row)?);
		self.remember(key.clone(), held.clone());
		Ok(Some(held))
	}

	/// What a request must satisfy besides its signature.
	pub(crate) fn policy(&self) -> auth::Policy<'_> {
		auth::Policy {
			window_ms: self.config.window_ms,
			origin: self.config.origin.as_deref(),
			dev_names: self.config.dev_names,
		}
	}

	/// Authenticate a request: by its session token (`Authorization: Bearer`), or by its own
	/// signature (the nonce is claimed later, with its effects).
	pub(crate) fn authenticate(
		&self,
		method: &Method,
		uri: &Uri,
		headers: &HeaderMap,
		body: &[u8],
	) -> Result<Caller, CoordinatorError> {
		let header =
			|name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
		if let Some(authorization) = header("authorization") {
			let origin = self.origin_of(headers)?;
			let token = authorization.strip_prefix("Bearer ").ok_or_else(|| {
				CoordinatorError::Unauthenticated("authorization is `Bearer <token>`".into())
			})?;
			return self.sessions.check(&origin, token);
		}
		let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
		let caller = auth::verify(header, method.as_str(), path, body, self.policy())?;
		self.first_use(&caller)?;
		Ok(caller)
	}

	/// Refuse a nonce this instance saw within its window; remember it otherwise.
	fn first_use(&self, caller: &Caller) -> Result<(), CoordinatorError> {
		let Some((nonce, timestamp_ms)) = caller.nonce() else { return Ok(()) };
		let Ok(mut seen) = self.seen.lock() else { return Ok(()) };
		let now = auth::now_ms();
		// Full: sweep the expired ones, at most once a second (a sweep that frees nothing must
		// not run again for every request).
		if seen.nonces.len() >= SEEN_LIMIT && now >= seen.swept_ms.saturating_add(1_000) {
			seen.nonces.retain(|_, closes| *closes > now);
			seen.swept_ms = now;
		}
		let key = (caller.account.clone(), nonce.to_owned());
		if seen.nonces.get(&key).is_some_and(|closes| *closes > now) {
			return Err(CoordinatorError::Replayed);
		}
		if seen.nonces.len() < SEEN_LIMIT {
			seen.nonces.insert(key, timestamp_ms.saturating_add(self.config.window_ms));
		}
		Ok(())
	}

	/// The nonce claim a signed request's effects are committed with (`None`: a session's).
	pub(crate) fn claim(&self, caller: &Caller) -> Option<NonceClaim> {
		let (nonce, timestamp_ms) = caller.nonce()?;
		Some(NonceClaim {
			account: keys::ss58(&caller.account),
			nonce: nonce.to_owned(),
			expires_ms: timestamp_ms.saturating_add(self.config.window_ms),
		})
	}

	/// Claim the nonce of a request that changes nothing else (a session's: nothing to do).
	pub(crate) async fn claim_only(&self, caller: &Caller) -> Result<(), CoordinatorError> {
		let Some(claim) = self.claim(caller) else { return Ok(()) };
		self.committed(self.store.claim(claim).await?, caller).map(|_| ())
	}

	/// What the writer did with a request, with a nonce it refused as the request's error.
	pub(crate) fn committed(
		&self,
		outcome: Outcome,
		caller: &Caller,
	) -> Result<Outcome, CoordinatorError> {
		match outcome {
			Outcome::Replayed => Err(CoordinatorError::Replayed),
			Outcome::Expired => Err(CoordinatorError::Expired {
				skew_ms: caller.nonce().map_or(0, |(_, t)| t as i64 - auth::now_ms() as i64),
				window_ms: self.config.window_ms,
			}),
			done_or_raced => Ok(done_or_raced),
		}
	}

	/// The origin sessions are scoped to for a request with these headers: the configured one,
	/// or (with none) the one the request was addressed to.
	pub(crate) fn origin_of(&self, headers: &HeaderMap) -> Result<String, CoordinatorError> {
		let header =
			|name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
		auth::addressed(&header, self.policy())
	}
}
