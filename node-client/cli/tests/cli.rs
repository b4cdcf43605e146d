//! The `rebate` CLI as separate processes: one role per invocation, documents exchanged as files,
//! on an embedded chain in a temporary directory.

mod common;

use common::*;
use serde_json::Value;
use std::{path::Path, process::Command};

#[test]
fn the_whole_flow_in_separate_processes() {
	let chain = Chain::new();
	let p = open_promotion(&chain, 10, 20);

	// Documents are readable JSON: SS58 accounts, hex signatures, decimal amounts.
	let text = std::fs::read_to_string(&p.offer).unwrap();
	assert!(text.contains("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"), "{text}");
	assert!(text.contains(&(80 * UNIT).to_string()), "{text}");
	let inspected = chain.ok(&["inspect", &p.offer]);
	assert_eq!(inspected["links"][0]["status"], "valid");
	assert_eq!(inspected["links"][1]["status"], "missing");
	assert!(inspected["next"].as_str().unwrap().starts_with("Customer"));
	assert_eq!(inspected["deadlines"][0]["block"], p.settle_by);

	sign_all(&chain, &p);
	for doc in [&p.offer, &p.rebate, &p.purchase] {
		assert_eq!(chain.ok(&["inspect", doc])["complete"], true, "{doc}");
	}

	let charlie = chain.free("charlie");
	let alice = chain.free("alice");
	let settled =
		chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(settled["events"][0].as_str().unwrap().contains("PurchaseRecorded"), "{settled}");
	assert!(chain.free("charlie") <= charlie - 80 * UNIT, "charlie paid the discounted price");
	// Alice received the price and paid the transaction fee (well under one unit).
	let gained = chain.free("alice") - alice;
	assert!(gained < 80 * UNIT && gained > 79 * UNIT, "alice gained {gained}");

	let bob = chain.free("bob");
	chain.ok(&["submit-rebate", "--as", "bob", &p.rebate]);
	assert_eq!(chain.escrow(), 15 * UNIT);
	let bob_after_fee = chain.free("bob");
	assert!(bob_after_fee < bob, "bob paid the fee");

	let status = chain.status(&p);
	assert_eq!(status["open"], true);
	assert_eq!(status["rebate"]["amount"].as_u64().map(u128::from), Some(15 * UNIT));

	let now = chain.best();
	chain.ok(&["advance", &(p.pay_at - now).to_string()]);
	assert_eq!(chain.best(), p.pay_at);
	assert_eq!(chain.free("bob"), bob_after_fee + 15 * UNIT, "the rebate was paid at its block");
	assert_eq!(chain.escrow(), 0);
	assert_eq!(chain.status(&p)["open"], false);

	// The history on disk shows the payout in the pay-at block.
	let history = chain.run(&["--json", "history", "--from", &p.pay_at.to_string()]);
	let text = String::from_utf8_lossy(&history.stdout);
	assert!(text.contains("RebatePaid"), "{text}");
}

