//! The coordinator in-process over SQLite (and PostgreSQL when there is one): the whole document
//! flow between three parties; every refusal (unauthenticated, forged, replayed, expired, not a
//! party, tampered, other chain, conflicting, stale, mismatched purchase, unbacked) leaving the
//! stored promotion as it was; the attacks of a stranger on the same coordinator (mailbox
//! poisoning, a reused promotion id, quotas, retention, racing instances, stolen sessions); and a
//! restart keeping every acknowledged document.
//!
//! The coordinator is told of the test's embedded chain ([`ChainView::told`]): its best block and
//! each purchase the test makes, read from the chain's state as the follower reads it (the
//! follower itself is tested against a chain directory at the end).

use pallet_referral_rebate::{Framing, PayoutCondition};
use rebate_client::{
	chain::{state, AnyChain, Chain},
	documents::{AnyDocument, Envelope},
	keys::{self, KeyPair},
	Client, PromotionTerms, PurchaseId,
};
use rebate_coordinator::{
	api::{Action, DocumentKind},
	auth,
	model::DocKey,
	App, ChainView, Config, Coordinator, CoordinatorError, Store,
};
use rebate_test_runtime::UNIT;
use std::sync::Arc;

struct Service {
	url: String,
	db: String,
	_dir: tempfile::TempDir,
	client: Client<AnyChain>,
	view: ChainView,
	app: Arc<App>,
	task: tokio::task::JoinHandle<()>,
}

/// A coordinator over `db` for the chain `genesis`, told of the chain by `view`, configured by
/// `tune`.
async fn start_at(
	db: &str,
	genesis: sp_core::H256,
	view: ChainView,
	tune: impl FnOnce(&mut Config),
) -> (String, Arc<App>, tokio::task::JoinHandle<()>) {
	let store = Store::open(db).await.expect("the store opens");
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
	let addr = listener.local_addr().expect("bound");
	let url = format!("http://{addr}");
	// Its public origin is the address it listens on, as `rebate coordinator serve` sets it.
	let mut config = Config { origin: Some(addr.to_string()), ..Config::new(genesis) };
	tune(&mut config);
	let app = Arc::new(App::new(config, store, view).await.expect("the app starts"));
	let serving = app.clone();
	let task = tokio::spawn(async move {
		let _ = axum::serve(listener, rebate_coordinator::router(serving)).await;
	});
	(url, app, task)
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
		Self::each_with(test, |_| {}).await
	}

	async fn each_with(test: &str, tune: impl Fn(&mut Config) + Copy) -> Vec<Self> {
		let mut all = vec![Self::new(None, tune).await];
		if let Some(db) = postgres(test).await {
			all.push(Self::new(Some(db), tune).await);
		}
		all
	}

	/// `db`: a PostgreSQL URL, or `None` for SQLite in the service's directory.
	async fn new(db: Option<String>, tune: impl FnOnce(&mut Config)) -> Self {
		let dir = tempfile::tempdir().expect("a temp dir");
		let chain = AnyChain::open(dir.path().join("chain").to_str().expect("utf-8"))
			.await
			.expect("the embedded chain opens");
		let mut client = Client::new(chain);
		let db = db
			.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("coordinator.db").display()));
		let view = ChainView::told(client.now().await.expect("best block"));
		let (url, app, task) = start_at(&db, client.genesis(), view.clone(), tune).await;
		Self { url, db, _dir: dir, client, view, app, task }
	}

	fn party(&self, name: &str) -> Coordinator {
		Coordinator::new(&self.url, KeyPair::dev(name).expect("a dev key"))
	}

	/// Tell the coordinator the chain's best block and purchase `id`'s record, as its follower
	/// would read them.
	async fn tell(&mut self, id: Option<PurchaseId>) {
		let best = self.client.now().await.expect("best block");
		self.view.set_best(best);
		if let Some(id) = id {
			let record = state::purchase(&mut self.client.chain, id).await.expect("reads");
			self.view.record(id, record.expect("recorded"));
		}
	}

	/// Advance the chain `n` blocks (and tell the coordinator).
	async fn advance(&mut self, n: u32) {
		self.client.chain.advance(n, &mut |_, _| {}).await.expect("blocks");
		self.tell(None).await;
	}

	/// `buyer`'s recorded purchase from `merchant` (told to the coordinator).
	async fn purchase(&mut self, buyer: &str, merchant: &str) -> PurchaseId {
		let (buyer, merchant) = (KeyPair::dev(buyer).unwrap(), KeyPair::dev(merchant).unwrap());
		self.purchase_by(&buyer, &merchant).await
	}

	async fn purchase_by(&mut self, buyer: &KeyPair, merchant: &KeyPair) -> PurchaseId {
		let (_, id) = self
			.client
			.purchase(buyer, merchant.account(), rebate_test_runtime::AssetKind::Native, 100 * UNIT)
			.await
			.expect("purchase");
		self.tell(Some(id)).await;
		id
	}

	/// A recorded purchase of bob's from alice and promotion `id`'s offer and rebate, signed by
	/// alice.
	async fn promotion(&mut self, id: u64) -> (Envelope, Envelope) {
		self.promotion_for(id, "bob").await
	}

	/// Promotion `id`'s offer and rebate to `customer`, signed by alice, on a recorded purchase.
	async fn promotion_for(&mut self, id: u64, customer: &str) -> (Envelope, Envelope) {
		let purchase = self.purchase(customer, "alice").await;
		self.offer_on(id, purchase, &KeyPair::dev("alice").unwrap()).await
	}

	async fn offer_on(
		&mut self,
		id: u64,
		purchase: PurchaseId,
		merchant: &KeyPair,
	) -> (Envelope, Envelope) {
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
			campaign: None,
		};
		self.client.create_promotion(merchant, &terms).await.expect("promotion")
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

