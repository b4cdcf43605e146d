//! The merchant server (`rebate merchant serve`) running a campaign over an embedded chain and a
//! coordinator process: eligible purchases get exactly one offer each, ineligible ones and a
//! spent budget are skipped and reported, completed referrals are settled once; and the server
//! killed with SIGKILL at random points and restarted issues nothing twice and misses nothing.

mod common;

use common::*;
use std::{
	process::Stdio,
	time::{Duration, Instant},
};

/// Alice's campaign: 20 % off origin purchases of at least 50 UNIT, a 15 UNIT rebate, a settle
/// window of 40 blocks and a review period of 10, `per_customer` rebates each; its id.
fn campaign(chain: &Chain, budget: &str, per_customer: &str) -> String {
	let created = chain.ok(&[
		"campaign",
		"create",
		"--as",
		"alice",
		"--budget",
		budget,
		"--discount",
		"20%",
		"--rebate",
		"15u",
		"--min-origin",
		"50u",
		"--settle-window",
		"40",
		"--review",
		"10",
		"--per-customer",
		per_customer,
	]);
	created["campaign"].as_u64().expect("an id").to_string()
}

/// The server's progress file, read by `rebate merchant progress`.
fn progress(chain: &Chain) -> serde_json::Value {
	chain.ok(&["merchant", "progress", "--progress", &chain.file("merchant.db")])
}

/// Every `ReferralSettled` event of the chain's history, by promotion id.
fn settled_promotions(chain: &Chain) -> Vec<u64> {
	let history = chain.run(&["--json", "history", "--from", "1"]);
	assert!(history.status.success());
	let mut out = Vec::new();
	for line in String::from_utf8_lossy(&history.stdout).lines() {
		let block: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
		for e in block["events"].as_array().into_iter().flatten() {
			let text = e.as_str().unwrap_or_default();
			if let Some(rest) = text.split("ReferralSettled").nth(1) {
				if let Some(id) = rest.split("promotion ").nth(1) {
					let digits: String = id.chars().take_while(|c| c.is_ascii_digit()).collect();
					out.push(digits.parse().expect("a promotion id"));
				}
			}
		}
	}
	out
}

