//! A chain of `rebate-test-runtime` in a test's memory: signed extrinsics with the runtime's
//! transaction extensions, blocks authored the way a node authors them (Aura pre-runtime digest,
//! timestamp inherent, `initialize_block` / `apply_extrinsic` / `finalize_block`), then imported
//! with `Executive::execute_block`, which checks the extrinsics root, the state root and every
//! signature again.

use codec::{Decode, Encode};
use frame_support::dispatch::GetDispatchInfo;
use pallet_referral_rebate::mock::Key;
use rebate_test_runtime::{
	AccountId, AssetKind, Balance, Block, BuildStorage, Executive, Header, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeGenesisConfig, SignedPayload, System, TxExtension, UncheckedExtrinsic,
};
use sp_core::H256;
use sp_runtime::{
	generic::Era,
	traits::{BlakeTwo256, Block as BlockT, Hash as _, Header as _},
	ApplyExtrinsicResult, MultiAddress,
};

pub use pallet_referral_rebate::mock::Key as DevKey;

/// Executing blocks with the runtime's wasm blob, as a node imports them.
pub mod wasm {
	use super::*;

	/// Call runtime API function `method` of the wasm runtime over `ext`, through one cached
	/// executor (the blob is compiled once per process); `None` if no wasm blob was built.
	#[cfg(feature = "wasm")]
	pub fn call(
		ext: &mut dyn sp_core::traits::Externalities,
		method: &str,
		data: &[u8],
	) -> Option<Result<Vec<u8>, String>> {
		use sp_core::traits::{CallContext, CodeExecutor, RuntimeCode, WrappedRuntimeCode};
		use std::sync::OnceLock;
		static EXECUTOR: OnceLock<sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>> =
			OnceLock::new();
		let wasm = rebate_test_runtime::WASM_BINARY?;
		let executor = EXECUTOR.get_or_init(|| sc_executor::WasmExecutor::builder().build());
		let code = WrappedRuntimeCode(wasm.into());
		let runtime_code = RuntimeCode {
			code_fetcher: &code,
			heap_pages: None,
			hash: sp_io::hashing::blake2_256(wasm).to_vec(),
		};
		let (result, _) =
			executor.call(ext, &runtime_code, method, data, CallContext::Onchain { import: true });
		Some(result.map_err(|e| e.to_string()))
	}

	/// Execute `block` with the wasm runtime over `ext`; `false` if no wasm blob was built (the
	/// caller then imports natively).
	#[cfg(feature = "wasm")]
	pub fn execute_block(ext: &mut dyn sp_core::traits::Externalities, block: &Block) -> bool {
		match call(ext, "Core_execute_block", &block.encode()) {
			None => false,
			Some(Ok(_)) => true,
			Some(Err(e)) => panic!("the wasm runtime refused block {}: {e}", block.header().number),
		}
	}

	/// Without the `wasm` feature there is no blob: import natively.
	#[cfg(not(feature = "wasm"))]
	pub fn execute_block(_: &mut dyn sp_core::traits::Externalities, _: &Block) -> bool {
		false
	}
}

/// The outcome of one block.
#[derive(Debug)]
pub struct Produced {
	/// The block as imported.
	pub block: Block,
	/// What `apply_extrinsic` returned for each submitted extrinsic, in order. Extrinsics that
	/// were invalid (`Err`) are not in the block, as a node's block builder would drop them.
	pub results: Vec<ApplyExtrinsicResult>,
	/// The block's events.
	pub events: Vec<RuntimeEvent>,
}

/// A chain in memory.
pub struct Chain {
	ext: sp_io::TestExternalities,
	parent: H256,
	number: u32,
}

