//! The node's service: client, ParityDB backend, transaction pool, network, JSON-RPC, and block
//! production by manual seal with Aura digests.

use crate::{cli::Consensus, rpc};
use futures::{channel::mpsc, FutureExt, StreamExt};
use rebate_test_runtime::{opaque::Block, RuntimeApi, SLOT_DURATION};
use sc_client_api::HeaderBackend;
use sc_consensus_manual_seal::{
	consensus::aura::AuraConsensusDataProvider, EngineCommand, ManualSealParams,
};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sc_transaction_pool_api::TransactionPool;
use sp_consensus_aura::SlotDuration;
use sp_runtime::traits::{Block as BlockT, SaturatedConversion};
use std::sync::Arc;

type HostFunctions = sp_io::SubstrateHostFunctions;
type Hash = <Block as BlockT>::Hash;

/// Build and start the full node; returns its task manager, which runs until the node stops.
pub fn new_full<Network: sc_network::NetworkBackend<Block, Hash>>(
	config: Configuration,
	consensus: Consensus,
) -> Result<TaskManager, ServiceError> {
	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, mut task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(&config, None, executor, vec![])?;
	let client = Arc::new(client);
	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let import_queue = sc_consensus_manual_seal::import_queue(
		Box::new(client.clone()),
		&task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);

	let net_config = sc_network::config::FullNetworkConfiguration::<Block, Hash, Network>::new(
		&config.network,
		config.prometheus_registry().cloned(),
	);
	let metrics = Network::register_notification_metrics(config.prometheus_registry());
	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	// Seal commands: from `engine_createBlock`, and from the pool or a timer.
	let (seal, rpc_commands) = mpsc::channel::<EngineCommand<Hash>>(1024);
	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		let seal = seal.clone();
		Box::new(move |_| {
			rpc::create(rpc::Deps {
				client: client.clone(),
				pool: pool.clone(),
				seal: seal.clone(),
			})
			.map_err(Into::into)
		})
	};
	let prometheus_registry = config.prometheus_registry().cloned();
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network,
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service,
		config,
		telemetry: None,
		tracing_execute_block: None,
	})?;

	let seal_new_block = |create_empty| EngineCommand::SealNewBlock {
		create_empty,
		finalize: true,
		parent_hash: None,
		sender: None,
	};
	let automatic: futures::stream::BoxStream<'static, EngineCommand<Hash>> = match consensus {
		Consensus::InstantSeal => transaction_pool
			.import_notification_stream()
			.map(move |_| seal_new_block(false))
			.boxed(),
		Consensus::ManualSeal(ms) => futures::stream::unfold((), move |()| async move {
			futures_timer::Delay::new(std::time::Duration::from_millis(ms)).await;
			Some((seal_new_block(true), ()))
		})
		.boxed(),
	};
	let commands_stream = futures::stream::select(automatic, rpc_commands);

	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		None,
	);
	// Block n: timestamp n × SLOT_DURATION, hence Aura slot n (the digest follows the timestamp).
	let timestamps = client.clone();
	let create_inherent_data_providers = move |parent: Hash, ()| {
		let parent_number: u64 =
			timestamps.number(parent).ok().flatten().unwrap_or_default().saturated_into();
		async move {
			let now = parent_number.saturating_add(1).saturating_mul(SLOT_DURATION);
			Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
				sp_timestamp::InherentDataProvider::new(now.into()),
			)
		}
	};
	let authorship = sc_consensus_manual_seal::run_manual_seal(ManualSealParams {
		block_import: client.clone(),
		env: proposer,
		client,
		pool: transaction_pool,
		select_chain,
		commands_stream,
		consensus_data_provider: Some(Box::new(AuraConsensusDataProvider::new_with_slot_duration(
			SlotDuration::from_millis(SLOT_DURATION),
		))),
		create_inherent_data_providers,
	});
	task_manager.spawn_essential_handle().spawn_blocking("manual-seal", None, authorship.boxed());
	Ok(task_manager)
}
