//! `rebate`: every party's steps of the referral-rebate protocol (CN113177820B) from the command
//! line, on an embedded chain (the default, a data directory) or on a node (`--chain ws://…`).
//!
//! Documents travel as JSON files (or stdin/stdout with `-`), so the merchant, the customer and
//! the referee can run in separate processes. Every command that fails prints one line
//! (`error: …`) and exits non-zero, having submitted nothing.

mod coordination;
mod demo;
mod output;

use clap::{Args, Parser, Subcommand};
use coordination::{CliError, Docs};
use output::Out;
use pallet_referral_rebate::{Framing, PayoutCondition};
use rebate_client::{
	assets::{self, AmountArg, AssetArg},
	chain::{state, AnyChain, Chain},
	documents::Envelope,
	keys::{self, KeyPair, Scheme},
	Client, ClientError, PromotionTerms, PurchaseId,
};
use rebate_test_runtime::AccountId;
use std::process::ExitCode;

/// The referral-rebate protocol's parties on the command line.
#[derive(Parser)]
#[command(name = "rebate", version, about, long_about = None)]
struct Cli {
	/// The chain: an embedded chain's data directory (created on first use) or a node's
	/// `ws://` URL.
	#[arg(long, global = true, env = "REBATE_CHAIN", default_value = ".rebate-chain")]
	chain: String,
	/// Print machine-readable JSON on stdout.
	#[arg(long, global = true)]
	json: bool,
	/// Sign links inside `<Bytes>…</Bytes>`, as browser wallets do.
	#[arg(long, global = true)]
	bytes_framing: bool,
	/// Pay transaction fees in this asset (a sufficient asset such as `TUSD`, or its id)
	/// instead of the native token.
	#[arg(long, global = true, value_name = "ASSET")]
	fee_asset: Option<AssetArg>,
	/// A coordinator (`http://host:port`) to exchange documents through instead of files: a
	/// document argument is then `KIND/MERCHANT/PROMOTION` (e.g. `offer/alice/7`), and what a
	/// command signs is posted to it (and also written to a file where one is given).
	#[arg(long, global = true, env = "REBATE_COORDINATOR")]
	coordinator: Option<String>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the whole story with alice (merchant), bob (customer) and charlie (referee) on a
	/// fresh embedded chain (or on `--chain ws://…` when given one), printing a timeline.
	Demo {
		/// Keep the demo chain in this directory instead of a temporary one.
		#[arg(long)]
		keep: Option<std::path::PathBuf>,
		/// Run the story in the native token instead of the stablecoin.
		#[arg(long)]
		native: bool,
	},
	/// Keys: generate a key file, or show a key's account.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Balances in each asset (default: the dev accounts, in the native token and the chain's
	/// known assets), and the escrow account's.
	Balances {
		/// Accounts (SS58, 0x-hex, or dev names).
		accounts: Vec<String>,
		/// Only this asset (`native`, a symbol such as `TUSD`, or an asset id).
		#[arg(long)]
		asset: Option<AssetArg>,
	},
	/// Customer: buy from a merchant (the established purchase an offer points to).
	Purchase {
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
	},
	/// Merchant: create a promotion's offer and rebate from a customer's purchase, signed by
	/// the merchant.
	Offer(OfferArgs),
	/// Customer: endorse an offer, naming the referee, and pass it on.
	Endorse {
		#[command(flatten)]
		signer: Signer,
		/// The referee (the friend).
		#[arg(long)]
		referee: String,
		#[command(flatten)]
		io: InOut,
	},
	/// Referee: accept an offer or a rebate (sign it).
	Accept {
		#[command(flatten)]
		signer: Signer,
		#[command(flatten)]
		io: InOut,
	},
	/// Any party: add the next link to a document, after verifying the links before it.
	Sign {
		#[command(flatten)]
		signer: Signer,
		/// The referee, where this link must name one (the customer's offer link).
		#[arg(long)]
		referee: Option<String>,
		#[command(flatten)]
		io: InOut,
	},
	/// Customer: draft the referred purchase from an endorsed offer, signed by the customer.
	DraftPurchase {
		#[command(flatten)]
		signer: Signer,
		/// The endorsed offer.
		#[arg(long)]
		offer: String,
		/// Where to write the purchase (`-`: stdout, the default without `--coordinator`).
		#[arg(short, long)]
		out: Option<String>,
	},
	/// Merchant: settle the referral (the offer and the referred purchase, fully signed).
	Settle {
		#[command(flatten)]
		signer: Signer,
		/// The fully signed offer.
		#[arg(long)]
		offer: String,
		/// The fully signed referred purchase.
		#[arg(long)]
		purchase: String,
	},
	/// Customer: submit the fully signed rebate (escrowed until its pay-at block).
	SubmitRebate {
		#[command(flatten)]
		signer: Signer,
		/// The fully signed rebate (`-`: stdin).
		rebate: String,
	},
	/// Merchant: refund a live purchase (a refunded referral makes its rebate lapse).
	Refund {
		#[command(flatten)]
		signer: Signer,
		/// The purchase id, `block-index` (as `purchase` printed it, e.g. `3-1`).
		purchase: PurchaseId,
	},
	/// Anyone: close an overdue promotion (a last resort; the chain closes them by itself).
	Close {
		#[command(flatten)]
		signer: Signer,
		#[command(flatten)]
		promotion: PromotionKey,
	},
	/// A promotion's state on chain.
	Status {
		#[command(flatten)]
		promotion: PromotionKey,
	},
	/// Who has signed a document, what is missing, whose turn it is, the deadlines.
	Inspect {
		/// The document (`-`: stdin).
		document: String,
	},
	/// Produce (embedded, or a dev node) or wait for `n` blocks.
	Advance {
		/// How many blocks.
		n: u32,
	},
	/// Write a raw chain spec for a node from the runtime's wasm and a genesis preset.
	ChainSpec {
		/// The runtime's wasm blob (e.g. `rebate_test_runtime.compact.compressed.wasm`).
		#[arg(long)]
		wasm: std::path::PathBuf,
		/// The genesis preset: `development` or `local_testnet`.
		#[arg(long, default_value = "development")]
		preset: String,
		/// Add a para id and relay chain (what polkadot-omni-node reads).
		#[arg(long)]
		para_id: Option<u32>,
		/// Where to write the spec (`-`: stdout).
		#[arg(short, long, default_value = "-")]
		out: String,
	},
	/// The coordinator service.
	#[command(subcommand)]
	Coordinator(CoordinatorCommand),
	/// What waits for a party at the coordinator: documents to sign, referrals to settle,
	/// rebates to submit.
	Mailbox {
		#[command(flatten)]
		signer: Signer,
		/// Mute this sender first (its documents to sign no longer reach you); repeatable.
		#[arg(long)]
		mute: Vec<String>,
		/// Unmute this sender first; repeatable.
		#[arg(long)]
		unmute: Vec<String>,
	},
	/// Act before the deadlines (keys stay with their owner): watch the coordinator and the
	/// chain; the merchant's agent settles completed referrals, the customer's submits completed
	/// rebates. Retries transient failures; reports what it did.
	Agent {
		#[command(flatten)]
		signer: Signer,
		/// Milliseconds between looks.
		#[arg(long, default_value_t = 1000)]
		interval_ms: u64,
		/// Stop after this many looks (default: run until stopped).
		#[arg(long)]
		rounds: Option<u32>,
	},
	/// The embedded chain's block history: extrinsics and events.
	History {
		/// From this block on.
		#[arg(long, default_value_t = 1)]
		from: u32,
	},
}