impl Chain {
	/// A chain from a genesis config.
	pub fn new(genesis: RuntimeGenesisConfig) -> Self {
		let storage = genesis.build_storage().expect("genesis builds");
		let mut ext = sp_io::TestExternalities::new(storage);
		// The genesis header a node computes: the genesis state's root, an empty extrinsics root.
		let genesis_hash = ext.execute_with(|| {
			let state_root = sp_io::storage::root(sp_runtime::StateVersion::V1);
			let extrinsics_root = BlakeTwo256::trie_root(Vec::new(), sp_runtime::StateVersion::V1);
			Header::new(
				0,
				extrinsics_root,
				H256::decode(&mut &state_root[..]).expect("32-byte root"),
				Default::default(),
				Default::default(),
			)
			.hash()
		});
		ext.commit_all().expect("genesis commits");
		let mut chain = Chain { ext, parent: genesis_hash, number: 0 };
		// Block 1 records the genesis hash on chain (frame-system's genesis holds a placeholder
		// until then), so every transaction signed from here on is for the real genesis.
		chain.produce(vec![]);
		chain
	}

	/// A chain from the runtime's `development` preset, with `extra` accounts funded (or
	/// re-funded) as given in the native token.
	pub fn development(extra: &[(AccountId, Balance)]) -> Self {
		Self::development_with(extra, &[])
	}

	/// A chain from the runtime's `development` preset, with `native` accounts funded (or
	/// re-funded) in the native token and `stablecoin` accounts in the stablecoin, as given.
	pub fn development_with(
		native: &[(AccountId, Balance)],
		stablecoin: &[(AccountId, Balance)],
	) -> Self {
		let mut json = rebate_test_runtime::genesis::development();
		let balances = json["balances"]["balances"].as_array_mut().expect("balances in preset");
		for (who, amount) in native {
			let who = serde_json::json!(who);
			balances.retain(|entry| entry[0] != who);
			balances.push(serde_json::json!([who, amount]));
		}
		let accounts = json["assets"]["accounts"].as_array_mut().expect("assets in preset");
		for (who, amount) in stablecoin {
			let who = serde_json::json!(who);
			accounts.retain(|entry| entry[1] != who);
			accounts.push(serde_json::json!([rebate_test_runtime::STABLECOIN_ID, who, amount]));
		}
		let config: RuntimeGenesisConfig = serde_json::from_value(json).expect("preset parses");
		Self::new(config)
	}

	/// The genesis hash (what `CheckGenesis` and document links sign).
	pub fn genesis_hash(&mut self) -> H256 {
		self.with_state(|| System::block_hash(0))
	}

	/// The number of the last imported block.
	pub fn best_number(&self) -> u32 {
		self.number
	}

	/// Run `f` against the chain's current state (changes are kept).
	pub fn with_state<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	/// Hand the chain's state to `f` as externalities, for an executor to run the wasm runtime
	/// over it; [`Self::commit`] keeps what it changed.
	pub fn with_ext<R>(
		&mut self,
		f: impl FnOnce(&mut dyn sp_core::traits::Externalities) -> R,
	) -> R {
		let mut ext = self.ext.ext();
		f(&mut ext)
	}

	/// Commit the changes made through [`Self::with_ext`].
	pub fn commit(&mut self) {
		self.ext.commit_all().expect("changes commit");
	}

	/// Sign `call` as `key`, with its next nonce, immortal, no tip.
	pub fn sign(&mut self, key: &Key, call: RuntimeCall) -> UncheckedExtrinsic {
		let who = key.account();
		let nonce = self.with_state(|| System::account_nonce(&who));
		self.sign_with(key, call, nonce, Era::Immortal)
	}

	/// Sign `call` as `key`, with its next nonce, immortal, its fee paid in the pallet-assets
	/// asset `fee_asset`.
	pub fn sign_paying_in(
		&mut self,
		key: &Key,
		call: RuntimeCall,
		fee_asset: u32,
	) -> UncheckedExtrinsic {
		let who = key.account();
		let nonce = self.with_state(|| System::account_nonce(&who));
		self.sign_full(key, call, nonce, Era::Immortal, Some(fee_asset))
	}

	/// Sign `call` as `key` with this nonce and era.
	pub fn sign_with(
		&mut self,
		key: &Key,
		call: RuntimeCall,
		nonce: u32,
		era: Era,
	) -> UncheckedExtrinsic {
		self.sign_full(key, call, nonce, era, None)
	}

