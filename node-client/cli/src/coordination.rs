//! The CLI with a coordinator: documents fetched from and posted to it instead of files, the
//! service itself (`rebate coordinator serve`), the mailbox, and the agents that settle and
//! submit before the deadlines.

use crate::output::Out;
use rebate_client::{
	chain::{state, AnyChain, Chain},
	documents::Envelope,
	keys::{self, KeyPair},
	Client, ClientError, PalletError,
};
use rebate_coordinator::{
	api::{Action, DocumentKind},
	ChainView, Coordinator, CoordinatorError,
};
use std::{collections::BTreeSet, sync::Arc, time::Duration};

/// What a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
	#[error(transparent)]
	Client(#[from] ClientError),
	#[error(transparent)]
	Coordinator(#[from] CoordinatorError),
}

impl CliError {
	pub fn code(&self) -> String {
		match self {
			CliError::Client(e) => e.code().into(),
			CliError::Coordinator(e) => e.code(),
		}
	}
}

/// Where documents come from and go to: files, or a coordinator.
pub struct Docs {
	pub coordinator: Option<Coordinator>,
}

/// A document reference at a coordinator: `KIND/MERCHANT/PROMOTION[/PAY_AT]` (without the
/// rebate block: the latest promotion of that id the party is a party of).
fn reference(spec: &str) -> Option<(DocumentKind, &str, u64, Option<u32>)> {
	let mut parts = spec.split('/');
	let kind = DocumentKind::parse(parts.next()?)?;
	let merchant = parts.next()?;
	let promotion = parts.next()?.parse().ok()?;
	let pay_at = match parts.next() {
		None => None,
		Some(p) => Some(p.parse().ok()?),
	};
	parts.next().is_none().then_some((kind, merchant, promotion, pay_at))
}

impl Docs {
	/// Files only, or the coordinator at `url` spoken to with `key`.
	pub fn new(url: Option<&str>, key: &KeyPair) -> Self {
		Self { coordinator: url.map(|u| Coordinator::new(u, key.clone())) }
	}

	/// Read a document: `KIND/MERCHANT/PROMOTION` from the coordinator, otherwise a file (`-`:
	/// stdin).
	pub async fn load(&self, spec: &str) -> Result<Envelope, CliError> {
		if let (Some(c), Some((kind, merchant, promotion, pay_at))) =
			(&self.coordinator, reference(spec))
		{
			let merchant = keys::ss58(&keys::parse_account(merchant)?);
			return Ok(c.document(&merchant, promotion, pay_at, kind).await?);
		}
		Ok(Envelope::read(spec)?)
	}

	/// Pass a document on: write it to `path` if one is given, then post it to the coordinator
	/// (without a coordinator `path` is required). If the coordinator does not take it and no
	/// path was given, the signed document is kept in `KIND-PROMOTION.json` so no signature is
	/// lost. Says where it went.
	pub async fn save(&self, envelope: &Envelope, path: Option<&str>) -> Result<String, CliError> {
		let mut places = Vec::new();
		if let Some(path) = path {
			envelope.write(path)?;
			places.push(path.to_owned());
		}
		match &self.coordinator {
			Some(c) => match c.post(envelope).await {
				Ok(accepted) => places.insert(
					0,
					format!(
						"the coordinator ({}/{}/{})",
						accepted.kind, accepted.merchant, accepted.promotion_id
					),
				),
				Err(e) => {
					let kept = match path {
						Some(path) => path.to_owned(),
						None => {
							let id = envelope.promotion_id();
							let kept = format!("{}-{id}.json", envelope.kind());
							envelope.write(&kept)?;
							kept
						}
					};
					return Err(kept_in(e, &kept).into());
				}
			},
			None if path.is_none() => {
				return Err(ClientError::Rule("give a file to write the document to".into()).into())
			}
			None => {}
		}
		Ok(places.join(" and "))
	}
}

/// Say where a document the coordinator did not take was kept.
fn kept_in(e: CoordinatorError, kept: &str) -> CoordinatorError {
	let note = format!(" (the signed document is kept in {kept})");
	match e {
		CoordinatorError::Refused { status, code, message } => {
			CoordinatorError::Refused { status, code, message: message + &note }
		}
		CoordinatorError::Transport { url, reason } => {
			CoordinatorError::Transport { url, reason: reason + &note }
		}
		other => other,
	}
}

/// The public origin a coordinator requires requests to be addressed to.
pub enum Origin {
	/// The address it listens on.
	Listening,
	/// This `host:port`.
	Named(String),
	/// Any (no check).
	Any,
}

/// `rebate coordinator serve`'s options.
pub struct ServeOptions<'a> {
	pub listen: &'a str,
	pub database: &'a str,
	pub genesis: Option<&'a str>,
	pub follow: bool,
	pub window_secs: u64,
	pub origin: Origin,
	pub dev_names: bool,
	pub grace_blocks: u32,
	pub open_per_recipient: u32,
	pub quota: u32,
}

