//! A real Substrate node over JSON-RPC, through `subxt`.
//!
//! The client builds and signs extrinsics with the runtime's own types; subxt carries them:
//! legacy JSON-RPC methods for reads (best block, storage, runtime version), `state_call` of
//! `BlockBuilder_apply_extrinsic` for dry runs, and subxt's transaction progress to follow each
//! submission into a block, whose `System::Events` are decoded as the runtime's events.

use super::{Chain, Inclusion, RuntimeInfo};
use crate::ClientError;
use codec::{Decode, Encode};
use rebate_test_runtime::UncheckedExtrinsic;
use sp_core::H256;
use sp_runtime::ApplyExtrinsicResult;
use subxt::{
	config::RpcConfigFor,
	rpcs::{rpc_params, LegacyRpcMethods, RpcClient},
	transactions::TransactionStatus,
	OnlineClient, SubstrateConfig,
};

type Config = SubstrateConfig;

/// A node connection.
pub struct Node {
	url: String,
	rpc: RpcClient,
	legacy: LegacyRpcMethods<RpcConfigFor<Config>>,
	api: OnlineClient<Config>,
	info: RuntimeInfo,
	pallet: crate::metadata::PalletInfo,
}

fn rpc_err(e: impl std::fmt::Display) -> ClientError {
	ClientError::Backend(e.to_string())
}

impl Node {
	/// Connect to the node at `url` (`ws://…` or `wss://…`).
	pub async fn connect(url: &str) -> Result<Self, ClientError> {
		let rpc = RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| ClientError::Backend(format!("cannot reach {url}: {e}")))?;
		let legacy = LegacyRpcMethods::<RpcConfigFor<Config>>::new(rpc.clone());
		let backend = subxt::backend::LegacyBackend::<Config>::builder().build(rpc.clone());
		let api = OnlineClient::<Config>::from_backend(std::sync::Arc::new(backend))
			.await
			.map_err(rpc_err)?;
		// The chain's pallet must be one this client understands: checked before anything is
		// signed for it.
		let at = api.at_current_block().await.map_err(rpc_err)?;
		let pallet = crate::metadata::pallet(at.metadata_ref(), &crate::metadata::ours()?)?;
		let genesis = legacy.genesis_hash().await.map_err(rpc_err)?;
		let version = legacy.state_get_runtime_version(None).await.map_err(rpc_err)?;
		let info = RuntimeInfo {
			genesis: H256::from(genesis.0),
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
		};
		Ok(Node { url: url.to_string(), rpc, legacy, api, info, pallet })
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The referral-rebate pallet as this chain deploys it (from its metadata).
	pub fn pallet(&self) -> &crate::metadata::PalletInfo {
		&self.pallet
	}

	async fn best_hash(&self) -> Result<H256, ClientError> {
		self.legacy
			.chain_get_block_hash(None)
			.await
			.map_err(rpc_err)?
			.ok_or_else(|| ClientError::Backend("the node has no best block".into()))
	}

	async fn number_of(&self, hash: H256) -> Result<u32, ClientError> {
		let header = self
			.legacy
			.chain_get_header(Some(hash))
			.await
			.map_err(rpc_err)?
			.ok_or_else(|| ClientError::Backend(format!("no header for block {hash:?}")))?;
		Ok(header.number as u32)
	}

	/// Hand one extrinsic to the node's pool without following it (`author_submitExtrinsic`);
	/// its hash. [`Node::events_at`] tells what it did once it is in a block.
	pub async fn submit_only(&self, xt: &UncheckedExtrinsic) -> Result<H256, ClientError> {
		let hash: H256 = self
			.rpc
			.request(
				"author_submitExtrinsic",
				rpc_params![format!("0x{}", hex::encode(xt.encode()))],
			)
			.await
			.map_err(|e| ClientError::Invalid(e.to_string()))?;
		Ok(hash)
	}

	/// The events of block `hash`: its `System::Events`, decoded with the runtime's types.
	pub async fn events_at(
		&self,
		hash: H256,
	) -> Result<Vec<super::embedded::EventRecord>, ClientError> {
		let key =
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
		let raw = self.legacy.state_get_storage(&key, Some(hash)).await.map_err(rpc_err)?;
		match raw {
			None => Ok(Vec::new()),
			Some(bytes) => Decode::decode(&mut &bytes[..])
				.map_err(|e| ClientError::Backend(format!("undecodable events: {e}"))),
		}
	}

	/// The blocks from `from` to the best one, each with its events (the storage changes a node
	/// does not give: left empty): what `rebate history` shows. One block per round trip pair
	/// (`chain_getBlock`, `System::Events`).
	pub async fn history(
		&self,
		from: u32,
	) -> Result<Vec<super::embedded::BlockRecord>, ClientError> {
		let best = self.number_of(self.best_hash().await?).await?;
		let mut out = Vec::new();
		for n in from.max(1)..=best {
			let hash = self
				.legacy
				.chain_get_block_hash(Some(n.into()))
				.await
				.map_err(rpc_err)?
				.ok_or_else(|| ClientError::Backend(format!("the node has no block {n}")))?;
			let signed: serde_json::Value =
				self.rpc.request("chain_getBlock", rpc_params![hash]).await.map_err(rpc_err)?;
			let block: rebate_test_runtime::Block = serde_json::from_value(signed["block"].clone())
				.map_err(|e| {
					ClientError::Backend(format!(
						"block {n} does not decode as this runtime's: {e}"
					))
				})?;
			let events = self.events_at(hash).await?;
			out.push(super::embedded::BlockRecord { block, events, changes: Vec::new() });
		}
		Ok(out)
	}

