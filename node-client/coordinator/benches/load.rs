//! A bounded load run of the coordinator on loopback: documents accepted per second and p50/p99
//! latency with many concurrent clients, the server's resident memory, and the shares of the
//! server's CPU time spent verifying signatures and reading the chain.
//!
//! The server runs as a child process (this binary with `REBATE_LOAD_SERVER` set), so its CPU
//! time and memory are its own. It follows an embedded chain (a directory this run creates), on
//! which every client's customer first bought from its merchant: each offer is checked against
//! that purchase record (chain-backed listing on). Every client posts the documents of its
//! promotions link by link, in the protocol's order (offer, rebate, endorsed offer, accepted
//! offer, referee's rebate, the referred purchase, the referee's purchase link, the customer's
//! rebate link: eight posts per promotion). With `--sessions` (the default) each party signs in
//! once and its requests carry the session token, as a wallet's do; `--signed` signs every
//! request, as an agent may. The documents are signed before the timed phase.
//!
//! Each backend runs twice: at saturation (every client posts as fast as it can: the most
//! documents per second the server accepts), then paced at a rate offered by all clients
//! together (`--rate` for SQLite, default 4,000/s; `--pg-rate` for PostgreSQL, default 2,000/s),
//! where the latency percentiles mean something.
//!
//! `cargo bench -p rebate-coordinator --bench load [-- --clients 200 --promotions 2500 --rate 4000 --signed]`;
//! set `REBATE_LOAD_POSTGRES=postgres://…` to run it on PostgreSQL as well. Under `cargo test`
//! it runs a small smoke load.

use pallet_referral_rebate::{Framing, Signed};
use rebate_client::{
	documents::{self, AnyDocument, Envelope},
	keys::KeyPair,
};
use rebate_coordinator::Coordinator;
use sp_core::H256;
use sp_runtime::traits::Verify;
use std::{
	io::{BufRead, BufReader},
	process::{Command, Stdio},
	sync::Arc,
	time::{Duration, Instant},
};
use support::{cpu, status_kib};

#[path = "../../client/benches/support/documents.rs"]
mod referral;
#[path = "../../client/benches/support/mod.rs"]
mod support;

/// Server-side signature verifications per post, by position in the eight-post sequence: the
/// link the server does not hold already verified (each post adds one link to the chain the
/// server stored last), plus the request's own signature unless it carries a session token.
fn verifies_per_post(sessions: bool) -> u32 {
	if sessions {
		1
	} else {
		2
	}
}

fn server(db: &str) {
	let chain = std::env::var("REBATE_LOAD_CHAIN").expect("the chain to follow");
	let genesis: H256 =
		std::env::var("REBATE_LOAD_GENESIS").expect("its genesis").parse().expect("a hash");
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
	runtime.block_on(async {
		let store = rebate_coordinator::Store::open(db).await.expect("the store opens");
		let view = rebate_coordinator::ChainView::follow(chain, Duration::from_secs(1));
		let config = rebate_coordinator::Config::new(genesis);
		let app = Arc::new(
			rebate_coordinator::App::new(config, store, view).await.expect("the app starts"),
		);
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
		println!("http://{}", listener.local_addr().expect("bound"));
		rebate_coordinator::serve(listener, app).await.expect("serves");
	});
}

