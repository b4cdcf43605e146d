//! # Referral-rebate test runtime
//!
//! A small but real Substrate runtime that deploys `pallet-referral-rebate`: frame-system,
//! balances, pallet-assets with a stablecoin (its genesis presets create it and fund the dev
//! accounts), transaction payment with fees payable in the native token or the stablecoin
//! (pallet-asset-tx-payment), timestamp, Aura (so a dev node such as polkadot-omni-node's
//! manual-seal mode can run it), multisig (to compare three-party agreements), and the
//! referral-rebate pallet with `MultiSignature` documents whose amounts are in either asset
//! (`fungible::UnionOf` over balances and assets, `NativeOrWithId<u32>` asset kinds). u32 block
//! numbers, signed extrinsics with the standard transaction extensions, blocks built by
//! `frame-executive`.
//!
//! The wasm blob is built only with the `wasm` feature (it needs the `wasm32v1-none` target);
//! without it the runtime is native only, which is all an embedded chain needs.
//!
//! ## Another chain (`other-chain`)
//!
//! The build also makes a second wasm blob of this crate with the `other-chain` feature
//! (`rebate_other_chain.wasm`, never built natively): the same pallets and types, deployed the
//! way another chain might deploy them. The referral-rebate pallet is named `Referrals` at index
//! 42; the transaction extensions differ (`CheckMetadataHash` added, no `CheckNonZeroSender`, the
//! nonce checked before the era); blocks are 12 s, so `MaxRebateDelay` and `PurchaseLifetime`
//! (10 and 20 days) are other block counts; the existential deposit is ten times this one's; its
//! spec name and versions are its own. A client that learns the chain from its metadata works
//! with both unchanged; the CLI's node tests run against both.

#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]

#[cfg(all(feature = "std", feature = "wasm"))]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

#[cfg(feature = "std")]
pub mod authoring;
pub mod genesis;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	derive_impl,
	genesis_builder_helper::{build_state, get_preset},
	parameter_types,
	traits::{
		fungible::{NativeFromLeft, NativeOrWithId, UnionOf},
		AsEnsureOriginWithArg, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf,
	},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata, H256};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, Block as BlockT, IdentifyAccount, One, Verify},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode, MultiAddress, MultiSignature, Perbill,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_multisig::Call as MultisigCall;
pub use pallet_referral_rebate::Call as ReferralRebateCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// Block numbers.
pub type BlockNumber = u32;
/// Transaction and document signatures.
pub type Signature = MultiSignature;
/// Accounts: the public key (or its hash, for ecdsa) of a `MultiSignature` signer.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balances.
pub type Balance = u128;
/// Transaction nonces.
pub type Nonce = u32;
/// Hashes.
pub type Hash = H256;

/// One unit: 12 decimals.
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a unit.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// The existential deposit.
#[cfg(not(feature = "other-chain"))]
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
/// The existential deposit.
#[cfg(feature = "other-chain")]
pub const EXISTENTIAL_DEPOSIT: Balance = 10 * MILLI_UNIT;

/// The kind of asset a document's amounts are in: the native token, or a pallet-assets asset by
/// its id.
pub type AssetKind = NativeOrWithId<u32>;
/// The pallet-assets id of the stablecoin the genesis presets create.
pub const STABLECOIN_ID: u32 = 1984;
/// The stablecoin, as an asset kind.
pub const STABLECOIN: AssetKind = NativeOrWithId::WithId(STABLECOIN_ID);
/// The stablecoin's symbol.
pub const STABLECOIN_SYMBOL: &str = "TUSD";
/// The stablecoin's name.
pub const STABLECOIN_NAME: &str = "Test Dollar";
/// The stablecoin's decimals.
pub const STABLECOIN_DECIMALS: u8 = 6;
/// One dollar of the stablecoin.
pub const DOLLARS: Balance = 1_000_000;
/// One cent of the stablecoin: its minimum balance. The stablecoin is sufficient, so an account
/// holding only it exists (and can pay its fees in it).
pub const STABLECOIN_MIN_BALANCE: Balance = DOLLARS / 100;
/// The native token's symbol.
pub const NATIVE_SYMBOL: &str = "UNIT";
/// The native token's decimals.
pub const NATIVE_DECIMALS: u8 = 12;

/// Target block time.
#[cfg(not(feature = "other-chain"))]
pub const MILLISECS_PER_BLOCK: u64 = 6000;
/// Target block time.
#[cfg(feature = "other-chain")]
pub const MILLISECS_PER_BLOCK: u64 = 12000;
/// Aura slot duration.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Opaque types for the node side, which need not know the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	/// Opaque block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;

	impl_opaque_keys! {
		/// The session keys: Aura only.
		pub struct SessionKeys {
			pub aura: Aura,
		}
	}
}

