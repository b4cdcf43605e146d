//! `rebate key`: generate a key file, or show a key's account.

use super::Context;
use crate::coordination::CliError;
use rebate_client::{
	keys::{self, KeyPair, Scheme},
	ClientError,
};

#[derive(clap::Subcommand)]
pub enum Command {
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

impl Command {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		match self {
			Command::Generate { scheme, out: path } => {
				let (key, file) = KeyPair::generate(scheme);
				write_private(&path, &serde_json::to_string_pretty(&file).unwrap_or_default())?;
				let account = keys::ss58(&key.account());
				ctx.out.value(
					&format!("{scheme} key for {account} written to {}", path.display()),
					serde_json::json!({ "account": account, "scheme": scheme, "file": path }),
				);
			}
			Command::Show { key } => {
				let key = KeyPair::parse(&key)?;
				ctx.out.value(
					&format!("{} ({})", keys::ss58(&key.account()), key.scheme()),
					serde_json::json!({ "account": keys::ss58(&key.account()), "scheme": key.scheme() }),
				);
			}
		}
		Ok(())
	}
}

/// Write a new file readable by its owner only.
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
