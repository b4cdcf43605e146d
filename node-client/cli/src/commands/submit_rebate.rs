//! `rebate submit-rebate`: the customer submits the fully signed rebate (escrowed until its
//! pay-at block).

use super::{Context, Signer};
use crate::coordination::CliError;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The fully signed rebate (`-`: stdin).
	rebate: String,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let key = self.signer.key()?;
		let rebate = ctx.docs(&key).load(&self.rebate).await?;
		let receipt = client.submit_rebate(&key, &rebate).await?;
		ctx.out.receipt("rebate escrowed", &receipt, serde_json::json!({}));
		Ok(())
	}
}
