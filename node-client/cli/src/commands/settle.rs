//! `rebate settle`: the merchant settles the referral (the offer and the referred purchase,
//! fully signed).

use super::{Context, Signer};
use crate::coordination::CliError;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The fully signed offer.
	#[arg(long)]
	offer: String,
	/// The fully signed referred purchase.
	#[arg(long)]
	purchase: String,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let key = self.signer.key()?;
		let docs = ctx.docs(&key);
		let offer = docs.load(&self.offer).await?;
		let purchase = docs.load(&self.purchase).await?;
		let receipt = client.settle(&key, &offer, &purchase).await?;
		ctx.out.receipt("referral settled", &receipt, serde_json::json!({}));
		Ok(())
	}
}
