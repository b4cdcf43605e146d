//! `rebate demo`: the whole story with three dev accounts, as a timeline with balances.

use crate::output::{units, Out};
use pallet_referral_rebate::PayoutCondition;
use rebate_client::{
	chain::{state, AnyChain, Chain},
	keys::KeyPair,
	Client, ClientError, PromotionTerms,
};
use rebate_test_runtime::UNIT;

struct Cast {
	merchant: KeyPair,
	customer: KeyPair,
	referee: KeyPair,
}

async fn balances(client: &mut Client<AnyChain>, cast: &Cast) -> Result<String, ClientError> {
	let mut parts = Vec::new();
	for (name, key) in
		[("alice", &cast.merchant), ("bob", &cast.customer), ("charlie", &cast.referee)]
	{
		let who = key.account();
		let info = state::account(&mut client.chain, &who).await?;
		parts.push(format!("{name} {}", units(info.data.free)));
	}
	let escrow = state::escrow(&mut client.chain).await?;
	parts.push(format!("escrow {}", units(escrow)));
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
		println!("{}", serde_json::json!({ "block": now, "step": line, "balances": balances }));
	} else {
		println!("[block {now:>3}] {line}");
		println!("             {balances}");
	}
	Ok(())
}

/// Run the demo on `chain` if it is a node URL, else on a fresh embedded chain (in `keep`, or a
/// temporary directory).
pub async fn run(
	chain: &str,
	keep: Option<&std::path::Path>,
	out: &Out,
) -> Result<(), ClientError> {
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
	let cast = Cast {
		merchant: KeyPair::dev("alice")?,
		customer: KeyPair::dev("bob")?,
		referee: KeyPair::dev("charlie")?,
	};
	let genesis = client.genesis();
	step(
		&mut client,
		&cast,
		out,
		format!("chain {genesis:?} ready: alice sells, bob refers, charlie is referred"),
	)
	.await?;

	let (_, purchase_id) =
		client.purchase(&cast.customer, cast.merchant.account(), 100 * UNIT).await?;
	step(
		&mut client,
		&cast,
		out,
		format!("bob bought from alice for 100 (purchase {purchase_id})"),
	)
	.await?;

	let now = client.now().await?;
	let terms = PromotionTerms {
		// Any id the merchant has not used for an open promotion with this rebate block.
		promotion_id: u64::from(now),
		origin_purchase: purchase_id,
		discounted_price: 80 * UNIT,
		settle_by: now + 5,
		pay_at: now + 10,
		rebate: 15 * UNIT,
		condition: PayoutCondition::ReferralSettled,
	};
	let (mut offer, mut rebate) = client.create_promotion(&cast.merchant, &terms).await?;
	step(
		&mut client,
		&cast,
		out,
		format!(
			"alice signed offer {0} (80 for a friend, settle by block {1}) and rebate {0} (15 to bob at block {2})",
			terms.promotion_id, terms.settle_by, terms.pay_at
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
	step(&mut client, &cast, out, "alice settled the referral: charlie paid 80".into()).await?;

	client.submit_rebate(&cast.customer, &rebate).await?;
	step(
		&mut client,
		&cast,
		out,
		"bob submitted the rebate: 15 moved from alice into the escrow account".into(),
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
			format!("rebate block {}: the chain paid bob 15", terms.pay_at)
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
