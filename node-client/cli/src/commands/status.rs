//! `rebate status`: a promotion's state on chain.

use super::{account, Context, PromotionKey};
use crate::coordination::CliError;
use rebate_client::{assets, chain::state};

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	promotion: PromotionKey,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let p = &self.promotion;
		let merchant = account(&p.merchant)?;
		let now = client.now().await?;
		let open = state::promotion(&mut client.chain, p.pay_at, &merchant, p.promotion).await?;
		let asset = match &open {
			Some(o) => Some(assets::info(&mut client.chain, &o.asset).await?),
			None => None,
		};
		ctx.out.status(now, &merchant, p.pay_at, p.promotion, open.as_ref(), asset.as_ref());
		Ok(())
	}
}
