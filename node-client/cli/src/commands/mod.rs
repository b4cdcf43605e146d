//! The commands: one module each, with its options and its `run`. [`Context`] is what every
//! command shares: the global options, the output, and the chain opened on demand.

pub mod advance;
pub mod agent;
pub mod balances;
pub mod campaign;
pub mod chain_info;
pub mod chain_spec;
pub mod close;
pub mod coordinator;
pub mod demo;
pub mod draft_purchase;
pub mod history;
pub mod inspect;
pub mod key;
pub mod mailbox;
pub mod merchant;
pub mod offer;
pub mod purchase;
pub mod refund;
pub mod settle;
pub mod sign;
pub mod status;
pub mod submit_rebate;

use crate::{
	coordination::{CliError, Docs},
	output::Out,
};
use clap::Args;
use pallet_referral_rebate::Framing;
use rebate_client::{
	assets::{self, AssetArg},
	chain::AnyChain,
	keys::{self, KeyPair},
	Client, ClientError,
};
use rebate_coordinator::Coordinator;
use rebate_test_runtime::AccountId;

/// What every command shares.
pub struct Context {
	/// The chain: an embedded chain's data directory or a node's URL.
	pub chain: String,
	/// Sign links inside `<Bytes>…</Bytes>`.
	pub bytes_framing: bool,
	/// Pay fees in this asset.
	pub fee_asset: Option<AssetArg>,
	/// The coordinator documents go through, if any.
	pub coordinator: Option<String>,
	pub out: Out,
}

impl Context {
	/// The chain, opened with the global options (and the output told its assets).
	pub async fn client(&self) -> Result<Client<AnyChain>, CliError> {
		let mut client = Client::new(AnyChain::open(&self.chain).await?);
		if self.bytes_framing {
			client.framing = Framing::Bytes;
		}
		client.fee_asset = match &self.fee_asset {
			None => None,
			Some(arg) => assets::resolve(&mut client.chain, arg).await?.asset_id(),
		};
		self.out.set_assets(assets::on_chain(&mut client.chain).await?);
		Ok(client)
	}

	/// Where `key`'s documents come from and go to.
	pub fn docs(&self, key: &KeyPair) -> Docs {
		Docs::new(self.coordinator.as_deref(), key)
	}

	/// The coordinator, spoken to with `signer`'s key.
	pub fn coordinator(&self, signer: &Signer) -> Result<Coordinator, CliError> {
		let url = self.coordinator.as_deref().ok_or_else(|| {
			ClientError::Rule("give the coordinator: --coordinator http://host:port".into())
		})?;
		Ok(Coordinator::new(url, signer.key()?))
	}
}

/// The signing key of a command.
#[derive(Args)]
pub struct Signer {
	/// The key that signs: a dev name (`alice`), a secret URI, or `@keyfile`; prefix
	/// `ed25519:` or `ecdsa:` for those schemes.
	#[arg(long = "as", value_name = "KEY")]
	pub key: String,
}

impl Signer {
	/// The key.
	pub fn key(&self) -> Result<KeyPair, ClientError> {
		KeyPair::parse(&self.key)
	}
}

/// A document in and out.
#[derive(Args)]
pub struct InOut {
	/// The document to sign (`-`: stdin).
	pub input: String,
	/// Where to write the signed document (`-`: stdout; default: over the input file).
	#[arg(short, long)]
	pub out: Option<String>,
}

/// A promotion on chain: its rebate block, merchant and id.
#[derive(Args)]
pub struct PromotionKey {
	/// The merchant.
	#[arg(long)]
	pub merchant: String,
	/// The promotion id.
	#[arg(long)]
	pub promotion: u64,
	/// The promotion's rebate block (the documents' `pay_at`).
	#[arg(long)]
	pub pay_at: u32,
}

/// An account given on the command line (SS58, 0x-hex, or a dev name).
pub fn account(s: &str) -> Result<AccountId, ClientError> {
	keys::parse_account(s)
}