#[derive(Subcommand)]
enum CoordinatorCommand {
	/// Serve the coordinator: documents are checked against `--chain`'s genesis and, unless
	/// `--no-follow`, its best block (deadlines).
	Serve {
		/// The address to listen on.
		#[arg(long, default_value = "127.0.0.1:8480")]
		listen: String,
		/// The database: `sqlite://PATH` (WAL; created if missing) or `postgres://…`.
		#[arg(
			long,
			env = "REBATE_COORDINATOR_DB",
			default_value = "sqlite://rebate-coordinator.db"
		)]
		database: String,
		/// The chain's genesis hash, instead of reading it from `--chain`.
		#[arg(long)]
		genesis: Option<String>,
		/// Do not follow the chain's best block (deadlines are then not checked on arrival).
		#[arg(long)]
		no_follow: bool,
		/// How far a request's timestamp may be from the server's clock, in seconds.
		#[arg(long, default_value_t = 30)]
		window_secs: u64,
		/// The public origin clients address (`host:port`, e.g. `rebate.example.com:443`): a
		/// request addressed or signed for another is refused. Default: the address it listens
		/// on.
		#[arg(long, conflicts_with = "any_origin")]
		origin: Option<String>,
		/// Accept requests whatever origin they were addressed to (behind a proxy that rewrites
		/// `Host`; requests captured at another coordinator then replay here).
		#[arg(long)]
		any_origin: bool,
		/// Accept dev names (`alice`) as a request's account, not only addresses: dev chains only.
		#[arg(long)]
		dev_names: bool,
		/// Forget a promotion's documents this many blocks after its rebate block.
		#[arg(long, default_value_t = 14_400)]
		grace_blocks: u32,
		/// At most this many documents from one sender wait for one recipient at a time.
		#[arg(long, default_value_t = 32)]
		open_per_recipient: u32,
		/// At most this many stored documents created by one account.
		#[arg(long, default_value_t = 10_000)]
		quota: u32,
	},
}