/// The eight envelopes of promotion `id` (on the customer's purchase `origin`), in posting order,
/// with the party that posts each.
fn sequence(
	genesis: H256,
	id: u64,
	origin: rebate_client::PurchaseId,
	p: &[KeyPair; 3],
) -> Vec<(usize, Envelope)> {
	let raw = Framing::Raw;
	let r = p[2].account();
	let (mut offer, mut rebate, _) =
		referral::terms(p[0].account(), p[1].account(), r.clone(), origin, 100_000, 200_000);
	// Every promotion of a client on its customer's one purchase, each under its own id.
	offer.promotion_id = id;
	rebate.promotion_id = id;
	let purchase = pallet_referral_rebate::ReferredPurchase::for_offer(&offer, &r);
	let (mut offer, mut rebate) = (Signed::unsigned(offer), Signed::unsigned(rebate));
	let env = |d: AnyDocument| Envelope { chain: genesis, document: d };
	let mut out = Vec::new();
	offer.sign_next(&genesis, None, raw, |msg| p[0].sign(msg)).expect("merchant");
	out.push((0, env(AnyDocument::Offer(offer.clone()))));
	rebate.sign_next(&genesis, None, raw, |msg| p[0].sign(msg)).expect("merchant");
	out.push((0, env(AnyDocument::Rebate(rebate.clone()))));
	offer.sign_next(&genesis, Some(r.clone()), raw, |msg| p[1].sign(msg)).expect("endorses");
	out.push((1, env(AnyDocument::Offer(offer.clone()))));
	offer.sign_next(&genesis, None, raw, |msg| p[2].sign(msg)).expect("accepts");
	out.push((2, env(AnyDocument::Offer(offer.clone()))));
	rebate.sign_next(&genesis, Some(r.clone()), raw, |msg| p[2].sign(msg)).expect("referee");
	out.push((2, env(AnyDocument::Rebate(rebate.clone()))));
	let mut purchase = Signed::unsigned(purchase);
	purchase.sign_next(&genesis, None, raw, |msg| p[1].sign(msg)).expect("customer");
	out.push((1, env(AnyDocument::Purchase(purchase.clone()))));
	purchase.sign_next(&genesis, None, raw, |msg| p[2].sign(msg)).expect("referee");
	out.push((2, env(AnyDocument::Purchase(purchase.clone()))));
	rebate.sign_next(&genesis, None, raw, |msg| p[1].sign(msg)).expect("customer");
	out.push((1, env(AnyDocument::Rebate(rebate))));
	for (_, e) in &out {
		if let Some(o) = e.offer() {
			documents::verify(&genesis, o, false).expect("valid offer");
		}
	}
	out
}

/// One sr25519 verification, in this process.
fn unit_verify() -> Duration {
	let key = KeyPair::dev("alice").expect("dev key");
	let msg = [7u8; 32];
	let sig = key.sign(&msg);
	let n = 2000;
	let start = Instant::now();
	for _ in 0..n {
		assert!(sig.verify(&msg[..], &key.account()));
	}
	start.elapsed() / n
}

/// Post every client's documents: as fast as each client can (`rate` `None`: the saturation
/// throughput), or paced so that all clients together offer `rate` documents per second, each
/// latency then counted from the moment the document was due (so a slow server is not hidden by
/// clients that wait for it).
/// Each client's merchant, customer and referee trio (distinct accounts).
fn trios(clients: usize) -> Vec<[KeyPair; 3]> {
	(0..clients)
		.map(|i| {
			["merchant", "customer", "referee"].map(|role| {
				KeyPair::parse(&format!("//load/{role}/{i}")).expect("a derived dev key")
			})
		})
		.collect()
}

/// An embedded chain in `dir` on which each trio's customer bought from its merchant (in one
/// block): its genesis and each trio's purchase.
fn chain_with_purchases(
	dir: &std::path::Path,
	trios: &[[KeyPair; 3]],
) -> (H256, Vec<rebate_client::PurchaseId>) {
	use rebate_client::chain::{embedded, Chain};
	let runtime = tokio::runtime::Runtime::new().expect("tokio");
	runtime.block_on(async {
		let unit = rebate_test_runtime::UNIT;
		let genesis = embedded::Genesis {
			endowed: trios.iter().map(|t| (t[1].account(), 1_000 * unit)).collect(),
			seed: None,
		};
		let chain = embedded::Embedded::open(dir, &genesis).expect("the chain opens");
		let mut client = rebate_client::Client::new(chain);
		let mut xts = Vec::new();
		for t in trios {
			let call = rebate_test_runtime::RuntimeCall::ReferralRebate(
				rebate_test_runtime::ReferralRebateCall::purchase {
					merchant: t[0].account(),
					asset: rebate_test_runtime::AssetKind::Native,
					price: 100 * unit,
				},
			);
			xts.push(client.extrinsic(&t[1], call).await.expect("signed"));
		}
		let included = client.chain.submit(xts).await.expect("a block");
		let ids = included
			.into_iter()
			.map(|i| {
				let i = i.expect("the purchase is in the block");
				i.events
					.iter()
					.find_map(|e| e.rebate().and_then(|e| e.recorded_purchase()))
					.expect("recorded")
			})
			.collect();
		(client.genesis(), ids)
	})
}