/// `rebate coordinator serve`.
pub async fn serve(chain: &str, options: ServeOptions<'_>, out: &Out) -> Result<(), CliError> {
	let ServeOptions {
		listen,
		database,
		genesis,
		follow,
		window_secs,
		origin,
		dev_names,
		grace_blocks,
		open_per_recipient,
		quota,
	} = options;
	let _ = tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.json()
		.with_writer(std::io::stderr)
		.try_init();
	let genesis = match genesis {
		Some(hex) => hex
			.parse()
			.map_err(|_| ClientError::Rule(format!("--genesis: `{hex}` is not a 0x-hex hash")))?,
		None => {
			let chain = AnyChain::open(chain).await?;
			chain.info().genesis
		}
	};
	let store = rebate_coordinator::Store::open(database).await?;
	let view = if follow {
		ChainView::follow(chain.to_owned(), Duration::from_secs(1))
	} else {
		ChainView::none()
	};
	let listener = tokio::net::TcpListener::bind(listen)
		.await
		.map_err(|e| ClientError::Backend(format!("cannot listen on {listen}: {e}")))?;
	let addr = listener
		.local_addr()
		.map_err(|e| ClientError::Backend(format!("cannot listen on {listen}: {e}")))?;
	let mut config = rebate_coordinator::Config::new(genesis);
	config.window_ms = window_secs.saturating_mul(1000);
	config.dev_names = dev_names;
	config.grace_blocks = grace_blocks;
	config.open_per_recipient = open_per_recipient;
	config.quota = quota;
	config.origin = match origin {
		Origin::Listening => Some(addr.to_string()),
		Origin::Named(o) => Some(o),
		Origin::Any => None,
	};
	let shown = config.origin.clone().unwrap_or_else(|| "any".into());
	let app = Arc::new(rebate_coordinator::App::new(config, store, view).await?);
	if follow {
		rebate_coordinator::retention::spawn(app.clone(), Duration::from_secs(30));
	}
	out.value(
		&format!(
			"coordinator listening on http://{addr} (origin {shown}, chain {genesis:?}, {})",
			database
		),
		serde_json::json!({
			"url": format!("http://{addr}"), "origin": shown, "genesis": genesis, "database": database,
		}),
	);
	rebate_coordinator::serve(listener, app)
		.await
		.map_err(|e| ClientError::Backend(format!("serving: {e}")).into())
}

/// `rebate mailbox`.
pub async fn mailbox(coordinator: &Coordinator, out: &Out) -> Result<(), CliError> {
	let mail = coordinator.mailbox().await?;
	if out.json {
		println!(
			"{}",
			serde_json::json!(mail
				.iter()
				.map(
					|m| serde_json::json!({ "action": m.action, "inspection": m.document.inspection })
				)
				.collect::<Vec<_>>())
		);
		return Ok(());
	}
	if mail.is_empty() {
		println!("nothing waits for {}", keys::display_name(&coordinator.key().account()));
	}
	for m in &mail {
		let i = &m.document.inspection;
		let amounts: Vec<String> = i["amounts"]
			.as_array()
			.into_iter()
			.flatten()
			.map(|a| {
				let shown = a["shown"].as_str().or(a["amount"].as_str()).unwrap_or("?");
				format!("{} {shown}", a["what"].as_str().unwrap_or("?"))
			})
			.collect();
		println!(
			"{:<6} {} {}/{}/{} in {}: {}",
			m.action,
			i["kind"].as_str().unwrap_or("?"),
			i["kind"].as_str().unwrap_or("?"),
			i["merchant"].as_str().unwrap_or("?"),
			i["promotion_id"],
			i["symbol"].as_str().or(i["asset"].as_str()).unwrap_or("?"),
			amounts.join(", ")
		);
	}
	Ok(())
}

