//! The merchant's application server (claim 1): for one merchant key and its campaigns it
//! follows the chain, issues a signed offer and rebate by a campaign's terms for every eligible
//! purchase to the merchant, delivers them to the customer through the coordinator, and settles
//! each completed referral before its settle-by block. Its progress is on disk
//! ([`progress::Progress`]): restarted after a crash, it issues nothing twice and misses nothing.

pub mod bench;
pub mod metrics;
pub mod progress;

use crate::{
	commands::Context,
	coordination::{settle_if_ready, transient, CliError, Settling},
};
use metrics::Metrics;
use progress::{BlockOutcome, Issued, Progress, Stage};
use rebate_client::{
	chain::{state, AnyChain},
	keys::{self, KeyPair},
	Client, ClientError, Ineligible, PurchaseId,
};
use rebate_coordinator::{api::Action, Coordinator};
use std::{path::PathBuf, sync::Arc, time::Duration};

/// What `rebate merchant serve` runs with.
pub struct Options {
	/// The merchant's key.
	pub key: KeyPair,
	/// Its campaigns, tried in this order for each purchase.
	pub campaigns: Vec<u32>,
	/// The coordinator documents are delivered through (shared by the deliveries in flight).
	pub coordinator: Arc<Coordinator>,
	/// The progress file.
	pub progress: PathBuf,
	/// Pause between rounds.
	pub interval: Duration,
	/// Stop after this many rounds (`None`: run until stopped).
	pub rounds: Option<u32>,
	/// Serve Prometheus metrics here.
	pub metrics: Option<std::net::SocketAddr>,
	/// On a fresh progress file, read from this block on (`None`: from the chain's best block
	/// at the first round: purchases made while the server runs).
	pub from: Option<u32>,
}