	/// Submit one extrinsic and follow it into a block.
	pub async fn submit_one(&self, xt: &UncheckedExtrinsic) -> Result<Inclusion, ClientError> {
		let tx = self.api.tx().await.map_err(rpc_err)?.from_bytes(xt.encode());
		let mut progress =
			tx.submit_and_watch().await.map_err(|e| ClientError::Invalid(e.to_string()))?;
		while let Some(status) = progress.next().await {
			match status.map_err(rpc_err)? {
				TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => {
					let block_hash = b.block_hash();
					// The block's `System::Events`, as fetched to find the extrinsic, decoded
					// with the runtime's own types.
					let events = b.fetch_events().await.map_err(rpc_err)?;
					let index = events.extrinsic_index() as u32;
					let records: Vec<super::embedded::EventRecord> =
						Decode::decode(&mut events.all_events_in_block().bytes()).map_err(|e| {
							ClientError::Backend(format!("undecodable events: {e}"))
						})?;
					return Ok(Inclusion {
						block_number: self.number_of(block_hash).await?,
						block_hash,
						index,
						events: super::embedded::events_of(&records, index),
					});
				}
				TransactionStatus::Error { message }
				| TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message } => return Err(ClientError::Invalid(message)),
				_ => {}
			}
		}
		Err(ClientError::Backend("the node stopped reporting the transaction's progress".into()))
	}
}

impl Chain for Node {
	fn info(&self) -> RuntimeInfo {
		self.info
	}

	fn pallet_index(&self) -> u8 {
		self.pallet.index
	}

	fn pallet_name(&self) -> &str {
		&self.pallet.name
	}

	async fn best(&mut self) -> Result<(u32, H256), ClientError> {
		let hash = self.best_hash().await?;
		Ok((self.number_of(hash).await?, hash))
	}

	async fn block_hash(&mut self, n: u32) -> Result<H256, ClientError> {
		self.legacy
			.chain_get_block_hash(Some((n as u64).into()))
			.await
			.map_err(rpc_err)?
			.ok_or_else(|| ClientError::Backend(format!("the node has no block {n}")))
	}

	async fn storage(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
		let at = self.best_hash().await?;
		self.legacy.state_get_storage(key, Some(at)).await.map_err(rpc_err)
	}

	async fn next_nonce(
		&mut self,
		who: &rebate_test_runtime::AccountId,
	) -> Result<u32, ClientError> {
		let raw: [u8; 32] = *who.as_ref();
		let account = subxt::utils::AccountId32::from(raw);
		let nonce = self.legacy.system_account_next_index(&account).await.map_err(rpc_err)?;
		u32::try_from(nonce)
			.map_err(|_| ClientError::Backend(format!("nonce {nonce} out of range")))
	}

	async fn dry_run(
		&mut self,
		xt: &UncheckedExtrinsic,
	) -> Result<ApplyExtrinsicResult, ClientError> {
		let at = self.best_hash().await?;
		let bytes: String = self
			.rpc
			.request(
				"state_call",
				rpc_params![
					"BlockBuilder_apply_extrinsic",
					format!("0x{}", hex::encode(xt.encode())),
					at
				],
			)
			.await
			.map_err(rpc_err)?;
		let raw = hex::decode(bytes.trim_start_matches("0x")).map_err(rpc_err)?;
		ApplyExtrinsicResult::decode(&mut &raw[..])
			.map_err(|e| ClientError::Backend(format!("undecodable dry-run result: {e}")))
	}

	async fn submit(
		&mut self,
		xts: Vec<UncheckedExtrinsic>,
	) -> Result<Vec<Result<Inclusion, ClientError>>, ClientError> {
		// One at a time, each followed into its block: a later extrinsic may depend on an
		// earlier one. (Handing a node hundreds of watched submissions at once saw its
		// fork-aware pool drop some; bulk submission is `submit_only`.)
		let mut out = Vec::with_capacity(xts.len());
		for xt in &xts {
			out.push(self.submit_one(xt).await);
		}
		Ok(out)
	}

	async fn advance(
		&mut self,
		n: u32,
		progress: &mut dyn FnMut(u32, u32),
	) -> Result<u32, ClientError> {
		let (start, _) = self.best().await?;
		let target = start.saturating_add(n);
		// Nodes with on-demand block production (chopsticks, manual seal) make a block on
		// request; others produce blocks on their own, and we wait for them.
		let mut on_demand = true;
		loop {
			let (now, _) = self.best().await?;
			progress(now.saturating_sub(start).min(n), n);
			if now >= target {
				return Ok(now);
			}
			if on_demand {
				let made: Result<serde_json::Value, _> =
					self.rpc.request("dev_newBlock", rpc_params![]).await;
				if made.is_err() {
					let sealed: Result<serde_json::Value, _> =
						self.rpc.request("engine_createBlock", rpc_params![true, true]).await;
					on_demand = sealed.is_ok();
				}
			}
			if !on_demand {
				tokio::time::sleep(std::time::Duration::from_millis(500)).await;
			}
		}
	}
}