	fn sign_full(
		&mut self,
		key: &Key,
		call: RuntimeCall,
		nonce: u32,
		era: Era,
		fee_asset: Option<u32>,
	) -> UncheckedExtrinsic {
		let extension: TxExtension =
			rebate_test_runtime::authoring::tx_extension(nonce, era, fee_asset);
		let payload = self.with_state(|| {
			SignedPayload::new(call.clone(), extension.clone()).expect("implicit data available")
		});
		let signature = payload.using_encoded(|bytes| key.sign(bytes));
		UncheckedExtrinsic::new_signed(call, MultiAddress::Id(key.account()), signature, extension)
	}

	/// Author a block with `extrinsics` (after the timestamp inherent) and import it.
	pub fn produce(&mut self, extrinsics: Vec<UncheckedExtrinsic>) -> Produced {
		let number = self.number + 1;
		let header = rebate_test_runtime::authoring::next_header(self.parent, number);

		// Author on a copy of the state, as a node's block builder does, then throw it away.
		let mut scratch = sp_io::TestExternalities::default();
		scratch.backend = self.ext.as_backend();
		let (block, results) = scratch
			.execute_with(|| rebate_test_runtime::authoring::author_block(&header, extrinsics));

		// Import: re-execute and check everything, as every node does; with the wasm runtime
		// when it was built (the `wasm` feature), natively otherwise.
		let imported_in_wasm = {
			let mut ext = self.ext.ext();
			wasm::execute_block(&mut ext, &block)
		};
		if !imported_in_wasm {
			self.ext.execute_with(|| Executive::execute_block(block.clone().into()));
		}
		let events =
			self.ext.execute_with(|| System::events().into_iter().map(|r| r.event).collect());
		self.ext.commit_all().expect("block commits");
		self.parent = block.header().hash();
		self.number = number;
		Produced { block, results, events }
	}

	/// Produce empty blocks until block `n` is imported.
	pub fn advance_to(&mut self, n: u32) {
		while self.number < n {
			self.produce(vec![]);
		}
	}

	/// `who`'s free balance.
	pub fn free(&mut self, who: &AccountId) -> Balance {
		self.with_state(|| pallet_balances::Pallet::<Runtime>::free_balance(who))
	}

	/// The total issuance of the chain's currency.
	pub fn issuance(&mut self) -> Balance {
		self.with_state(pallet_balances::Pallet::<Runtime>::total_issuance)
	}

	/// The balance of the pallet's escrow account in the native token (every open native rebate).
	pub fn escrow(&mut self) -> Balance {
		let escrow = pallet_referral_rebate::Pallet::<Runtime>::escrow_account();
		self.free(&escrow)
	}

	/// `who`'s balance in `asset`.
	pub fn balance(&mut self, asset: AssetKind, who: &AccountId) -> Balance {
		use frame_support::traits::fungibles::Inspect;
		self.with_state(|| rebate_test_runtime::NativeAndAssets::balance(asset, who))
	}

	/// `asset`'s total issuance.
	pub fn issuance_of(&mut self, asset: AssetKind) -> Balance {
		use frame_support::traits::fungibles::Inspect;
		self.with_state(|| rebate_test_runtime::NativeAndAssets::total_issuance(asset))
	}

	/// The escrow account's balance in `asset`.
	pub fn escrow_in(&mut self, asset: AssetKind) -> Balance {
		let escrow = pallet_referral_rebate::Pallet::<Runtime>::escrow_account();
		self.balance(asset, &escrow)
	}

	/// The weight the runtime declares for `xt` and the fee it would charge, by the
	/// transaction-payment runtime API's logic.
	pub fn weight_and_fee(
		&mut self,
		xt: &UncheckedExtrinsic,
	) -> (frame_support::weights::Weight, Balance) {
		let len = xt.encoded_size() as u32;
		let info = xt.get_dispatch_info();
		let fee = self.with_state(|| {
			pallet_transaction_payment::Pallet::<Runtime>::query_info(xt.clone(), len).partial_fee
		});
		(info.total_weight(), fee)
	}
}

