//! Running the `rebate` binary as the parties do: one process per step, documents as files.

#![allow(dead_code)]

use serde_json::Value;
use std::{
	path::PathBuf,
	process::{Command, Output},
};

pub const UNIT: u128 = 1_000_000_000_000;
/// One dollar of the test runtime's stablecoin (TUSD, 6 decimals).
pub const DOLLAR: u128 = 1_000_000;

/// A chain the CLI runs against: an embedded one in a temporary directory, or a node.
pub struct Chain {
	dir: tempfile::TempDir,
	node: Option<String>,
}

impl Chain {
	/// A fresh embedded chain.
	pub fn new() -> Self {
		Chain { dir: tempfile::tempdir().expect("temp dir"), node: None }
	}

	/// The node at `url` (documents in a temporary directory).
	pub fn node(url: &str) -> Self {
		Chain { dir: tempfile::tempdir().expect("temp dir"), node: Some(url.to_string()) }
	}

	pub fn data(&self) -> PathBuf {
		self.dir.path().join("chain")
	}

	pub fn file(&self, name: &str) -> String {
		self.dir.path().join(name).display().to_string()
	}

	pub fn command(&self, args: &[&str]) -> Command {
		let mut cmd = Command::new(env!("CARGO_BIN_EXE_rebate"));
		match &self.node {
			Some(url) => cmd.arg("--chain").arg(url),
			None => cmd.arg("--chain").arg(self.data()),
		};
		cmd.args(args).env_remove("REBATE_CHAIN");
		cmd
	}

	pub fn run(&self, args: &[&str]) -> Output {
		self.command(args).output().expect("rebate runs")
	}

	/// Run and expect success; the `--json` output.
	pub fn ok(&self, args: &[&str]) -> Value {
		let mut all = vec!["--json"];
		all.extend_from_slice(args);
		let out = self.run(&all);
		assert!(
			out.status.success(),
			"rebate {args:?} failed: {}",
			String::from_utf8_lossy(&out.stderr)
		);
		let stdout = String::from_utf8_lossy(&out.stdout);
		serde_json::from_str(stdout.lines().last().unwrap_or("null")).expect("JSON output")
	}

	/// Run and expect a refusal: one `error:` line, a non-zero exit, and nothing submitted
	/// (same balances: a submitted extrinsic pays a fee; on the embedded chain also the same best
	/// block, while a node may make blocks on its own). Returns the error line.
	pub fn refused(&self, args: &[&str]) -> String {
		let state = |chain: &Self| {
			let mut balances = chain.ok(&["balances"]);
			if chain.node.is_some() {
				balances["block"] = serde_json::Value::Null;
			}
			balances
		};
		let before = state(self);
		let out = self.run(args);
		assert!(!out.status.success(), "rebate {args:?} should fail");
		let stderr = String::from_utf8_lossy(&out.stderr).to_string();
		let lines: Vec<&str> = stderr.lines().collect();
		assert_eq!(lines.len(), 1, "one line of error, got {stderr:?}");
		assert!(lines[0].starts_with("error: "), "{stderr}");
		assert_eq!(state(self), before, "nothing submitted");
		lines[0].to_string()
	}

	pub fn best(&self) -> u64 {
		self.ok(&["balances"])["block"].as_u64().expect("block")
	}

	/// `who`'s free native balance.
	pub fn free(&self, who: &str) -> u128 {
		self.free_in(who, "native")
	}

	/// `rebate status` of promotion `p`.
	pub fn status(&self, p: &Promotion) -> serde_json::Value {
		let key = p.key();
		let mut args = vec!["status"];
		args.extend(key.iter().map(String::as_str));
		self.ok(&args)
	}

	/// The escrow account's balance (every open rebate).
	pub fn escrow(&self) -> u128 {
		self.escrow_in("native")
	}

	/// `who`'s balance in `asset` (`native`, `TUSD`, an id).
	pub fn free_in(&self, who: &str, asset: &str) -> u128 {
		let v = self.ok(&["balances", who, "--asset", asset]);
		v["balances"][0]["free"].as_u64().map(u128::from).expect("balance")
	}

	/// The escrow account's balance in `asset`.
	pub fn escrow_in(&self, asset: &str) -> u128 {
		let v = self.ok(&["balances", "alice", "--asset", asset]);
		v["escrow"].as_u64().map(u128::from).expect("escrow")
	}
}

impl Promotion {
	/// `--merchant alice --promotion ID --pay-at BLOCK`: this promotion's key on chain.
	pub fn key(&self) -> Vec<String> {
		[
			"--merchant",
			"alice",
			"--promotion",
			&self.id.to_string(),
			"--pay-at",
			&self.pay_at.to_string(),
		]
		.map(str::to_owned)
		.to_vec()
	}
}

pub struct Promotion {
	pub id: u64,
	/// The origin purchase, `block-index`.
	pub origin: String,
	pub offer: String,
	pub rebate: String,
	pub purchase: String,
	pub settle_by: u64,
	pub pay_at: u64,
}

