//! `rebate refund`: the merchant refunds a live purchase (a refunded referral makes its rebate
//! lapse).

use super::{Context, Signer};
use crate::coordination::CliError;
use rebate_client::PurchaseId;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The purchase id, `block-index` (as `purchase` printed it, e.g. `3-1`).
	purchase: PurchaseId,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let receipt = client.refund(&self.signer.key()?, self.purchase).await?;
		let what = format!("purchase {} refunded", self.purchase);
		ctx.out.receipt(&what, &receipt, serde_json::json!({}));
		Ok(())
	}
}