/// The fee `who` paid in `events` (from `TransactionFeePaid`).
pub fn fee_paid(events: &[RuntimeEvent], who: &AccountId) -> Balance {
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid {
					who: w, actual_fee, ..
				},
			) if w == who => Some(*actual_fee),
			_ => None,
		})
		.sum()
}

/// The actual weight of the normal-class extrinsics in `events` (after refunds), from
/// `ExtrinsicSuccess` / `ExtrinsicFailed`.
pub fn normal_weight_used(events: &[RuntimeEvent]) -> frame_support::weights::Weight {
	use frame_support::dispatch::DispatchClass;
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { dispatch_info })
			| RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_info, ..
			}) if dispatch_info.class == DispatchClass::Normal => Some(dispatch_info.weight),
			_ => None,
		})
		.fold(Default::default(), |a, w| a + w)
}

/// The referral-rebate events among `events`.
pub fn rebate_events(events: &[RuntimeEvent]) -> Vec<pallet_referral_rebate::Event<Runtime>> {
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::ReferralRebate(e) => Some(e.clone()),
			_ => None,
		})
		.collect()
}

/// The id of the first purchase `events` recorded.
pub fn recorded_purchase(events: &[RuntimeEvent]) -> Option<documents::PurchaseId> {
	rebate_events(events).iter().find_map(pallet_referral_rebate::Event::recorded_purchase)
}

/// Documents of one promotion on this runtime, built and signed off chain with the pallet's own
/// types and payload function.
pub mod documents {
	use super::*;
	use pallet_referral_rebate::{
		Document, Framing, Offer, OfferOf, PayoutCondition, PromotionId, PurchaseIdOf, Rebate,
		RebateOf, ReferredPurchase, ReferredPurchaseOf, Role, Signed, SignedOfferOf,
		SignedPurchaseOf, SignedRebateOf,
	};

	/// A purchase id on this runtime.
	pub type PurchaseId = PurchaseIdOf<Runtime>;

	/// The three parties' keys.
	#[derive(Clone)]
	pub struct Parties {
		pub merchant: Key,
		pub customer: Key,
		pub referee: Key,
	}

	impl Parties {
		/// Alice sells, Bob refers, Charlie is referred (sr25519 dev keys).
		pub fn dev() -> Self {
			Parties {
				merchant: Key::sr("//Alice"),
				customer: Key::sr("//Bob"),
				referee: Key::sr("//Charlie"),
			}
		}
	}

	/// The terms of one promotion.
	#[derive(Clone, Debug)]
	pub struct Terms {
		pub promotion_id: PromotionId,
		pub origin_purchase: PurchaseId,
		/// The asset every amount is in.
		pub asset: AssetKind,
		pub original_price: Balance,
		pub discounted_price: Balance,
		pub rebate: Balance,
		pub settle_by: u32,
		pub pay_at: u32,
		pub condition: PayoutCondition,
		/// How every link frames its payload (`Bytes`: as a browser wallet signs).
		pub framing: Framing,
		/// The campaign both documents are issued under, if any.
		pub campaign: Option<pallet_referral_rebate::CampaignId>,
	}

	impl Terms {
		/// Promotion 1 on `origin_purchase` (100 units, 80 for the referee, a 15-unit rebate),
		/// with a `ReferralSettled` rebate, settle-by and pay-at as given.
		pub fn standard(origin_purchase: PurchaseId, settle_by: u32, pay_at: u32) -> Self {
			Terms {
				promotion_id: 1,
				origin_purchase,
				asset: AssetKind::Native,
				original_price: 100 * rebate_test_runtime::UNIT,
				discounted_price: 80 * rebate_test_runtime::UNIT,
				rebate: 15 * rebate_test_runtime::UNIT,
				settle_by,
				pay_at,
				condition: PayoutCondition::ReferralSettled,
				framing: Framing::Raw,
				campaign: None,
			}
		}

