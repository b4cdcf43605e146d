//! `rebate offer`: the merchant creates a promotion's offer and rebate from a customer's
//! purchase, signed by the merchant.

use super::{Context, Signer};
use crate::coordination::CliError;
use pallet_referral_rebate::PayoutCondition;
use rebate_client::{
	assets::{self, AmountArg, AssetArg},
	chain::state,
	ClientError, PromotionTerms, PurchaseId,
};

#[derive(clap::Args)]
pub struct Args {
	#[command(flatten)]
	signer: Signer,
	/// The customer's recorded purchase the offer is based on, `block-index` (as `purchase`
	/// printed it, e.g. `3-1`).
	#[arg(long)]
	purchase: PurchaseId,
	/// The merchant's id for this promotion.
	#[arg(long)]
	promotion: u64,
	/// The asset the amounts are in: the purchase's (the default); naming another is refused.
	#[arg(long)]
	asset: Option<AssetArg>,
	/// The referee's price (the asset's smallest units, or `80u` in whole units).
	#[arg(long)]
	discounted: AmountArg,
	/// The customer's rebate (the asset's smallest units, or `15u` in whole units).
	#[arg(long)]
	rebate: AmountArg,
	/// The referred purchase must be settled this many blocks from now at the latest.
	#[arg(long, default_value_t = 10)]
	settle_in: u32,
	/// The rebate block, this many blocks from now.
	#[arg(long, default_value_t = 20)]
	pay_in: u32,
	/// Pay the rebate whether or not the referral was settled (the claims read literally).
	#[arg(long)]
	unconditional: bool,
	/// Where to write the offer (with `--coordinator`: optional, it is posted).
	#[arg(long)]
	offer_out: Option<String>,
	/// Where to write the rebate (with `--coordinator`: optional, it is posted).
	#[arg(long)]
	rebate_out: Option<String>,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let a = self;
		let mut client = ctx.client().await?;
		let key = a.signer.key()?;
		let now = client.now().await?;
		// The amounts are in the purchase's asset, read in its decimals.
		let origin = state::purchase(&mut client.chain, a.purchase).await?.ok_or_else(|| {
			ClientError::Rule(format!("purchase {} is not recorded on this chain", a.purchase))
		})?;
		let named = match &a.asset {
			Some(arg) => Some(assets::resolve(&mut client.chain, arg).await?.asset),
			None => None,
		};
		let asset = assets::info(&mut client.chain, &origin.asset).await?;
		let terms = PromotionTerms {
			promotion_id: a.promotion,
			origin_purchase: a.purchase,
			asset: named,
			discounted_price: asset.amount(&a.discounted)?,
			settle_by: now.saturating_add(a.settle_in),
			pay_at: now.saturating_add(a.pay_in),
			rebate: asset.amount(&a.rebate)?,
			condition: if a.unconditional {
				PayoutCondition::Unconditional
			} else {
				PayoutCondition::ReferralSettled
			},
			campaign: None,
		};
		let (offer, rebate) = client.create_promotion(&key, &terms).await?;
		let docs = ctx.docs(&key);
		let offer_to = docs.save(&offer, a.offer_out.as_deref()).await?;
		let rebate_to = docs.save(&rebate, a.rebate_out.as_deref()).await?;
		ctx.out.value(
			&format!(
				"promotion {}: offer → {offer_to} ({} for a friend), rebate → {rebate_to} ({} to the customer); settle by block {}, pay at block {}",
				a.promotion,
				asset.format(terms.discounted_price),
				asset.format(terms.rebate),
				terms.settle_by,
				terms.pay_at
			),
			serde_json::json!({
				"promotion_id": a.promotion, "offer": a.offer_out, "rebate": a.rebate_out,
				"settle_by": terms.settle_by, "pay_at": terms.pay_at,
				"asset": assets::kind_name(&asset.asset),
			}),
		);
		Ok(())
	}
}
