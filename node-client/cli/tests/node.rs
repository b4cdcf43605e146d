//! The `rebate` CLI against a real node over JSON-RPC (`REBATE_NODE_URL`, e.g. chopsticks started
//! by `scripts/chopsticks.sh start`): the whole flow as separate processes, and refusals decoded
//! as the pallet's named errors. Run with `cargo test -p rebate-cli --test node -- --ignored`.

mod common;

use common::*;

fn node() -> Chain {
	let url = std::env::var("REBATE_NODE_URL")
		.expect("REBATE_NODE_URL names the node (scripts/chopsticks.sh start prints it)");
	Chain::node(&url)
}

/// The runtime the node serves, as `scripts/chopsticks.sh` names it (`REBATE_NODE_RUNTIME`:
/// `test`, the default, or `other`): the pallet's name and index and the block time the
/// client must have read from the chain's metadata.
fn expected_deployment() -> (&'static str, u64, u64) {
	match std::env::var("REBATE_NODE_RUNTIME").as_deref() {
		Ok("other") => ("Referrals", 42, 12_000),
		_ => ("ReferralRebate", 6, 6_000),
	}
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn the_client_reads_the_chain_from_its_metadata() {
	let chain = node();
	let info = chain.ok(&["chain-info"]);
	let (name, index, block_ms) = expected_deployment();
	assert_eq!(info["pallet"]["name"], name, "{info}");
	assert_eq!(info["pallet"]["index"], index, "{info}");
	assert_eq!(info["block_time_ms"], block_ms, "{info}");
	let days = 24 * 60 * 60 * 1000 / block_ms;
	let delay = if name == "Referrals" { 10 } else { 30 };
	assert_eq!(info["max_rebate_delay"], delay * days, "{info}");
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn the_whole_flow_against_a_node() {
	let chain = node();
	let p = open_promotion(&chain, 6, 10);
	sign_all(&chain, &p);
	let charlie = chain.free("charlie");
	chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(chain.free("charlie") <= charlie - 80 * UNIT, "charlie paid the discounted price");

	// A replayed settlement is refused by the pallet, by name, and nothing is submitted.
	let e =
		chain.refused(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(e.contains("AlreadySettled"), "{e}");

	chain.ok(&["submit-rebate", "--as", "bob", &p.rebate]);
	let escrow = chain.escrow();
	assert!(escrow >= 15 * UNIT, "the rebate is escrowed");
	let bob = chain.free("bob");
	let now = chain.best();
	chain.ok(&["advance", &(p.pay_at - now).to_string()]);
	assert!(chain.best() >= p.pay_at);
	assert_eq!(chain.free("bob"), bob + 15 * UNIT, "the rebate was paid at its block");
	assert_eq!(chain.escrow(), escrow - 15 * UNIT);
	let status = chain.status(&p);
	assert_eq!(status["open"], false);
	// The node's history shows the flow's events, as the embedded chain's does.
	let from = (p.pay_at.saturating_sub(30)).max(1).to_string();
	let out = chain.run(&["history", "--from", &from]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let history = String::from_utf8_lossy(&out.stdout);
	for event in ["ReferralSettled", "RebateScheduled", "RebatePaid"] {
		assert!(history.contains(event), "{event} in the node's history:\n{history}");
	}
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn the_whole_flow_in_the_stablecoin_against_a_node() {
	let chain = node();
	let p = open_promotion_in(&chain, "TUSD", 6, 10);
	sign_all(&chain, &p);
	let charlie = chain.free_in("charlie", "TUSD");
	chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert_eq!(chain.free_in("charlie", "TUSD"), charlie - 80 * DOLLAR);
	let escrow = chain.escrow_in("TUSD");
	chain.ok(&["--fee-asset", "TUSD", "submit-rebate", "--as", "bob", &p.rebate]);
	assert_eq!(chain.escrow_in("TUSD"), escrow + 15 * DOLLAR, "the rebate is escrowed");
	let bob = chain.free_in("bob", "TUSD");
	let now = chain.best();
	chain.ok(&["advance", &(p.pay_at - now).to_string()]);
	assert_eq!(chain.free_in("bob", "TUSD"), bob + 15 * DOLLAR, "paid at its block, in TUSD");
	assert_eq!(chain.escrow_in("TUSD"), escrow);
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn late_and_foreign_documents_are_refused_by_a_node() {
	let chain = node();
	let p = open_promotion(&chain, 3, 10);
	sign_all(&chain, &p);
	// A document made on another chain (an embedded one) is refused for its genesis.
	let embedded = Chain::new();
	let q = open_promotion(&embedded, 5, 10);
	let e = chain.refused(&["accept", "--as", "charlie", &q.offer]);
	assert!(e.contains("is for chain"), "{e}");
	// Past the settle-by block the settlement is refused before anything is submitted.
	let now = chain.best();
	chain.ok(&["advance", &(p.settle_by - now).to_string()]);
	let e =
		chain.refused(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(e.contains("settle-by block was block"), "{e}");
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn a_campaign_against_a_node() {
	let chain = node();
	let escrow = chain.escrow_in("TUSD");
	let alice = chain.free_in("alice", "TUSD");
	let created = chain.ok(&[
		"campaign",
		"create",
		"--as",
		"alice",
		"--asset",
		"TUSD",
		"--budget",
		"50u",
		"--discount",
		"10%",
		"--rebate",
		"5u",
		"--settle-window",
		"10",
		"--review",
		"20",
	]);
	let id = created["campaign"].as_u64().expect("an id").to_string();
	assert_eq!(chain.escrow_in("TUSD"), escrow + 50 * DOLLAR);
	chain.ok(&["campaign", "top-up", "--as", "alice", &id, "5u"]);
	assert_eq!(chain.ok(&["campaign", "status", &id])["budget"], (55 * DOLLAR).to_string());
	let e = chain.refused(&["campaign", "close", "--as", "bob", &id]);
	assert!(e.contains("NotCampaignMerchant"), "{e}");
	chain.ok(&["campaign", "close", "--as", "alice", &id]);
	assert_eq!(chain.escrow_in("TUSD"), escrow);
	assert_eq!(chain.free_in("alice", "TUSD"), alice);
}

#[test]
#[ignore = "needs a node: REBATE_NODE_URL=ws://… (scripts/chopsticks.sh start)"]
fn the_merchant_server_runs_a_campaign_against_a_node_and_reports_it() {
	let chain = node();
	let (_coordinator, url) = coordinator(&chain);
	let created = chain.ok(&[
		"campaign",
		"create",
		"--as",
		"alice",
		"--budget",
		"30u",
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
	]);
	let id = created["campaign"].as_u64().expect("an id").to_string();
	let db = chain.file("merchant.db");
	let from = chain.best().to_string();
	let serve = || chain.ok(&serve_args(&url, &id, &db, &["--rounds", "1", "--from", &from]));
	let bob = buy(&chain, "bob", "alice", "100u");
	let dave = buy(&chain, "dave", "alice", "10u");
	serve();
	let progress = chain.ok(&["merchant", "progress", "--progress", &db]);
	assert_eq!(progress["counts"]["delivered"], 1, "{progress}");
	assert_eq!(
		progress["counts"]["skipped"], 1,
		"dave's purchase is below the minimum: {progress}"
	);
	let _ = dave;
	refer(&chain, &url, "bob", "charlie", promotion_of(&bob));
	serve();
	assert_eq!(chain.ok(&["merchant", "progress", "--progress", &db])["counts"]["settled"], 1);
	chain.ok(&["--coordinator", &url, "agent", "--as", "bob", "--rounds", "1"]);
	let report = chain.ok(&["campaign", "report", &id, "--from", &from]);
	assert_eq!(report["funded"], (30 * UNIT).to_string(), "{report}");
	assert_eq!(report["budget"], (15 * UNIT).to_string(), "{report}");
	assert_eq!(report["reserved"], (15 * UNIT).to_string(), "{report}");
	assert_eq!((report["settled"].as_u64(), report["accepted"].as_u64()), (Some(1), Some(1)));
	assert_eq!(report["balanced"], true, "{report}");
}
