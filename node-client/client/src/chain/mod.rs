//! The chain interface: one trait, two backends.
//!
//! - [`embedded::Embedded`] (the default): `rebate-test-runtime` executed natively in this
//!   process, blocks authored by its own `frame-executive` from real signed extrinsics, state and
//!   block history kept in a data directory.
//! - `node::Node` (feature `node`): a real Substrate node over JSON-RPC through `subxt`.
//!
//! The client's vocabulary is the test runtime's: calls are written as its `RuntimeCall`, events
//! read as its `RuntimeEvent`, storage keys built by its pallets. The embedded chain *is* that
//! runtime. A node's chain may number, name and extend things otherwise: the node backend learns
//! them from the chain's metadata and translates (a call is renumbered to the chain's pallet and
//! call indices, signed with the transaction extensions the chain's metadata lists; an event is
//! renumbered back; the pallet's storage is read under the chain's name for it), and only where
//! the chain's types are the client's (checked by their metadata hashes: what differs is refused
//! or, for an event, left as its names).

use crate::ClientError;
use crate::PurchaseId;
use codec::Decode;
use frame_support::storage::generator::StorageMap;
use frame_support::traits::fungible::NativeOrWithId;
use pallet_referral_rebate::{BlockKey, PromotionId, PromotionOf, PurchaseRecordOf};
use rebate_test_runtime::{
	AccountId, AssetKind, Balance, Runtime, RuntimeCall, RuntimeEvent, UncheckedExtrinsic,
};
use sp_core::H256;
use sp_runtime::{ApplyExtrinsicResult, DispatchError};

pub mod embedded;
#[cfg(feature = "node")]
pub mod node;

/// A signed extrinsic, encoded as the chain takes it (built by [`Chain::sign`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extrinsic(Vec<u8>);

impl Extrinsic {
	/// An extrinsic from its encoding.
	pub fn from_encoded(bytes: Vec<u8>) -> Self {
		Extrinsic(bytes)
	}

	/// Its encoding.
	pub fn encoded(&self) -> &[u8] {
		&self.0
	}
}

impl From<UncheckedExtrinsic> for Extrinsic {
	fn from(xt: UncheckedExtrinsic) -> Self {
		Extrinsic(codec::Encode::encode(&xt))
	}
}

/// An event as the client reads it from a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEvent {
	/// An event of the client's vocabulary, as the test runtime's `RuntimeEvent` (on a node: an
	/// event whose pallet, name and field types are the test runtime's, renumbered to it).
	Known(RuntimeEvent),
	/// Any other event: its pallet's and its own name.
	Other {
		/// The pallet's name in the chain's runtime.
		pallet: String,
		/// The event's name.
		name: String,
	},
}

impl ChainEvent {
	/// The referral-rebate pallet's event, if it is one.
	pub fn rebate(&self) -> Option<&pallet_referral_rebate::Event<Runtime>> {
		match self {
			ChainEvent::Known(RuntimeEvent::ReferralRebate(e)) => Some(e),
			_ => None,
		}
	}
}

impl std::fmt::Display for ChainEvent {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			ChainEvent::Known(e) => write!(f, "{e:?}"),
			ChainEvent::Other { pallet, name } => write!(f, "{pallet}.{name}"),
		}
	}
}

/// Where a transaction landed and what it caused.
#[derive(Clone, Debug)]
pub struct Inclusion {
	/// The block's number.
	pub block_number: u32,
	/// The block's hash.
	pub block_hash: H256,
	/// The extrinsic's index in the block.
	pub index: u32,
	/// Whether its call succeeded: the dispatch error of its `ExtrinsicFailed` event if not.
	pub outcome: Result<(), DispatchError>,
	/// The events the extrinsic emitted, in order (including `ExtrinsicSuccess`/`Failed`).
	pub events: Vec<ChainEvent>,
}

/// One block of a chain's history, as `rebate history` shows it.
#[derive(Clone, Debug)]
pub struct HistoryBlock {
	/// Its number.
	pub number: u32,
	/// How many extrinsics it holds (inherents included).
	pub extrinsics: usize,
	/// Its events, in order.
	pub events: Vec<ChainEvent>,
}

/// The chain's figures the client's rules and displays use: the test runtime's, or a node's
/// from its metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constants {
	/// The furthest a rebate block may be after the block its promotion reaches the chain
	/// (`MaxRebateDelay`).
	pub max_rebate_delay: u32,
	/// How long a purchase record lives, in blocks (`PurchaseLifetime`).
	pub purchase_lifetime: u32,
	/// The native token's minimum balance (`Balances::ExistentialDeposit`).
	pub existential_deposit: Balance,
	/// The target block time in milliseconds (Aura's slot duration, Babe's expected block time,
	/// or twice the timestamp's minimum period).
	pub block_time_ms: u64,
	/// The id the pallet's escrow account is derived from (`PalletId`).
	pub pallet_id: [u8; 8],
}

