//! `rebate merchant`: the merchant's application server, which runs its campaigns unattended
//! (claim 1), and what it has done.

use super::{Context, Signer};
use crate::{
	coordination::CliError,
	merchant::{self, progress::Progress},
};
use std::{path::PathBuf, time::Duration};

#[derive(clap::Subcommand)]
pub enum Command {
	/// Follow the chain; for every eligible purchase to the merchant issue a signed offer and
	/// rebate by a campaign's terms, deliver them to the customer through the coordinator
	/// (`--coordinator`), and settle each completed referral before its settle-by block. Kill it
	/// at any point: restarted with the same `--progress` file it issues nothing twice.
	Serve(Serve),
	/// What a server's progress file records: promotions by stage, purchases skipped.
	Progress(ProgressArgs),
	/// A benchmark: purchases per second the server keeps up with on a fresh embedded chain,
	/// and its latency from a purchase on chain to its offer delivered (p50, p99).
	Bench(BenchArgs),
}

#[derive(clap::Args)]
pub struct BenchArgs {
	/// Blocks of purchases (one server round each).
	#[arg(long, default_value_t = 20)]
	blocks: usize,
	/// Purchases per block, from as many customers.
	#[arg(long, default_value_t = 200)]
	per_block: usize,
}

#[derive(clap::Args)]
pub struct Serve {
	#[command(flatten)]
	signer: Signer,
	/// A campaign of the merchant's (repeat for more: each purchase gets the first that takes
	/// it).
	#[arg(long = "campaign", required = true)]
	campaigns: Vec<u32>,
	/// The progress file (SQLite), created if missing.
	#[arg(long)]
	progress: PathBuf,
	/// Milliseconds between rounds.
	#[arg(long, default_value_t = 1000)]
	interval_ms: u64,
	/// Stop after this many rounds (default: run until stopped).
	#[arg(long)]
	rounds: Option<u32>,
	/// Serve Prometheus metrics at `http://ADDR/metrics`.
	#[arg(long, value_name = "ADDR")]
	metrics: Option<std::net::SocketAddr>,
	/// On a fresh progress file, read purchases from this block on (default: the chain's best
	/// block: purchases made from the server's first start). Ignored once the file has progress.
	#[arg(long)]
	from: Option<u32>,
}

#[derive(clap::Args)]
pub struct ProgressArgs {
	/// The progress file.
	#[arg(long)]
	progress: PathBuf,
}

impl Command {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		match self {
			Command::Serve(a) => {
				let options = merchant::Options {
					key: a.signer.key()?,
					coordinator: std::sync::Arc::new(ctx.coordinator(&a.signer)?),
					campaigns: a.campaigns,
					progress: a.progress,
					interval: Duration::from_millis(a.interval_ms),
					rounds: a.rounds,
					metrics: a.metrics,
					from: a.from,
				};
				merchant::serve(ctx, options).await
			}
			Command::Bench(a) => {
				let f = merchant::bench::run(a.blocks, a.per_block, ctx.out.json).await?;
				ctx.out.value(
					&format!(
						"{} purchases in blocks of {}: the server kept up with {:.0} purchases/s; purchase on chain to offer delivered p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
						f.purchases, f.per_block, f.per_second, f.p50_ms, f.p99_ms, f.max_ms
					),
					serde_json::to_value(&f).unwrap_or_default(),
				);
				Ok(())
			}
			Command::Progress(a) => {
				let progress = Progress::open(&a.progress)?;
				let counts = progress.counts()?;
				let cursor = progress.cursor()?;
				let skipped = progress.skipped_by_reason()?;
				let reasons: Vec<String> =
					skipped.iter().map(|(r, n)| format!("{n}: {r}")).collect();
				ctx.out.value(
					&format!(
						"read to block {cursor}: {} signed, {} delivered, {} settled, {} expired; {} purchases skipped{}",
						counts.signed, counts.delivered, counts.settled, counts.expired, counts.skipped,
						if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join("; ")) }
					),
					serde_json::json!({ "cursor": cursor, "counts": counts, "skipped": skipped }),
				);
				Ok(())
			}
		}
	}
}
