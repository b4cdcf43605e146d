//! A real Substrate node over JSON-RPC, through `subxt`.
//!
//! Everything chain-specific comes from the chain's metadata, read at [`Node::connect`]: the
//! referral-rebate pallet (checked to be one this client understands, [`crate::metadata`]), the
//! numbering of the client's calls and events on this chain ([`crate::metadata::Vocabulary`]),
//! the transaction extensions ([`crate::metadata::extensions`]) and the constants. A call is
//! encoded by the test runtime's types, renumbered to the chain's pallet and call indices and
//! signed by subxt's metadata-driven encoder with the extensions the chain lists (subxt fills
//! the nonce, mortality, genesis, versions, tip and fee asset, and `CheckMetadataHash` in its
//! disabled mode; extensions that carry nothing are skipped). Events are decoded by subxt from
//! the metadata and renumbered back to the test runtime's where their types are the client's.
//!
//! Reads use legacy JSON-RPC methods (best block, storage, runtime version), dry runs
//! `state_call` of `BlockBuilder_apply_extrinsic`, and each submission is followed into a block
//! by subxt's transaction progress.

use super::{Chain, Constants, Extrinsic, HistoryBlock, Inclusion, RuntimeInfo};
use crate::{
	extrinsic::Birth,
	keys::KeyPair,
	metadata::{EventRead, Extensions, PalletInfo, Profile},
	ClientError,
};
use codec::Decode;
use rebate_test_runtime::RuntimeCall;
use sp_core::H256;
use sp_runtime::ApplyExtrinsicResult;
use subxt::{
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
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
	/// The chain as of the connection (what submissions are followed with).
	at: ClientAtBlock<Config, OnlineClientAtBlockImpl<Config>>,
	info: RuntimeInfo,
	/// The chain as its metadata describes it (what is signed and decoded with).
	profile: Profile,
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
		// The chain's pallet and extensions must be ones this client understands: checked
		// before anything is signed for it.
		let at = api.at_current_block().await.map_err(rpc_err)?;
		let genesis = legacy.genesis_hash().await.map_err(rpc_err)?;
		// The versions of the block whose metadata is read: what is signed goes with it.
		let info = RuntimeInfo {
			genesis: H256::from(genesis.0),
			spec_version: at.spec_version(),
			transaction_version: at.transaction_version(),
		};
		let profile = Profile::new(at.metadata(), &info)?;
		Ok(Node { url: url.to_string(), rpc, legacy, at, info, profile })
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The referral-rebate pallet as this chain deploys it (from its metadata).
	pub fn pallet(&self) -> &PalletInfo {
		&self.profile.pallet
	}

	/// The transaction extensions as far as the client decides them (from its metadata).
	pub fn extensions(&self) -> Extensions {
		self.profile.extensions
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
	pub async fn submit_only(&self, xt: &Extrinsic) -> Result<H256, ClientError> {
		let hash: H256 = self
			.rpc
			.request(
				"author_submitExtrinsic",
				rpc_params![format!("0x{}", hex::encode(xt.encoded()))],
			)
			.await
			.map_err(|e| ClientError::Invalid(e.to_string()))?;
		Ok(hash)
	}

	/// The events of block `hash`, each with the index of the extrinsic that emitted it.
	pub async fn events_at(&self, hash: H256) -> Result<Vec<EventRead>, ClientError> {
		let key =
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
		match self.legacy.state_get_storage(&key, Some(hash)).await.map_err(rpc_err)? {
			None => Ok(Vec::new()),
			Some(raw) => self.profile.events(raw),
		}
	}

	/// The blocks from `from` to the best one, each with its events: what `rebate history`
	/// shows. One block per round trip pair (`chain_getBlock`, `System::Events`).
	pub async fn history(&self, from: u32) -> Result<Vec<HistoryBlock>, ClientError> {
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
			let extrinsics = signed["block"]["extrinsics"]
				.as_array()
				.map(Vec::len)
				.ok_or_else(|| ClientError::Backend(format!("block {n} has no extrinsics list")))?;
			let events = self.events_at(hash).await?.into_iter().map(|e| e.event).collect();
			out.push(HistoryBlock { number: n, extrinsics, events });
		}
		Ok(out)
	}

	/// Submit one extrinsic and follow it into a block.
	pub async fn submit_one(&self, xt: &Extrinsic) -> Result<Inclusion, ClientError> {
		let tx = self.at.tx().from_bytes(xt.encoded().to_vec());
		let mut progress =
			tx.submit_and_watch().await.map_err(|e| ClientError::Invalid(e.to_string()))?;
		while let Some(status) = progress.next().await {
			match status.map_err(rpc_err)? {
				TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => {
					let block_hash = b.block_hash();
					// The extrinsic's events, decoded by the chain's metadata.
					let fetched = b.fetch_events().await.map_err(rpc_err)?;
					let index = fetched.extrinsic_index() as u32;
					let mut outcome = Ok(());
					let mut events = Vec::new();
					for e in fetched.iter() {
						let e =
							e.map_err(|e| ClientError::Backend(format!("undecodable event: {e}")))?;
						if let Some(failed) = Profile::failure_of(&e) {
							outcome = Err(failed);
						}
						events.push(self.profile.event_of(&e));
					}
					return Ok(Inclusion {
						block_number: self.number_of(block_hash).await?,
						block_hash,
						index,
						outcome,
						events,
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
		self.profile.pallet.index
	}

	fn pallet_name(&self) -> &str {
		&self.profile.pallet.name
	}

	fn constants(&self) -> Constants {
		self.profile.constants
	}

	fn sign(
		&self,
		key: &KeyPair,
		call: RuntimeCall,
		nonce: u32,
		birth: Birth,
		fee_asset: Option<u32>,
	) -> Result<Extrinsic, ClientError> {
		self.profile.sign(key, call, nonce, birth, fee_asset)
	}

	async fn refresh(&mut self) -> Result<bool, ClientError> {
		let version = self.legacy.state_get_runtime_version(None).await.map_err(rpc_err)?;
		if (version.spec_version, version.transaction_version)
			== (self.info.spec_version, self.info.transaction_version)
		{
			return Ok(false);
		}
		let at = self.at.online_client().at_current_block().await.map_err(rpc_err)?;
		let info = RuntimeInfo {
			genesis: self.info.genesis,
			spec_version: at.spec_version(),
			transaction_version: at.transaction_version(),
		};
		if info == self.info {
			// The upgrade is not final yet: the metadata at hand is still the one in force
			// at the finalized block.
			return Ok(false);
		}
		self.profile = Profile::new(at.metadata(), &info)?;
		(self.at, self.info) = (at, info);
		Ok(true)
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

	async fn dry_run(&mut self, xt: &Extrinsic) -> Result<ApplyExtrinsicResult, ClientError> {
		let at = self.best_hash().await?;
		let bytes: String = self
			.rpc
			.request(
				"state_call",
				rpc_params![
					"BlockBuilder_apply_extrinsic",
					format!("0x{}", hex::encode(xt.encoded())),
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
		xts: Vec<Extrinsic>,
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