/// Purchase by bob, then alice's offer and rebate for it (the promotion id is the block the
/// purchase was recorded in, so each promotion of a test has its own).
pub fn open_promotion(chain: &Chain, settle_in: u32, pay_in: u32) -> Promotion {
	open_promotion_in(chain, "native", settle_in, pay_in)
}

/// [`open_promotion`] in `asset`: 100, 80 and 15 whole units of it.
pub fn open_promotion_in(chain: &Chain, asset: &str, settle_in: u32, pay_in: u32) -> Promotion {
	let bought = chain.ok(&[
		"purchase",
		"--as",
		"bob",
		"--merchant",
		"alice",
		"--asset",
		asset,
		"--price",
		"100u",
	]);
	let purchase_id = bought["purchase_id"].as_str().expect("purchase id").to_owned();
	let id: u64 = purchase_id.split('-').next().and_then(|b| b.parse().ok()).expect("block-index");
	let offer = chain.file(&format!("offer-{id}.json"));
	let rebate = chain.file(&format!("rebate-{id}.json"));
	let created = chain.ok(&[
		"offer",
		"--as",
		"alice",
		"--purchase",
		&purchase_id,
		"--promotion",
		&id.to_string(),
		"--discounted",
		"80u",
		"--rebate",
		"15u",
		"--settle-in",
		&settle_in.to_string(),
		"--pay-in",
		&pay_in.to_string(),
		"--offer-out",
		&offer,
		"--rebate-out",
		&rebate,
	]);
	Promotion {
		id,
		origin: purchase_id,
		offer,
		rebate,
		purchase: chain.file(&format!("purchase-{id}.json")),
		settle_by: created["settle_by"].as_u64().expect("settle_by"),
		pay_at: created["pay_at"].as_u64().expect("pay_at"),
	}
}

/// Every party signs its links, each in its own process.
pub fn sign_all(chain: &Chain, p: &Promotion) {
	chain.ok(&["endorse", "--as", "bob", "--referee", "charlie", &p.offer]);
	chain.ok(&["accept", "--as", "charlie", &p.offer]);
	chain.ok(&["accept", "--as", "charlie", &p.rebate]);
	chain.ok(&["sign", "--as", "bob", &p.rebate]);
	chain.ok(&["draft-purchase", "--as", "bob", "--offer", &p.offer, "--out", &p.purchase]);
	chain.ok(&["accept", "--as", "charlie", &p.purchase]);
}

/// A child process, killed when dropped.
pub struct Process(pub std::process::Child);

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

/// A coordinator that follows the chain; its URL.
pub fn coordinator(chain: &Chain) -> (Process, String) {
	let db = format!("sqlite://{}", chain.file("coordinator.db"));
	let mut child = chain
		.command(&["--json", "coordinator", "serve", "--listen", "127.0.0.1:0", "--database", &db])
		.stdout(std::process::Stdio::piped())
		.stderr(std::process::Stdio::null())
		.spawn()
		.expect("the coordinator starts");
	let mut line = String::new();
	std::io::BufRead::read_line(
		&mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
		&mut line,
	)
	.expect("a line");
	let started: serde_json::Value = serde_json::from_str(&line).expect("JSON");
	let url = started["url"].as_str().expect("its URL").to_owned();
	(Process(child), url)
}

pub fn buy(chain: &Chain, who: &str, merchant: &str, price: &str) -> String {
	let bought = chain.ok(&["purchase", "--as", who, "--merchant", merchant, "--price", price]);
	bought["purchase_id"].as_str().expect("purchase id").to_owned()
}

/// The promotion id the server gives purchase `block-index`.
pub fn promotion_of(purchase: &str) -> u64 {
	let (block, index) = purchase.split_once('-').expect("block-index");
	(block.parse::<u64>().unwrap() << 32) | index.parse::<u64>().unwrap()
}

/// The customer and the referee complete promotion `id` through the coordinator.
pub fn refer(chain: &Chain, url: &str, customer: &str, referee: &str, id: u64) {
	let c = |args: &[&str]| {
		let mut all = vec!["--coordinator", url];
		all.extend_from_slice(args);
		chain.ok(&all)
	};
	let (offer, rebate, purchase) =
		(format!("offer/alice/{id}"), format!("rebate/alice/{id}"), format!("purchase/alice/{id}"));
	c(&["endorse", "--as", customer, "--referee", referee, &offer]);
	c(&["accept", "--as", referee, &offer]);
	c(&["accept", "--as", referee, &rebate]);
	c(&["sign", "--as", customer, &rebate]);
	c(&["draft-purchase", "--as", customer, "--offer", &offer]);
	c(&["accept", "--as", referee, &purchase]);
}

/// The arguments of `rebate merchant serve` as alice for campaign `id` through the coordinator at
/// `url`, its progress in `db`, followed by `extra`.
pub fn serve_args<'a>(url: &'a str, id: &'a str, db: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
	let mut all = vec![
		"--coordinator",
		url,
		"merchant",
		"serve",
		"--as",
		"alice",
		"--campaign",
		id,
		"--progress",
		db,
	];
	all.extend_from_slice(extra);
	all
}
