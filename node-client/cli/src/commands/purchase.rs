//! `rebate purchase`: the customer buys from a merchant (the established purchase an offer
//! points to).

use super::{account, Context, Signer};
use crate::coordination::CliError;
use rebate_client::assets::{self, AmountArg, AssetArg};

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The merchant.
	#[arg(long)]
	merchant: String,
	/// The asset the price is in (`native`, a symbol such as `TUSD`, or an asset id).
	#[arg(long, default_value = "native")]
	asset: AssetArg,
	/// The price (the asset's smallest units, or whole units with a `u` suffix: `100u`).
	#[arg(long)]
	price: AmountArg,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let key = self.signer.key()?;
		let asset = assets::resolve(&mut client.chain, &self.asset).await?;
		let price = asset.amount(&self.price)?;
		let (receipt, id) =
			client.purchase(&key, account(&self.merchant)?, asset.asset.clone(), price).await?;
		ctx.out.receipt(
			&format!("purchase {id} recorded: {} to {}", asset.format(price), self.merchant),
			&receipt,
			serde_json::json!({
				"purchase_id": id.to_string(),
				"asset": assets::kind_name(&asset.asset),
				"price": price,
			}),
		);
		Ok(())
	}
}
