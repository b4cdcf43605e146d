//! Command-line arguments: the standard `sc-cli` run options plus the block production mode.

use std::str::FromStr;

/// How the node makes blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consensus {
	/// A block whenever a transaction enters the pool.
	InstantSeal,
	/// A block every so many milliseconds.
	ManualSeal(u64),
}

impl FromStr for Consensus {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		if s == "instant-seal" {
			return Ok(Consensus::InstantSeal);
		}
		match s.strip_prefix("manual-seal-").map(str::parse::<u64>) {
			Some(Ok(ms)) if ms > 0 => Ok(Consensus::ManualSeal(ms)),
			Some(_) => Err(format!("`{s}`: the block time must be a positive number of ms")),
			None => Err(format!("`{s}`: expected `instant-seal` or `manual-seal-MS`")),
		}
	}
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Block production: `instant-seal` (a block per arriving transaction) or `manual-seal-MS`
	/// (a block every MS milliseconds). `engine_createBlock` seals one on request in both.
	#[arg(long, default_value = "instant-seal")]
	pub consensus: Consensus,

	#[command(flatten)]
	pub run: sc_cli::RunCmd,
}

/// Maintenance subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
	/// Key management utilities.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),
	/// Export the chain specification (`--chain dev` or a JSON file) as JSON.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),
	/// Remove the chain's database.
	PurgeChain(sc_cli::PurgeChainCmd),
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn consensus_modes_parse() {
		assert_eq!("instant-seal".parse(), Ok(Consensus::InstantSeal));
		assert_eq!("manual-seal-500".parse(), Ok(Consensus::ManualSeal(500)));
		assert!("manual-seal-0".parse::<Consensus>().is_err());
		assert!("manual-seal-x".parse::<Consensus>().is_err());
		assert!("aura".parse::<Consensus>().is_err());
	}
}
