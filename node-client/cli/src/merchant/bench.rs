//! `rebate merchant bench`: how many purchases a second the merchant server keeps up with on the
//! embedded chain, and its latency from a purchase on chain to its offer delivered. A benchmark,
//! not a test: it prints its figures.
//!
//! A fresh embedded chain in a temporary directory, a coordinator in this process (SQLite), and
//! alice's campaign. Each round a block of `--per-block` purchases from as many customers is
//! made (off the clock), then one round of the server runs (on the clock): it reopens the chain,
//! reads the block, issues and signs each promotion, stores it, and delivers it to the
//! coordinator. A purchase's latency is from the end of its block to the end of the round that
//! delivered it (an upper bound: the last of the round's deliveries).

use super::{metrics::Metrics, progress::Progress, Options};
use crate::{commands::Context, coordination::CliError, output::Out};
use pallet_referral_rebate::{CampaignTerms, PayoutCondition, Share};
use rebate_client::{
	chain::{AnyChain, Chain},
	extrinsic::Birth,
	keys::KeyPair,
	Client, ClientError,
};
use rebate_test_runtime::{AssetKind, RuntimeCall, UNIT};
use std::time::{Duration, Instant};

/// The figures of a run.
#[derive(Debug, serde::Serialize)]
pub struct Figures {
	pub purchases: usize,
	pub per_block: usize,
	/// Purchases per second of the server's rounds (their time only).
	pub per_second: f64,
	/// Latency percentiles, milliseconds.
	pub p50_ms: f64,
	pub p99_ms: f64,
	pub max_ms: f64,
	/// The slowest round, milliseconds.
	pub slowest_round_ms: f64,
}

/// Run `blocks` blocks of `per_block` purchases each.
pub async fn run(blocks: usize, per_block: usize, json: bool) -> Result<Figures, CliError> {
	let dir = tempfile::tempdir().map_err(|e| ClientError::Backend(e.to_string()))?;
	let target = dir.path().join("chain").display().to_string();
	let alice = KeyPair::dev("alice")?;
	let customers: Vec<KeyPair> = (0..per_block)
		.map(|i| KeyPair::parse(&format!("//BenchCustomer{i}")))
		.collect::<Result<_, _>>()?;
	let mut client = Client::new(AnyChain::open(&target).await?);
	// Fund the customers (one block), then the campaign.
	let nonce = client.chain.next_nonce(&alice.account()).await?;
	let (number, hash) = client.chain.best().await?;
	let birth = Birth { number, hash };
	let mut xts = Vec::new();
	for (i, c) in customers.iter().enumerate() {
		let call = RuntimeCall::Balances(rebate_test_runtime::BalancesCall::transfer_keep_alive {
			dest: c.account().into(),
			value: 1_000 * UNIT,
		});
		xts.push(client.chain.sign(&alice, call, nonce + i as u32, birth, None)?);
	}
	for r in client.chain.submit(xts).await? {
		r?;
	}
	let now = client.now().await?;
	let terms = CampaignTerms {
		discount: Share::Percent(sp_runtime::Percent::from_percent(20)),
		rebate: Share::Fixed(UNIT),
		min_origin_price: UNIT,
		settle_window: 1_000,
		review_period: 1_000,
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: now + 100_000,
		new_referees_only: false,
		rebates_per_customer: u32::MAX,
	};
	let (_, campaign) =
		client.create_campaign(&alice, AssetKind::Native, 10_000 * UNIT, terms).await?;
	let genesis = client.genesis();
	drop(client);

	let url = crate::commands::demo::serve_coordinator_with(
		genesis,
		&dir.path().join("coordinator.db"),
		|config| {
			config.quota = u32::MAX;
			config.open_per_recipient = u32::MAX;
		},
	)
	.await?;
	let ctx = Context {
		chain: target.clone(),
		bytes_framing: false,
		fee_asset: None,
		coordinator: Some(url.clone()),
		out: Out::new(json),
	};
	let options = Options {
		key: alice.clone(),
		campaigns: vec![campaign],
		coordinator: std::sync::Arc::new(rebate_coordinator::Coordinator::new(&url, alice.clone())),
		progress: dir.path().join("merchant.db"),
		interval: Duration::ZERO,
		rounds: None,
		metrics: None,
		from: None,
	};
	let mut progress = Progress::open(&options.progress)?;
	let metrics = Metrics::new();
	// A first round sets the cursor at the head.
	super::serve_round(&ctx, &options, &mut progress, &metrics).await?;

	let mut latencies = Vec::new();
	let (mut busy, mut slowest) = (Duration::ZERO, Duration::ZERO);
	let bar = crate::output::progress(blocks as u64, "rounds");
	for _ in 0..blocks {
		let mut client = Client::new(AnyChain::open(&target).await?);
		let mut xts = Vec::new();
		let (number, hash) = client.chain.best().await?;
		let birth = Birth { number, hash };
		for c in &customers {
			let nonce = client.chain.next_nonce(&c.account()).await?;
			let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::purchase {
				merchant: alice.account(),
				asset: AssetKind::Native,
				price: 10 * UNIT,
			});
			xts.push(client.chain.sign(c, call, nonce, birth, None)?);
		}
		for r in client.chain.submit(xts).await? {
			r?;
		}
		drop(client);
		let on_chain = Instant::now();
		let round = super::serve_round(&ctx, &options, &mut progress, &metrics).await?;
		let took = on_chain.elapsed();
		if round.delivered as usize != per_block {
			return Err(ClientError::Backend(format!(
				"a round delivered {} of {per_block}: {round:?}",
				round.delivered
			))
			.into());
		}
		busy += took;
		slowest = slowest.max(took);
		latencies.extend(std::iter::repeat_n(took, per_block));
		bar.inc(1);
	}
	bar.finish_and_clear();
	latencies.sort();
	let at = |q: f64| {
		let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
		latencies[i].as_secs_f64() * 1e3
	};
	let purchases = blocks * per_block;
	Ok(Figures {
		purchases,
		per_block,
		per_second: purchases as f64 / busy.as_secs_f64(),
		p50_ms: at(0.50),
		p99_ms: at(0.99),
		max_ms: at(1.0),
		slowest_round_ms: slowest.as_secs_f64() * 1e3,
	})
}