/// What a mailbox lists: `ACTION KIND` each, in order.
fn actions(m: &[rebate_coordinator::client::Mail]) -> Vec<String> {
	m.iter().map(|m| format!("{} {}", m.action, m.kind)).collect()
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
	let pay_at = offer.offer().map(|o| o.document.pay_at).unwrap();
	let stored = merchant.post(&offer).await.expect("offer");
	assert_eq!(
		(stored.status, stored.pay_at),
		(rebate_coordinator::api::PostStatus::Stored, pay_at)
	);
	merchant.post(&rebate).await.expect("rebate");
	// Posting the same links again changes nothing.
	let again = merchant.post(&offer).await.expect("again");
	assert_eq!(again.status, rebate_coordinator::api::PostStatus::Unchanged);

	// The customer finds the offer in its mailbox, endorses it naming the referee.
	let mail = customer.mailbox().await.expect("mailbox");
	assert_eq!(actions(&mail), ["sign offer"], "{mail:?}");
	assert_eq!(
		(mail[0].merchant.as_str(), mail[0].promotion_id, mail[0].pay_at),
		(alice().as_str(), 7, pay_at)
	);
	let mut fetched = mail[0].document.envelope.clone();
	assert_eq!(fetched, offer);
	s.sign(&mut fetched, "bob", Some("charlie")).await;
	offer = fetched;
	customer.post(&offer).await.expect("endorsed offer");

	// The referee now sees the offer and the rebate (which names no referee until it signs).
	let mail = referee.mailbox().await.expect("mailbox");
	let mut kinds: Vec<_> = mail.iter().map(|m| m.kind).collect();
	kinds.sort();
	assert_eq!(kinds, [DocumentKind::Offer, DocumentKind::Rebate], "{mail:?}");
	s.sign(&mut offer, "charlie", None).await;
	referee.post(&offer).await.expect("accepted offer");
	s.sign(&mut rebate, "charlie", None).await;
	referee.post(&rebate).await.expect("accepted rebate");

	// The customer drafts the referred purchase; the referee signs it.
	let bob = KeyPair::dev("bob").unwrap();
	let mut purchase = s.client.draft_purchase(&offer, &bob).await.expect("draft");
	let posted = customer.post(&purchase).await.expect("purchase");
	assert_eq!(posted.pay_at, pay_at, "the purchase belongs to the promotion of its offer");
	s.sign(&mut purchase, "charlie", None).await;
	referee.post(&purchase).await.expect("signed purchase");
	// The customer signs the rebate last.
	s.sign(&mut rebate, "bob", None).await;
	let accepted = customer.post(&rebate).await.expect("complete rebate");
	assert!(accepted.complete);

	// The merchant's mailbox: settle (listed once, as the purchase); the customer's: submit.
	assert_eq!(actions(&merchant.mailbox().await.unwrap()), ["settle purchase"]);
	assert_eq!(actions(&customer.mailbox().await.unwrap()), ["submit rebate"]);
	assert!(referee.mailbox().await.unwrap().is_empty());

	// Everything the parties need is there, and it settles and pays on chain.
	let view = merchant.promotion(&alice(), 7, None).await.expect("view");
	assert!(view.next_steps.iter().any(|s| s.starts_with("the merchant settles")), "{view:?}");
	let offer = merchant.document(&alice(), 7, None, DocumentKind::Offer).await.unwrap();
	let purchase = merchant.document(&alice(), 7, None, DocumentKind::Purchase).await.unwrap();
	let alice_key = KeyPair::dev("alice").unwrap();
	s.client.settle(&alice_key, &offer, &purchase).await.expect("settles");
	let rebate = customer.document(&alice(), 7, None, DocumentKind::Rebate).await.unwrap();
	s.client.submit_rebate(&bob, &rebate).await.expect("submits");
	s.task.abort();
}

