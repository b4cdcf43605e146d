//! `rebate mailbox`: what waits for a party at the coordinator (and muting senders).

use super::{account, Context, Signer};
use crate::coordination::{self, CliError};
use rebate_client::keys;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// Mute this sender first (its documents to sign no longer reach you); repeatable.
	#[arg(long)]
	mute: Vec<String>,
	/// Unmute this sender first; repeatable.
	#[arg(long)]
	unmute: Vec<String>,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let c = ctx.coordinator(&self.signer)?;
		for who in &self.mute {
			c.mute(&keys::ss58(&account(who)?)).await?;
		}
		for who in &self.unmute {
			c.unmute(&keys::ss58(&account(who)?)).await?;
		}
		coordination::mailbox(&c, &ctx.out).await
	}
}