#[test]
fn the_merchant_server_issues_by_the_campaign_skips_the_ineligible_and_settles() {
	let chain = Chain::new();
	let (_coordinator, url) = coordinator(&chain);
	let id = campaign(&chain, "15u", "1");
	let db = chain.file("merchant.db");
	let serve = |rounds: &str| {
		chain.ok(&serve_args(
			&url,
			&id,
			&db,
			&["--rounds", rounds, "--interval-ms", "10", "--from", "1"],
		))
	};
	// Eligible; below the minimum; another merchant's; the same customer again (at its cap).
	let bob = buy(&chain, "bob", "alice", "100u");
	buy(&chain, "dave", "alice", "30u");
	buy(&chain, "eve", "charlie", "100u");
	serve("1");
	let bob_again = buy(&chain, "bob", "alice", "100u");
	serve("1");
	let p = progress(&chain);
	assert_eq!(p["counts"]["delivered"], 1, "{p}");
	assert_eq!(p["counts"]["skipped"], 2, "below the minimum, and bob at his cap: {p}");
	// The offer waits for bob at the coordinator, built by the campaign's terms.
	let mail = chain.ok(&["--coordinator", &url, "mailbox", "--as", "bob"]);
	let offers: Vec<_> = mail.as_array().expect("mail").iter().collect();
	assert_eq!(offers.len(), 1, "{mail}");
	assert_eq!(offers[0]["inspection"]["kind"], "offer", "{mail}");
	assert_eq!(offers[0]["inspection"]["promotion_id"], promotion_of(&bob), "{mail}");
	// 20 % off bob's 100 UNIT; settle-by one window (40 blocks) after its issue block.
	let amounts = &offers[0]["inspection"]["amounts"];
	assert_eq!(amounts[1]["amount"], (80 * UNIT).to_string(), "{mail}");
	let _ = bob_again;

	// Bob refers charlie; the server settles; bob submits the rebate, reserved from the budget.
	refer(&chain, &url, "bob", "charlie", promotion_of(&bob));
	serve("1");
	assert_eq!(progress(&chain)["counts"]["settled"], 1);
	chain.ok(&["--coordinator", &url, "agent", "--as", "bob", "--rounds", "1"]);
	let status = chain.ok(&["campaign", "status", &id]);
	assert_eq!(status["budget"], "0", "{status}");
	assert_eq!(status["reserved"], (15 * UNIT).to_string(), "{status}");
	// The budget is spent: ferdie's purchase is skipped, and says why.
	buy(&chain, "ferdie", "alice", "100u");
	serve("1");
	let p = progress(&chain);
	assert_eq!(p["counts"]["skipped"], 3, "{p}");
	assert_eq!(p["skipped"]["the campaign's budget cannot cover the rebate"], 1, "{p}");
	assert_eq!(p["skipped"]["the customer has had the campaign's rebates"], 1, "{p}");
	assert_eq!(p["skipped"]["the purchase is below the campaign's minimum"], 1, "{p}");
	// Settled exactly once, and a later round does nothing more.
	serve("2");
	assert_eq!(settled_promotions(&chain), vec![promotion_of(&bob)]);

	// The report, from the chain (and the server's progress): before and after the rebate
	// block, then closed.
	let report = chain.ok(&["campaign", "report", &id, "--progress", &db]);
	assert_eq!((report["issued"].as_u64(), report["skipped"].as_u64()), (Some(1), Some(3)));
	assert_eq!(report["funded"], (15 * UNIT).to_string(), "{report}");
	assert_eq!(report["reserved"], (15 * UNIT).to_string(), "{report}");
	assert_eq!((report["settled"].as_u64(), report["accepted"].as_u64()), (Some(1), Some(1)));
	let pay_at = chain.best() + 60;
	chain.ok(&["advance", "60"]);
	let report = chain.ok(&["campaign", "report", &id]);
	assert_eq!(report["paid"], (15 * UNIT).to_string(), "{report}");
	assert_eq!(report["paid_count"], 1, "{report}");
	assert_eq!(report["balanced"], true, "{report}");
	let bob_account = report["customers"].as_object().expect("customers");
	assert_eq!(bob_account.len(), 1, "{report}");
	let line = bob_account.values().next().expect("bob");
	assert_eq!(line["paid_amount"], (15 * UNIT).to_string(), "{report}");
	let _ = pay_at;
	chain.ok(&["campaign", "close", "--as", "alice", &id]);
	let report = chain.ok(&["campaign", "report", &id]);
	assert_eq!((report["open"].as_bool(), report["refunded"].as_str()), (Some(false), Some("0")));
	// As CSV: a header and bob's line; as a table: a line per customer.
	let csv = chain.run(&["campaign", "report", &id, "--csv"]);
	let csv = String::from_utf8_lossy(&csv.stdout);
	let lines: Vec<&str> = csv.lines().collect();
	assert_eq!(lines[0], "customer,settled,accepted,paid,paid_amount,lapsed,lapsed_amount");
	assert!(lines[1].ends_with(&format!(",1,1,1,{},0,0", 15 * UNIT)), "{csv}");
	assert_eq!(lines.len(), 2, "{csv}");
	let table = chain.run(&["campaign", "report", &id]);
	let table = String::from_utf8_lossy(&table.stdout);
	assert!(table.contains("funded 15.00 UNIT") && table.contains("bob"), "{table}");
}

