//! `rebate agent`: act before the deadlines (keys stay with their owner).

use super::{Context, Signer};
use crate::coordination::{self, CliError};

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// Milliseconds between looks.
	#[arg(long, default_value_t = 1000)]
	interval_ms: u64,
	/// Stop after this many looks (default: run until stopped).
	#[arg(long)]
	rounds: Option<u32>,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let interval = std::time::Duration::from_millis(self.interval_ms);
		let coordinator = ctx.coordinator(&self.signer)?;
		coordination::agent(&ctx.chain, &coordinator, interval, self.rounds, &ctx.out).await
	}
}
