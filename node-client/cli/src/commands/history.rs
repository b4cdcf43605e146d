//! `rebate history`: the embedded chain's block history, extrinsics and events.

use super::Context;
use crate::coordination::CliError;
use rebate_client::{chain::AnyChain, ClientError};

#[derive(clap::Args)]
pub struct Args {
	/// From this block on.
	#[arg(long, default_value_t = 1)]
	from: u32,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let client = ctx.client().await?;
		match &client.chain {
			AnyChain::Embedded(chain) => ctx.out.history(&chain.history(self.from)?),
			#[allow(unreachable_patterns)]
			_ => {
				return Err(ClientError::Rule(
					"history is kept by the embedded chain; ask the node's block explorer".into(),
				)
				.into())
			}
		}
		Ok(())
	}
}
