//! `rebate demo`: the whole story with three dev accounts, as a timeline with balances, in the
//! stablecoin (or, with `--native`, the native token).

use crate::output::Out;
use pallet_referral_rebate::PayoutCondition;
use rebate_client::documents::Envelope;
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
	drop(client);
	program(&target, &cast, bytes_framing, out).await
}

/// The program path: alice runs a campaign; the merchant server issues bob's documents after his
/// purchase and delivers them through a coordinator; charlie is referred; the server settles; the
/// rebate is paid from the campaign's budget; the campaign's report.
async fn program(
	target: &str,
	cast: &Cast,
	bytes_framing: bool,
	out: &Out,
) -> Result<(), ClientError> {
	use crate::merchant;
	use pallet_referral_rebate::{CampaignTerms, Share};
	use rebate_coordinator::{api::DocumentKind, Coordinator};
	let open = || async {
		let mut client = Client::new(AnyChain::open(target).await?);
		if bytes_framing {
			client.framing = pallet_referral_rebate::Framing::Bytes;
		}
		Ok::<_, ClientError>(client)
	};
	let mut client = open().await?;
	let units =
		|n: u128| cast.asset.amount(&AmountArg::Units { whole: n, fraction: String::new() });
	let fmt = |b| cast.asset.format(b);
	let now = client.now().await?;
	let terms = CampaignTerms {
		discount: Share::Percent(sp_runtime::Percent::from_percent(20)),
		rebate: Share::Fixed(units(15)?),
		min_origin_price: units(50)?,
		settle_window: 5,
		review_period: 5,
		condition: PayoutCondition::ReferralSettled,
		last_issue_block: now + 1_000,
		new_referees_only: false,
		rebates_per_customer: 1,
	};
	let budget = units(100)?;
	let (_, campaign) =
		client.create_campaign(&cast.merchant, cast.asset.asset.clone(), budget, terms).await?;
	step(
		&mut client,
		cast,
		out,
		format!(
			"alice created campaign {campaign}: budget {} into the escrow account; 20% off purchases from {}, a {} rebate, settle within 5 blocks, 5 more to review, one rebate per customer",
			fmt(budget),
			fmt(units(50)?),
			fmt(units(15)?)
		),
	)
	.await?;

	// A coordinator in this process, and the merchant server's progress beside it.
	let dir = tempfile::tempdir().map_err(|e| ClientError::Backend(e.to_string()))?;
	let url = serve_coordinator(client.genesis(), &dir.path().join("coordinator.db")).await?;
	let ctx = super::Context {
		chain: target.to_owned(),
		bytes_framing,
		fee_asset: None,
		coordinator: Some(url.clone()),
		out: Out::new(out.json),
	};
	let options = merchant::Options {
		key: cast.merchant.clone(),
		campaigns: vec![campaign],
		coordinator: std::sync::Arc::new(Coordinator::new(&url, cast.merchant.clone())),
		progress: dir.path().join("merchant.db"),
		interval: std::time::Duration::from_millis(10),
		rounds: Some(1),
		metrics: None,
		// Purchases from here on: bob's first purchase, above, was the hand-made promotion's.
		from: Some(client.now().await? + 1),
	};
	let mut progress = merchant::progress::Progress::open(&options.progress)?;
	let metrics = merchant::metrics::Metrics::new();
	let price = units(100)?;
	let (_, purchase_id) = client
		.purchase(&cast.customer, cast.merchant.account(), cast.asset.asset.clone(), price)
		.await?;
	step(
		&mut client,
		cast,
		out,
		format!("bob bought from alice again for {} (purchase {purchase_id})", fmt(price)),
	)
	.await?;
	drop(client);
	let round = serve_round(&ctx, &options, &mut progress, &metrics).await?;
	let mut client = open().await?;
	let issued = progress.at(merchant::progress::Stage::Delivered)?;
	let Some(p) = issued.first().cloned() else {
		return Err(ClientError::Backend(format!("the merchant server issued nothing: {round:?}")));
	};
	step(
		&mut client,
		cast,
		out,
		format!(
			"the merchant server read bob's purchase, issued promotion {} by the campaign's terms ({} for a friend, settle by block {}, {} to bob at block {}) and delivered it to bob through the coordinator",
			p.promotion_id,
			fmt(units(80)?),
			p.settle_by,
			fmt(units(15)?),
			p.pay_at
		),
	)
	.await?;

	let alice = rebate_client::keys::ss58(&cast.merchant.account());
	let (bob, charlie) = (
		Coordinator::new(&url, cast.customer.clone()),
		Coordinator::new(&url, cast.referee.clone()),
	);
	let mut offer = fetch(&bob, &alice, &p, DocumentKind::Offer).await?;
	client.sign(&mut offer, &cast.customer, Some(cast.referee.account())).await?;
	post(&bob, &offer).await?;
	let mut offer = fetch(&charlie, &alice, &p, DocumentKind::Offer).await?;
	client.sign(&mut offer, &cast.referee, None).await?;
	post(&charlie, &offer).await?;
	let mut rebate = fetch(&charlie, &alice, &p, DocumentKind::Rebate).await?;
	client.sign(&mut rebate, &cast.referee, None).await?;
	post(&charlie, &rebate).await?;
	let mut rebate = fetch(&bob, &alice, &p, DocumentKind::Rebate).await?;
	client.sign(&mut rebate, &cast.customer, None).await?;
	post(&bob, &rebate).await?;
	let purchase = client.draft_purchase(&offer, &cast.customer).await?;
	post(&bob, &purchase).await?;
	let mut purchase = fetch(&charlie, &alice, &p, DocumentKind::Purchase).await?;
	client.sign(&mut purchase, &cast.referee, None).await?;
	post(&charlie, &purchase).await?;
	step(
		&mut client,
		cast,
		out,
		"through the coordinator: bob endorsed the offer naming charlie, charlie accepted; both signed the rebate and the referred purchase".into(),
	)
	.await?;

	drop(client);
	serve_round(&ctx, &options, &mut progress, &metrics).await?;
	let mut client = open().await?;
	step(
		&mut client,
		cast,
		out,
		format!("the merchant server settled the referral: charlie paid {}", fmt(units(80)?)),
	)
	.await?;
	let alice_before =
		state::balance(&mut client.chain, &cast.asset.asset, &cast.merchant.account()).await?;
	client.submit_rebate(&cast.customer, &rebate).await?;
	let alice_after =
		state::balance(&mut client.chain, &cast.asset.asset, &cast.merchant.account()).await?;
	step(
		&mut client,
		cast,
		out,
		format!(
			"bob submitted the rebate: {} reserved from the campaign's budget (alice's balance {})",
			fmt(units(15)?),
			if alice_after == alice_before { "untouched".to_owned() } else { "changed".to_owned() }
		),
	)
	.await?;
	let now = client.now().await?;
	client.chain.advance(p.pay_at - now, &mut |_, _| {}).await?;
	step(
		&mut client,
		cast,
		out,
		format!(
			"rebate block {}: the chain paid bob {} from the campaign's budget",
			p.pay_at,
			fmt(units(15)?)
		),
	)
	.await?;

	client.close_campaign(&cast.merchant, campaign).await?;
	step(
		&mut client,
		cast,
		out,
		format!("alice closed campaign {campaign}: the rest of its budget came back from the escrow account"),
	)
	.await?;
	let report = rebate_client::report::campaign(&mut client.chain, campaign, 1).await?;
	let line = format!(
		"report of campaign {campaign}: funded {}, budget {}, reserved {}, paid {} ({} rebate), lapsed {}, refunded {}; {} referral settled, {} rebate accepted",
		fmt(report.funded),
		fmt(report.budget),
		fmt(report.reserved),
		fmt(report.paid),
		report.paid_count,
		fmt(report.lapsed),
		fmt(report.refunded),
		report.settled,
		report.accepted,
	);
	step(&mut client, cast, out, line).await?;
	if report.paid_count != 1 || report.refunded != budget - units(15)? || !report.balances() {
		return Err(ClientError::Backend(format!(
			"the campaign's report does not add up: {report:?}"
		)));
	}
	Ok(())
}

