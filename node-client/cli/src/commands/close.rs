//! `rebate close`: close an overdue promotion (a last resort; the chain closes them by itself).

use super::{account, Context, PromotionKey, Signer};
use crate::coordination::CliError;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	#[command(flatten)]
	promotion: PromotionKey,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let (key, p) = (self.signer.key()?, &self.promotion);
		let receipt = client.close(&key, p.pay_at, account(&p.merchant)?, p.promotion).await?;
		ctx.out.receipt(
			&format!("promotion {} closed", p.promotion),
			&receipt,
			serde_json::json!({}),
		);
		Ok(())
	}
}