#[cfg(not(feature = "other-chain"))]
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("rebate-test-runtime"),
	impl_name: alloc::borrow::Cow::Borrowed("rebate-test-runtime"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

#[cfg(feature = "other-chain")]
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("rebate-other-chain"),
	impl_name: alloc::borrow::Cow::Borrowed("rebate-other-chain"),
	authoring_version: 1,
	spec_version: 2_007,
	impl_version: 1,
	apis: RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// The share of a block's weight and length that normal extrinsics may use.
pub const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// Five MiB blocks, three quarters of them for normal extrinsics.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(frame_support::dispatch::DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// `rebate-node` stores its state in ParityDB: the weights charge its read and write costs.
	type DbWeight = ParityDbWeight;
	/// The transaction extensions' weights, from their benchmarks (and so under `DbWeight`).
	type ExtensionsWeightInfo = frame_system::SubstrateExtensionsWeight<Runtime>;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = weights::pallet_balances::WeightInfo<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

parameter_types! {
	pub const AssetDeposit: Balance = 10 * UNIT;
	pub const AssetAccountDeposit: Balance = MILLI_UNIT;
	pub const MetadataDepositBase: Balance = MILLI_UNIT;
	pub const MetadataDepositPerByte: Balance = MILLI_UNIT / 100;
	pub const ApprovalDeposit: Balance = MILLI_UNIT;
}

impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = u32;
	type AssetIdParameter = codec::Compact<u32>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<frame_system::EnsureSigned<AccountId>>;
	type ForceOrigin = frame_system::EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = MetadataDepositBase;
	type MetadataDepositPerByte = MetadataDepositPerByte;
	type ApprovalDeposit = ApprovalDeposit;
	type StringLimit = ConstU32<50>;
	type Freezer = ();
	type Holder = ();
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	type WeightInfo = pallet_assets::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// The native token and pallet-assets' assets as one `fungibles`: what the referral-rebate pallet
/// prices and escrows in.
pub type NativeAndAssets = UnionOf<Balances, Assets, NativeFromLeft, AssetKind, AccountId>;

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

/// Fees in a sufficient asset (the stablecoin): the native fee converted at the ratio of the
/// asset's minimum balance to the existential deposit, as pallet-assets' `BalanceToAssetBalance`
/// does; a signer that names no asset pays in the native token through transaction payment.
impl pallet_asset_tx_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Fungibles = Assets;
	type OnChargeAssetTransaction = pallet_asset_tx_payment::FungiblesAdapter<
		pallet_assets::BalanceToAssetBalance<Balances, Runtime, sp_runtime::traits::ConvertInto>,
		(),
	>;
	type WeightInfo = pallet_asset_tx_payment::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = AssetTxBenchmarkHelper;
}

/// Benchmarks `ChargeAssetTxPayment` with a fresh sufficient asset.
#[cfg(feature = "runtime-benchmarks")]
pub struct AssetTxBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_asset_tx_payment::BenchmarkHelperTrait<AccountId, u32, u32> for AssetTxBenchmarkHelper {
	fn create_asset_id_parameter(id: u32) -> (u32, u32) {
		(id, id)
	}
	fn setup_balances_and_pool(asset_id: u32, account: AccountId) {
		use frame_support::traits::fungibles::Mutate;
		create_benchmark_asset(asset_id);
		let _ = Assets::mint_into(asset_id, &account, 1_000_000 * DOLLARS);
	}
}

/// Create asset `id` for a benchmark, sufficient with the stablecoin's minimum, if it does not
/// exist yet.
#[cfg(feature = "runtime-benchmarks")]
fn create_benchmark_asset(id: u32) {
	if !pallet_assets::Asset::<Runtime>::contains_key(id) {
		let owner = sp_runtime::MultiAddress::Id(ReferralRebate::escrow_account());
		let _ = Assets::force_create(
			RuntimeOrigin::root(),
			id.into(),
			owner,
			true,
			STABLECOIN_MIN_BALANCE,
		);
	}
}

/// The referral-rebate benchmarks' assets: the native token, and the stablecoin (created if a
/// benchmark's genesis lacks it).
#[cfg(feature = "runtime-benchmarks")]
pub struct RebateBenchmarkAssets;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_referral_rebate::BenchmarkAssets<AssetKind> for RebateBenchmarkAssets {
	fn asset(kind: pallet_referral_rebate::BenchmarkAsset) -> AssetKind {
		match kind {
			pallet_referral_rebate::BenchmarkAsset::Native => NativeOrWithId::Native,
			pallet_referral_rebate::BenchmarkAsset::Other => {
				create_benchmark_asset(STABLECOIN_ID);
				STABLECOIN
			}
		}
	}
}

