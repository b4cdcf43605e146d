//! `rebate balances`: balances in each asset, and the escrow account's.

use super::{account, Context};
use crate::{coordination::CliError, output};
use rebate_client::{
	assets::{self, AssetArg},
	chain::state,
	keys,
};

#[derive(clap::Args)]
pub struct Args {
	/// Accounts (SS58, 0x-hex, or dev names).
	accounts: Vec<String>,
	/// Only this asset (`native`, a symbol such as `TUSD`, or an asset id).
	#[arg(long)]
	asset: Option<AssetArg>,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let accounts = if self.accounts.is_empty() {
			keys::DEV_NAMES.iter().map(|n| n.to_string()).collect()
		} else {
			self.accounts
		};
		let shown = match &self.asset {
			Some(arg) => vec![assets::resolve(&mut client.chain, arg).await?],
			None => assets::on_chain(&mut client.chain).await?,
		};
		let mut rows = Vec::new();
		for a in &accounts {
			let who = account(a)?;
			let info = state::account(&mut client.chain, &who).await?;
			let mut balances = Vec::new();
			for asset in &shown {
				balances.push(state::balance(&mut client.chain, &asset.asset, &who).await?);
			}
			rows.push(output::BalanceRow {
				account: keys::display_name(&who),
				address: keys::ss58(&who),
				held: info.data.reserved,
				assets: balances,
			});
		}
		let mut escrow = Vec::new();
		for asset in &shown {
			escrow.push(state::escrow(&mut client.chain, &asset.asset).await?);
		}
		let now = client.now().await?;
		ctx.out.balances(now, &shown, &rows, &escrow);
		Ok(())
	}
}