impl Constants {
	/// The test runtime's (the embedded chain's).
	pub fn test_runtime() -> Self {
		use frame_support::traits::Get;
		type C = Runtime;
		Constants {
			max_rebate_delay: <<C as pallet_referral_rebate::Config>::MaxRebateDelay>::get(),
			purchase_lifetime: <<C as pallet_referral_rebate::Config>::PurchaseLifetime>::get(),
			existential_deposit: rebate_test_runtime::EXISTENTIAL_DEPOSIT,
			block_time_ms: rebate_test_runtime::MILLISECS_PER_BLOCK,
			pallet_id: <<C as pallet_referral_rebate::Config>::PalletId>::get().0,
		}
	}

	/// The pallet's escrow account on this chain.
	pub fn escrow_account(&self) -> AccountId {
		use sp_runtime::traits::AccountIdConversion;
		frame_support::PalletId(self.pallet_id).into_account_truncating()
	}
}

/// What a signer needs to know about the chain's runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeInfo {
	/// The genesis hash (what every signature is bound to).
	pub genesis: H256,
	/// The runtime's spec version (`CheckSpecVersion`).
	pub spec_version: u32,
	/// The runtime's transaction version (`CheckTxVersion`).
	pub transaction_version: u32,
}

/// A chain the client can read and submit to.
#[allow(async_fn_in_trait)]
pub trait Chain {
	/// The chain's genesis hash and runtime versions.
	fn info(&self) -> RuntimeInfo;

	/// Where the chain's runtime has the referral-rebate pallet (its errors' module index): the
	/// test runtime's, unless the chain says otherwise (a node: its metadata).
	fn pallet_index(&self) -> u8 {
		<rebate_test_runtime::ReferralRebate as frame_support::traits::PalletInfoAccess>::index()
			as u8
	}

	/// The name the chain's runtime gives the referral-rebate pallet: its storage prefix (the
	/// test runtime's, unless the chain says otherwise: a node, its metadata).
	fn pallet_name(&self) -> &str {
		<rebate_test_runtime::ReferralRebate as frame_support::traits::PalletInfoAccess>::name()
	}

	/// The chain's constants the client uses.
	fn constants(&self) -> Constants {
		Constants::test_runtime()
	}

	/// Sign `call` as `key` with `nonce`, mortal from `birth`, its fee in the native token or
	/// (`fee_asset`) in a pallet-assets asset: the test runtime's extrinsic format (a node: the
	/// chain's, from its metadata).
	fn sign(
		&self,
		key: &crate::keys::KeyPair,
		call: RuntimeCall,
		nonce: u32,
		birth: crate::extrinsic::Birth,
		fee_asset: Option<u32>,
	) -> Result<Extrinsic, ClientError> {
		Ok(crate::extrinsic::sign(&self.info(), key, call, nonce, birth, fee_asset).into())
	}

	/// Take in a runtime upgrade: `true` if the chain's runtime changed since it was read (a
	/// node: its metadata, versions and constants are read again), so what was signed for the
	/// old one should be signed again. The embedded chain's runtime never changes.
	async fn refresh(&mut self) -> Result<bool, ClientError> {
		Ok(false)
	}

	/// The number and hash of the best block.
	async fn best(&mut self) -> Result<(u32, H256), ClientError>;

	/// The hash of block `n` (for mortal transactions).
	async fn block_hash(&mut self, n: u32) -> Result<H256, ClientError>;

	/// The raw value at `key` in the best block's state.
	async fn storage(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError>;

	/// The next nonce of `who`: the best block's, or (on a node) the pool's, which counts
	/// transactions not yet in a block.
	async fn next_nonce(&mut self, who: &AccountId) -> Result<u32, ClientError>
	where
		Self: Sized,
	{
		Ok(state::account(self, who).await?.nonce)
	}

	/// What applying `xt` on top of the best block would return, changing nothing.
	async fn dry_run(&mut self, xt: &Extrinsic) -> Result<ApplyExtrinsicResult, ClientError>;

	/// Submit `xts` and wait until each is in a block; one result per extrinsic, in order.
	/// The embedded chain puts them all in one block; a node receives them one after the other.
	async fn submit(
		&mut self,
		xts: Vec<Extrinsic>,
	) -> Result<Vec<Result<Inclusion, ClientError>>, ClientError>;

	/// Produce (or wait for) `n` more blocks; `progress(done, n)` after each. Returns the new best
	/// block number.
	async fn advance(
		&mut self,
		n: u32,
		progress: &mut dyn FnMut(u32, u32),
	) -> Result<u32, ClientError>;
}

/// Decode the value at `key`, if any.
pub async fn read<C: Chain, T: Decode>(
	chain: &mut C,
	key: &[u8],
) -> Result<Option<T>, ClientError> {
	match chain.storage(key).await? {
		None => Ok(None),
		Some(bytes) => T::decode(&mut &bytes[..])
			.map(Some)
			.map_err(|e| ClientError::Backend(format!("undecodable storage value: {e}"))),
	}
}

/// Typed reads of the state the parties need.
pub mod state {
	use super::*;
	use pallet_referral_rebate::{Promotions, Purchases};

