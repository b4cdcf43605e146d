//! The node's own RPC methods, beside the standard ones `sc-service` serves:
//! `system_accountNextIndex` (the next nonce, counting the pool) and manual seal's
//! `engine_createBlock` / `engine_finalizeBlock`.

use futures::channel::mpsc;
use jsonrpsee::RpcModule;
use rebate_test_runtime::{opaque::Block, AccountId, Nonce};
use sc_consensus_manual_seal::{
	rpc::{ManualSeal, ManualSealApiServer},
	EngineCommand,
};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use sp_runtime::traits::Block as BlockT;
use std::sync::Arc;

/// What the RPC methods need.
pub struct Deps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// Where `engine_createBlock` sends its commands.
	pub seal: mpsc::Sender<EngineCommand<<Block as BlockT>::Hash>>,
}

/// All the node's own RPC methods in one module.
pub fn create<C, P>(
	deps: Deps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: sp_block_builder::BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use substrate_frame_rpc_system::{System, SystemApiServer};
	let Deps { client, pool, seal } = deps;
	let mut module = RpcModule::new(());
	module.merge(System::new(client, pool).into_rpc())?;
	module.merge(ManualSeal::new(seal).into_rpc())?;
	Ok(module)
}