#[test]
fn the_whole_flow_in_the_stablecoin_in_separate_processes() {
	let chain = Chain::new();
	let (alice, bob, charlie) = (
		chain.free_in("alice", "TUSD"),
		chain.free_in("bob", "TUSD"),
		chain.free_in("charlie", "TUSD"),
	);
	let natives = (chain.free("charlie"), chain.escrow());
	let p = open_promotion_in(&chain, "TUSD", 10, 20);
	assert_eq!(chain.free_in("bob", "TUSD"), bob - 100 * DOLLAR);
	// The documents name the asset; amounts in its 6 decimals.
	let text = std::fs::read_to_string(&p.offer).unwrap();
	assert!(text.contains("\"with_id\"") || text.contains("WithId"), "{text}");
	assert!(text.contains(&(80 * DOLLAR).to_string()), "{text}");
	sign_all(&chain, &p);
	chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert_eq!(chain.free_in("charlie", "TUSD"), charlie - 80 * DOLLAR);
	assert_eq!(chain.free("charlie"), natives.0, "charlie paid nothing in the native token");
	chain.ok(&["submit-rebate", "--as", "bob", &p.rebate]);
	assert_eq!(chain.escrow_in("TUSD"), 15 * DOLLAR);
	assert_eq!(chain.escrow(), natives.1, "nothing escrowed in the native token");
	assert_eq!(chain.free_in("alice", "TUSD"), alice + 100 * DOLLAR + 80 * DOLLAR - 15 * DOLLAR);
	let status = chain.status(&p);
	assert_eq!(status["asset"]["symbol"], "TUSD", "{status}");
	// People see amounts with the symbol.
	let out = chain.run(&[
		"status",
		"--merchant",
		"alice",
		"--promotion",
		&p.id.to_string(),
		"--pay-at",
		&p.pay_at.to_string(),
	]);
	assert!(String::from_utf8_lossy(&out.stdout).contains("15.00 TUSD escrowed"), "{out:?}");
	let now = chain.best();
	chain.ok(&["advance", &(p.pay_at - now).to_string()]);
	assert_eq!(chain.free_in("bob", "TUSD"), bob - 100 * DOLLAR + 15 * DOLLAR);
	assert_eq!(chain.escrow_in("TUSD"), 0);
	// Asking for another asset than the purchase's is refused before anything is signed.
	let bought = chain.ok(&[
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		"TUSD",
		"--price",
		"50u",
	]);
	let id = bought["purchase_id"].as_str().unwrap().to_owned();
	let e = chain.refused(&[
		"offer",
		"--as",
		"alice",
		"--purchase",
		&id,
		"--promotion",
		"99",
		"--asset",
		"native",
		"--discounted",
		"40u",
		"--rebate",
		"5u",
		"--offer-out",
		&chain.file("x.json"),
		"--rebate-out",
		&chain.file("y.json"),
	]);
	assert!(e.contains("was paid in TUSD, not in UNIT"), "{e}");
	// An unknown asset, and amounts below the stablecoin's minimum (0.01).
	let e = chain.refused(&[
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		"XYZ",
		"--price",
		"1u",
	]);
	assert!(e.contains("no asset with symbol XYZ"), "{e}");
	let e = chain.refused(&[
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		"4242",
		"--price",
		"1u",
	]);
	assert!(e.contains("asset 4242 does not exist"), "{e}");
	let e = chain.refused(&[
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		"TUSD",
		"--price",
		"0.001u",
	]);
	assert!(e.contains("PriceBelowMinimum"), "{e}");
	let e = chain.refused(&[
		"offer",
		"--as",
		"alice",
		"--purchase",
		&id,
		"--promotion",
		"99",
		"--discounted",
		"40u",
		"--rebate",
		"0.005u",
		"--offer-out",
		&chain.file("x.json"),
		"--rebate-out",
		&chain.file("y.json"),
	]);
	assert!(e.contains("at least the minimum balance (0.01 TUSD)"), "{e}");
}

#[test]
fn a_customer_pays_its_fees_in_the_stablecoin() {
	let chain = Chain::new();
	let bob = (chain.free("bob"), chain.free_in("bob", "TUSD"));
	chain.ok(&[
		"--fee-asset",
		"TUSD",
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		"TUSD",
		"--price",
		"10u",
	]);
	assert_eq!(chain.free("bob"), bob.0, "no native fee");
	let paid = bob.1 - chain.free_in("bob", "TUSD");
	assert!(paid > 10 * DOLLAR && paid < 11 * DOLLAR, "the price and a fee in TUSD: {paid}");
}