/// One round of the merchant server (the chain closed by the caller: it opens it itself).
async fn serve_round(
	ctx: &super::Context,
	options: &crate::merchant::Options,
	progress: &mut crate::merchant::progress::Progress,
	metrics: &crate::merchant::metrics::Metrics,
) -> Result<crate::merchant::Round, ClientError> {
	crate::merchant::serve_round(ctx, options, progress, metrics)
		.await
		.map_err(|e| ClientError::Backend(e.to_string()))
}

/// Promotion `p`'s document of `kind` at the coordinator, as `c`'s party sees it.
async fn fetch(
	c: &rebate_coordinator::Coordinator,
	merchant: &str,
	p: &crate::merchant::progress::Issued,
	kind: rebate_coordinator::api::DocumentKind,
) -> Result<Envelope, ClientError> {
	c.document(merchant, p.promotion_id, Some(p.pay_at), kind)
		.await
		.map_err(|e| ClientError::Backend(e.to_string()))
}

/// Post `e` as `c`'s party.
async fn post(c: &rebate_coordinator::Coordinator, e: &Envelope) -> Result<(), ClientError> {
	c.post(e).await.map(|_| ()).map_err(|e| ClientError::Backend(e.to_string()))
}

/// A coordinator in this process over SQLite at `db`, for the chain with `genesis`; its URL.
async fn serve_coordinator(
	genesis: sp_core::H256,
	db: &std::path::Path,
) -> Result<String, ClientError> {
	serve_coordinator_with(genesis, db, |_| {}).await
}

/// [`serve_coordinator`], its configuration changed by `configure`.
pub async fn serve_coordinator_with(
	genesis: sp_core::H256,
	db: &std::path::Path,
	configure: impl FnOnce(&mut rebate_coordinator::Config),
) -> Result<String, ClientError> {
	let err = |e: String| ClientError::Backend(format!("the demo's coordinator: {e}"));
	let store = rebate_coordinator::Store::open(&format!("sqlite://{}", db.display()))
		.await
		.map_err(|e| err(e.to_string()))?;
	let listener =
		tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| err(e.to_string()))?;
	let addr = listener.local_addr().map_err(|e| err(e.to_string()))?;
	let mut config = rebate_coordinator::Config::new(genesis);
	config.origin = Some(addr.to_string());
	configure(&mut config);
	let view = rebate_coordinator::ChainView::none();
	let app = std::sync::Arc::new(
		rebate_coordinator::App::new(config, store, view).await.map_err(|e| err(e.to_string()))?,
	);
	tokio::spawn(rebate_coordinator::serve(listener, app));
	Ok(format!("http://{addr}"))
}
