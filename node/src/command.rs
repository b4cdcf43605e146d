//! Parse the command line and run the node or a maintenance subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use sc_cli::SubstrateCli;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"rebate-node".into()
	}

	fn impl_version() -> String {
		env!("CARGO_PKG_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/referral-rebate/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"" | "dev" => Box::new(chain_spec::development()?),
			path => Box::new(chain_spec::ChainSpec::from_json_file(path.into())?),
		})
	}
}

/// The command line; running the node, `--pool-type single-state` unless it names a pool type:
/// with manual seal and every block finalized at once, sc-cli's default fork-aware pool was seen
/// to lose transactions of a sender submitting thousands in a row (they stayed in neither a block
/// nor the pool), where the single-state pool kept them all.
fn parse() -> Cli {
	let args: Vec<String> = std::env::args().collect();
	let cli = Cli::from_iter(args.iter());
	let named = args.iter().any(|a| a == "--pool-type" || a.starts_with("--pool-type="));
	if cli.subcommand.is_some() || named {
		return cli;
	}
	let mut args = args;
	args.insert(1.min(args.len()), "--pool-type=single-state".into());
	Cli::from_iter(args)
}

/// Run what the command line asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = parse();
	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let consensus = cli.consensus;
			runner.run_node_until_exit(|config| async move {
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => {
						service::new_full::<sc_network::NetworkWorker<_, _>>(config, consensus)
					}
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, consensus)
					}
				}
				.map_err(sc_cli::Error::Service)
			})
		}
	}
}