#[test]
fn bad_input_is_refused_with_one_line_and_submits_nothing() {
	let chain = Chain::new();
	let p = open_promotion(&chain, 10, 20);
	chain.ok(&["endorse", "--as", "bob", "--referee", "charlie", &p.offer]);

	// Malformed JSON.
	let broken = chain.file("broken.json");
	std::fs::write(&broken, "{ \"chain\": ").unwrap();
	let e = chain.refused(&["accept", "--as", "charlie", &broken]);
	assert!(e.contains("malformed document"), "{e}");

	// A tampered field: the referee finds the price changed after the others signed.
	let tampered = chain.file("tampered.json");
	let mut json: Value =
		serde_json::from_str(&std::fs::read_to_string(&p.offer).unwrap()).unwrap();
	json["document"]["offer"]["document"]["discounted_price"] =
		(70 * UNIT).to_string().parse().unwrap();
	std::fs::write(&tampered, json.to_string()).unwrap();
	let e = chain.refused(&["accept", "--as", "charlie", &tampered]);
	assert!(e.contains("link 0 is not a valid signature of the Merchant"), "{e}");

	// The wrong key: dave is not the referee bob named.
	let e = chain.refused(&["accept", "--as", "dave", "-o", &chain.file("x.json"), &p.offer]);
	assert!(e.contains("the next link is the Referee's (charlie), not dave's"), "{e}");

	// A link signed by the wrong key: bob's link replaced by one dave signed.
	let forged = chain.file("forged.json");
	let mut json: Value =
		serde_json::from_str(&std::fs::read_to_string(&p.offer).unwrap()).unwrap();
	let other = chain.file("other.json");
	let p2 = open_promotion(&chain, 10, 20);
	chain.ok(&["endorse", "--as", "bob", "--referee", "charlie", "-o", &other, &p2.offer]);
	let other_json: Value =
		serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
	json["document"]["offer"]["links"][1]["signature"] =
		other_json["document"]["offer"]["links"][1]["signature"].clone();
	std::fs::write(&forged, json.to_string()).unwrap();
	let e = chain.refused(&["accept", "--as", "charlie", &forged]);
	assert!(e.contains("link 1 is not a valid signature of the Customer"), "{e}");

	// A document for another chain.
	let foreign = chain.file("foreign.json");
	let mut json: Value =
		serde_json::from_str(&std::fs::read_to_string(&p.offer).unwrap()).unwrap();
	json["chain"] = format!("0x{}", "11".repeat(32)).into();
	std::fs::write(&foreign, json.to_string()).unwrap();
	let e = chain.refused(&["accept", "--as", "charlie", &foreign]);
	assert!(e.contains("is for chain 0x1111"), "{e}");

	// Incomplete chains cannot be settled.
	let e =
		chain.refused(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.offer]);
	assert!(e.contains("settle takes an offer and a referred purchase"), "{e}");

	// Sign everything, settle once; a replayed settle is refused by the chain's rules.
	chain.ok(&["accept", "--as", "charlie", &p.offer]);
	chain.ok(&["accept", "--as", "charlie", &p.rebate]);
	chain.ok(&["sign", "--as", "bob", &p.rebate]);
	chain.ok(&["draft-purchase", "--as", "bob", "--offer", &p.offer, "--out", &p.purchase]);
	let e =
		chain.refused(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(e.contains("buyer has signed") || e.contains("1 of 2 signatures"), "{e}");
	chain.ok(&["accept", "--as", "charlie", &p.purchase]);
	let e =
		chain.refused(&["settle", "--as", "bob", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(e.contains("NotMerchant"), "{e}");
	chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	let e =
		chain.refused(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	assert!(e.contains("AlreadySettled"), "{e}");
	chain.ok(&["submit-rebate", "--as", "bob", &p.rebate]);
	let e = chain.refused(&["submit-rebate", "--as", "bob", &p.rebate]);
	assert!(e.contains("RebateAlreadySubmitted"), "{e}");

	// An expired deadline: the second promotion's offer after its settle-by block.
	chain.ok(&["advance", &(p2.settle_by - chain.best()).to_string()]);
	let e = chain.refused(&["accept", "--as", "charlie", &other]);
	assert!(e.contains("settle-by block was block"), "{e}");

	// Malformed arguments are refused by the parser with a non-zero exit.
	let out = chain.run(&["purchase", "--as", "bob", "--merchant", "alice", "--price", "lots"]);
	assert!(!out.status.success());
}

#[test]
fn a_killed_cli_leaves_a_chain_that_opens() {
	let chain = Chain::new();
	chain.ok(&["advance", "1"]);
	for delay_ms in [50u64, 150, 400] {
		let mut child = chain.command(&["advance", "500"]).spawn().expect("spawn");
		std::thread::sleep(std::time::Duration::from_millis(delay_ms));
		let _ = child.kill();
		let _ = child.wait();
		let best = chain.best();
		assert!(best >= 2, "the chain opens after a kill at {delay_ms} ms");
		chain.ok(&["advance", "1"]);
		assert_eq!(chain.best(), best + 1);
	}
	// A torn record at the end of the log (a kill in the middle of a write) is cut off.
	let log = chain.data().join("blocks.log");
	let best = chain.best();
	let mut bytes = std::fs::read(&log).unwrap();
	bytes.extend_from_slice(&[200, 1, 0, 0, 1, 2, 3]);
	std::fs::write(&log, bytes).unwrap();
	assert_eq!(chain.best(), best);
	chain.ok(&["advance", "2"]);
	assert_eq!(chain.best(), best + 2);
	assert!(Path::new(&chain.data().join("state.snapshot")).exists());
}

#[test]
fn keys_files_and_help() {
	let chain = Chain::new();
	let key = chain.file("merchant.key");
	let made = chain.ok(&["key", "generate", "--scheme", "ed25519", "--out", &key]);
	let shown = chain.ok(&["key", "show", &format!("@{key}")]);
	assert_eq!(made["account"], shown["account"]);
	assert_eq!(shown["scheme"], "ed25519");
	// A fresh key has no funds: its purchase is refused before anything is submitted.
	let e = chain.refused(&[
		"purchase",
		"--as",
		&format!("@{key}"),
		"--merchant",
		"alice",
		"--price",
		"1u",
	]);
	assert!(e.contains("invalid"), "{e}");
	let help = chain.run(&["--help"]);
	assert!(String::from_utf8_lossy(&help.stdout).contains("submit-rebate"));
}

#[test]
fn demo_runs() {
	let out = Command::new(env!("CARGO_BIN_EXE_rebate")).arg("demo").output().expect("demo runs");
	let stdout = String::from_utf8_lossy(&out.stdout);
	assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
	assert!(stdout.contains("the chain paid bob 15"), "{stdout}");
	// The program path: the merchant server issued and settled, the budget paid, the report.
	assert!(
		stdout.contains("the merchant server read bob's purchase, issued promotion"),
		"{stdout}"
	);
	assert!(stdout.contains("the merchant server settled the referral"), "{stdout}");
	assert!(stdout.contains("from the campaign's budget"), "{stdout}");
	assert!(
		stdout.contains("funded 100.00 TUSD, budget 0.00 TUSD, reserved 0.00 TUSD, paid 15.00 TUSD (1 rebate), lapsed 0.00 TUSD, refunded 85.00 TUSD"),
		"{stdout}"
	);
}

#[test]
fn a_refund_in_the_review_period_makes_the_rebate_lapse_and_close_waits_for_pay_at() {
	let chain = Chain::new();
	let p = open_promotion(&chain, 5, 10);
	sign_all(&chain, &p);
	chain.ok(&["settle", "--as", "alice", "--offer", &p.offer, "--purchase", &p.purchase]);
	chain.ok(&["submit-rebate", "--as", "bob", &p.rebate]);
	let status = chain.status(&p);
	let referred =
		status["referral"]["purchase_id"].as_str().expect("referred purchase").to_owned();

	// Nobody may close the promotion before its rebate block.
	let key = p.key();
	let mut close = vec!["close", "--as", "dave"];
	close.extend(key.iter().map(String::as_str));
	let e = chain.refused(&close);
	assert!(e.contains("NotYetDue"), "{e}");
	// Only the merchant refunds.
	let e = chain.refused(&["refund", "--as", "bob", &referred]);
	assert!(e.contains("NotPurchaseMerchant"), "{e}");

	let charlie = chain.free("charlie");
	let refunded = chain.ok(&["refund", "--as", "alice", &referred]);
	assert!(refunded["events"][0].as_str().unwrap().contains("PurchaseRefunded"), "{refunded}");
	assert_eq!(chain.free("charlie"), charlie + 80 * UNIT, "the referee got the price back");
	let e = chain.refused(&["refund", "--as", "alice", &referred]);
	assert!(e.contains("AlreadyRefunded"), "{e}");

	let bob = chain.free("bob");
	let now = chain.best();
	chain.ok(&["advance", &(p.pay_at - now).to_string()]);
	assert_eq!(chain.free("bob"), bob, "a refunded referral's rebate lapses");
	assert_eq!(chain.escrow(), 0, "the escrow went back to the merchant");
	let history = chain.run(&["history", "--from", &p.pay_at.to_string()]);
	assert!(String::from_utf8_lossy(&history.stdout).contains("RebateLapsed"));
}

#[test]
fn a_merchant_runs_a_campaign_funded_through_the_escrow_account() {
	let chain = Chain::new();
	let alice = chain.free_in("alice", "TUSD");
	let created = chain.ok(&[
		"campaign",
		"create",
		"--as",
		"alice",
		"--asset",
		"TUSD",
		"--budget",
		"500u",
		"--discount",
		"10%",
		"--rebate",
		"5u",
		"--min-origin",
		"20u",
		"--settle-window",
		"100",
		"--review",
		"200",
		"--new-referees-only",
		"--per-customer",
		"3",
	]);
	let id = created["campaign"].as_u64().expect("an id").to_string();
	assert_eq!(chain.escrow_in("TUSD"), 500 * DOLLAR);
	let status = chain.ok(&["campaign", "status", &id]);
	assert_eq!(status["budget"], (500 * DOLLAR).to_string());
	assert_eq!(status["terms"]["discount"]["percent"], 10);
	assert_eq!(status["terms"]["rebates_per_customer"], 3);
	chain.ok(&["campaign", "top-up", "--as", "alice", &id, "100u"]);
	assert_eq!(chain.ok(&["campaign", "status", &id])["budget"], (600 * DOLLAR).to_string());
	assert_eq!(chain.escrow_in("TUSD"), 600 * DOLLAR);
	// Another merchant cannot close it; terms that break a rule are refused before signing.
	let e = chain.refused(&["campaign", "close", "--as", "bob", &id]);
	assert!(e.contains("NotCampaignMerchant"), "{e}");
	let e = chain.refused(&[
		"campaign",
		"create",
		"--as",
		"alice",
		"--asset",
		"TUSD",
		"--budget",
		"500u",
		"--discount",
		"0%",
		"--rebate",
		"5u",
		"--settle-window",
		"100",
		"--review",
		"200",
	]);
	assert!(e.contains("discount is nothing"), "{e}");
	let e = chain.refused(&["campaign", "top-up", "--as", "alice", "9", "1u"]);
	assert!(e.contains("campaign 9 is not open"), "{e}");
	// Closed: the budget is back with alice (her fees were paid in the native token).
	chain.ok(&["campaign", "close", "--as", "alice", &id]);
	assert_eq!(chain.free_in("alice", "TUSD"), alice);
	assert_eq!(chain.escrow_in("TUSD"), 0);
	assert_eq!(chain.ok(&["campaign", "status", &id])["open"], false);
}