/// The value of a metric in the service's `/metrics`.
fn metric(url: &str, name: &str) -> f64 {
	let text = tokio::runtime::Runtime::new()
		.expect("tokio")
		.block_on(async { reqwest::get(format!("{url}/metrics")).await?.text().await })
		.unwrap_or_default();
	text.lines()
		.find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
		.unwrap_or(0.0)
}

fn run(db: &str, clients: usize, promotions: u64, rate: Option<f64>, sessions: bool) {
	let chain_dir = tempfile::tempdir().expect("a temp dir");
	let keys = trios(clients);
	let (genesis, origins) = chain_with_purchases(chain_dir.path(), &keys);
	let mut child = Command::new(std::env::current_exe().expect("this binary"))
		.env("REBATE_LOAD_SERVER", db)
		.env("REBATE_LOAD_CHAIN", chain_dir.path())
		.env("REBATE_LOAD_GENESIS", format!("{genesis:?}"))
		.stdout(Stdio::piped())
		.spawn()
		.expect("the server starts");
	let pid = child.id();
	let mut line = String::new();
	BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("url");
	let url = line.trim().to_owned();
	let per = promotions.div_ceil(clients as u64);
	eprintln!(
		"signing {} promotions ({} documents)…",
		per * clients as u64,
		per * clients as u64 * 8
	);
	// Signed and serialised before the timed phase; each request is signed when it is sent.
	let work: Vec<Vec<(usize, Vec<u8>)>> = keys
		.iter()
		.zip(&origins)
		.map(|(k, origin)| {
			(0..per)
				.flat_map(|id| sequence(genesis, id, *origin, k))
				.map(|(who, e)| (who, serde_json::to_vec(&e).expect("serialises")))
				.collect()
		})
		.collect();
	let verify_unit = unit_verify();

	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
	// Each party signs in (with sessions) before the timed phase.
	let parties: Vec<[Arc<Coordinator>; 3]> = runtime.block_on(async {
		let mut all = Vec::new();
		for k in keys {
			let parties = k.map(|key| Arc::new(Coordinator::new(&url, key)));
			if sessions {
				for p in &parties {
					p.sign_in().await.expect("signs in");
				}
			}
			all.push(parties);
		}
		all
	});
	let cpu_before = cpu(pid);
	let clients_before = cpu(std::process::id());
	let started = Instant::now();
	let latencies = runtime.block_on(async {
		let mut tasks = Vec::new();
		for (parties, docs) in parties.into_iter().zip(work) {
			// Paced: this client's documents are due every `clients / rate` seconds, the
			// clients spread evenly over that interval.
			let every = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
			let offset = every.map(|e| e.mul_f64(tasks.len() as f64 / clients as f64));
			tasks.push(tokio::spawn(async move {
				let mut lat = Vec::with_capacity(docs.len());
				let start = tokio::time::Instant::now() + offset.unwrap_or_default();
				for (n, (who, envelope)) in docs.into_iter().enumerate() {
					let due = match every {
						Some(e) => {
							let due = start + e.mul_f64(n as f64);
							tokio::time::sleep_until(due).await;
							due
						}
						None => tokio::time::Instant::now(),
					};
					parties[who].post_json(envelope).await.expect("the coordinator accepts");
					lat.push(due.elapsed());
				}
				lat
			}));
		}
		let mut all = Vec::new();
		for t in tasks {
			all.extend(t.await.expect("a client"));
		}
		all
	});
	let wall = started.elapsed();
	let server_cpu = cpu(pid).saturating_sub(cpu_before);
	let chain_seconds = metric(&url, "rebate_coordinator_chain_read_seconds");
	let chain_rounds = metric(&url, "rebate_coordinator_chain_rounds");
	let clients_cpu = cpu(std::process::id()).saturating_sub(clients_before);
	let hwm = status_kib(pid, "VmHWM:");
	let rss = status_kib(pid, "VmRSS:");
	let _ = child.kill();
	let _ = child.wait();

	let mut sorted = latencies;
	sorted.sort();
	let n = sorted.len();
	let pct = |p: f64| sorted[((n as f64 * p) as usize).min(n - 1)];
	let verifies = n as u64 * verifies_per_post(sessions) as u64;
	let verify_share = verifies as f64 * verify_unit.as_secs_f64() / server_cpu.as_secs_f64();
	let chain_share = chain_seconds / server_cpu.as_secs_f64();
	let backend =
		if db.starts_with("sqlite") { "SQLite (WAL, synchronous=FULL)" } else { "PostgreSQL" };
	let auth = if sessions { "session tokens" } else { "every request signed" };
	match rate {
		Some(r) => println!("{backend}, {auth}, paced at {r:.0} documents/s offered"),
		None => println!("{backend}, {auth}, saturation (each client posts as fast as it can)"),
	}
	println!("  clients {clients}, documents {n}, wall {:.2} s", wall.as_secs_f64());
	println!("  accepted per second {:.0}", n as f64 / wall.as_secs_f64());
	println!(
		"  latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
		pct(0.50).as_secs_f64() * 1e3,
		pct(0.99).as_secs_f64() * 1e3,
		sorted[n - 1].as_secs_f64() * 1e3
	);
	println!(
		"  server CPU {:.2} s ({:.0} % of one core); sr25519 verify {:.1} µs; signature verification {:.0} % of the server's CPU time",
		server_cpu.as_secs_f64(),
		100.0 * server_cpu.as_secs_f64() / wall.as_secs_f64(),
		verify_unit.as_secs_f64() * 1e6,
		100.0 * verify_share
	);
	println!(
		"  chain reads {:.3} s in {chain_rounds:.0} rounds: {:.1} % of the server's CPU time",
		chain_seconds,
		100.0 * chain_share
	);
	println!(
		"  clients CPU {:.2} s ({:.0} % of one core)",
		clients_cpu.as_secs_f64(),
		100.0 * clients_cpu.as_secs_f64() / wall.as_secs_f64()
	);
	println!(
		"  server resident memory {:.1} MiB (peak {:.1} MiB)",
		rss as f64 / 1024.0,
		hwm as f64 / 1024.0
	);
}

