//! The parties as separate `rebate` processes exchanging documents through a coordinator
//! process (no files), the agents settling and submitting, and the coordinator killed with
//! SIGKILL while clients post: every acknowledged document is there after the restart and the
//! flow completes.

mod common;

use common::{Chain, UNIT};
use pallet_referral_rebate::{Framing, Offer, Signed};
use rebate_client::{
	documents::{AnyDocument, Envelope},
	keys::KeyPair,
};
use rebate_coordinator::Coordinator;
use std::{
	io::{BufRead, BufReader},
	process::{Child, Stdio},
	sync::{Arc, Mutex},
};

/// A coordinator process.
struct Server {
	child: Child,
	url: String,
}

impl Drop for Server {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn serve(chain: &Chain, args: &[&str]) -> Server {
	let mut all = vec!["--json", "coordinator", "serve", "--listen", "127.0.0.1:0"];
	all.extend_from_slice(args);
	let mut child = chain
		.command(&all)
		.stdout(Stdio::piped())
		.stderr(Stdio::null())
		.spawn()
		.expect("the coordinator starts");
	let mut line = String::new();
	BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("a line");
	let started: serde_json::Value = serde_json::from_str(&line).expect("JSON");
	let url = started["url"].as_str().expect("its URL").to_owned();
	Server { child, url }
}

#[test]
fn three_parties_and_their_agents_complete_a_referral_through_the_coordinator() {
	let chain = Chain::new();
	let db = format!("sqlite://{}", chain.file("coordinator.db"));
	let server = serve(&chain, &["--database", &db]);
	let c = |args: &[&str]| {
		let mut all = vec!["--coordinator", &server.url];
		all.extend_from_slice(args);
		chain.ok(&all)
	};
	let bought = chain.ok(&["purchase", "--as", "bob", "--merchant", "alice", "--price", "100u"]);
	let origin = bought["purchase_id"].as_str().expect("purchase id").to_owned();
	let id = origin.split('-').next().expect("block-index").to_owned();
	let created = c(&[
		"offer",
		"--as",
		"alice",
		"--purchase",
		&origin,
		"--promotion",
		&id,
		"--discounted",
		"80u",
		"--rebate",
		"15u",
		"--settle-in",
		"30",
		"--pay-in",
		"40",
	]);
	let mail = c(&["mailbox", "--as", "bob"]);
	assert_eq!(mail.as_array().map(|m| m.len()), Some(1), "{mail}");
	assert_eq!(mail[0]["action"], "sign");
	let (offer, rebate, purchase) =
		(format!("offer/alice/{id}"), format!("rebate/alice/{id}"), format!("purchase/alice/{id}"));
	c(&["endorse", "--as", "bob", "--referee", "charlie", &offer]);
	c(&["accept", "--as", "charlie", &offer]);
	c(&["accept", "--as", "charlie", &rebate]);
	c(&["sign", "--as", "bob", &rebate]);
	c(&["draft-purchase", "--as", "bob", "--offer", &offer]);
	c(&["accept", "--as", "charlie", &purchase]);
	let alice_before = chain.free("alice");

	// The merchant's agent settles, the customer's submits the rebate; a second look does
	// nothing more.
	let settled = c(&["agent", "--as", "alice", "--rounds", "1"]);
	assert_eq!(settled["agent"], "settled", "{settled}");
	let submitted = c(&["agent", "--as", "bob", "--rounds", "1"]);
	assert_eq!(submitted["agent"], "submitted the rebate of", "{submitted}");
	assert_eq!(chain.escrow(), 15 * UNIT);
	assert!(chain.free("alice") > alice_before, "the referee's payment arrived");
	let again =
		chain.run(&["--coordinator", &server.url, "agent", "--as", "alice", "--rounds", "1"]);
	assert!(again.status.success());
	assert!(String::from_utf8_lossy(&again.stdout).trim().is_empty(), "nothing left to do");

	// At the rebate block the escrow is paid.
	let pay_at = created["pay_at"].as_u64().expect("pay_at");
	let status = chain.ok(&[
		"status",
		"--merchant",
		"alice",
		"--promotion",
		&id,
		"--pay-at",
		&pay_at.to_string(),
	]);
	assert_eq!(status["open"], true);
	let bob_before = chain.free("bob");
	let best = chain.best();
	chain.ok(&["advance", &(pay_at - best).to_string()]);
	assert_eq!(chain.escrow(), 0);
	assert_eq!(chain.free("bob"), bob_before + 15 * UNIT);

	// A party signing out of turn through the coordinator is refused with the reason.
	let out = chain.run(&["--coordinator", &server.url, "accept", "--as", "dave", &offer]);
	assert!(!out.status.success());
	let err = String::from_utf8_lossy(&out.stderr);
	assert!(err.starts_with("error: "), "{err}");
}

/// An offer for promotion `id`, signed by the merchant, for the chain with `genesis`.
fn offer(genesis: sp_core::H256, id: u64) -> Envelope {
	let (m, c) = (KeyPair::dev("alice").unwrap(), KeyPair::dev("bob").unwrap());
	let mut offer = Signed::unsigned(Offer {
		promotion_id: id,
		merchant: m.account(),
		customer: c.account(),
		origin_purchase: rebate_client::PurchaseId { block: 1, index: id as u32 },
		asset: rebate_test_runtime::AssetKind::Native,
		original_price: 100 * UNIT,
		discounted_price: 80 * UNIT,
		settle_by: 1_000_000,
		pay_at: 2_000_000,
		campaign: None,
	});
	offer.sign_next(&genesis, None, Framing::Raw, |msg| m.sign(msg)).expect("signs");
	Envelope { chain: genesis, document: AnyDocument::Offer(offer) }
}

#[test]
fn a_killed_coordinator_keeps_every_acknowledged_document() {
	let chain = Chain::new();
	let genesis = sp_core::H256::repeat_byte(0x42);
	let hex = format!("{genesis:?}");
	let db = format!("sqlite://{}", chain.file("coordinator.db"));
	// One merchant posting thousands of offers to one customer: past the default limit of
	// documents waiting for one recipient, which this test does not exercise.
	let args = [
		"--database",
		db.as_str(),
		"--genesis",
		hex.as_str(),
		"--no-follow",
		"--open-per-recipient",
		"100000",
	];
	let mut server = serve(&chain, &args);
	let runtime = tokio::runtime::Runtime::new().expect("tokio");
	let acked = Arc::new(Mutex::new(Vec::new()));
	let url = server.url.clone();
	// 16 clients post offers as fast as they can; the server is killed after 200 answers.
	let posting = {
		let acked = acked.clone();
		runtime.spawn(async move {
			let mut tasks = Vec::new();
			for client in 0..16u64 {
				let (url, acked) = (url.clone(), acked.clone());
				tasks.push(tokio::spawn(async move {
					let alice = Coordinator::new(&url, KeyPair::dev("alice").unwrap());
					for n in 0..1_000u64 {
						let id = client * 1_000 + n;
						let posted = offer(genesis, id);
						match alice.post(&posted).await {
							Ok(_) => acked.lock().unwrap().push((id, posted)),
							Err(_) => return,
						}
					}
				}));
			}
			for t in tasks {
				let _ = t.await;
			}
		})
	};
	let waiting = std::time::Instant::now();
	while acked.lock().unwrap().len() < 200 {
		assert!(waiting.elapsed().as_secs() < 120, "the clients stopped before 200 answers");
		std::thread::sleep(std::time::Duration::from_millis(5));
	}
	server.child.kill().expect("SIGKILL");
	let _ = server.child.wait();
	runtime.block_on(posting).expect("the clients stop");
	let acked = acked.lock().unwrap().clone();
	assert!(acked.len() >= 200);

	let server = serve(&chain, &args);
	let alice = Coordinator::new(&server.url, KeyPair::dev("alice").unwrap());
	let bob = Coordinator::new(&server.url, KeyPair::dev("bob").unwrap());
	let merchant = rebate_client::keys::ss58(&KeyPair::dev("alice").unwrap().account());
	runtime.block_on(async {
		for (id, posted) in &acked {
			let stored = alice
				.document(&merchant, *id, None, rebate_coordinator::api::DocumentKind::Offer)
				.await
				.expect("acknowledged");
			assert_eq!(&stored, posted);
		}
		// The flow goes on: the customer endorses one of them, the referee accepts.
		let mut endorsed = acked[0].1.clone();
		let referee = KeyPair::dev("charlie").unwrap();
		if let AnyDocument::Offer(o) = &mut endorsed.document {
			let c = KeyPair::dev("bob").unwrap();
			o.sign_next(&genesis, Some(referee.account()), Framing::Raw, |m| c.sign(m)).unwrap();
			o.sign_next(&genesis, None, Framing::Raw, |m| referee.sign(m)).unwrap();
		}
		let accepted = bob.post(&endorsed).await.expect("the endorsed, accepted offer");
		assert!(accepted.complete);
	});
}
