//! `rebate coordinator serve`: the coordinator service.

use super::Context;
use crate::coordination::{self, CliError};

#[derive(clap::Subcommand)]
pub enum Command {
	/// Serve the coordinator: documents are checked against `--chain`'s genesis and, unless
	/// `--no-follow`, the chain itself (deadlines, the purchases that back offers, retention).
	Serve(Serve),
}

#[derive(clap::Args)]
pub struct Serve {
	/// The address to listen on.
	#[arg(long, default_value = "127.0.0.1:8480")]
	listen: String,
	/// The database: `sqlite://PATH` (WAL; created if missing) or `postgres://…`.
	#[arg(long, env = "REBATE_COORDINATOR_DB", default_value = "sqlite://rebate-coordinator.db")]
	database: String,
	/// The chain's genesis hash, instead of reading it from `--chain`.
	#[arg(long)]
	genesis: Option<String>,
	/// Do not follow the chain (deadlines, backing and retention are then off).
	#[arg(long)]
	no_follow: bool,
	/// How far a request's timestamp may be from the server's clock, in seconds.
	#[arg(long, default_value_t = 30)]
	window_secs: u64,
	/// The public origin clients address (`host:port`, e.g. `rebate.example.com:443`): a
	/// request addressed or signed for another is refused. Default: the address it listens on.
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
	/// At most this many offers from one sender wait for one recipient at a time.
	#[arg(long, default_value_t = 32)]
	open_per_recipient: u32,
	/// At most this many stored documents created by one account.
	#[arg(long, default_value_t = 10_000)]
	quota: u32,
}

impl Command {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let Command::Serve(s) = self;
		let options = coordination::ServeOptions {
			listen: &s.listen,
			database: &s.database,
			genesis: s.genesis.as_deref(),
			follow: !s.no_follow,
			window_secs: s.window_secs,
			origin: match (s.origin, s.any_origin) {
				(_, true) => coordination::Origin::Any,
				(Some(o), false) => coordination::Origin::Named(o),
				(None, false) => coordination::Origin::Listening,
			},
			dev_names: s.dev_names,
			grace_blocks: s.grace_blocks,
			open_per_recipient: s.open_per_recipient,
			quota: s.quota,
		};
		coordination::serve(&ctx.chain, options, &ctx.out).await
	}
}
