//! `rebate`: every party's steps of the referral-rebate protocol (CN113177820B) from the command
//! line, on an embedded chain (the default, a data directory) or on a node (`--chain ws://…`).
//!
//! Documents travel as JSON files (or stdin/stdout with `-`), so the merchant, the customer and
//! the referee can run in separate processes. Every command that fails prints one line
//! (`error: …`) and exits non-zero, having submitted nothing. Each command is a module of
//! [`commands`] (its options and its `run`); this file only dispatches.

mod commands;
mod coordination;
mod merchant;
mod output;

use clap::{Parser, Subcommand};
use commands::Context;
use coordination::CliError;
use output::Out;
use rebate_client::assets::AssetArg;
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
	/// document argument is then `KIND/MERCHANT/PROMOTION[/PAY_AT]` (e.g. `offer/alice/7`), and
	/// what a command signs is posted to it (and also written to a file where one is given).
	#[arg(long, global = true, env = "REBATE_COORDINATOR")]
	coordinator: Option<String>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the whole story with alice (merchant), bob (customer) and charlie (referee) on a
	/// fresh embedded chain (or on `--chain ws://…` when given one), printing a timeline.
	Demo(commands::demo::Args),
	/// Keys: generate a key file, or show a key's account.
	#[command(subcommand)]
	Key(commands::key::Command),
	/// Balances in each asset (default: the dev accounts, in the native token and the chain's
	/// known assets), and the escrow account's.
	Balances(commands::balances::Args),
	/// Customer: buy from a merchant (the established purchase an offer points to).
	Purchase(commands::purchase::Args),
	/// Merchant: create a promotion's offer and rebate from a customer's purchase, signed by
	/// the merchant.
	Offer(commands::offer::Args),
	/// Customer: endorse an offer, naming the referee, and pass it on.
	Endorse(commands::sign::Endorse),
	/// Referee: accept an offer or a rebate (sign it).
	Accept(commands::sign::Accept),
	/// Any party: add the next link to a document, after verifying the links before it.
	Sign(commands::sign::Sign),
	/// Customer: draft the referred purchase from an endorsed offer, signed by the customer.
	DraftPurchase(commands::draft_purchase::Args),
	/// Merchant: settle the referral (the offer and the referred purchase, fully signed).
	Settle(commands::settle::Args),
	/// Customer: submit the fully signed rebate (escrowed until its pay-at block).
	SubmitRebate(commands::submit_rebate::Args),
	/// Merchant: refund a live purchase (a refunded referral makes its rebate lapse).
	Refund(commands::refund::Args),
	/// Anyone: close an overdue promotion (a last resort; the chain closes them by itself).
	Close(commands::close::Args),
	/// A promotion's state on chain.
	Status(commands::status::Args),
	/// Merchant: a referral program on chain (create, top up, close; status).
	#[command(subcommand)]
	Campaign(commands::campaign::Command),
	/// Who has signed a document, what is missing, whose turn it is, the deadlines.
	Inspect(commands::inspect::Args),
	/// Produce (embedded, or a dev node) or wait for `n` blocks.
	Advance(commands::advance::Args),
	/// Write a raw chain spec for a node from a runtime's wasm and a genesis preset.
	ChainSpec(commands::chain_spec::Args),
	/// The chain as the client sees it: versions, where the pallet is, its constants.
	ChainInfo(commands::chain_info::Args),
	/// The coordinator service.
	#[command(subcommand)]
	Coordinator(commands::coordinator::Command),
	/// What waits for a party at the coordinator: referrals to settle and rebates to submit
	/// first, then documents to sign.
	Mailbox(commands::mailbox::Args),
	/// Act before the deadlines (keys stay with their owner): watch the coordinator and the
	/// chain; the merchant's agent settles completed referrals, the customer's submits completed
	/// rebates. Retries transient failures; reports what it did.
	Agent(commands::agent::Args),
	/// The chain's block history: extrinsics and events (embedded, or a node).
	History(commands::history::Args),
	/// Merchant: the application server that runs campaigns unattended (claim 1).
	#[command(subcommand)]
	Merchant(commands::merchant::Command),
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let ctx = Context {
		chain: cli.chain,
		bytes_framing: cli.bytes_framing,
		fee_asset: cli.fee_asset,
		coordinator: cli.coordinator,
		out: Out::new(cli.json),
	};
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(r) => r,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		}
	};
	match runtime.block_on(run(cli.command, &ctx)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			ctx.out.error(&e.code(), &e.to_string());
			ExitCode::FAILURE
		}
	}
}

/// Run `command`.
async fn run(command: Command, ctx: &Context) -> Result<(), CliError> {
	match command {
		Command::Demo(c) => c.run(ctx).await,
		Command::Key(c) => c.run(ctx).await,
		Command::Balances(c) => c.run(ctx).await,
		Command::Purchase(c) => c.run(ctx).await,
		Command::Offer(c) => c.run(ctx).await,
		Command::Endorse(c) => c.run(ctx).await,
		Command::Accept(c) => c.run(ctx).await,
		Command::Sign(c) => c.run(ctx).await,
		Command::DraftPurchase(c) => c.run(ctx).await,
		Command::Settle(c) => c.run(ctx).await,
		Command::SubmitRebate(c) => c.run(ctx).await,
		Command::Refund(c) => c.run(ctx).await,
		Command::Close(c) => c.run(ctx).await,
		Command::Status(c) => c.run(ctx).await,
		Command::ChainInfo(c) => c.run(ctx).await,
		Command::Campaign(c) => c.run(ctx).await,
		Command::Inspect(c) => c.run(ctx).await,
		Command::Advance(c) => c.run(ctx).await,
		Command::ChainSpec(c) => c.run(ctx).await,
		Command::Coordinator(c) => c.run(ctx).await,
		Command::Mailbox(c) => c.run(ctx).await,
		Command::Agent(c) => c.run(ctx).await,
		Command::History(c) => c.run(ctx).await,
		Command::Merchant(c) => c.run(ctx).await,
	}
}
