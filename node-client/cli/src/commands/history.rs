//! `rebate history`: the chain's block history, extrinsics and events (an embedded chain's
//! log, or a node's blocks and events).

use super::Context;
use crate::coordination::CliError;

#[derive(clap::Args)]
pub struct Args {
	/// From this block on.
	#[arg(long, default_value_t = 1)]
	from: u32,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let client = ctx.client().await?;
		ctx.out.history(&client.chain.history(self.from).await?);
		Ok(())
	}
}
