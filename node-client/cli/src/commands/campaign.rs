//! `rebate campaign`: a merchant's referral program on chain — create one (its budget moves into
//! the escrow account), top it up, close it (the rest comes back), and show its state.

use super::{Context, Signer};
use crate::coordination::CliError;
use pallet_referral_rebate::{CampaignId, CampaignTerms, PayoutCondition, Share};
use rebate_client::{
	assets::{self, AmountArg, AssetArg, AssetInfo},
	chain::state,
	ClientError,
};

#[derive(clap::Subcommand)]
pub enum Command {
	/// Merchant: create a campaign; its budget moves into the escrow account.
	Create(Create),
	/// Merchant: add to a campaign's budget.
	TopUp(TopUp),
	/// Merchant: close a campaign whose promotions have all closed; the rest comes back.
	Close(Close),
	/// A campaign's state on chain: budget, reserved, open promotions, terms.
	Status(Status),
	/// A campaign's report from chain state and events: funded, budget, reserved, paid, lapsed,
	/// refunded; referrals settled, rebates accepted and paid; per customer (a table, `--json`,
	/// or `--csv`).
	Report(Report),
}

impl Command {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		match self {
			Command::Create(c) => c.run(ctx).await,
			Command::TopUp(c) => c.run(ctx).await,
			Command::Close(c) => c.run(ctx).await,
			Command::Status(c) => c.run(ctx).await,
			Command::Report(c) => c.run(ctx).await,
		}
	}
}

/// A share of a price as written: `10%`, or an amount (`5u`, smallest units).
#[derive(Clone, Debug)]
pub enum ShareArg {
	Percent(u8),
	Amount(AmountArg),
}

impl std::str::FromStr for ShareArg {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s.strip_suffix('%') {
			Some(p) => match p.parse::<u8>() {
				Ok(p) if p <= 100 => Ok(ShareArg::Percent(p)),
				_ => Err(format!("`{s}` is not a percentage from 0% to 100%")),
			},
			None => s.parse().map(ShareArg::Amount),
		}
	}
}

impl ShareArg {
	fn resolve(&self, asset: &AssetInfo) -> Result<Share<u128>, ClientError> {
		Ok(match self {
			ShareArg::Percent(p) => Share::Percent(sp_runtime::Percent::from_percent(*p)),
			ShareArg::Amount(a) => Share::Fixed(asset.amount(a)?),
		})
	}
}

#[derive(clap::Args)]
pub struct Create {
	#[command(flatten)]
	signer: Signer,
	/// The asset of the budget and of every document under the campaign.
	#[arg(long, default_value = "native")]
	asset: AssetArg,
	/// The budget (smallest units, or whole units: `500u`).
	#[arg(long)]
	budget: AmountArg,
	/// The referee's discount off the origin price: `10%` or an amount.
	#[arg(long)]
	discount: ShareArg,
	/// The customer's rebate, of the referred price: `5%` or an amount.
	#[arg(long)]
	rebate: ShareArg,
	/// The least an origin purchase must cost to earn an offer.
	#[arg(long, default_value = "0")]
	min_origin: AmountArg,
	/// Blocks from an offer's issue to its settle-by.
	#[arg(long)]
	settle_window: u32,
	/// Blocks from settle-by to the rebate block (the review period).
	#[arg(long)]
	review: u32,
	/// Offers may be issued for this many blocks from now.
	#[arg(long, default_value_t = 100_000)]
	issue_for: u32,
	/// Rebates pay whenever submitted (default: only for a settled, unrefunded referral).
	#[arg(long)]
	unconditional: bool,
	/// Referees must be new to the merchant.
	#[arg(long)]
	new_referees_only: bool,
	/// How many rebates one customer may earn.
	#[arg(long, default_value_t = 1)]
	per_customer: u32,
}