parameter_types! {
	pub const DepositBase: Balance = 10 * MILLI_UNIT;
	pub const DepositFactor: Balance = MILLI_UNIT;
}

impl pallet_multisig::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type DepositBase = DepositBase;
	type DepositFactor = DepositFactor;
	type MaxSignatories = ConstU32<16>;
	type WeightInfo = weights::pallet_multisig::WeightInfo<Runtime>;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// A tenth of a block closes due promotions and removes ended purchase records; what does
	/// not fit waits at the head of its queue for the next block.
	pub MaxHookWeight: Weight = Perbill::from_percent(10) * RuntimeBlockWeights::get().max_block;
	/// The escrow account is derived from this.
	pub const RebatePalletId: frame_support::PalletId = frame_support::PalletId(*b"rbt/escr");
}

/// Blocks in a day at this runtime's block time.
pub const DAYS: BlockNumber = (24 * 60 * 60 * 1000 / MILLISECS_PER_BLOCK) as BlockNumber;
#[cfg(not(feature = "other-chain"))]
const REBATE_DELAY_DAYS: BlockNumber = 30;
#[cfg(feature = "other-chain")]
const REBATE_DELAY_DAYS: BlockNumber = 10;
#[cfg(not(feature = "other-chain"))]
const PURCHASE_LIFETIME_DAYS: BlockNumber = 60;
#[cfg(feature = "other-chain")]
const PURCHASE_LIFETIME_DAYS: BlockNumber = 20;

impl pallet_referral_rebate::Config for Runtime {
	type Assets = NativeAndAssets;
	/// The native token's transfers cost the benchmarks' native path; the stablecoin's the other.
	type NativeAsset = pallet_referral_rebate::charges::NativeOfUnion;
	type Signature = Signature;
	type Signer = <Signature as Verify>::Signer;
	type PalletId = RebatePalletId;
	/// A rebate block at most 30 days (another chain: 10) after its promotion reaches the chain.
	type MaxRebateDelay = ConstU32<{ REBATE_DELAY_DAYS * DAYS }>;
	/// Purchase records live 60 days (another chain: 20): offers may point to them, and refunds
	/// act on them, so long.
	type PurchaseLifetime = ConstU32<{ PURCHASE_LIFETIME_DAYS * DAYS }>;
	type MaxHookWeight = MaxHookWeight;
	/// A campaign pays rebates to at most 512 customers: closing it removes their counts in one
	/// call.
	type MaxCampaignCustomers = ConstU32<512>;
	type WeightInfo = weights::pallet_referral_rebate::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper =
		pallet_referral_rebate::MultiSignatureBenchmarkHelper<RebateBenchmarkAssets>;
}

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(5)]
	pub type Multisig = pallet_multisig;
	#[cfg(not(feature = "other-chain"))]
	#[runtime::pallet_index(6)]
	pub type ReferralRebate = pallet_referral_rebate;
	#[cfg(feature = "other-chain")]
	#[runtime::pallet_index(42)]
	pub type Referrals = pallet_referral_rebate;
	#[runtime::pallet_index(7)]
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(8)]
	pub type AssetTxPayment = pallet_asset_tx_payment;
}

/// Another chain's name for the referral-rebate pallet: this crate's code calls it by one name.
#[cfg(feature = "other-chain")]
pub type ReferralRebate = Referrals;

/// Addresses in extrinsics.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// The transaction extensions every signed extrinsic carries.
#[cfg(not(feature = "other-chain"))]
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_asset_tx_payment::ChargeAssetTxPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);
/// The transaction extensions every signed extrinsic carries: another chain's set and order.
#[cfg(feature = "other-chain")]
pub type TxExtension = (
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_asset_tx_payment::ChargeAssetTxPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);
/// Extrinsics as this runtime expects them.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// What a signer signs for an extrinsic.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// Dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
>;

#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_multisig, Multisig]
		[pallet_assets, Assets]
		[pallet_referral_rebate, ReferralRebate]
	);
}

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			opaque::SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			opaque::SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::{TrackedStorageKey, WhitelistedStorageKeys};
			use frame_system_benchmarking::Pallet as SystemBench;

			impl frame_system_benchmarking::Config for Runtime {}

			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks).unwrap_or_default();
			(weight, RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.unwrap_or_default()
		}
	}
}
