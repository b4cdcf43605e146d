//! `rebate chain-info`: the chain as the client sees it: its genesis and versions, where its
//! runtime has the referral-rebate pallet, and the constants the client's rules use (a node's
//! from its metadata).

use super::Context;
use crate::coordination::CliError;
use rebate_client::chain::Chain;

#[derive(clap::Args)]
pub struct Args {}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let client = ctx.client().await?;
		let chain = &client.chain;
		let (info, c) = (chain.info(), chain.constants());
		let (name, index) = (chain.pallet_name(), chain.pallet_index());
		ctx.out.value(
			&format!(
				"genesis {:?}, spec version {}, transaction version {}\n\
				 the referral-rebate pallet: {name} (index {index}), escrow account {}\n\
				 MaxRebateDelay {} blocks, PurchaseLifetime {} blocks, existential deposit {}, block time {} ms",
				info.genesis,
				info.spec_version,
				info.transaction_version,
				rebate_client::keys::ss58(&c.escrow_account()),
				c.max_rebate_delay,
				c.purchase_lifetime,
				c.existential_deposit,
				c.block_time_ms
			),
			serde_json::json!({
				"genesis": format!("{:?}", info.genesis),
				"spec_version": info.spec_version,
				"transaction_version": info.transaction_version,
				"pallet": { "name": name, "index": index },
				"escrow_account": rebate_client::keys::ss58(&c.escrow_account()),
				"max_rebate_delay": c.max_rebate_delay,
				"purchase_lifetime": c.purchase_lifetime,
				"existential_deposit": c.existential_deposit.to_string(),
				"block_time_ms": c.block_time_ms,
			}),
		);
		Ok(())
	}
}