		/// [`Terms::standard`] in the stablecoin: $100, $80 for the referee, a $15 rebate.
		pub fn stablecoin(origin_purchase: PurchaseId, settle_by: u32, pay_at: u32) -> Self {
			use rebate_test_runtime::DOLLARS;
			Terms {
				asset: rebate_test_runtime::STABLECOIN,
				original_price: 100 * DOLLARS,
				discounted_price: 80 * DOLLARS,
				rebate: 15 * DOLLARS,
				..Self::standard(origin_purchase, settle_by, pay_at)
			}
		}
	}

	pub fn offer(p: &Parties, t: &Terms) -> OfferOf<Runtime> {
		Offer {
			promotion_id: t.promotion_id,
			merchant: p.merchant.account(),
			customer: p.customer.account(),
			origin_purchase: t.origin_purchase,
			asset: t.asset.clone(),
			original_price: t.original_price,
			discounted_price: t.discounted_price,
			settle_by: t.settle_by,
			pay_at: t.pay_at,
			campaign: t.campaign,
		}
	}

	pub fn rebate(p: &Parties, t: &Terms) -> RebateOf<Runtime> {
		Rebate {
			promotion_id: t.promotion_id,
			merchant: p.merchant.account(),
			customer: p.customer.account(),
			asset: t.asset.clone(),
			amount: t.rebate,
			pay_at: t.pay_at,
			condition: t.condition,
			campaign: t.campaign,
		}
	}

	pub fn purchase(p: &Parties, t: &Terms) -> ReferredPurchaseOf<Runtime> {
		ReferredPurchase::for_offer(&offer(p, t), &p.referee.account())
	}

	/// `document` with its whole chain signed by `p` in its signing order, framed as `t` says.
	fn sign<D: Document<AccountId>>(
		genesis: &H256,
		p: &Parties,
		t: &Terms,
		document: D,
	) -> Signed<D, AccountId, rebate_test_runtime::Signature> {
		let key = |role| match role {
			Role::Merchant => &p.merchant,
			Role::Customer => &p.customer,
			Role::Referee => &p.referee,
		};
		Signed::sign_complete(document, genesis, &p.referee.account(), t.framing, |role, m| {
			key(role).sign(m)
		})
		.expect("a fresh chain has room for every link")
	}

	/// Offer: merchant → customer (designating the referee) → referee.
	pub fn signed_offer(genesis: &H256, p: &Parties, t: &Terms) -> SignedOfferOf<Runtime> {
		sign(genesis, p, t, offer(p, t))
	}

	/// Rebate: merchant → referee (designating itself) → customer.
	pub fn signed_rebate(genesis: &H256, p: &Parties, t: &Terms) -> SignedRebateOf<Runtime> {
		sign(genesis, p, t, rebate(p, t))
	}

	/// Referred purchase: customer → referee.
	pub fn signed_purchase(genesis: &H256, p: &Parties, t: &Terms) -> SignedPurchaseOf<Runtime> {
		sign(genesis, p, t, purchase(p, t))
	}

	/// The `settle_referral` call for these terms.
	pub fn settle_call(genesis: &H256, p: &Parties, t: &Terms) -> RuntimeCall {
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::settle_referral {
			offer: Box::new(signed_offer(genesis, p, t)),
			purchase: Box::new(signed_purchase(genesis, p, t)),
		})
	}

	/// The `submit_rebate` call for these terms.
	pub fn submit_call(genesis: &H256, p: &Parties, t: &Terms) -> RuntimeCall {
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::submit_rebate {
			rebate: Box::new(signed_rebate(genesis, p, t)),
		})
	}

	/// The `purchase` call.
	pub fn purchase_call(merchant: AccountId, asset: AssetKind, price: Balance) -> RuntimeCall {
		RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::purchase {
			merchant,
			asset,
			price,
		})
	}
}