	/// The best block number.
	pub async fn now<C: Chain>(chain: &mut C) -> Result<u32, ClientError> {
		Ok(chain.best().await?.0)
	}

	/// Purchase record `id` (`None` if never recorded or removed at the end of its lifetime).
	pub async fn purchase<C: Chain>(
		chain: &mut C,
		id: PurchaseId,
	) -> Result<Option<PurchaseRecordOf<Runtime>>, ClientError> {
		let key = Purchases::<Runtime>::hashed_key_for(BlockKey::of(id.block), id.index);
		read(chain, &at_pallet(chain.pallet_name(), key)).await
	}

	/// The open promotion `(pay_at, merchant, id)`.
	pub async fn promotion<C: Chain>(
		chain: &mut C,
		pay_at: u32,
		merchant: &AccountId,
		id: PromotionId,
	) -> Result<Option<PromotionOf<Runtime>>, ClientError> {
		let key =
			Promotions::<Runtime>::hashed_key_for((BlockKey::of(pay_at), merchant.clone(), id));
		read(chain, &at_pallet(chain.pallet_name(), key)).await
	}

	/// Open campaign `id`.
	pub async fn campaign<C: Chain>(
		chain: &mut C,
		id: pallet_referral_rebate::CampaignId,
	) -> Result<Option<pallet_referral_rebate::CampaignOf<Runtime>>, ClientError> {
		let key = pallet_referral_rebate::Campaigns::<Runtime>::hashed_key_for(id);
		read(chain, &at_pallet(chain.pallet_name(), key)).await
	}

	/// How many rebates `customer` has had submitted under campaign `id`.
	pub async fn campaign_rebates<C: Chain>(
		chain: &mut C,
		id: pallet_referral_rebate::CampaignId,
		customer: &AccountId,
	) -> Result<u32, ClientError> {
		let key = pallet_referral_rebate::CampaignRebates::<Runtime>::hashed_key_for(id, customer);
		Ok(read(chain, &at_pallet(chain.pallet_name(), key)).await?.unwrap_or(0))
	}

	/// `key`, a storage key of the referral-rebate pallet as the test runtime names it, under the
	/// pallet's name on this chain: the prefix is `twox128(pallet name)`; the entry's name and key
	/// hashers after it are the pallet's own (the metadata check compares them).
	pub fn at_pallet(name: &str, mut key: Vec<u8>) -> Vec<u8> {
		if key.len() >= 16 {
			key[..16].copy_from_slice(&sp_io::hashing::twox_128(name.as_bytes()));
		}
		key
	}

	/// `who`'s account: nonce and balances.
	pub async fn account<C: Chain>(
		chain: &mut C,
		who: &AccountId,
	) -> Result<frame_system::AccountInfo<u32, pallet_balances::AccountData<Balance>>, ClientError>
	{
		Ok(read(chain, &frame_system::Account::<Runtime>::storage_map_final_key(who))
			.await?
			.unwrap_or_default())
	}

	/// `who`'s free balance in `asset` (in a pallet-assets asset: its balance there).
	pub async fn balance<C: Chain>(
		chain: &mut C,
		asset: &AssetKind,
		who: &AccountId,
	) -> Result<Balance, ClientError> {
		match asset {
			NativeOrWithId::Native => Ok(account(chain, who).await?.data.free),
			NativeOrWithId::WithId(id) => {
				let key = pallet_assets::Account::<Runtime>::hashed_key_for(id, who);
				let account: Option<pallet_assets::AssetAccountOf<Runtime, ()>> =
					read(chain, &key).await?;
				Ok(account.map_or(0, |a| a.balance))
			}
		}
	}

