//! The coordinator in-process over SQLite: the whole document flow between three parties, every
//! refusal (unauthenticated, forged, replayed, expired, not a party, tampered, other chain,
//! conflicting, stale, mismatched purchase) leaving the stored promotion as it was, and a
//! restart keeping every acknowledged document.

use pallet_referral_rebate::PayoutCondition;
use rebate_client::{
	chain::AnyChain,
	documents::{AnyDocument, Envelope},
	keys::{self, KeyPair},
	Client, PromotionTerms,
};
use rebate_coordinator::{auth, App, Clock, Config, Coordinator, CoordinatorError, Store};
use rebate_test_runtime::UNIT;
use std::sync::Arc;

struct Service {
	url: String,
	db: String,
	_dir: tempfile::TempDir,
	client: Client<AnyChain>,
	task: tokio::task::JoinHandle<()>,
}

async fn start_at(db: &str, genesis: sp_core::H256) -> (String, tokio::task::JoinHandle<()>) {
	let store = Store::open(db).await.expect("the store opens");
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
	let addr = listener.local_addr().expect("bound");
	let url = format!("http://{addr}");
	// Its public origin is the address it listens on, as `rebate coordinator serve` sets it.
	let config = Config { origin: Some(addr.to_string()), ..Config::new(genesis) };
	let app = Arc::new(App::new(config, store, Clock::none()));
	let task = tokio::spawn(async move {
		let _ = axum::serve(listener, rebate_coordinator::router(app)).await;
	});
	(url, task)
}

/// The PostgreSQL databases to run each test on besides SQLite: one of its own, when
/// `REBATE_COORDINATOR_POSTGRES` names a server (`.ci/run` starts one).
async fn postgres(test: &str) -> Option<String> {
	let admin = std::env::var("REBATE_COORDINATOR_POSTGRES").ok()?;
	sqlx::any::install_default_drivers();
	let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL answers");
	let name = format!("{test}_{}", std::process::id());
	for statement in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")]
	{
		sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&pool).await.unwrap();
	}
	let (base, _) = admin.rsplit_once('/').expect("a database URL");
	Some(format!("{base}/{name}"))
}

impl Service {
	/// A fresh embedded chain and a coordinator over SQLite, then over PostgreSQL if there is
	/// one.
	async fn each(test: &str) -> Vec<Self> {
		let mut all = vec![Self::new(None).await];
		if let Some(db) = postgres(test).await {
			all.push(Self::new(Some(db)).await);
		}
		all
	}

	/// `db`: a PostgreSQL URL, or `None` for SQLite in the service's directory.
	async fn new(db: Option<String>) -> Self {
		let dir = tempfile::tempdir().expect("a temp dir");
		let chain = AnyChain::open(dir.path().join("chain").to_str().expect("utf-8"))
			.await
			.expect("the embedded chain opens");
		let client = Client::new(chain);
		let db = db
			.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("coordinator.db").display()));
		let (url, task) = start_at(&db, client.genesis()).await;
		Self { url, db, _dir: dir, client, task }
	}

	fn party(&self, name: &str) -> Coordinator {
		Coordinator::new(&self.url, KeyPair::dev(name).expect("a dev key"))
	}

	/// A recorded purchase of bob's from alice and promotion `id`'s offer and rebate, signed by
	/// alice.
	async fn promotion(&mut self, id: u64) -> (Envelope, Envelope) {
		let (alice, bob) = (KeyPair::dev("alice").unwrap(), KeyPair::dev("bob").unwrap());
		let (_, purchase) = self
			.client
			.purchase(&bob, alice.account(), rebate_test_runtime::AssetKind::Native, 100 * UNIT)
			.await
			.expect("purchase");
		let now = self.client.now().await.expect("best block");
		let terms = PromotionTerms {
			promotion_id: id,
			origin_purchase: purchase,
			asset: None,
			discounted_price: 80 * UNIT,
			settle_by: now + 10,
			pay_at: now + 20,
			rebate: 15 * UNIT,
			condition: PayoutCondition::ReferralSettled,
		};
		self.client.create_promotion(&alice, &terms).await.expect("promotion")
	}

	async fn sign(&mut self, envelope: &mut Envelope, who: &str, referee: Option<&str>) {
		let key = KeyPair::dev(who).unwrap();
		let referee = referee.map(|r| KeyPair::dev(r).unwrap().account());
		self.client.sign(envelope, &key, referee).await.expect("signs");
	}
}