/// The promotion id a purchase's promotion gets: its block and event index, so a restarted
/// server names the same promotion the same way.
pub fn promotion_id(purchase: PurchaseId) -> u64 {
	(u64::from(purchase.block) << 32) | u64::from(purchase.index)
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Round {
	pub head: u32,
	pub issued: u32,
	pub skipped: u32,
	pub delivered: u32,
	pub settled: u32,
	pub expired: u32,
}

impl Round {
	fn busy(&self) -> bool {
		self.issued + self.skipped + self.delivered + self.settled + self.expired > 0
	}
}

/// `rebate merchant serve`.
pub async fn serve(ctx: &Context, options: Options) -> Result<(), CliError> {
	let _ = tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.json()
		.with_writer(std::io::stderr)
		.try_init();
	let metrics = Arc::new(Metrics::new());
	if let Some(addr) = options.metrics {
		metrics::spawn(addr, metrics.clone()).await?;
	}
	let mut progress = Progress::open(&options.progress)?;
	let me = keys::ss58(&options.key.account());
	let from = match progress.started()? {
		Some(cursor) => (cursor + 1).to_string(),
		None => options.from.map_or("the best block".into(), |b| b.to_string()),
	};
	ctx.out.value(
		&format!("merchant server for {me}: campaigns {:?}, from block {from}", options.campaigns),
		serde_json::json!({ "merchant": me, "campaigns": options.campaigns, "from": from }),
	);
	let mut round = 0u32;
	loop {
		round = round.saturating_add(1);
		match serve_round(ctx, &options, &mut progress, &metrics).await {
			Ok(r) if r.busy() => {
				let counts = progress.counts()?;
				ctx.out.value(
					&format!(
						"block {}: issued {}, skipped {}, delivered {}, settled {}, expired {} (in all: {} issued, {} settled, {} skipped)",
						r.head, r.issued, r.skipped, r.delivered, r.settled, r.expired,
						counts.signed + counts.delivered + counts.settled + counts.expired,
						counts.settled, counts.skipped,
					),
					serde_json::json!({ "round": r, "totals": counts }),
				);
			}
			Ok(_) => {}
			Err(e) if transient(&e) => {
				tracing::warn!(error = %e, "round failed; will retry");
			}
			Err(e) => return Err(e),
		}
		if options.rounds.is_some_and(|n| round >= n) {
			return Ok(());
		}
		tokio::time::sleep(options.interval).await;
	}
}

/// One round: read the blocks since the cursor and issue, deliver what waits, settle what is
/// complete.
pub async fn serve_round(
	ctx: &Context,
	options: &Options,
	progress: &mut Progress,
	metrics: &Metrics,
) -> Result<Round, CliError> {
	let mut client = ctx.client().await?;
	let mut r = Round { head: client.now().await?, ..Round::default() };
	issue_new(&mut client, options, progress, metrics, &mut r).await?;
	deliver(options, progress, metrics, &mut r).await?;
	settle(&mut client, options, progress, metrics, &mut r).await?;
	metrics.cursor.set(i64::from(progress.cursor()?));
	Ok(r)
}

/// Read every block after the cursor; issue for each purchase to the merchant that a campaign
/// takes, record the others as skipped; store each block's outcome with the cursor at once.
async fn issue_new(
	client: &mut Client<AnyChain>,
	options: &Options,
	progress: &mut Progress,
	metrics: &Metrics,
	r: &mut Round,
) -> Result<(), CliError> {
	let me = options.key.account();
	let from = match progress.started()? {
		Some(cursor) => cursor.saturating_add(1),
		None => options.from.unwrap_or(r.head),
	};
	for block in client.chain.history(from).await? {
		let mut outcome = BlockOutcome::default();
		for event in &block.events {
			let Some(pallet_referral_rebate::Event::PurchaseRecorded {
				purchase_id,
				merchant,
				buyer,
				promotion_id: None,
				..
			}) = event.rebate()
			else {
				continue;
			};
			if *merchant != me || progress.has_issued(*purchase_id)? {
				continue;
			}
			metrics.seen.inc();
			let customer = keys::ss58(buyer);
			match issue_one(client, options, progress, &outcome, *purchase_id, &customer).await? {
				Ok(issued) => {
					tracing::info!(
						purchase = %purchase_id, promotion = issued.promotion_id,
						campaign = issued.campaign, customer = %customer, "issued"
					);
					metrics.issued.inc();
					r.issued += 1;
					outcome.issued.push(issued);
				}
				Err((campaign, reason)) => {
					tracing::info!(purchase = %purchase_id, ?campaign, %reason, "skipped");
					metrics.skipped.with_label_values(&[&format!("{reason:?}")]).inc();
					r.skipped += 1;
					outcome.skipped.push((*purchase_id, campaign, reason));
				}
			}
		}
		progress.record_block(block.number, &outcome)?;
	}
	Ok(())
}

/// The promotion the first campaign that takes `purchase` gives, signed by the merchant; or the
/// last campaign's reason to skip it.
async fn issue_one(
	client: &mut Client<AnyChain>,
	options: &Options,
	progress: &Progress,
	pending: &BlockOutcome,
	purchase: PurchaseId,
	customer: &str,
) -> Result<Result<Issued, (Option<u32>, Ineligible)>, CliError> {
	let mut why = (None, Ineligible::CampaignClosed);
	for &campaign in &options.campaigns {
		let id = promotion_id(purchase);
		// The cap counts what this server issued too: rebates not submitted yet.
		let here =
			pending.issued.iter().filter(|i| i.campaign == campaign && i.customer == customer);
		let issued = progress.issued_to(campaign, customer)? + here.count() as u32;
		let terms = match client.campaign_promotion(campaign, purchase, id, issued).await? {
			Ok(terms) => terms,
			Err(reason) => {
				why = (Some(campaign), reason);
				continue;
			}
		};
		let (offer, rebate) = match client.create_promotion(&options.key, &terms).await {
			Ok(documents) => documents,
			// One purchase's documents that break a rule are skipped, not the server stopped.
			Err(ClientError::Rule(e)) => {
				tracing::warn!(purchase = %purchase, campaign, error = %e, "breaks a rule");
				why = (Some(campaign), Ineligible::BreaksRules);
				continue;
			}
			Err(e) => return Err(e.into()),
		};
		return Ok(Ok(Issued {
			purchase,
			promotion_id: id,
			campaign,
			customer: customer.to_owned(),
			settle_by: terms.settle_by,
			pay_at: terms.pay_at,
			offer,
			rebate,
		}));
	}
	Ok(Err(why))
}

/// How many deliveries are in flight at once.
const DELIVERIES_IN_FLIGHT: usize = 32;

/// Post every stored, undelivered promotion's offer and rebate to the coordinator (a repeat is a
/// confirmation there), [`DELIVERIES_IN_FLIGHT`] at a time; record the delivered in one
/// transaction (a crash before it delivers them again).
async fn deliver(
	options: &Options,
	progress: &mut Progress,
	metrics: &Metrics,
	r: &mut Round,
) -> Result<(), CliError> {
	let pending = progress.at(Stage::Signed)?;
	let mut delivered = Vec::new();
	for chunk in pending.chunks(DELIVERIES_IN_FLIGHT) {
		let mut posts = tokio::task::JoinSet::new();
		for issued in chunk.iter().cloned() {
			let coordinator = options.coordinator.clone();
			posts.spawn(async move {
				let started = std::time::Instant::now();
				let result = deliver_one(&coordinator, &issued).await;
				(issued, result, started.elapsed())
			});
		}
		while let Some(joined) = posts.join_next().await {
			let Ok((issued, result, took)) = joined else { continue };
			match result {
				Ok(()) => {
					metrics.delivered.inc();
					metrics.delivery_seconds.observe(took.as_secs_f64());
					tracing::info!(purchase = %issued.purchase, promotion = issued.promotion_id, "delivered");
					delivered.push(issued.purchase);
				}
				Err(e) => {
					tracing::warn!(purchase = %issued.purchase, error = %e, "not delivered yet");
					metrics.delivery_failures.inc();
				}
			}
		}
	}
	progress.set_stages(&delivered, Stage::Delivered)?;
	r.delivered += delivered.len() as u32;
	Ok(())
}

async fn deliver_one(coordinator: &Coordinator, issued: &Issued) -> Result<(), CliError> {
	coordinator.post(&issued.offer).await?;
	coordinator.post(&issued.rebate).await?;
	Ok(())
}

/// Settle every delivered promotion the coordinator lists for the merchant to settle (its offer
/// and referred purchase fully signed), before its settle-by block; then those at their
/// settle-by block, delivered or not (a document the coordinator kept refusing): settled on
/// chain (by a run that stopped before recording it), or expired.
async fn settle(
	client: &mut Client<AnyChain>,
	options: &Options,
	progress: &mut Progress,
	metrics: &Metrics,
	r: &mut Round,
) -> Result<(), CliError> {
	let me = options.key.account();
	let merchant = keys::ss58(&me);
	let mail = options.coordinator.mailbox().await?;
	for m in mail.iter().filter(|m| m.action == Action::Settle && m.merchant == merchant) {
		let Some(issued) = progress.delivered(m.promotion_id)? else { continue };
		if issued.pay_at != m.pay_at || r.head.saturating_add(1) >= issued.settle_by {
			continue;
		}
		let settling =
			settle_if_ready(client, &options.coordinator, &options.key, m.promotion_id, m.pay_at);
		match settling.await {
			Ok(Settling::Settled(receipt)) => {
				progress.set_stages(&[issued.purchase], Stage::Settled)?;
				metrics.settled.inc();
				tracing::info!(
					promotion = issued.promotion_id,
					block = receipt.inclusion.block_number,
					"settled"
				);
				r.settled += 1;
			}
			// Settled by an earlier run that stopped before recording it.
			Ok(Settling::AlreadySettled) => {
				progress.set_stages(&[issued.purchase], Stage::Settled)?
			}
			Ok(Settling::NotReady) => {}
			Err(e) => {
				metrics.settle_failures.inc();
				tracing::warn!(promotion = issued.promotion_id, error = %e, "not settled");
			}
		}
	}
	for issued in progress.due(r.head.saturating_add(1))? {
		let open =
			state::promotion(&mut client.chain, issued.pay_at, &me, issued.promotion_id).await?;
		if open.as_ref().is_some_and(|p| p.referral.is_some()) {
			progress.set_stages(&[issued.purchase], Stage::Settled)?;
		} else {
			progress.set_stages(&[issued.purchase], Stage::Expired)?;
			metrics.expired.inc();
			r.expired += 1;
		}
	}
	Ok(())
}