impl Create {
	async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let key = self.signer.key()?;
		let asset = assets::resolve(&mut client.chain, &self.asset).await?;
		let now = client.now().await?;
		let terms = CampaignTerms {
			discount: self.discount.resolve(&asset)?,
			rebate: self.rebate.resolve(&asset)?,
			min_origin_price: asset.amount(&self.min_origin)?,
			settle_window: self.settle_window,
			review_period: self.review,
			condition: if self.unconditional {
				PayoutCondition::Unconditional
			} else {
				PayoutCondition::ReferralSettled
			},
			last_issue_block: now.saturating_add(self.issue_for),
			new_referees_only: self.new_referees_only,
			rebates_per_customer: self.per_customer,
		};
		let budget = asset.amount(&self.budget)?;
		let (receipt, id) =
			client.create_campaign(&key, asset.asset.clone(), budget, terms).await?;
		ctx.out.receipt(
			&format!("campaign {id} created with {}", asset.format(budget)),
			&receipt,
			serde_json::json!({ "campaign": id, "asset": assets::kind_name(&asset.asset), "budget": budget.to_string() }),
		);
		Ok(())
	}
}

#[derive(clap::Args)]
pub struct TopUp {
	#[command(flatten)]
	signer: Signer,
	/// The campaign.
	campaign: CampaignId,
	/// The amount to add (in the campaign's asset).
	amount: AmountArg,
}

impl TopUp {
	async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let asset = asset_of(&mut client.chain, self.campaign).await?;
		let amount = asset.amount(&self.amount)?;
		let receipt = client.top_up_campaign(&self.signer.key()?, self.campaign, amount).await?;
		ctx.out.receipt(
			&format!("campaign {} topped up with {}", self.campaign, asset.format(amount)),
			&receipt,
			serde_json::json!({ "campaign": self.campaign, "amount": amount.to_string() }),
		);
		Ok(())
	}
}

#[derive(clap::Args)]
pub struct Close {
	#[command(flatten)]
	signer: Signer,
	/// The campaign.
	campaign: CampaignId,
}

impl Close {
	async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let receipt = client.close_campaign(&self.signer.key()?, self.campaign).await?;
		ctx.out.receipt(
			&format!("campaign {} closed", self.campaign),
			&receipt,
			serde_json::json!({ "campaign": self.campaign }),
		);
		Ok(())
	}
}

#[derive(clap::Args)]
pub struct Status {
	/// The campaign.
	campaign: CampaignId,
}

impl Status {
	async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let Some(c) = state::campaign(&mut client.chain, self.campaign).await? else {
			ctx.out.value(
				&format!("campaign {} is not open (never created, or closed)", self.campaign),
				serde_json::json!({ "campaign": self.campaign, "open": false }),
			);
			return Ok(());
		};
		let asset = assets::info(&mut client.chain, &c.asset).await?;
		let share = |s: &Share<u128>| match s {
			Share::Fixed(a) => asset.format(*a),
			Share::Percent(p) => format!("{}%", p.deconstruct()),
		};
		let t = &c.terms;
		ctx.out.value(
			&format!(
				"campaign {} of {}: budget {}, reserved {}, {} open promotions\n\
				 terms: {} off (origin purchases from {}), rebate {} ({:?}), settle within {} blocks, \
				 review {} blocks, issued until block {}, {} rebate(s) per customer{}",
				self.campaign,
				rebate_client::keys::display_name(&c.merchant),
				asset.format(c.budget),
				asset.format(c.reserved),
				c.open_promotions,
				share(&t.discount),
				asset.format(t.min_origin_price),
				share(&t.rebate),
				t.condition,
				t.settle_window,
				t.review_period,
				t.last_issue_block,
				t.rebates_per_customer,
				if t.new_referees_only { ", new referees only" } else { "" },
			),
			serde_json::json!({
				"campaign": self.campaign,
				"open": true,
				"merchant": rebate_client::keys::ss58(&c.merchant),
				"asset": assets::kind_name(&c.asset),
				"budget": c.budget.to_string(),
				"reserved": c.reserved.to_string(),
				"open_promotions": c.open_promotions,
				"terms": serde_json::to_value(t).unwrap_or_default(),
			}),
		);
		Ok(())
	}
}

/// The asset of open campaign `id`, or an error saying it is not open.
async fn asset_of<C: rebate_client::chain::Chain>(
	chain: &mut C,
	id: CampaignId,
) -> Result<AssetInfo, ClientError> {
	let c = state::campaign(chain, id).await?.ok_or_else(|| {
		ClientError::Rule(format!("campaign {id} is not open (never created, or closed)"))
	})?;
	assets::info(chain, &c.asset).await
}