fn refused(e: CoordinatorError) -> (u16, String) {
	match e {
		CoordinatorError::Refused { status, code, .. } => (status, code),
		other => panic!("expected a refusal, got {other}"),
	}
}

fn alice() -> String {
	keys::ss58(&KeyPair::dev("alice").unwrap().account())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_parties_complete_every_chain_through_the_coordinator() {
	for s in Service::each("flow").await {
		flow(s).await;
	}
}

async fn flow(mut s: Service) {
	eprintln!("backend {}", s.db.split(':').next().unwrap_or_default());
	let (merchant, customer, referee) = (s.party("alice"), s.party("bob"), s.party("charlie"));
	let (mut offer, mut rebate) = s.promotion(7).await;
	assert_eq!(merchant.post(&offer).await.expect("offer").status, "stored");
	assert_eq!(merchant.post(&rebate).await.expect("rebate").status, "stored");
	// Posting the same links again changes nothing.
	assert_eq!(merchant.post(&offer).await.expect("again").status, "unchanged");

	// The customer finds the offer in its mailbox, endorses it naming the referee.
	let mail = customer.mailbox().await.expect("mailbox");
	assert_eq!(mail.len(), 1, "{mail:?}");
	assert_eq!((mail[0].action.as_str(), mail[0].document.envelope.kind()), ("sign", "offer"));
	let mut fetched = mail[0].document.envelope.clone();
	assert_eq!(fetched, offer);
	s.sign(&mut fetched, "bob", Some("charlie")).await;
	offer = fetched;
	customer.post(&offer).await.expect("endorsed offer");

	// The referee now sees the offer and the rebate (which names no referee until it signs).
	let mail = referee.mailbox().await.expect("mailbox");
	let kinds: Vec<_> = mail.iter().map(|m| m.document.envelope.kind()).collect();
	assert_eq!(kinds.len(), 2, "{kinds:?}");
	assert!(kinds.contains(&"offer") && kinds.contains(&"rebate"), "{kinds:?}");
	s.sign(&mut offer, "charlie", None).await;
	referee.post(&offer).await.expect("accepted offer");
	s.sign(&mut rebate, "charlie", None).await;
	referee.post(&rebate).await.expect("accepted rebate");

	// The customer drafts the referred purchase; the referee signs it.
	let bob = KeyPair::dev("bob").unwrap();
	let mut purchase = s.client.draft_purchase(&offer, &bob).await.expect("draft");
	customer.post(&purchase).await.expect("purchase");
	s.sign(&mut purchase, "charlie", None).await;
	referee.post(&purchase).await.expect("signed purchase");
	// The customer signs the rebate last.
	s.sign(&mut rebate, "bob", None).await;
	let accepted = customer.post(&rebate).await.expect("complete rebate");
	assert!(accepted.complete);

	// The merchant's mailbox: settle (listed once, as the purchase); the customer's: submit.
	let actions = |m: Vec<rebate_coordinator::client::Mail>| {
		let mut a: Vec<_> =
			m.iter().map(|m| format!("{} {}", m.action, m.document.envelope.kind())).collect();
		a.sort();
		a
	};
	assert_eq!(actions(merchant.mailbox().await.unwrap()), ["settle purchase"]);
	assert_eq!(actions(customer.mailbox().await.unwrap()), ["submit rebate"]);
	assert!(referee.mailbox().await.unwrap().is_empty());

	// Mailbox poisoning: strangers with throwaway keys post more unsolicited offers naming the
	// customer than a mailbox lists. What the customer must act on (its complete rebate to
	// submit) is still listed, first.
	for i in 0..201u32 {
		let spammer = KeyPair::parse(&format!("//Spammer{i}")).expect("a key");
		let mut spam = pallet_referral_rebate::Signed::unsigned(pallet_referral_rebate::Offer {
			promotion_id: u64::from(i),
			merchant: spammer.account(),
			customer: bob.account(),
			origin_purchase: rebate_client::PurchaseId { block: 1, index: i },
			asset: rebate_test_runtime::AssetKind::Native,
			original_price: 100 * UNIT,
			discounted_price: 80 * UNIT,
			settle_by: 1_000_000,
			pay_at: 2_000_000,
		});
		let genesis = s.client.genesis();
		spam.sign_next(&genesis, None, pallet_referral_rebate::Framing::Raw, |m| spammer.sign(m))
			.expect("signs");
		let spam = Envelope { chain: genesis, document: AnyDocument::Offer(spam) };
		Coordinator::new(&s.url, spammer).post(&spam).await.expect("a stranger's offer is stored");
	}
	let mail = customer.mailbox().await.unwrap();
	assert_eq!(
		(mail[0].action.as_str(), mail[0].document.envelope.kind()),
		("submit", "rebate"),
		"the customer's rebate to submit is listed first despite {} offers",
		mail.len() - 1
	);

	// Everything the parties need is there, and it settles and pays on chain.
	let view = merchant.promotion(&alice(), 7).await.expect("view");
	let steps: Vec<String> = serde_json::from_value(view["next_steps"].clone()).unwrap();
	assert!(steps.iter().any(|s| s.starts_with("the merchant settles")), "{steps:?}");
	let offer = merchant.document(&alice(), 7, "offer").await.unwrap();
	let purchase = merchant.document(&alice(), 7, "purchase").await.unwrap();
	let alice_key = KeyPair::dev("alice").unwrap();
	s.client.settle(&alice_key, &offer, &purchase).await.expect("settles");
	let rebate = customer.document(&alice(), 7, "rebate").await.unwrap();
	s.client.submit_rebate(&bob, &rebate).await.expect("submits");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_documents_are_refused_and_change_nothing() {
	for s in Service::each("refusals").await {
		refusals(s).await;
	}
}

async fn refusals(mut s: Service) {
	let merchant = s.party("alice");
	let (offer, posted_rebate) = s.promotion(1).await;
	merchant.post(&offer).await.expect("offer");
	let reader = s.party("alice");
	let stored = || async { reader.document(&alice(), 1, "offer").await.unwrap() };
	let before = stored().await;
	let http = reqwest::Client::new();
	let body = serde_json::to_vec(&offer).unwrap();
	let url = format!("{}/v1/documents", s.url);
	let host = s.url.trim_start_matches("http://").to_owned();
	let code = |r: reqwest::Response| async move {
		let status = r.status().as_u16();
		let v: serde_json::Value = r.json().await.unwrap();
		(status, v["code"].as_str().unwrap().to_owned())
	};

	// No authentication.
	let r = http.post(&url).body(body.clone()).send().await.unwrap();
	assert_eq!(code(r).await, (401, "unauthenticated".into()));
	// Forged: alice's account, signed by dave's key.
	let dave = KeyPair::dev("dave").unwrap();
	let mut headers = auth::sign(&dave, "POST", &host, "/v1/documents", &body);
	headers[0].1 = alice();
	let mut req = http.post(&url).body(body.clone());
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(code(req.send().await.unwrap()).await, (401, "bad_request_signature".into()));
	// The signature covers the body: alice's headers with another body.
	let alice_key = KeyPair::dev("alice").unwrap();
	let headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", b"{}");
	let mut req = http.post(&url).body(body.clone());
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(code(req.send().await.unwrap()).await, (401, "bad_request_signature".into()));
	// Signed for another coordinator (another host).
	let headers = auth::sign(&alice_key, "POST", "127.0.0.1:1", "/v1/documents", &body);
	let mut req = http.post(&url).body(body.clone());
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(code(req.send().await.unwrap()).await, (401, "bad_request_signature".into()));
	// The cross-host replay: that request replayed here with the `Host` it was signed for.
	let mut req = http.post(&url).body(body.clone()).header("host", "127.0.0.1:1");
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(code(req.send().await.unwrap()).await, (421, "wrong_origin".into()));
	// A dev name for an account (a key derivation before any check): refused; addresses only.
	let mut headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", &body);
	headers[0].1 = "alice".into();
	let mut req = http.post(&url).body(body.clone());
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(code(req.send().await.unwrap()).await, (401, "unauthenticated".into()));
	// A wallet signs inside `<Bytes>…</Bytes>` and says so: accepted.
	let wallet = s.party("bob").with_framing(pallet_referral_rebate::Framing::Bytes);
	wallet.mailbox().await.expect("a <Bytes>-framed request is accepted");
	// Larger than any document: refused before it is read (413), nothing stored.
	let big = vec![b' '; rebate_coordinator::server::MAX_BODY + 1];
	let headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", &big);
	let mut req = http.post(&url).body(big);
	for (n, v) in &headers {
		req = req.header(*n, v);
	}
	assert_eq!(req.send().await.unwrap().status().as_u16(), 413);
	// Replayed: the same signed request twice.
	let headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", &body);
	for expected in [(200, None), (401, Some("replayed"))] {
		let mut req = http.post(&url).body(body.clone());
		for (n, v) in &headers {
			req = req.header(*n, v);
		}
		let r = req.send().await.unwrap();
		match expected {
			(200, None) => assert_eq!(r.status().as_u16(), 200),
			(status, Some(c)) => assert_eq!(code(r).await, (status, c.into())),
			_ => unreachable!(),
		}
	}
	// A refused request replayed: refused as a replay before any of its work is done again
	// (here a document of another chain, which is refused after its signature check).
	let mut foreign = offer.clone();
	foreign.chain = sp_core::H256::repeat_byte(7);
	let foreign = serde_json::to_vec(&foreign).unwrap();
	let headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", &foreign);
	for expected in ["wrong_chain", "replayed"] {
		let mut req = http.post(&url).body(foreign.clone());
		for (n, v) in &headers {
			req = req.header(*n, v);
		}
		let (_, got) = code(req.send().await.unwrap()).await;
		assert_eq!(got, expected);
	}
	// Expired: a timestamp outside the window.
	let msg_ts = auth::now_ms() - 120_000;
	let nonce = "00ff";
	let sig = alice_key.sign(&auth::message("POST", &host, "/v1/documents", &body, msg_ts, nonce));
	let r = http
		.post(&url)
		.header(auth::ACCOUNT, alice())
		.header(auth::TIMESTAMP, msg_ts.to_string())
		.header(auth::NONCE, nonce)
		.header(auth::SIGNATURE, format!("0x{}", hex::encode(codec::Encode::encode(&sig))))
		.body(body.clone())
		.send()
		.await
		.unwrap();
	assert_eq!(code(r).await, (401, "request_expired".into()));

	// Not a party: dave may neither post nor read alice's promotion.
	let outsider = s.party("dave");
	assert_eq!(refused(outsider.post(&offer).await.unwrap_err()), (403, "not_a_party".into()));
	// ... and is told so before any link's signature is checked: a stranger's post of a document
	// whose links do not verify is refused as not a party, not for its signatures.
	let mut garbled = offer.clone();
	if let AnyDocument::Offer(o) = &mut garbled.document {
		o.links[0].signature = codec::Decode::decode(&mut &[1u8; 65][..]).expect("a signature");
	}
	assert_eq!(refused(outsider.post(&garbled).await.unwrap_err()), (403, "not_a_party".into()));
	assert_eq!(
		refused(outsider.promotion(&alice(), 1).await.unwrap_err()),
		(403, "not_a_party".into())
	);
	// Malformed body.
	let r = {
		let headers = auth::sign(&alice_key, "POST", &host, "/v1/documents", b"{nope");
		let mut req = http.post(&url).body(&b"{nope"[..]);
		for (n, v) in &headers {
			req = req.header(*n, v);
		}
		req.send().await.unwrap()
	};
	assert_eq!(code(r).await, (400, "malformed".into()));

	// Tampered: the customer's endorsement over a changed price.
	let mut endorsed = offer.clone();
	s.sign(&mut endorsed, "bob", Some("charlie")).await;
	let mut tampered = endorsed.clone();
	if let AnyDocument::Offer(o) = &mut tampered.document {
		o.document.discounted_price -= 1;
	}
	let customer = s.party("bob");
	assert_eq!(refused(customer.post(&tampered).await.unwrap_err()), (422, "bad_signature".into()));
	// Another chain.
	let mut foreign = endorsed.clone();
	foreign.chain = sp_core::H256::repeat_byte(9);
	assert_eq!(refused(customer.post(&foreign).await.unwrap_err()), (422, "wrong_chain".into()));
	// A different offer under the same promotion id (its own valid merchant link).
	let (other, _) = s.promotion(1).await;
	assert_eq!(refused(merchant.post(&other).await.unwrap_err()), (409, "conflict".into()));
	// A purchase that is not the one the offer calls for (no endorsed offer stored yet).
	let bob = KeyPair::dev("bob").unwrap();
	let purchase = s.client.draft_purchase(&endorsed, &bob).await.expect("draft");
	assert_eq!(refused(customer.post(&purchase).await.unwrap_err()), (422, "rule".into()));
	assert_eq!(stored().await, before, "nothing changed");

	// Stale: once the endorsement is stored, the merchant-only offer is superseded.
	customer.post(&endorsed).await.expect("endorsed");
	assert_eq!(refused(merchant.post(&offer).await.unwrap_err()), (409, "stale".into()));
	assert_eq!(stored().await, endorsed);

	// A referred purchase other than the one the endorsed offer calls for (another price).
	let mut cheaper = s.client.draft_purchase(&endorsed, &bob).await.expect("draft");
	if let AnyDocument::Purchase(p) = &mut cheaper.document {
		p.document.price -= 1;
		p.links.clear();
	}
	s.sign(&mut cheaper, "bob", None).await;
	assert_eq!(refused(customer.post(&cheaper).await.unwrap_err()), (422, "rule".into()));
	// The rebate's referee link by someone other than the referee the offer names.
	let mut rebate = posted_rebate.clone();
	merchant.post(&rebate).await.expect("the merchant's rebate");
	s.sign(&mut rebate, "dave", None).await;
	let dave = s.party("dave");
	assert_eq!(refused(dave.post(&rebate).await.unwrap_err()), (422, "rule".into()));
	let rebate_now = merchant.document(&alice(), 1, "rebate").await.unwrap();
	assert_eq!(rebate_now, posted_rebate, "the rebate is as the merchant posted it");
	let purchase_now = merchant.document(&alice(), 1, "purchase").await;
	assert!(purchase_now.is_err(), "no purchase stored");

	// The refusals are counted by reason.
	let metrics = reqwest::get(format!("{}/metrics", s.url)).await.unwrap().text().await.unwrap();
	for reason in ["unauthenticated", "replayed", "not_a_party", "bad_signature", "stale"] {
		assert!(metrics.contains(&format!("reason=\"{reason}\"")), "{reason} in\n{metrics}");
	}
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padded_bodies_are_stored_canonical() {
	for s in Service::each("padded").await {
		padded(s).await;
	}
}

async fn padded(mut s: Service) {
	let (offer, _) = s.promotion(1).await;
	let canonical = serde_json::to_string(&offer).unwrap();
	// The offer with 60 KiB of whitespace inside its JSON: valid, and under the body limit.
	let padded = format!("{}{}", " ".repeat(60 * 1024), canonical);
	assert!(padded.len() < rebate_coordinator::server::MAX_BODY);
	let http = reqwest::Client::new();
	let host = s.url.trim_start_matches("http://").to_owned();
	let key = KeyPair::dev("alice").unwrap();
	let mut req = http.post(format!("{}/v1/documents", s.url)).body(padded.clone());
	for (n, v) in auth::sign(&key, "POST", &host, "/v1/documents", padded.as_bytes()) {
		req = req.header(n, v);
	}
	assert_eq!(req.send().await.unwrap().status().as_u16(), 201);
	let store = Store::open(&s.db).await.expect("the store opens");
	let stored = store.get(&alice(), 1, "offer").await.unwrap().expect("stored");
	assert_eq!(stored.body, canonical, "stored as re-serialised, the padding dropped");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_documents_survive_a_restart() {
	for s in Service::each("restart").await {
		restart(s).await;
	}
}

async fn restart(mut s: Service) {
	let merchant = s.party("alice");
	let mut posted = Vec::new();
	for id in 1..=5 {
		let (offer, rebate) = s.promotion(id).await;
		merchant.post(&offer).await.expect("offer");
		merchant.post(&rebate).await.expect("rebate");
		posted.push((id, offer, rebate));
	}
	s.task.abort();
	let _ = (&mut s.task).await;
	let (url, task) = start_at(&s.db, s.client.genesis()).await;
	let merchant = Coordinator::new(&url, KeyPair::dev("alice").unwrap());
	for (id, offer, rebate) in posted {
		assert_eq!(merchant.document(&alice(), id, "offer").await.unwrap(), offer);
		assert_eq!(merchant.document(&alice(), id, "rebate").await.unwrap(), rebate);
	}
	for path in ["/health", "/ready", "/openapi.json"] {
		let r = reqwest::get(format!("{url}{path}")).await.unwrap();
		assert_eq!(r.status().as_u16(), 200, "{path}");
	}
	// `/metrics` is unauthenticated: fifty scrapes in a row count the tables once.
	let mut last = String::new();
	for _ in 0..50 {
		last = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
	}
	assert!(last.contains("rebate_coordinator_table_counts_total 1\n"), "{last}");
	assert!(
		last.contains("rebate_coordinator_documents{kind=\"offer\",state=\"signing\"} 5"),
		"{last}"
	);
	task.abort();
}