/// What an agent did about one promotion.
fn report(out: &Out, what: &str, merchant: &str, promotion: u64, detail: &str) {
	out.value(
		&format!("agent: {what} promotion {merchant}/{promotion}{detail}"),
		serde_json::json!({ "agent": what, "merchant": merchant, "promotion_id": promotion, "detail": detail }),
	);
}

/// Whether a failure is worth another try (the chain or the coordinator unreachable or busy, a
/// transaction the pool did not take, a party short of funds for now).
pub fn transient(e: &CliError) -> bool {
	match e {
		CliError::Client(e) => client_transient(e),
		CliError::Coordinator(e) => {
			matches!(e, CoordinatorError::Transport { .. } | CoordinatorError::Store(_))
				|| matches!(e.status(), 408 | 429 | 500..=599)
				|| e.code() == "request_expired"
		}
	}
}

fn client_transient(e: &ClientError) -> bool {
	match e {
		ClientError::Backend(_) | ClientError::Invalid(_) => true,
		ClientError::Rejected { pallet, .. } => {
			matches!(
				pallet,
				Some(PalletError::RefereeCannotPay | PalletError::MerchantCannotEscrow)
			)
		}
		_ => false,
	}
}

/// `rebate agent`: watch the mailbox and the chain; as the merchant settle completed referrals
/// before their settle-by block, as the customer submit completed rebates before their pay-at
/// block. The chain is opened only to act (an embedded chain is shared with other processes).
pub async fn agent(
	chain: &str,
	coordinator: &Coordinator,
	interval: Duration,
	rounds: Option<u32>,
	out: &Out,
) -> Result<(), CliError> {
	let key = coordinator.key().clone();
	let me = keys::ss58(&key.account());
	// Promotions this agent is finished with (acted, or the chain refused for good).
	let mut finished: BTreeSet<Promotion> = BTreeSet::new();
	let mut round = 0u32;
	loop {
		round = round.saturating_add(1);
		match agent_round(chain, coordinator, &key, &me, &mut finished, out).await {
			Ok(()) => {}
			Err(e) if transient(&e) => out.value(
				&format!("agent: will retry: {e}"),
				serde_json::json!({ "retry": e.to_string() }),
			),
			Err(e) => return Err(e),
		}
		if rounds.is_some_and(|r| round >= r) {
			return Ok(());
		}
		tokio::time::sleep(interval).await;
	}
}

async fn agent_round(
	chain: &str,
	coordinator: &Coordinator,
	key: &KeyPair,
	me: &str,
	finished: &mut BTreeSet<Promotion>,
	out: &Out,
) -> Result<(), CliError> {
	let mail = coordinator.mailbox().await?;
	let mut todo = BTreeSet::new();
	for m in &mail {
		if !matches!(m.action, Action::Settle | Action::Submit) {
			continue;
		}
		let p = Promotion {
			merchant: m.merchant.clone(),
			id: m.promotion_id,
			pay_at: m.pay_at,
			action: m.action,
		};
		if !finished.contains(&p) {
			todo.insert(p);
		}
	}
	if todo.is_empty() {
		return Ok(());
	}
	let mut client = Client::new(AnyChain::open(chain).await?);
	for p in todo {
		// Each promotion on its own: one that fails does not hold up the others.
		match act(&mut client, coordinator, key, me, &p).await {
			Ok(None) => {}
			Ok(Some(detail)) => {
				let verb =
					if p.action == Action::Settle { "settled" } else { "submitted the rebate of" };
				report(out, verb, &p.merchant, p.id, &detail);
				finished.insert(p);
			}
			Err(e) if transient(&e) => {
				report(out, "will retry", &p.merchant, p.id, &format!(": {e}"))
			}
			Err(e) => {
				// The chain refuses for good (a deadline passed, done elsewhere, a mismatch).
				report(out, "gave up on", &p.merchant, p.id, &format!(": {e}"));
				finished.insert(p);
			}
		}
	}
	Ok(())
}