	/// The balance of the pallet's escrow account in `asset`: every open promotion's escrowed
	/// rebate in it.
	pub async fn escrow<C: Chain>(
		chain: &mut C,
		asset: &AssetKind,
	) -> Result<Balance, ClientError> {
		let escrow = chain.constants().escrow_account();
		balance(chain, asset, &escrow).await
	}
}

/// A chain picked at run time: a data directory or a node URL.
pub enum AnyChain {
	/// The embedded chain.
	Embedded(Box<embedded::Embedded>),
	/// A node.
	#[cfg(feature = "node")]
	Node(node::Node),
}

impl AnyChain {
	/// Open `target`: a `ws://`/`wss://` URL is a node, anything else the embedded chain's data
	/// directory (created with the development genesis if it does not exist).
	pub async fn open(target: &str) -> Result<Self, ClientError> {
		if target.starts_with("ws://") || target.starts_with("wss://") {
			#[cfg(feature = "node")]
			return Ok(AnyChain::Node(node::Node::connect(target).await?));
			#[cfg(not(feature = "node"))]
			return Err(ClientError::Backend(
				"this build has no node backend (feature `node`)".into(),
			));
		}
		Ok(AnyChain::Embedded(Box::new(embedded::Embedded::open(
			std::path::Path::new(target),
			&embedded::Genesis::default(),
		)?)))
	}

	/// Open `target` to read it: a node as [`AnyChain::open`] does; an embedded chain without
	/// its lock, while the processes that write it keep it open
	/// ([`embedded::Embedded::open_read_only`]).
	pub async fn open_read_only(target: &str) -> Result<Self, ClientError> {
		if target.starts_with("ws://") || target.starts_with("wss://") {
			return Self::open(target).await;
		}
		Ok(AnyChain::Embedded(Box::new(embedded::Embedded::open_read_only(std::path::Path::new(
			target,
		))?)))
	}
}

impl AnyChain {
	/// The block history from block `from` on: an embedded chain's log, or a node's blocks and
	/// events.
	pub async fn history(&self, from: u32) -> Result<Vec<HistoryBlock>, ClientError> {
		match self {
			AnyChain::Embedded(c) => Ok(c
				.history(from)?
				.into_iter()
				.map(|b| HistoryBlock {
					number: b.block.header.number,
					extrinsics: b.block.extrinsics.len(),
					events: b.events.into_iter().map(|r| ChainEvent::Known(r.event)).collect(),
				})
				.collect()),
			#[cfg(feature = "node")]
			AnyChain::Node(n) => n.history(from).await,
		}
	}

	/// A chain opened read-only: take in what its writer added since (an embedded chain reads
	/// its log's new records; a node is always current).
	pub fn catch_up(&mut self) -> Result<(), ClientError> {
		match self {
			AnyChain::Embedded(c) => c.catch_up().map(|_| ()),
			#[cfg(feature = "node")]
			AnyChain::Node(_) => Ok(()),
		}
	}
}

macro_rules! delegate {
	($self:ident, $c:ident => $e:expr) => {
		match $self {
			AnyChain::Embedded($c) => $e,
			#[cfg(feature = "node")]
			AnyChain::Node($c) => $e,
		}
	};
}

impl Chain for AnyChain {
	fn info(&self) -> RuntimeInfo {
		delegate!(self, c => c.info())
	}
	fn pallet_index(&self) -> u8 {
		delegate!(self, c => c.pallet_index())
	}
	fn pallet_name(&self) -> &str {
		delegate!(self, c => c.pallet_name())
	}
	fn constants(&self) -> Constants {
		delegate!(self, c => c.constants())
	}
	fn sign(
		&self,
		key: &crate::keys::KeyPair,
		call: RuntimeCall,
		nonce: u32,
		birth: crate::extrinsic::Birth,
		fee_asset: Option<u32>,
	) -> Result<Extrinsic, ClientError> {
		delegate!(self, c => c.sign(key, call, nonce, birth, fee_asset))
	}
	async fn refresh(&mut self) -> Result<bool, ClientError> {
		delegate!(self, c => c.refresh().await)
	}
	async fn best(&mut self) -> Result<(u32, H256), ClientError> {
		delegate!(self, c => c.best().await)
	}
	async fn block_hash(&mut self, n: u32) -> Result<H256, ClientError> {
		delegate!(self, c => c.block_hash(n).await)
	}
	async fn storage(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
		delegate!(self, c => c.storage(key).await)
	}
	async fn next_nonce(&mut self, who: &AccountId) -> Result<u32, ClientError> {
		delegate!(self, c => c.next_nonce(who).await)
	}
	async fn dry_run(&mut self, xt: &Extrinsic) -> Result<ApplyExtrinsicResult, ClientError> {
		delegate!(self, c => c.dry_run(xt).await)
	}
	async fn submit(
		&mut self,
		xts: Vec<Extrinsic>,
	) -> Result<Vec<Result<Inclusion, ClientError>>, ClientError> {
		delegate!(self, c => c.submit(xts).await)
	}
	async fn advance(
		&mut self,
		n: u32,
		progress: &mut dyn FnMut(u32, u32),
	) -> Result<u32, ClientError> {
		delegate!(self, c => c.advance(n, progress).await)
	}
}
