//! `rebate demo`: the whole story with three dev accounts, as a timeline with balances, in the
//! stablecoin (or, with `--native`, the native token).

use crate::output::Out;
use pallet_referral_rebate::PayoutCondition;
use rebate_client::{
	assets::{self, AmountArg, AssetArg, AssetInfo},
	chain::{state, AnyChain, Chain},
	keys::KeyPair,
	Client, ClientError, PromotionTerms,
};
use rebate_test_runtime::STABLECOIN_ID;

struct Cast {
	merchant: KeyPair,
	customer: KeyPair,
	referee: KeyPair,
	/// The asset the story's amounts are in.
	asset: AssetInfo,
}

async fn balances(client: &mut Client<AnyChain>, cast: &Cast) -> Result<String, ClientError> {
	let mut parts = Vec::new();
	let asset = &cast.asset;
	for (name, key) in
		[("alice", &cast.merchant), ("bob", &cast.customer), ("charlie", &cast.referee)]
	{
		let free = state::balance(&mut client.chain, &asset.asset, &key.account()).await?;
		parts.push(format!("{name} {}", asset.format(free)));
	}
	let escrow = state::escrow(&mut client.chain, &asset.asset).await?;
	parts.push(format!("escrow {}", asset.format(escrow)));
	Ok(parts.join(" | "))
}

async fn step(
	client: &mut Client<AnyChain>,
	cast: &Cast,
	out: &Out,
	line: String,
) -> Result<(), ClientError> {
	let now = client.now().await?;
	let balances = balances(client, cast).await?;
	if out.json {
		println!(
			"{}",
			serde_json::json!({
				"block": now, "step": line, "balances": balances,
				"asset": assets::kind_name(&cast.asset.asset),
			})
		);
	} else {
		println!("[block {now:>3}] {line}");
		println!("             {balances}");
	}
	Ok(())
}

/// `rebate demo`'s options.
#[derive(clap::Args)]
pub struct Args {
	/// Keep the demo chain in this directory instead of a temporary one.
	#[arg(long)]
	keep: Option<std::path::PathBuf>,
	/// Run the story in the native token instead of the stablecoin.
	#[arg(long)]
	native: bool,
}

impl Args {
	pub async fn run(self, ctx: &super::Context) -> Result<(), crate::coordination::CliError> {
		let options = Options {
			keep: self.keep.as_deref(),
			native: self.native,
			fee_asset: ctx.fee_asset.as_ref(),
			bytes_framing: ctx.bytes_framing,
		};
		Ok(run(&ctx.chain, options, &ctx.out).await?)
	}
}

/// How the demo runs.
pub struct Options<'a> {
	/// Keep the chain in this directory (else a temporary one).
	pub keep: Option<&'a std::path::Path>,
	/// The story in the native token instead of the stablecoin.
	pub native: bool,
	/// Every party pays its fees in this asset (`--fee-asset`).
	pub fee_asset: Option<&'a AssetArg>,
	/// Links framed as browser wallets sign (`--bytes-framing`).
	pub bytes_framing: bool,
}