#[derive(Subcommand)]
enum KeyCommand {
	/// Generate a key and write its key file (keep it private).
	Generate {
		/// sr25519, ed25519 or ecdsa.
		#[arg(long, default_value = "sr25519")]
		scheme: Scheme,
		/// The key file to write.
		#[arg(long)]
		out: std::path::PathBuf,
	},
	/// Show a key's account.
	Show {
		/// The key (dev name, secret URI, `@file`).
		key: String,
	},
}

/// The signing key of a command.
#[derive(Args)]
struct Signer {
	/// The key that signs: a dev name (`alice`), a secret URI, or `@keyfile`; prefix
	/// `ed25519:` or `ecdsa:` for those schemes.
	#[arg(long = "as", value_name = "KEY")]
	key: String,
}

/// A document in and out.
#[derive(Args)]
struct InOut {
	/// The document to sign (`-`: stdin).
	input: String,
	/// Where to write the signed document (`-`: stdout; default: over the input file).
	#[arg(short, long)]
	out: Option<String>,
}

/// A promotion on chain: its rebate block, merchant and id.
#[derive(Args)]
struct PromotionKey {
	/// The merchant.
	#[arg(long)]
	merchant: String,
	/// The promotion id.
	#[arg(long)]
	promotion: u64,
	/// The promotion's rebate block (the documents' `pay_at`).
	#[arg(long)]
	pay_at: u32,
}

#[derive(Args)]
struct OfferArgs {
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

fn account(s: &str) -> Result<AccountId, ClientError> {
	keys::parse_account(s)
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let out = Out::new(cli.json);
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(r) => r,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		}
	};
	match runtime.block_on(run(cli, &out)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			out.error(&e.code(), &e.to_string());
			ExitCode::FAILURE
		}
	}
}

async fn open(cli: &Cli) -> Result<Client<AnyChain>, ClientError> {
	let mut client = Client::new(AnyChain::open(&cli.chain).await?);
	if cli.bytes_framing {
		client.framing = Framing::Bytes;
	}
	client.fee_asset = match &cli.fee_asset {
		None => None,
		Some(arg) => assets::resolve(&mut client.chain, arg).await?.asset_id(),
	};
	Ok(client)
}