/// A stranger's documents: an offer to a customer who never bought from that merchant.
fn unbacked_offer(
	genesis: sp_core::H256,
	stranger: &KeyPair,
	customer: &KeyPair,
	id: u64,
	origin_purchase: PurchaseId,
) -> Envelope {
	let mut spam = pallet_referral_rebate::Signed::unsigned(pallet_referral_rebate::Offer {
		promotion_id: id,
		merchant: stranger.account(),
		customer: customer.account(),
		origin_purchase,
		asset: rebate_test_runtime::AssetKind::Native,
		original_price: 100 * UNIT,
		discounted_price: 80 * UNIT,
		settle_by: 1_000,
		pay_at: 2_000,
		campaign: None,
	});
	spam.sign_next(&genesis, None, Framing::Raw, |m| stranger.sign(m)).expect("signs");
	Envelope { chain: genesis, document: AnyDocument::Offer(spam) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_hide_what_a_party_must_act_on() {
	for s in Service::each_with("poisoning", |c| c.open_per_recipient = 4).await {
		poisoning(s).await;
	}
}

/// The poisoning sequence: throwaway keys post a victim unsolicited documents, more than a page
/// of its mailbox. The victim's complete rebate to submit stays listed first, and the strangers'
/// documents are refused unless the chain backs them, limited per sender, and can be muted.
async fn poisoning(mut s: Service) {
	let (merchant, victim) = (s.party("alice"), s.party("bob"));
	let bob = KeyPair::dev("bob").unwrap();
	// The victim's own promotion, as far as its complete rebate (to submit).
	let (offer, mut rebate) = s.promotion(7).await;
	merchant.post(&offer).await.expect("offer");
	merchant.post(&rebate).await.expect("rebate");
	let mut endorsed = offer.clone();
	s.sign(&mut endorsed, "bob", Some("charlie")).await;
	victim.post(&endorsed).await.expect("endorsed");
	s.sign(&mut endorsed, "charlie", None).await;
	s.party("charlie").post(&endorsed).await.expect("accepted");
	s.sign(&mut rebate, "charlie", None).await;
	s.party("charlie").post(&rebate).await.expect("the referee's rebate link");
	s.sign(&mut rebate, "bob", None).await;
	victim.post(&rebate).await.expect("complete rebate");

	// 1. Offers naming the victim as customer on purchases it never made: refused, none stored.
	let genesis = s.client.genesis();
	for i in 0..201u64 {
		let stranger = KeyPair::parse(&format!("//Spammer{i}")).expect("a key");
		let spam =
			unbacked_offer(genesis, &stranger, &bob, i, PurchaseId { block: 1, index: i as u32 });
		let e = Coordinator::new(&s.url, stranger).post(&spam).await.unwrap_err();
		assert_eq!(refused(e), (422, "not_backed".into()));
	}
	// 2. An accomplice that really bought from a throwaway merchant endorses that merchant's
	// offers naming the victim as referee: backed, but at most `open_per_recipient` (4) wait
	// for the victim at a time.
	let (mallory, accomplice) =
		(KeyPair::parse("//Mallory").unwrap(), KeyPair::parse("//Accomplice").unwrap());
	for key in [&mallory, &accomplice] {
		let alice = KeyPair::dev("alice").unwrap();
		let fund = rebate_test_runtime::RuntimeCall::Balances(
			rebate_test_runtime::BalancesCall::transfer_keep_alive {
				dest: key.account().into(),
				value: 1_000 * UNIT,
			},
		);
		s.client.transact(&alice, fund).await.expect("funded");
	}
	let bought = s.purchase_by(&accomplice, &mallory).await;
	let mallory_at = Arc::new(Coordinator::new(&s.url, mallory.clone()));
	let accomplice_at = Coordinator::new(&s.url, accomplice.clone());
	// Eight offers to the accomplice at once: the limit is counted in the write's transaction,
	// so concurrent posts cannot each see a count under it: four are stored.
	let mut posts = tokio::task::JoinSet::new();
	for id in 100..108u64 {
		let offer = s.offer_on(id, bought, &mallory).await.0;
		let at = mallory_at.clone();
		posts.spawn(async move { (at.post(&offer).await, offer) });
	}
	let mut stored = Vec::new();
	while let Some(done) = posts.join_next().await {
		match done.expect("the post runs") {
			(Ok(_), offer) => stored.push(offer),
			(Err(e), _) => assert_eq!(refused(e), (429, "too_many_open".into())),
		}
	}
	assert_eq!(stored.len(), 4, "four of eight stored");
	// The accomplice endorses them naming the victim: four wait for the victim, the limit.
	for mut offer in stored {
		s.client.sign(&mut offer, &accomplice, Some(bob.account())).await.expect("endorses");
		accomplice_at.post(&offer).await.expect("within the limit");
	}
	// A fifth: the merchant's offer is stored, the endorsement to the victim is refused.
	let (mut fifth, _) = s.offer_on(200, bought, &mallory).await;
	mallory_at.post(&fifth).await.expect("the accomplice has room again");
	s.client.sign(&mut fifth, &accomplice, Some(bob.account())).await.expect("endorses");
	let e = accomplice_at.post(&fifth).await.unwrap_err();
	assert_eq!(refused(e), (429, "too_many_open".into()));
	// The victim's mailbox, a page of two entries at a time: its rebate to submit first.
	let page = victim.mailbox_page(None).await.expect("a page");
	assert_eq!(page.entries[0].action, Action::Submit);
	let mail = victim.mailbox().await.expect("mailbox");
	assert_eq!(
		actions(&mail),
		["submit rebate", "sign offer", "sign offer", "sign offer", "sign offer"]
	);
	// 3. The victim mutes the accomplice: its documents to sign are gone; the submit stays.
	victim.mute(&keys::ss58(&accomplice.account())).await.expect("mutes");
	assert_eq!(victim.mutes().await.expect("mutes"), vec![keys::ss58(&accomplice.account())]);
	assert_eq!(actions(&victim.mailbox().await.expect("mailbox")), ["submit rebate"]);
	victim.unmute(&keys::ss58(&accomplice.account())).await.expect("unmutes");
	assert_eq!(victim.mailbox().await.expect("mailbox").len(), 5);
	// The victim's agent still acts: it submits the rebate it found.
	let found = &victim.mailbox().await.unwrap()[0];
	let rebate = victim
		.document(&found.merchant, found.promotion_id, Some(found.pay_at), DocumentKind::Rebate)
		.await
		.expect("the rebate");
	s.client.submit_rebate(&bob, &rebate).await.expect("submitted despite the strangers");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_promotion_id_is_a_new_promotion() {
	for s in Service::each("reused").await {
		reused(s).await;
	}
}

async fn reused(mut s: Service) {
	let (merchant, bob, dave) = (s.party("alice"), s.party("bob"), s.party("dave"));
	let (first, _) = s.promotion(1).await;
	let first_pay_at = first.offer().map(|o| o.document.pay_at).unwrap();
	merchant.post(&first).await.expect("the first promotion 1");
	// While it is open, the id names it alone.
	let (early, _) = s.promotion_for(1, "dave").await;
	assert_eq!(refused(merchant.post(&early).await.unwrap_err()), (409, "conflict".into()));
	// Its settle-by block passes; the merchant reuses the id for dave.
	s.advance(11).await;
	let (second, second_rebate) = s.promotion_for(1, "dave").await;
	let second_pay_at = second.offer().map(|o| o.document.pay_at).unwrap();
	assert!(second_pay_at > first_pay_at);
	merchant.post(&second).await.expect("the second promotion 1");
	merchant.post(&second_rebate).await.expect("its rebate");
	// Dave sees the new one; bob, a party of the first only, cannot read the new one.
	let view = dave.promotion(&alice(), 1, None).await.expect("dave's view");
	assert_eq!(view.pay_at, second_pay_at);
	let view = bob.promotion(&alice(), 1, None).await.expect("bob's view");
	assert_eq!(view.pay_at, first_pay_at, "bob sees the promotion he is a party of");
	let e = bob.promotion(&alice(), 1, Some(second_pay_at)).await.unwrap_err();
	assert_eq!(refused(e), (404, "not_found".into()));
	// The merchant sees both, each by its rebate block.
	let docs = merchant.documents(&alice(), 1, Some(first_pay_at)).await.expect("the first");
	assert_eq!(docs.offer, Some(first));
	let docs = merchant.documents(&alice(), 1, None).await.expect("the latest");
	assert_eq!((docs.pay_at, docs.offer), (second_pay_at, Some(second)));
	// Dave's mailbox names the promotion by its rebate block.
	let mail = dave.mailbox().await.expect("mailbox");
	assert!(mail.iter().all(|m| m.pay_at == second_pay_at), "{mail:?}");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_promotions_are_forgotten_after_the_grace_period() {
	for s in Service::each_with("retention", |c| c.grace_blocks = 5).await {
		retention(s).await;
	}
}

async fn retention(mut s: Service) {
	let merchant = s.party("alice");
	let (old, old_rebate) = s.promotion(1).await;
	merchant.post(&old).await.expect("offer");
	merchant.post(&old_rebate).await.expect("rebate");
	let pay_at = old.offer().map(|o| o.document.pay_at).unwrap();
	// Until the rebate block plus the grace, the documents are kept.
	let now = s.client.now().await.unwrap();
	s.advance(pay_at + 5 - now - 1).await;
	rebate_coordinator::retention::sweep(&s.app).await.expect("sweeps");
	assert!(merchant.document(&alice(), 1, None, DocumentKind::Offer).await.is_ok());
	let (fresh, _) = s.promotion(2).await;
	merchant.post(&fresh).await.expect("a later promotion");
	s.advance(2).await;
	rebate_coordinator::retention::sweep(&s.app).await.expect("sweeps");
	let e = merchant.document(&alice(), 1, None, DocumentKind::Offer).await.unwrap_err();
	assert_eq!(refused(e), (404, "not_found".into()));
	assert!(merchant.document(&alice(), 2, None, DocumentKind::Offer).await.is_ok(), "kept");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_stores_at_most_its_quota() {
	for s in Service::each_with("quota", |c| c.quota = 2).await {
		quota(s).await;
	}
}

/// The quota is checked as an account posts a new offer (each offer brings at most a rebate and
/// a referred purchase): alice's first offer and its rebate fill a quota of two.
async fn quota(mut s: Service) {
	let merchant = s.party("alice");
	let (one, one_rebate) = s.promotion(1).await;
	let (two, _) = s.promotion_for(2, "dave").await;
	merchant.post(&one).await.expect("1");
	merchant.post(&one_rebate).await.expect("2");
	let e = merchant.post(&two).await.unwrap_err();
	assert_eq!(refused(e), (429, "quota_exceeded".into()));
	let e = merchant.documents(&alice(), 2, None).await.unwrap_err();
	assert_eq!(refused(e), (404, "not_found".into()), "nothing stored");
	// Extending a stored document is not a new one: the customer's link is accepted.
	let mut endorsed = one.clone();
	s.sign(&mut endorsed, "bob", Some("charlie")).await;
	s.party("bob").post(&endorsed).await.expect("an extension");
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_one_database_lose_nothing() {
	for s in Service::each("race").await {
		race(s).await;
	}
}

/// Two coordinator instances over one database, a party racing on the same documents through
/// both. Odd promotions: two different endorsements (naming two referees) at once; exactly one is
/// stored and acknowledged `stored`, the other refused as a conflict. Even promotions: the same
/// endorsement through both at once; one `stored`, one `unchanged`. In each, what is stored is
/// what was acknowledged: nothing acknowledged is overwritten.
async fn race(mut s: Service) {
	use rebate_coordinator::api::PostStatus;
	let (url_b, _app_b, task_b) = start_at(&s.db, s.client.genesis(), s.view.clone(), |_| {}).await;
	let merchant = s.party("alice");
	let mut cases = Vec::new();
	for id in 1..=8u64 {
		let (offer, _) = s.promotion(id).await;
		merchant.post(&offer).await.expect("offer");
		let mut first = offer.clone();
		s.sign(&mut first, "bob", Some("charlie")).await;
		// Even: the same signed endorsement (signatures are randomised: signing again would
		// make another document).
		let mut second = if id % 2 == 0 { first.clone() } else { offer.clone() };
		if id % 2 == 1 {
			s.sign(&mut second, "bob", Some("dave")).await;
		}
		cases.push((id, first, second));
	}
	let bob = KeyPair::dev("bob").unwrap();
	let (at_a, at_b) = (Arc::new(s.party("bob")), Arc::new(Coordinator::new(&url_b, bob)));
	let mut races = Vec::new();
	for (id, first, second) in cases {
		let (a, b) = (at_a.clone(), at_b.clone());
		races.push(tokio::spawn(async move {
			let (x, y) = tokio::join!(a.post(&first), b.post(&second));
			(id, first, second, x, y)
		}));
	}
	for race in races {
		let (id, first, second, x, y) = race.await.expect("the race runs");
		let stored = merchant.document(&alice(), id, None, DocumentKind::Offer).await.unwrap();
		if id % 2 == 0 {
			let mut statuses = [x.expect("posted").status, y.expect("posted").status];
			statuses.sort_by_key(|s| *s == PostStatus::Unchanged);
			assert_eq!(statuses, [PostStatus::Stored, PostStatus::Unchanged], "promotion {id}");
			assert_eq!(stored, first);
			continue;
		}
		let winner = match (x, y) {
			(Ok(a), Err(e)) if a.status == PostStatus::Stored && e.code() == "conflict" => first,
			(Err(e), Ok(b)) if b.status == PostStatus::Stored && e.code() == "conflict" => second,
			other => panic!("promotion {id}: exactly one endorsement wins, got {other:?}"),
		};
		assert_eq!(stored, winner, "promotion {id}: what was acknowledged is what is stored");
	}
	task_b.abort();
	s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_token_is_scoped_to_its_account_origin_and_lifetime() {
	for s in Service::each_with("sessions", |c| c.session_ttl_ms = 90_000).await {
		sessions(s).await;
	}
}

async fn sessions(mut s: Service) {
	let (offer, _) = s.promotion(1).await;
	// A wallet signs in once, `<Bytes>`-framed; its posts and polls then carry the token.
	let wallet = s.party("alice").with_framing(Framing::Bytes);
	let session = wallet.sign_in().await.expect("signs in");
	assert_eq!(session.account, alice());
	wallet.post(&offer).await.expect("posted with the token");
	assert!(wallet.mailbox().await.expect("polled with the token").is_empty());
	let http = reqwest::Client::new();
	let code = |r: reqwest::Response| async move {
		let status = r.status().as_u16();
		let v: serde_json::Value = r.json().await.unwrap();
		(status, v["code"].as_str().unwrap().to_owned())
	};
	let bearer = |url: String, token: String| http.get(url).bearer_auth(token).send();
	let mailbox = format!("{}/v1/mailbox", s.url);
	assert_eq!(
		bearer(mailbox.clone(), session.token.clone()).await.unwrap().status().as_u16(),
		200
	);
	// Another account's token forged from alice's: refused.
	let bob = keys::ss58(&KeyPair::dev("bob").unwrap().account());
	let forged = session.token.replace(&alice(), &bob);
	assert_eq!(
		code(bearer(mailbox.clone(), forged).await.unwrap()).await,
		(401, "bad_session".into())
	);
	// Another origin: a second coordinator over the same database (so the same secret) refuses
	// the first one's token.
	let (url_b, _app_b, task_b) = start_at(&s.db, s.client.genesis(), s.view.clone(), |_| {}).await;
	let other = format!("{url_b}/v1/mailbox");
	assert_eq!(
		code(bearer(other, session.token.clone()).await.unwrap()).await,
		(401, "bad_session".into())
	);
	// A challenge signed by another key than the account it was given for.
	let challenge: serde_json::Value = http
		.get(format!("{}/v1/sessions/challenge?account={}", s.url, alice()))
		.send()
		.await
		.unwrap()
		.json()
		.await
		.unwrap();
	let challenge: rebate_coordinator::api::Challenge = serde_json::from_value(challenge).unwrap();
	let answer = rebate_coordinator::session::answer(
		&KeyPair::dev("bob").unwrap(),
		&challenge,
		Framing::Raw,
	);
	let r = http.post(format!("{}/v1/sessions", s.url)).json(&answer).send().await.unwrap();
	assert_eq!(code(r).await, (401, "bad_request_signature".into()));
	task_b.abort();
	// Expired: a coordinator giving one-second sessions.
	let (url_c, _app_c, task_c) =
		start_at(&s.db, s.client.genesis(), s.view.clone(), |c| c.session_ttl_ms = 1_000).await;
	let short = Coordinator::new(&url_c, KeyPair::dev("alice").unwrap());
	let session = short.sign_in().await.expect("signs in");
	tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
	let r = bearer(format!("{url_c}/v1/mailbox"), session.token).await.unwrap();
	assert_eq!(code(r).await, (401, "bad_session".into()));
	task_c.abort();
	// Per-request signatures keep working beside sessions.
	s.party("bob").mailbox().await.expect("a signed request");
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
	let stored =
		|| async { reader.document(&alice(), 1, None, DocumentKind::Offer).await.unwrap() };
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
	let big = vec![b' '; rebate_coordinator::MAX_BODY + 1];
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
	// Reading: a promotion it is not a party of looks like one that does not exist.
	assert_eq!(
		refused(outsider.promotion(&alice(), 1, None).await.unwrap_err()),
		(404, "not_found".into())
	);
	assert_eq!(
		refused(outsider.promotion(&alice(), 999, None).await.unwrap_err()),
		(404, "not_found".into())
	);
	// A rebate block further than the chain allows (MaxRebateDelay): refused before anything.
	let far = {
		let mut far = unbacked_offer(
			s.client.genesis(),
			&alice_key,
			&KeyPair::dev("bob").unwrap(),
			3,
			PurchaseId { block: 1, index: 0 },
		);
		if let AnyDocument::Offer(o) = &mut far.document {
			o.document.pay_at = 10_000_000;
			o.links.clear();
			o.sign_next(&s.client.genesis(), None, Framing::Raw, |m| alice_key.sign(m))
				.expect("signs");
		}
		far
	};
	assert_eq!(refused(merchant.post(&far).await.unwrap_err()), (422, "rule".into()));
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
	// A different offer under the same promotion id while it is open (its own valid merchant
	// link, another rebate block).
	let (other, _) = s.promotion(1).await;
	assert_eq!(refused(merchant.post(&other).await.unwrap_err()), (409, "conflict".into()));
	// Offers nothing on chain backs: on a purchase that does not exist, on bob's purchase from
	// another merchant (dave).
	let bob_from_dave = s.purchase("bob", "dave").await;
	let bob = KeyPair::dev("bob").unwrap();
	for origin in [PurchaseId { block: 1, index: 77 }, bob_from_dave] {
		let unbacked = unbacked_offer(s.client.genesis(), &alice_key, &bob, 2, origin);
		let e = merchant.post(&unbacked).await.unwrap_err();
		assert_eq!(refused(e), (422, "not_backed".into()));
	}
	let e = merchant.document(&alice(), 2, None, DocumentKind::Offer).await.unwrap_err();
	assert_eq!(refused(e), (404, "not_found".into()), "no unbacked offer stored");
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
	let rebate_now = merchant.document(&alice(), 1, None, DocumentKind::Rebate).await.unwrap();
	assert_eq!(rebate_now, posted_rebate, "the rebate is as the merchant posted it");
	let purchase_now = merchant.document(&alice(), 1, None, DocumentKind::Purchase).await;
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
	assert!(padded.len() < rebate_coordinator::MAX_BODY);
	let http = reqwest::Client::new();
	let host = s.url.trim_start_matches("http://").to_owned();
	let key = KeyPair::dev("alice").unwrap();
	let mut req = http.post(format!("{}/v1/documents", s.url)).body(padded.clone());
	for (n, v) in auth::sign(&key, "POST", &host, "/v1/documents", padded.as_bytes()) {
		req = req.header(n, v);
	}
	assert_eq!(req.send().await.unwrap().status().as_u16(), 201);
	let store = Store::open(&s.db).await.expect("the store opens");
	let pay_at = offer.offer().map(|o| o.document.pay_at).unwrap();
	let key = DocKey { merchant: alice(), promotion: 1, pay_at, kind: DocumentKind::Offer };
	let stored = store.get(&key).await.unwrap().expect("stored");
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
	let (url, _app, task) = start_at(&s.db, s.client.genesis(), s.view.clone(), |_| {}).await;
	let merchant = Coordinator::new(&url, KeyPair::dev("alice").unwrap());
	for (id, offer, rebate) in posted {
		let docs = merchant.documents(&alice(), id, None).await.unwrap();
		assert_eq!((docs.offer, docs.rebate), (Some(offer), Some(rebate)));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_reads_the_best_block_and_purchase_records_from_a_chain_directory() {
	let dir = tempfile::tempdir().expect("a temp dir");
	let path = dir.path().join("chain").to_str().expect("utf-8").to_owned();
	let (id, best) = {
		let mut client = Client::new(AnyChain::open(&path).await.expect("opens"));
		let (bob, alice) = (KeyPair::dev("bob").unwrap(), KeyPair::dev("alice").unwrap());
		let asset = rebate_test_runtime::AssetKind::Native;
		let (_, id) =
			client.purchase(&bob, alice.account(), asset, 100 * UNIT).await.expect("buys");
		// The chain is closed at the end of this block: the follower opens it for its rounds.
		(id, client.now().await.expect("best"))
	};
	let view = ChainView::follow(path, std::time::Duration::from_millis(200));
	let record = view.purchase(id).await.expect("the chain answers").expect("recorded");
	assert_eq!(record.buyer, KeyPair::dev("bob").unwrap().account());
	assert_eq!(view.best(), Some(best));
	// A purchase that does not exist at a block the chain has: none.
	let missing = PurchaseId { block: best, index: 99 };
	assert_eq!(view.purchase(missing).await.expect("answers"), None);
	// One in a block the chain does not have yet: waited for a few rounds, then none.
	let future = PurchaseId { block: best + 1, index: 0 };
	assert_eq!(view.purchase(future).await.expect("answers"), None);
	assert!(view.reading().1 >= 3, "read in rounds");
}