/// Run the demo on `chain` if it is a node URL, else on a fresh embedded chain (in `keep`, or a
/// temporary directory); in the stablecoin, or with `native` in the native token.
pub async fn run(chain: &str, options: Options<'_>, out: &Out) -> Result<(), ClientError> {
	let Options { keep, native, fee_asset, bytes_framing } = options;
	let tmp;
	let target = if chain.starts_with("ws://") || chain.starts_with("wss://") {
		chain.to_string()
	} else if let Some(dir) = keep {
		if dir.join("state.snapshot").exists() {
			return Err(ClientError::Rule(format!(
				"{} already holds a chain; the demo starts a fresh one",
				dir.display()
			)));
		}
		dir.display().to_string()
	} else {
		tmp = tempfile::tempdir().map_err(|e| ClientError::Backend(e.to_string()))?;
		tmp.path().display().to_string()
	};
	let mut client = Client::new(AnyChain::open(&target).await?);
	if bytes_framing {
		client.framing = pallet_referral_rebate::Framing::Bytes;
	}
	if let Some(fee_asset) = fee_asset {
		client.fee_asset = assets::resolve(&mut client.chain, fee_asset).await?.asset_id();
	}
	let arg = if native { AssetArg::Native } else { AssetArg::Id(STABLECOIN_ID) };
	let asset = assets::resolve(&mut client.chain, &arg).await?;
	let cast = Cast {
		merchant: KeyPair::dev("alice")?,
		customer: KeyPair::dev("bob")?,
		referee: KeyPair::dev("charlie")?,
		asset,
	};
	let units =
		|n: u128| cast.asset.amount(&AmountArg::Units { whole: n, fraction: String::new() });
	let (price, discounted, rebate_amount) = (units(100)?, units(80)?, units(15)?);
	let fmt = |b| cast.asset.format(b);
	let genesis = client.genesis();
	step(
		&mut client,
		&cast,
		out,
		format!(
			"chain {genesis:?} ready: alice sells, bob refers, charlie is referred; prices in {} ({} decimals, minimum {})",
			cast.asset.symbol,
			cast.asset.decimals,
			fmt(cast.asset.min_balance)
		),
	)
	.await?;

	let (_, purchase_id) = client
		.purchase(&cast.customer, cast.merchant.account(), cast.asset.asset.clone(), price)
		.await?;
	step(
		&mut client,
		&cast,
		out,
		format!("bob bought from alice for {} (purchase {purchase_id})", fmt(price)),
	)
	.await?;

	let now = client.now().await?;
	let terms = PromotionTerms {
		// Any id the merchant has not used for an open promotion with this rebate block.
		promotion_id: u64::from(now),
		origin_purchase: purchase_id,
		asset: Some(cast.asset.asset.clone()),
		discounted_price: discounted,
		settle_by: now + 5,
		pay_at: now + 10,
		rebate: rebate_amount,
		condition: PayoutCondition::ReferralSettled,
		campaign: None,
	};
	let (mut offer, mut rebate) = client.create_promotion(&cast.merchant, &terms).await?;
	step(
		&mut client,
		&cast,
		out,
		format!(
			"alice signed offer {0} ({3} for a friend, settle by block {1}) and rebate {0} ({4} to bob at block {2})",
			terms.promotion_id,
			terms.settle_by,
			terms.pay_at,
			fmt(discounted),
			fmt(rebate_amount)
		),
	)
	.await?;

	client.sign(&mut offer, &cast.customer, Some(cast.referee.account())).await?;
	client.sign(&mut offer, &cast.referee, None).await?;
	step(&mut client, &cast, out, "offer: bob endorsed it naming charlie; charlie accepted".into())
		.await?;

	client.sign(&mut rebate, &cast.referee, None).await?;
	client.sign(&mut rebate, &cast.customer, None).await?;
	step(&mut client, &cast, out, "rebate: charlie signed (naming itself), then bob".into())
		.await?;

	let mut purchase = client.draft_purchase(&offer, &cast.customer).await?;
	client.sign(&mut purchase, &cast.referee, None).await?;
	step(
		&mut client,
		&cast,
		out,
		"referred purchase: bob drafted and signed it, charlie signed".into(),
	)
	.await?;

	client.settle(&cast.merchant, &offer, &purchase).await?;
	step(
		&mut client,
		&cast,
		out,
		format!("alice settled the referral: charlie paid {}", fmt(discounted)),
	)
	.await?;

	client.submit_rebate(&cast.customer, &rebate).await?;
	step(
		&mut client,
		&cast,
		out,
		format!(
			"bob submitted the rebate: {} moved from alice into the escrow account",
			fmt(rebate_amount)
		),
	)
	.await?;

	let now = client.now().await?;
	client.chain.advance(terms.pay_at - now, &mut |_, _| {}).await?;
	let merchant = cast.merchant.account();
	let paid = state::promotion(&mut client.chain, terms.pay_at, &merchant, terms.promotion_id)
		.await?
		.is_none();
	step(
		&mut client,
		&cast,
		out,
		if paid {
			format!("rebate block {}: the chain paid bob {}", terms.pay_at, fmt(rebate_amount))
		} else {
			format!("rebate block {}: the promotion is still open", terms.pay_at)
		},
	)
	.await?;
	if !paid {
		return Err(ClientError::Backend("the rebate was not paid at its block".into()));
	}
	Ok(())
}