#[derive(clap::Args)]
pub struct Report {
	/// The campaign.
	campaign: CampaignId,
	/// Read the chain's events from this block on (the campaign's creation block or earlier,
	/// for the whole campaign).
	#[arg(long, default_value_t = 1)]
	from: u32,
	/// Print the per-customer lines as CSV (a header, then one line per customer).
	#[arg(long)]
	csv: bool,
	/// A merchant server's progress file: adds the referrals it issued (offers the chain does
	/// not see until they are settled) and the purchases it skipped.
	#[arg(long)]
	progress: Option<std::path::PathBuf>,
}

impl Report {
	async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let r =
			rebate_client::report::campaign(&mut client.chain, self.campaign, self.from).await?;
		let Some(asset_kind) = r.asset.clone() else {
			return Err(ClientError::Rule(format!(
				"campaign {} has no events from block {} on and is not open",
				self.campaign, self.from
			))
			.into());
		};
		let asset = assets::info(&mut client.chain, &asset_kind).await?;
		let issued = match &self.progress {
			Some(path) => {
				Some(crate::merchant::progress::Progress::open(path)?.issued_under(self.campaign)?)
			}
			None => None,
		};
		let name = |a: &rebate_test_runtime::AccountId| rebate_client::keys::display_name(a);
		if self.csv {
			println!("customer,settled,accepted,paid,paid_amount,lapsed,lapsed_amount");
			for (who, l) in &r.customers {
				println!(
					"{},{},{},{},{},{},{}",
					rebate_client::keys::ss58(who),
					l.settled,
					l.accepted,
					l.paid,
					l.paid_amount,
					l.lapsed,
					l.lapsed_amount
				);
			}
			return Ok(());
		}
		let mut table = format!(
			"campaign {} of {} ({}): funded {}, budget {}, reserved {}, paid {} ({} rebates), lapsed {} ({}), refunded {}\n\
			 referrals: {}{} settled, {} rebates accepted, {} paid\n",
			r.campaign,
			r.merchant.as_ref().map(name).unwrap_or_default(),
			if r.open { "open" } else { "closed" },
			asset.format(r.funded),
			asset.format(r.budget),
			asset.format(r.reserved),
			asset.format(r.paid),
			r.paid_count,
			asset.format(r.lapsed),
			r.lapsed_count,
			asset.format(r.refunded),
			issued.map_or(String::new(), |(i, s)| format!("{i} issued ({s} purchases skipped), ")),
			r.settled,
			r.accepted,
			r.paid_count,
		);
		table.push_str(&format!(
			"{:<50} {:>8} {:>9} {:>5} {:>16} {:>7} {:>16}",
			"customer", "settled", "accepted", "paid", "paid amount", "lapsed", "lapsed amount"
		));
		for (who, l) in &r.customers {
			table.push_str(&format!(
				"\n{:<50} {:>8} {:>9} {:>5} {:>16} {:>7} {:>16}",
				name(who),
				l.settled,
				l.accepted,
				l.paid,
				asset.format(l.paid_amount),
				l.lapsed,
				asset.format(l.lapsed_amount)
			));
		}
		let customers: serde_json::Map<String, serde_json::Value> = r
			.customers
			.iter()
			.map(|(who, l)| {
				(
					rebate_client::keys::ss58(who),
					serde_json::json!({
						"settled": l.settled, "accepted": l.accepted,
						"paid": l.paid, "paid_amount": l.paid_amount.to_string(),
						"lapsed": l.lapsed, "lapsed_amount": l.lapsed_amount.to_string(),
					}),
				)
			})
			.collect();
		ctx.out.value(
			&table,
			serde_json::json!({
				"campaign": r.campaign,
				"open": r.open,
				"merchant": r.merchant.as_ref().map(rebate_client::keys::ss58),
				"asset": assets::kind_name(&asset_kind),
				"funded": r.funded.to_string(),
				"budget": r.budget.to_string(),
				"reserved": r.reserved.to_string(),
				"paid": r.paid.to_string(),
				"lapsed": r.lapsed.to_string(),
				"refunded": r.refunded.to_string(),
				"issued": issued.map(|(i, _)| i),
				"skipped": issued.map(|(_, s)| s),
				"settled": r.settled,
				"accepted": r.accepted,
				"paid_count": r.paid_count,
				"lapsed_count": r.lapsed_count,
				"balanced": r.balances(),
				"customers": customers,
			}),
		);
		Ok(())
	}
}
