//! `rebate draft-purchase`: the customer drafts the referred purchase from an endorsed offer.

use super::{Context, Signer};
use crate::coordination::CliError;

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The endorsed offer.
	#[arg(long)]
	offer: String,
	/// Where to write the purchase (`-`: stdout, the default without `--coordinator`).
	#[arg(short, long)]
	out: Option<String>,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let path = self.out.or_else(|| ctx.coordinator.is_none().then(|| "-".to_owned()));
		let key = self.signer.key()?;
		let docs = ctx.docs(&key);
		let offer = docs.load(&self.offer).await?;
		let purchase = client.draft_purchase(&offer, &key).await?;
		let path = path.filter(|p| docs.coordinator.is_none() || p != "-");
		let to = docs.save(&purchase, path.as_deref()).await?;
		if path.as_deref() != Some("-") {
			ctx.out
				.value(&format!("referred purchase → {to}"), serde_json::json!({ "purchase": to }));
		}
		Ok(())
	}
}