/// A promotion an agent acts on, and how: named by merchant, id and rebate block, so a reused id
/// (a later rebate block) is a promotion of its own.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Promotion {
	merchant: String,
	id: u64,
	pay_at: u32,
	action: Action,
}

/// What [`settle_if_ready`] did.
pub enum Settling {
	/// Settled now.
	Settled(rebate_client::Receipt),
	/// Its referral is settled on chain already.
	AlreadySettled,
	/// The coordinator does not hold the offer and the referred purchase both fully signed.
	NotReady,
}

/// As `key`'s merchant, settle promotion `promotion` (rebate block `pay_at`) if the coordinator
/// holds its offer and referred purchase fully signed and the chain has not settled it yet: the
/// one settle step of the merchant's agent and the merchant server.
pub async fn settle_if_ready(
	client: &mut Client<AnyChain>,
	coordinator: &Coordinator,
	key: &KeyPair,
	promotion: u64,
	pay_at: u32,
) -> Result<Settling, CliError> {
	let me = key.account();
	// One read of the promotion for both documents.
	let docs = coordinator.documents(&keys::ss58(&me), promotion, Some(pay_at)).await?;
	let (Some(offer), Some(purchase)) = (docs.offer, docs.purchase) else {
		return Ok(Settling::NotReady);
	};
	// Every party has signed both (the signatures themselves `settle` checks).
	use rebate_client::documents::next_signer;
	let complete = offer.offer().is_some_and(|o| next_signer(o).is_none())
		&& purchase.purchase().is_some_and(|p| next_signer(p).is_none());
	if !complete {
		return Ok(Settling::NotReady);
	}
	let on_chain = state::promotion(&mut client.chain, pay_at, &me, promotion).await?;
	if on_chain.as_ref().is_some_and(|open| open.referral.is_some()) {
		return Ok(Settling::AlreadySettled);
	}
	Ok(Settling::Settled(client.settle(key, &offer, &purchase).await?))
}

/// Settle or submit one promotion if it is ready and not yet done on chain: `Some(detail)` when
/// this agent acted, `None` when there was nothing (more) to do.
async fn act(
	client: &mut Client<AnyChain>,
	coordinator: &Coordinator,
	key: &KeyPair,
	me: &str,
	p: &Promotion,
) -> Result<Option<String>, CliError> {
	let (merchant, promotion) = (p.merchant.as_str(), p.id);
	let merchant_id = keys::parse_account(merchant)?;
	if p.action == Action::Settle {
		if merchant != me {
			return Ok(None);
		}
		return Ok(match settle_if_ready(client, coordinator, key, promotion, p.pay_at).await? {
			Settling::Settled(receipt) => {
				Some(format!(" in block {}", receipt.inclusion.block_number))
			}
			Settling::AlreadySettled | Settling::NotReady => None,
		});
	}
	let rebate =
		coordinator.document(merchant, promotion, Some(p.pay_at), DocumentKind::Rebate).await?;
	if rebate.rebate().is_none() {
		return Ok(None);
	}
	let on_chain = state::promotion(&mut client.chain, p.pay_at, &merchant_id, promotion).await?;
	if on_chain.as_ref().is_some_and(|open| open.rebate.is_some()) {
		return Ok(None);
	}
	let receipt = client.submit_rebate(key, &rebate).await?;
	Ok(Some(format!(" in block {}", receipt.inclusion.block_number)))
}