fn main() {
	if let Ok(db) = std::env::var("REBATE_LOAD_SERVER") {
		return server(&db);
	}
	let args = support::Args::new();
	let (clients, promotions, rate, pg_rate) = if args.bench() {
		(
			args.get("--clients", 200usize),
			args.get("--promotions", 2500u64),
			args.get("--rate", 4000.0),
			args.get("--pg-rate", 2000.0),
		)
	} else {
		(8, 16, 400.0, 400.0)
	};
	let sessions = !std::env::args().any(|a| a == "--signed");
	for rate in [None, Some(rate)] {
		let dir = tempfile::tempdir().expect("a temp dir");
		let sqlite = format!("sqlite://{}", dir.path().join("load.db").display());
		run(&sqlite, clients, promotions, rate, sessions);
	}
	if let Ok(pg) = std::env::var("REBATE_LOAD_POSTGRES") {
		for rate in [None, Some(pg_rate)] {
			fresh_postgres(&pg);
			run(&pg, clients, promotions, rate, sessions);
		}
	}
}

/// Drop the coordinator's tables: every run posts the same accounts and promotion ids.
fn fresh_postgres(pg: &str) {
	tokio::runtime::Runtime::new().expect("tokio").block_on(async {
		sqlx::any::install_default_drivers();
		let pool = sqlx::AnyPool::connect(pg).await.expect("PostgreSQL answers");
		for t in ["documents", "request_nonces", "mutes", "coordinator_meta"] {
			sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {t}")))
				.execute(&pool)
				.await
				.expect("drop");
		}
	});
}