async fn run(cli: Cli, out: &Out) -> Result<(), CliError> {
	let docs = |key: &KeyPair| Docs::new(cli.coordinator.as_deref(), key);
	let coordinator = |signer: &Signer| -> Result<rebate_coordinator::Coordinator, CliError> {
		let url = cli.coordinator.as_deref().ok_or_else(|| {
			ClientError::Rule("give the coordinator: --coordinator http://host:port".into())
		})?;
		Ok(rebate_coordinator::Coordinator::new(url, KeyPair::parse(&signer.key)?))
	};
	match &cli.command {
		Command::Demo { keep, native } => {
			let options = demo::Options {
				keep: keep.as_deref(),
				native: *native,
				fee_asset: cli.fee_asset.as_ref(),
				bytes_framing: cli.bytes_framing,
			};
			return Ok(demo::run(&cli.chain, options, out).await?);
		}
		Command::Coordinator(CoordinatorCommand::Serve {
			listen,
			database,
			genesis,
			no_follow,
			window_secs,
			origin,
			any_origin,
			dev_names,
			grace_blocks,
			open_per_recipient,
			quota,
		}) => {
			let options = coordination::ServeOptions {
				listen,
				database,
				genesis: genesis.as_deref(),
				follow: !*no_follow,
				window_secs: *window_secs,
				origin: match (origin, any_origin) {
					(_, true) => coordination::Origin::Any,
					(Some(o), false) => coordination::Origin::Named(o.clone()),
					(None, false) => coordination::Origin::Listening,
				},
				dev_names: *dev_names,
				grace_blocks: *grace_blocks,
				open_per_recipient: *open_per_recipient,
				quota: *quota,
			};
			return coordination::serve(&cli.chain, options, out).await;
		}
		Command::Mailbox { signer, mute, unmute } => {
			let c = coordinator(signer)?;
			for (accounts, on) in [(mute, true), (unmute, false)] {
				for account in accounts {
					let address = keys::ss58(&keys::parse_account(account)?);
					if on {
						c.mute(&address).await?
					} else {
						c.unmute(&address).await?
					}
				}
			}
			return coordination::mailbox(&c, out).await;
		}
		Command::Agent { signer, interval_ms, rounds } => {
			return coordination::agent(
				&cli.chain,
				&coordinator(signer)?,
				std::time::Duration::from_millis(*interval_ms),
				*rounds,
				out,
			)
			.await
		}
		Command::Key(KeyCommand::Generate { scheme, out: path }) => {
			let (key, file) = KeyPair::generate(*scheme);
			write_private(path, &serde_json::to_string_pretty(&file).unwrap_or_default())?;
			out.value(
				&format!(
					"{} key for {} written to {}",
					scheme,
					keys::ss58(&key.account()),
					path.display()
				),
				serde_json::json!({ "account": keys::ss58(&key.account()), "scheme": scheme, "file": path }),
			);
			return Ok(());
		}
		Command::ChainSpec { wasm, preset, para_id, out: path } => {
			let code = std::fs::read(wasm)
				.map_err(|e| ClientError::Io { path: wasm.display().to_string(), source: e })?;
			let spec = rebate_client::chain_spec::raw(&code, preset, *para_id)?;
			let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
			if path == "-" {
				println!("{text}");
			} else {
				std::fs::write(path, text)
					.map_err(|e| ClientError::Io { path: path.clone(), source: e })?;
				out.value(&format!("raw chain spec → {path}"), serde_json::json!({ "spec": path }));
			}
			return Ok(());
		}
		Command::Key(KeyCommand::Show { key }) => {
			let key = KeyPair::parse(key)?;
			out.value(
				&format!("{} ({})", keys::ss58(&key.account()), key.scheme()),
				serde_json::json!({ "account": keys::ss58(&key.account()), "scheme": key.scheme() }),
			);
			return Ok(());
		}
		_ => {}
	}
	let mut client = open(&cli).await?;
	out.set_assets(assets::on_chain(&mut client.chain).await?);
	match cli.command {
		Command::Demo { .. }
		| Command::Key(_)
		| Command::ChainSpec { .. }
		| Command::Coordinator(_)
		| Command::Mailbox { .. }
		| Command::Agent { .. } => unreachable!("handled above"),
		Command::Balances { accounts, asset } => {
			let accounts = if accounts.is_empty() {
				keys::DEV_NAMES.iter().map(|n| n.to_string()).collect()
			} else {
				accounts
			};
			let shown = match &asset {
				Some(arg) => vec![assets::resolve(&mut client.chain, arg).await?],
				None => assets::on_chain(&mut client.chain).await?,
			};
			let mut rows = Vec::new();
			for a in &accounts {
				let who = account(a)?;
				let info = state::account(&mut client.chain, &who).await?;
				let mut balances = Vec::new();
				for asset in &shown {
					balances.push(state::balance(&mut client.chain, &asset.asset, &who).await?);
				}
				rows.push(output::BalanceRow {
					account: keys::display_name(&who),
					address: keys::ss58(&who),
					held: info.data.reserved,
					assets: balances,
				});
			}
			let mut escrow = Vec::new();
			for asset in &shown {
				escrow.push(state::escrow(&mut client.chain, &asset.asset).await?);
			}
			let now = client.now().await?;
			out.balances(now, &shown, &rows, &escrow);
		}
		Command::Purchase { signer, merchant, asset, price } => {
			let key = KeyPair::parse(&signer.key)?;
			let asset = assets::resolve(&mut client.chain, &asset).await?;
			let price = asset.amount(&price)?;
			let (receipt, id) =
				client.purchase(&key, account(&merchant)?, asset.asset.clone(), price).await?;
			out.receipt(
				&format!("purchase {id} recorded: {} to {merchant}", asset.format(price)),
				&receipt,
				serde_json::json!({
					"purchase_id": id.to_string(),
					"asset": assets::kind_name(&asset.asset),
					"price": price,
				}),
			);
		}
		Command::Offer(a) => {
			let key = KeyPair::parse(&a.signer.key)?;
			let now = client.now().await?;
			// The amounts are in the purchase's asset, read in its decimals.
			let origin =
				state::purchase(&mut client.chain, a.purchase).await?.ok_or_else(|| {
					ClientError::Rule(format!(
						"purchase {} is not recorded on this chain",
						a.purchase
					))
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
			};
			let (offer, rebate) = client.create_promotion(&key, &terms).await?;
			let docs = docs(&key);
			let offer_to = docs.save(&offer, a.offer_out.as_deref()).await?;
			let rebate_to = docs.save(&rebate, a.rebate_out.as_deref()).await?;
			out.value(
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
		}
		Command::Endorse { signer, referee, io } => {
			sign_file(
				&mut client,
				out,
				&signer,
				Some(referee),
				&io,
				Some("offer"),
				&cli.coordinator,
			)
			.await?
		}
		Command::Accept { signer, io } => {
			sign_file(&mut client, out, &signer, None, &io, None, &cli.coordinator).await?
		}
		Command::Sign { signer, referee, io } => {
			sign_file(&mut client, out, &signer, referee, &io, None, &cli.coordinator).await?
		}
		Command::DraftPurchase { signer, offer, out: path } => {
			let path = path.or_else(|| cli.coordinator.is_none().then(|| "-".to_owned()));
			let key = KeyPair::parse(&signer.key)?;
			let docs = docs(&key);
			let offer = docs.load(&offer).await?;
			let purchase = client.draft_purchase(&offer, &key).await?;
			let path = path.filter(|p| docs.coordinator.is_none() || p != "-");
			let to = docs.save(&purchase, path.as_deref()).await?;
			if path.as_deref() != Some("-") {
				out.value(
					&format!("referred purchase → {to}"),
					serde_json::json!({ "purchase": to }),
				);
			}
		}
		Command::Settle { signer, offer, purchase } => {
			let key = KeyPair::parse(&signer.key)?;
			let docs = docs(&key);
			let offer = docs.load(&offer).await?;
			let purchase = docs.load(&purchase).await?;
			let receipt = client.settle(&key, &offer, &purchase).await?;
			out.receipt("referral settled", &receipt, serde_json::json!({}));
		}
		Command::SubmitRebate { signer, rebate } => {
			let key = KeyPair::parse(&signer.key)?;
			let rebate = docs(&key).load(&rebate).await?;
			let receipt = client.submit_rebate(&key, &rebate).await?;
			out.receipt("rebate escrowed", &receipt, serde_json::json!({}));
		}
		Command::Refund { signer, purchase } => {
			let key = KeyPair::parse(&signer.key)?;
			let receipt = client.refund(&key, purchase).await?;
			out.receipt(&format!("purchase {purchase} refunded"), &receipt, serde_json::json!({}));
		}
		Command::Close { signer, promotion: p } => {
			let key = KeyPair::parse(&signer.key)?;
			let receipt = client.close(&key, p.pay_at, account(&p.merchant)?, p.promotion).await?;
			out.receipt(
				&format!("promotion {} closed", p.promotion),
				&receipt,
				serde_json::json!({}),
			);
		}
		Command::Status { promotion: p } => {
			let merchant = account(&p.merchant)?;
			let now = client.now().await?;
			let open =
				state::promotion(&mut client.chain, p.pay_at, &merchant, p.promotion).await?;
			let asset = match &open {
				Some(o) => Some(assets::info(&mut client.chain, &o.asset).await?),
				None => None,
			};
			out.status(now, &merchant, p.pay_at, p.promotion, open.as_ref(), asset.as_ref());
		}
		Command::Inspect { document } => {
			let envelope = Envelope::read(&document)?;
			let inspection = client.inspect(&envelope).await?;
			out.inspection(&inspection);
		}
		Command::Advance { n } => {
			let bar = output::progress(n as u64, "blocks");
			let best =
				client.chain.advance(n, &mut |done, _| bar.set_position(done as u64)).await?;
			bar.finish_and_clear();
			out.value(&format!("at block {best}"), serde_json::json!({ "best": best }));
		}
		Command::History { from } => match &client.chain {
			AnyChain::Embedded(chain) => out.history(&chain.history(from)?),
			#[allow(unreachable_patterns)]
			_ => {
				return Err(ClientError::Rule(
					"history is kept by the embedded chain; ask the node's block explorer".into(),
				)
				.into())
			}
		},
	}
	Ok(())
}

async fn sign_file(
	client: &mut Client<AnyChain>,
	out: &Out,
	signer: &Signer,
	referee: Option<String>,
	io: &InOut,
	expect: Option<&str>,
	coordinator: &Option<String>,
) -> Result<(), CliError> {
	let key = KeyPair::parse(&signer.key)?;
	let docs = Docs::new(coordinator.as_deref(), &key);
	let mut envelope = docs.load(&io.input).await?;
	if let Some(kind) = expect {
		if envelope.kind() != kind {
			return Err(
				ClientError::Rule(format!("expected a {kind}, got a {}", envelope.kind())).into()
			);
		}
	}
	let referee = referee.as_deref().map(account).transpose()?;
	client.sign(&mut envelope, &key, referee).await?;
	// With a coordinator the signed document goes back to it (and to `-o` if given); without
	// one it is written over the input unless `-o` says otherwise.
	let file = match (&docs.coordinator, &io.out) {
		(_, Some(out)) => Some(out.clone()),
		(None, None) => Some(io.input.clone()),
		(Some(_), None) => None,
	};
	let path = docs.save(&envelope, file.as_deref()).await?;
	let inspection = client.inspect(&envelope).await?;
	if file.as_deref() != Some("-") {
		let next = if inspection.complete {
			"complete".to_string()
		} else {
			format!("next: {}", inspection.next.clone().unwrap_or_default())
		};
		out.value(
			&format!("{} signed by {} → {path} ({next})", envelope.kind(), keys::display_name(&key.account())),
			serde_json::json!({ "document": path, "complete": inspection.complete, "next": inspection.next }),
		);
	}
	Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), ClientError> {
	use std::io::Write;
	#[cfg(unix)]
	use std::os::unix::fs::OpenOptionsExt;
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	options.mode(0o600);
	let mut file = options
		.open(path)
		.map_err(|e| ClientError::Key(format!("cannot create {}: {e}", path.display())))?;
	file.write_all(text.as_bytes())
		.map_err(|e| ClientError::Key(format!("cannot write {}: {e}", path.display())))
}