#[test]
fn a_killed_merchant_server_issues_nothing_twice_and_misses_nothing() {
	let chain = Chain::new();
	let (_coordinator, url) = coordinator(&chain);
	let id = campaign(&chain, "10000u", "100");
	let db = chain.file("merchant.db");
	let spawn = || {
		Process(
			chain
				.command(&serve_args(&url, &id, &db, &["--interval-ms", "5", "--from", "1"]))
				.stdout(Stdio::null())
				.stderr(Stdio::null())
				.spawn()
				.expect("the server starts"),
		)
	};
	let customers = ["bob", "dave", "eve", "ferdie"];
	let mut purchases = Vec::new();
	// A pseudo-random kill point each run (xorshift, fixed seed: the runs repeat).
	let mut seed = 0x2545_f491_4f6c_dd1du64;
	let mut next = || {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		seed
	};
	// Each run the server is killed at a pseudo-random point while the run's purchases are being
	// made: before, during or after its round over them.
	let runs = 6;
	for run in 0..runs {
		let server = std::sync::Arc::new(std::sync::Mutex::new(spawn()));
		let after = next() % 900;
		let killer = {
			let server = server.clone();
			std::thread::spawn(move || {
				std::thread::sleep(Duration::from_millis(after));
				let mut s = server.lock().expect("the server");
				s.0.kill().expect("SIGKILL");
				let _ = s.0.wait();
			})
		};
		for k in 0..4 {
			let who = customers[(run * 4 + k) % customers.len()];
			purchases.push((who, buy(&chain, who, "alice", "100u")));
		}
		killer.join().expect("killed");
		// What the killed server had recorded (`--nocapture` shows the runs).
		let p = progress(&chain);
		eprintln!(
			"run {run}: killed {after} ms after its start; {} purchases made by the end of the run; its progress: read to block {}, {} signed, {} delivered",
			purchases.len(),
			p["cursor"],
			p["counts"]["signed"],
			p["counts"]["delivered"]
		);
	}
	// A last run with room to catch up.
	let mut server = spawn();
	let deadline = Instant::now() + Duration::from_secs(120);
	loop {
		let p = progress(&chain);
		if p["counts"]["delivered"].as_u64() == Some(purchases.len() as u64) {
			break;
		}
		assert!(Instant::now() < deadline, "the server did not catch up: {p}");
		std::thread::sleep(Duration::from_millis(100));
	}
	server.0.kill().expect("SIGKILL");
	let _ = server.0.wait();

	// Each eligible purchase has exactly one offer at the coordinator, with its own id.
	for who in customers {
		let mine: Vec<u64> =
			purchases.iter().filter(|(w, _)| *w == who).map(|(_, p)| promotion_of(p)).collect();
		let mail = chain.ok(&["--coordinator", &url, "mailbox", "--as", who]);
		let mut offered: Vec<u64> = mail
			.as_array()
			.expect("mail")
			.iter()
			.filter(|m| m["inspection"]["kind"] == "offer")
			.map(|m| m["inspection"]["promotion_id"].as_u64().expect("an id"))
			.collect();
		offered.sort();
		let mut expected = mine.clone();
		expected.sort();
		assert_eq!(offered, expected, "{who}'s offers: {mail}");
	}
	let p = progress(&chain);
	assert_eq!(p["counts"]["skipped"], 0, "{p}");
	assert_eq!(p["counts"]["delivered"], purchases.len() as u64, "{p}");

	// Two referrals complete; the server, killed again mid-round and restarted, settles each once.
	let (first, second) = (promotion_of(&purchases[0].1), promotion_of(&purchases[1].1));
	refer(&chain, &url, purchases[0].0, "charlie", first);
	refer(&chain, &url, purchases[1].0, "charlie", second);
	let mut server = spawn();
	let after = 100 + next() % 200;
	std::thread::sleep(Duration::from_millis(after));
	server.0.kill().expect("SIGKILL");
	let _ = server.0.wait();
	let p = progress(&chain);
	eprintln!("settling run: killed after {after} ms; {} settled so far", p["counts"]["settled"]);
	let mut server = spawn();
	let deadline = Instant::now() + Duration::from_secs(120);
	while progress(&chain)["counts"]["settled"].as_u64() != Some(2) {
		assert!(Instant::now() < deadline, "the server did not settle both");
		std::thread::sleep(Duration::from_millis(100));
	}
	server.0.kill().expect("SIGKILL");
	let _ = server.0.wait();
	let mut settled = settled_promotions(&chain);
	settled.sort();
	let mut expected = vec![first, second];
	expected.sort();
	assert_eq!(settled, expected, "each completed referral settled exactly once");
	eprintln!(
		"after the last restart: {} purchases, {} offers at the coordinator, {} referrals settled once each",
		purchases.len(),
		purchases.len(),
		settled.len()
	);
}
