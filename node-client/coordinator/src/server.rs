//! The HTTP service: routes, the checks a document passes on arrival, and what a party sees.

use crate::{
	auth,
	metrics::Metrics,
	store::{NonceClaim, Outcome, Store, StoredDocument},
	Clock, CoordinatorError,
};
use axum::{
	body::Bytes,
	extract::{Path, State},
	http::{HeaderMap, Method, StatusCode, Uri},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use pallet_referral_rebate::{referee_of, Document as _};
use rebate_client::{
	documents::{self, AnyDocument, Envelope, Inspection, Kind, SignedDoc},
	keys, ClientError,
};
use rebate_test_runtime::AccountId;
use serde::Serialize;
use sp_core::H256;
use std::{sync::Arc, time::Instant};

/// How the service is set up.
#[derive(Clone)]
pub struct Config {
	/// The chain every document must be bound to.
	pub genesis: H256,
	/// How far a request's timestamp may be from the server's clock (milliseconds).
	pub window_ms: u64,
	/// At most this many entries per mailbox listing.
	pub mailbox_limit: u32,
	/// The coordinator's public origin (`host:port`, as clients address it): a request addressed
	/// or signed for another is refused (`WrongOrigin`). `None` accepts any (tests, behind a proxy
	/// that rewrites `Host`).
	pub origin: Option<String>,
	/// Whether requests may name their account by a dev name (`alice`): dev chains only.
	pub dev_names: bool,
}

impl Config {
	/// Defaults for `genesis`: a 30 s window, 200 entries per listing.
	pub fn new(genesis: H256) -> Self {
		Self { genesis, window_ms: 30_000, mailbox_limit: 200, origin: None, dev_names: false }
	}
}

/// A stored document's key: merchant (SS58), promotion id, kind.
type Key = (String, u64, &'static str);

/// At most this many documents are remembered in memory (then the memory starts over).
const CACHE_LIMIT: usize = 100_000;

/// The service's shared state.
pub struct App {
	pub config: Config,
	pub store: Store,
	pub clock: Clock,
	pub metrics: Metrics,
	/// The documents this instance last stored or read, parsed: a post that extends one needs
	/// no read of the database (the write still checks the stored links).
	cache: std::sync::Mutex<std::collections::HashMap<Key, Arc<Envelope>>>,
	/// The (account, nonce) of every request this instance authenticated while its window is
	/// open, with when the window closes: a replay, refused or not the first time, is refused
	/// here before any further work (the nonce is still claimed in the database with the
	/// request's effects, which is what refuses a replay at another instance).
	seen: std::sync::Mutex<std::collections::HashMap<(AccountId, String), u64>>,
}

/// At most this many request nonces are remembered in memory; beyond, the database's claim
/// alone refuses replays.
const SEEN_LIMIT: usize = 200_000;

impl App {
	/// The service over `store`, for `config`, with `clock` for the deadlines.
	pub fn new(config: Config, store: Store, clock: Clock) -> Self {
		Self {
			config,
			store,
			clock,
			metrics: Metrics::new(),
			cache: Default::default(),
			seen: Default::default(),
		}
	}

	fn cached(&self, key: &Key) -> Option<Arc<Envelope>> {
		self.cache.lock().ok()?.get(key).cloned()
	}

	/// Remember `envelope` under `key`, unless a longer chain of the same document is already
	/// remembered (two posts may finish out of order).
	fn remember(&self, key: Key, envelope: Arc<Envelope>) {
		if let Ok(mut cache) = self.cache.lock() {
			if let Some(known) = cache.get(&key) {
				if same_document(known, &envelope) && links(known) > links(&envelope) {
					return;
				}
			}
			if cache.len() >= CACHE_LIMIT {
				cache.clear();
			}
			cache.insert(key, envelope);
		}
	}

	/// The stored document under `key`, from the database (and remembered).
	async fn load(&self, key: &Key) -> Result<Option<Arc<Envelope>>, CoordinatorError> {
		let Some(row) = self.store.get(&key.0, key.1, key.2).await? else { return Ok(None) };
		let envelope = Arc::new(parse_stored(&row)?);
		self.remember(key.clone(), envelope.clone());
		Ok(Some(envelope))
	}
}

/// The service's routes (see `openapi.json`).
/// The largest request body the service reads (a complete document is a few KiB): a party cannot
/// make the others' mailboxes load and parse megabytes.
pub const MAX_BODY: usize = 64 * 1024;

pub fn router(app: Arc<App>) -> Router {
	Router::new()
		.route("/v1/documents", post(post_document))
		.route("/v1/promotions/{merchant}/{promotion}", get(get_promotion))
		.route("/v1/mailbox", get(get_mailbox))
		.route("/health", get(|| async { "ok" }))
		.route("/ready", get(ready))
		.route("/metrics", get(metrics))
		.route("/openapi.json", get(openapi))
		.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
		.with_state(app)
}

/// An error as the service answers it: status and `{"code", "message"}`.
impl IntoResponse for CoordinatorError {
	fn into_response(self) -> Response {
		let status =
			StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
		let body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
		(status, Json(body)).into_response()
	}
}

fn header(headers: &HeaderMap) -> impl Fn(&str) -> Option<String> + '_ {
	|name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

impl App {
	/// Authenticate a request (the nonce is claimed later, with its effects).
	fn authenticate(
		&self,
		method: &Method,
		uri: &Uri,
		headers: &HeaderMap,
		body: &[u8],
	) -> Result<auth::Caller, CoordinatorError> {
		let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
		let policy = auth::Policy {
			window_ms: self.config.window_ms,
			origin: self.config.origin.as_deref(),
			dev_names: self.config.dev_names,
		};
		let caller = auth::verify(header(headers), method.as_str(), path, body, policy)?;
		self.first_use(&caller)?;
		Ok(caller)
	}

	/// Refuse a nonce this instance saw within its window; remember it otherwise.
	fn first_use(&self, caller: &auth::Caller) -> Result<(), CoordinatorError> {
		let Ok(mut seen) = self.seen.lock() else { return Ok(()) };
		let now = auth::now_ms();
		if seen.len() >= SEEN_LIMIT {
			seen.retain(|_, closes| *closes > now);
		}
		let key = (caller.account.clone(), caller.nonce.clone());
		if seen.get(&key).is_some_and(|closes| *closes > now) {
			return Err(CoordinatorError::Replayed);
		}
		if seen.len() < SEEN_LIMIT {
			seen.insert(key, caller.timestamp_ms.saturating_add(self.config.window_ms));
		}
		Ok(())
	}

	fn claim(&self, caller: &auth::Caller) -> NonceClaim {
		NonceClaim {
			account: keys::ss58(&caller.account),
			nonce: caller.nonce.clone(),
			expires_ms: caller.timestamp_ms.saturating_add(self.config.window_ms),
		}
	}

	/// Claim the nonce of a request that changes nothing else.
	async fn claim_only(&self, caller: &auth::Caller) -> Result<(), CoordinatorError> {
		self.committed(self.store.claim(self.claim(caller)).await?, caller).map(|_| ())
	}

	/// What the writer did with a request, with a nonce it refused as the request's error.
	fn committed(
		&self,
		outcome: Outcome,
		caller: &auth::Caller,
	) -> Result<Outcome, CoordinatorError> {
		match outcome {
			Outcome::Replayed => Err(CoordinatorError::Replayed),
			Outcome::Expired => Err(CoordinatorError::Expired {
				skew_ms: caller.timestamp_ms as i64 - auth::now_ms() as i64,
				window_ms: self.config.window_ms,
			}),
			done_or_raced => Ok(done_or_raced),
		}
	}

	fn refused(&self, e: CoordinatorError) -> CoordinatorError {
		self.metrics.refused(&e.code());
		if matches!(e, CoordinatorError::Document(ClientError::DeadlinePassed { .. })) {
			self.metrics.deadline_misses.inc();
		}
		e
	}
}

/// What the service answers to an accepted document.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Accepted {
	/// `stored` (new or extended) or `unchanged` (the coordinator already had these links).
	pub status: String,
	pub kind: String,
	pub merchant: String,
	pub promotion_id: u64,
	pub links: u32,
	pub complete: bool,
	/// Whose turn it is.
	pub next: Option<String>,
}

async fn post_document(
	State(app): State<Arc<App>>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
	body: Bytes,
) -> Result<(StatusCode, Json<Accepted>), CoordinatorError> {
	let started = Instant::now();
	let result = accept(&app, &method, &uri, &headers, &body).await;
	app.metrics.observe("post_document", started);
	match result {
		Ok(accepted) => {
			app.metrics.accepted.with_label_values(&[accepted.kind.as_str()]).inc();
			let status =
				if accepted.status == "stored" { StatusCode::CREATED } else { StatusCode::OK };
			Ok((status, Json(accepted)))
		}
		Err(e) => Err(app.refused(e)),
	}
}

/// The parties of a document (with the referee where its links name one), and who signs next.
struct Facts {
	merchant: String,
	promotion: u64,
	customer: String,
	referee: Option<String>,
	links: u32,
	next_signer: Option<String>,
	complete: bool,
}

fn facts<D: Kind>(signed: &SignedDoc<D>) -> Facts {
	let referee = referee_of(&signed.document, &signed.links).map(keys::ss58);
	let next = documents::next_signer(signed);
	Facts {
		merchant: keys::ss58(signed.document.merchant()),
		promotion: signed.document.promotion_id(),
		customer: keys::ss58(signed.document.customer()),
		referee,
		links: signed.links.len() as u32,
		next_signer: next.as_ref().and_then(|(_, who)| who.as_ref()).map(keys::ss58),
		complete: next.is_none(),
	}
}

/// Check a document on arrival: rules, shape, every link against this chain (but the first
/// `trusted`, which this instance holds already verified), the deadline.
fn check<D: Kind>(
	genesis: &H256,
	now: Option<u32>,
	signed: &SignedDoc<D>,
	trusted: usize,
) -> Result<Facts, CoordinatorError> {
	if signed.links.is_empty() {
		return Err(ClientError::Rule(format!(
			"{}: an unsigned document; its first signer signs it before posting",
			D::NAME
		))
		.into());
	}
	documents::verify_extension(genesis, signed, trusted)?;
	if let Some(now) = now {
		documents::check_deadline(&signed.document, now)?;
	}
	Ok(facts(signed))
}

/// How a posted chain relates to the stored one.
enum Extension {
	/// Nothing stored yet.
	New,
	/// The same links: nothing to do.
	Unchanged,
	/// More links on top of the stored ones, or a new document in place of one whose deadline
	/// has passed (promotion ids are unique only while a promotion is open).
	Extends { stored_links: u32 },
}

fn extension<D: Kind + PartialEq>(
	now: Option<u32>,
	stored: &SignedDoc<D>,
	posted: &SignedDoc<D>,
) -> Result<Extension, CoordinatorError> {
	let (s, p) = (stored.links.len(), posted.links.len());
	if stored.document != posted.document {
		let (_, deadline) = stored.document.deadline();
		if now.is_some_and(|now| now >= deadline) {
			return Ok(Extension::Extends { stored_links: s as u32 });
		}
		return Err(CoordinatorError::Conflict(format!(
			"the coordinator holds a different {} for this promotion (until its block {deadline}); nothing was changed",
			D::NAME
		)));
	}
	let common = s.min(p);
	if stored.links[..common] != posted.links[..common] {
		return Err(CoordinatorError::Conflict(format!(
			"the {}'s links differ from the stored ones; nothing was changed",
			D::NAME
		)));
	}
	if p < s {
		return Err(CoordinatorError::Stale { kind: D::NAME, stored: s as u32, posted: p as u32 });
	}
	Ok(if p == s { Extension::Unchanged } else { Extension::Extends { stored_links: s as u32 } })
}

/// How many of `posted`'s links are, byte for byte, the links of the same document in `stored`:
/// those were verified when `stored` was accepted (every stored document was), and each new
/// link's signature covers them.
fn verified_prefix(stored: &Envelope, posted: &Envelope) -> usize {
	fn prefix<D: Kind + PartialEq>(s: &SignedDoc<D>, p: &SignedDoc<D>) -> usize {
		let n = s.links.len();
		let same = s.document == p.document && p.links.get(..n) == Some(&s.links[..]);
		if same {
			n
		} else {
			0
		}
	}
	match (&stored.document, &posted.document) {
		(AnyDocument::Offer(s), AnyDocument::Offer(p)) => prefix(s, p),
		(AnyDocument::Rebate(s), AnyDocument::Rebate(p)) => prefix(s, p),
		(AnyDocument::Purchase(s), AnyDocument::Purchase(p)) => prefix(s, p),
		_ => 0,
	}
}

/// Whether two envelopes carry the same document (whatever their links).
fn same_document(a: &Envelope, b: &Envelope) -> bool {
	match (&a.document, &b.document) {
		(AnyDocument::Offer(x), AnyDocument::Offer(y)) => x.document == y.document,
		(AnyDocument::Rebate(x), AnyDocument::Rebate(y)) => x.document == y.document,
		(AnyDocument::Purchase(x), AnyDocument::Purchase(y)) => x.document == y.document,
		_ => false,
	}
}

/// How many links an envelope's document has.
fn links(e: &Envelope) -> usize {
	match &e.document {
		AnyDocument::Offer(s) => s.links.len(),
		AnyDocument::Rebate(s) => s.links.len(),
		AnyDocument::Purchase(s) => s.links.len(),
	}
}

fn parse_stored(row: &StoredDocument) -> Result<Envelope, CoordinatorError> {
	Envelope::from_json(&row.body)
		.map_err(|e| CoordinatorError::Store(format!("a stored document does not parse: {e}")))
}

async fn accept(
	app: &App,
	method: &Method,
	uri: &Uri,
	headers: &HeaderMap,
	body: &[u8],
) -> Result<Accepted, CoordinatorError> {
	let caller = app.authenticate(method, uri, headers, body)?;
	let text = std::str::from_utf8(body)
		.map_err(|_| ClientError::Malformed("the body is not UTF-8".into()))?;
	let envelope = Envelope::from_json(text)?;
	let genesis = app.config.genesis;
	envelope.check_chain(genesis)?;
	let now = app.clock.best();
	let kind = envelope.kind();
	let (merchant, promotion) = match &envelope.document {
		AnyDocument::Offer(s) => (s.document.merchant(), s.document.promotion_id()),
		AnyDocument::Rebate(s) => (s.document.merchant(), s.document.promotion_id()),
		AnyDocument::Purchase(s) => (s.document.merchant(), s.document.promotion_id()),
	};
	let key = (keys::ss58(merchant), promotion, kind);
	// What this instance last stored or read under the key (`None`: not known here): the links
	// it holds need no second check. The write below is conditional on the stored links, so a
	// stale or missing entry (another instance, a restart) only costs a retry against what the
	// database holds.
	// Only a party posts: checked from the document and its links' designations, before any
	// link's signature is (a stranger's post costs no verification).
	let parties = match &envelope.document {
		AnyDocument::Offer(s) => facts(s),
		AnyDocument::Rebate(s) => facts(s),
		AnyDocument::Purchase(s) => facts(s),
	};
	let me = keys::ss58(&caller.account);
	if me != parties.merchant && me != parties.customer && parties.referee.as_ref() != Some(&me) {
		return Err(CoordinatorError::NotAParty(me));
	}
	let cached = app.cached(&key);
	let trusted = cached.as_deref().map_or(0, |stored| verified_prefix(stored, &envelope));
	// The protocol's rules (distinct parties among them, with the referee the links designate),
	// the shape and every untrusted link.
	let f = match &envelope.document {
		AnyDocument::Offer(s) => check(&genesis, now, s, trusted)?,
		AnyDocument::Rebate(s) => check(&genesis, now, s, trusted)?,
		AnyDocument::Purchase(s) => check(&genesis, now, s, trusted)?,
	};
	// The referred purchase names a merchant who does not sign it: it must be exactly the
	// purchase the promotion's (merchant-signed, endorsed) offer calls for. The rebate's referee
	// names itself: it must be the referee the endorsed offer names. Checked against this
	// instance's copy of the offer, and before refusing, against the database's.
	let binding = |offer: Option<&Arc<Envelope>>| -> Result<(), CoordinatorError> {
		let offer = offer.and_then(|o| o.offer());
		match &envelope.document {
			AnyDocument::Purchase(p) => {
				let Some(offer) = offer else {
					return Err(ClientError::Rule(
						"purchase: the coordinator holds no offer for this promotion; post the offer first".into(),
					)
					.into());
				};
				let referee = referee_of(&offer.document, &offer.links).ok_or_else(|| {
					ClientError::Rule(
						"purchase: the promotion's offer names no referee yet; post the endorsed offer first".into(),
					)
				})?;
				p.document
					.check_against(&offer.document, referee)
					.map_err(|e| ClientError::Rule(format!("purchase: {e}")).into())
			}
			AnyDocument::Rebate(_) if f.referee.is_some() => {
				let named = offer.and_then(|o| referee_of(&o.document, &o.links)).map(keys::ss58);
				if named.is_none() || named != f.referee {
					return Err(ClientError::Rule(
						"rebate: the referee signs the rebate as the referee the endorsed offer names; post the endorsed offer first".into(),
					)
					.into());
				}
				Ok(())
			}
			_ => Ok(()),
		}
	};
	let needs_offer = matches!(envelope.document, AnyDocument::Purchase(_))
		|| (matches!(envelope.document, AnyDocument::Rebate(_)) && f.referee.is_some());
	if needs_offer {
		let key = (f.merchant.clone(), f.promotion, "offer");
		if binding(app.cached(&key).as_ref()).is_err() {
			binding(app.load(&key).await?.as_ref())?;
		}
	}
	let row = StoredDocument {
		merchant: f.merchant.clone(),
		promotion: f.promotion,
		kind: kind.to_owned(),
		links: f.links,
		customer: f.customer.clone(),
		referee: f.referee.clone(),
		next_signer: f.next_signer.clone(),
		complete: f.complete,
		// Canonical: re-serialised from the parsed document, so what is stored is bounded by the
		// document kind (its fields and at most three links), whatever padding was posted.
		body: serde_json::to_string(&envelope)
			.map_err(|e| CoordinatorError::Store(format!("re-serialising a document: {e}")))?,
	};
	let accepted = |status: &str| Accepted {
		status: status.to_owned(),
		kind: kind.to_owned(),
		merchant: f.merchant.clone(),
		promotion_id: f.promotion,
		links: f.links,
		complete: f.complete,
		next: f.next_signer.clone(),
	};
	let mut claim = Some(app.claim(&caller));
	let mut stored = cached;
	for _ in 0..4 {
		let ext = match &stored {
			None => Extension::New,
			Some(stored) => match (&stored.document, &envelope.document) {
				(AnyDocument::Offer(s), AnyDocument::Offer(p)) => extension(now, s, p)?,
				(AnyDocument::Rebate(s), AnyDocument::Rebate(p)) => extension(now, s, p)?,
				(AnyDocument::Purchase(s), AnyDocument::Purchase(p)) => extension(now, s, p)?,
				_ => {
					return Err(CoordinatorError::Store(
						"a document stored under another kind".into(),
					))
				}
			},
		};
		let expected = match ext {
			Extension::Unchanged => {
				if let Some(claim) = claim.take() {
					app.committed(app.store.claim(claim).await?, &caller)?;
				}
				return Ok(accepted("unchanged"));
			}
			Extension::New => None,
			Extension::Extends { stored_links } => Some(stored_links),
		};
		match app.committed(app.store.put(claim.take(), row.clone(), expected).await?, &caller)? {
			Outcome::Done => {
				tracing::info!(kind, merchant = %f.merchant, promotion = f.promotion, links = f.links, by = %me, "document stored");
				app.remember(key, Arc::new(envelope));
				return Ok(accepted("stored"));
			}
			_raced => stored = app.load(&key).await?,
		}
	}
	Err(CoordinatorError::Conflict(format!(
		"the {kind} kept changing while this request was checked; post it again"
	)))
}

/// One document of a promotion as a party sees it.
#[derive(Serialize)]
pub struct DocumentView {
	pub envelope: Envelope,
	pub inspection: Inspection,
}

/// A promotion as its parties see it: its documents and what happens next.
#[derive(Serialize)]
pub struct PromotionView {
	pub merchant: String,
	pub promotion_id: u64,
	/// The chain's best block, if the coordinator follows a chain.
	pub best_block: Option<u32>,
	pub offer: Option<DocumentView>,
	pub rebate: Option<DocumentView>,
	pub purchase: Option<DocumentView>,
	/// What has to happen next, in order.
	pub next_steps: Vec<String>,
}

fn view(app: &App, row: &StoredDocument) -> Result<DocumentView, CoordinatorError> {
	let envelope = parse_stored(row)?;
	let inspection =
		documents::inspect(&app.config.genesis, app.clock.best().unwrap_or(0), &envelope);
	Ok(DocumentView { envelope, inspection })
}

/// A document's own deadline (inspections list it first).
fn deadline(d: &Option<DocumentView>) -> u32 {
	d.as_ref().and_then(|d| d.inspection.deadlines.first()).map(|d| d.block).unwrap_or(0)
}

fn next_steps(v: &PromotionView) -> Vec<String> {
	let mut steps = Vec::new();
	let doc = |d: &Option<DocumentView>, what: &str, missing: &str, done: &str| match d {
		None => missing.to_owned(),
		Some(d) if d.inspection.complete => done.to_owned(),
		Some(d) => format!("{what}: {} signs next", d.inspection.next.clone().unwrap_or_default()),
	};
	steps.push(doc(
		&v.offer,
		"offer",
		"offer: the merchant posts it",
		"offer: every party has signed",
	));
	steps.push(doc(
		&v.purchase,
		"referred purchase",
		"referred purchase: the customer drafts it from the endorsed offer",
		"referred purchase: every party has signed",
	));
	steps.push(doc(
		&v.rebate,
		"rebate",
		"rebate: the merchant posts it",
		"rebate: every party has signed",
	));
	let complete = |d: &Option<DocumentView>| d.as_ref().is_some_and(|d| d.inspection.complete);
	if complete(&v.offer) && complete(&v.purchase) {
		let by = deadline(&v.offer);
		steps.push(format!("the merchant settles the referral before block {by}"));
	}
	if complete(&v.rebate) {
		let by = deadline(&v.rebate);
		steps.push(format!("the customer submits the rebate before block {by}"));
	}
	steps
}

async fn get_promotion(
	State(app): State<Arc<App>>,
	Path((merchant, promotion)): Path<(String, u64)>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
) -> Result<Json<PromotionView>, CoordinatorError> {
	let started = Instant::now();
	let result = async {
		let caller = app.authenticate(&method, &uri, &headers, &[])?;
		let merchant = keys::ss58(
			&keys::parse_account(&merchant)
				.map_err(|e| CoordinatorError::BadRequest(format!("merchant: {e}")))?,
		);
		let rows = app.store.promotion(&merchant, promotion).await?;
		if rows.is_empty() {
			return Err(CoordinatorError::NotFound(format!("promotion {promotion} of {merchant}")));
		}
		let me = keys::ss58(&caller.account);
		let party = rows
			.iter()
			.any(|r| r.merchant == me || r.customer == me || r.referee.as_ref() == Some(&me));
		if !party {
			return Err(CoordinatorError::NotAParty(me));
		}
		app.claim_only(&caller).await?;
		let mut v = PromotionView {
			merchant,
			promotion_id: promotion,
			best_block: app.clock.best(),
			offer: None,
			rebate: None,
			purchase: None,
			next_steps: vec![],
		};
		for row in &rows {
			let d = Some(view(&app, row)?);
			match row.kind.as_str() {
				"offer" => v.offer = d,
				"rebate" => v.rebate = d,
				_ => v.purchase = d,
			}
		}
		v.next_steps = next_steps(&v);
		Ok(Json(v))
	}
	.await;
	app.metrics.observe("get_promotion", started);
	result.map_err(|e| app.refused(e))
}

/// One entry of a mailbox.
#[derive(Serialize)]
pub struct MailboxEntry {
	/// `sign` (your link is next), `settle` (merchant) or `submit` (customer).
	pub action: &'static str,
	pub document: DocumentView,
}

async fn get_mailbox(
	State(app): State<Arc<App>>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
) -> Result<Json<Vec<MailboxEntry>>, CoordinatorError> {
	let started = Instant::now();
	let result = async {
		let caller = app.authenticate(&method, &uri, &headers, &[])?;
		app.claim_only(&caller).await?;
		let me = keys::ss58(&caller.account);
		let rows = app.store.mailbox(&me, app.config.mailbox_limit).await?;
		rows.iter()
			.map(|row| {
				let action = match (row.complete, row.kind.as_str()) {
					(false, _) => "sign",
					(true, "rebate") => "submit",
					(true, _) => "settle",
				};
				Ok(MailboxEntry { action, document: view(&app, row)? })
			})
			.collect::<Result<Vec<_>, CoordinatorError>>()
			.map(Json)
	}
	.await;
	app.metrics.observe("get_mailbox", started);
	result.map_err(|e| app.refused(e))
}

async fn ready(State(app): State<Arc<App>>) -> (StatusCode, &'static str) {
	if app.store.ready().await {
		(StatusCode::OK, "ready")
	} else {
		(StatusCode::SERVICE_UNAVAILABLE, "the database does not answer")
	}
}

/// `/metrics`, unauthenticated: O(1) per scrape; the gauges counted from the database are
/// refreshed at most once per [`crate::metrics::COUNTS_PERIOD`].
async fn metrics(State(app): State<Arc<App>>) -> String {
	app.metrics.queue_depth.set(app.store.queue_depth() as i64);
	if app.metrics.counts_due() {
		if let Ok(n) = app.store.nonces().await {
			app.metrics.nonces.set(n);
		}
		if let Ok(counts) = app.store.counts().await {
			for (kind, complete, n) in counts {
				let state = if complete { "complete" } else { "signing" };
				app.metrics.documents.with_label_values(&[kind.as_str(), state]).set(n);
			}
		}
	}
	app.metrics.render()
}

async fn openapi() -> impl IntoResponse {
	([("content-type", "application/json")], crate::OPENAPI)
}
