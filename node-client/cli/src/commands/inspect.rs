//! `rebate inspect`: who has signed a document, what is missing, whose turn it is, the deadlines.

use super::Context;
use crate::coordination::CliError;
use rebate_client::documents::Envelope;

#[derive(clap::Args)]
pub struct Args {
	/// The document (`-`: stdin).
	document: String,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let envelope = Envelope::read(&self.document)?;
		let inspection = client.inspect(&envelope).await?;
		ctx.out.inspection(&inspection);
		Ok(())
	}
}
