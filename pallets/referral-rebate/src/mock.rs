//! A mock runtime for the pallet's tests and benchmarks, and the helpers that sign documents in
//! them.

use crate as pallet_referral_rebate;
use crate::*;
use frame_support::{
	derive_impl, parameter_types,
	traits::{
		fungible::{NativeFromLeft, NativeOrWithId, UnionOf},
		AsEnsureOriginWithArg, ConstU128, VariantCountOf,
	},
	weights::constants::WEIGHT_REF_TIME_PER_MILLIS,
};
use sp_core::{crypto::Pair as _, ecdsa, ed25519, sr25519, H256};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature, MultiSigner};

pub type AccountId = AccountId32;
pub type Balance = u128;
pub type BlockNumber = u64;
type Block = frame_system::mocking::MockBlock<Test>;

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
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type ReferralRebate = pallet_referral_rebate;
	#[runtime::pallet_index(3)]
	pub type Assets = pallet_assets;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

/// The existential deposit of the mock chain.
pub const ED: Balance = 10;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<ED>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = Balance;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<frame_system::EnsureSigned<AccountId>>;
	type ForceOrigin = frame_system::EnsureRoot<AccountId>;
	type Freezer = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// The kind of asset amounts are in on the mock chain.
pub type AssetKind = NativeOrWithId<u32>;
/// The native token.
pub const NATIVE: AssetKind = NativeOrWithId::Native;
/// The id of the mock chain's stablecoin in pallet-assets.
pub const USD_ID: u32 = 1984;
/// The mock chain's stablecoin: a sufficient asset whose minimum balance differs from the
/// native existential deposit.
pub const USD: AssetKind = NativeOrWithId::WithId(USD_ID);
/// The stablecoin's minimum balance.
pub const USD_MIN: Balance = 4;
/// The id of an asset that is not sufficient (an account must exist to hold it).
pub const PLAIN_ID: u32 = 7;
/// The owner, admin and freezer of the mock chain's assets.
pub fn asset_admin() -> AccountId {
	AccountId::new([0xad; 32])
}
/// An asset nobody created.
pub const UNKNOWN: AssetKind = NativeOrWithId::WithId(404);

/// The native token and pallet-assets' assets, as one `fungibles`.
pub type NativeAndAssets = UnionOf<Balances, Assets, NativeFromLeft, AssetKind, AccountId>;

parameter_types! {
	pub const RebatePalletId: frame_support::PalletId = frame_support::PalletId(*b"rbt/escr");
	pub static MaxRebateDelay: BlockNumber = 50;
	pub static PurchaseLifetime: BlockNumber = 100;
	pub static MaxCampaignCustomers: u32 = 3;
	pub static MaxHookWeight: Weight = Weight::from_parts(100 * WEIGHT_REF_TIME_PER_MILLIS, 1 << 20);
}

impl Config for Test {
	type Assets = NativeAndAssets;
	type NativeAsset = crate::charges::NativeOfUnion;
	type Signature = MultiSignature;
	type Signer = MultiSigner;
	type PalletId = RebatePalletId;
	type MaxRebateDelay = MaxRebateDelay;
	type PurchaseLifetime = PurchaseLifetime;
	type MaxHookWeight = MaxHookWeight;
	type MaxCampaignCustomers = MaxCampaignCustomers;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MultiSignatureBenchmarkHelper<MockBenchmarkAssets>;
}

/// The mock's benchmark assets: the stablecoin is the other asset.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkAssets;

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkAssets<AssetKind> for MockBenchmarkAssets {
	fn asset(kind: BenchmarkAsset) -> AssetKind {
		match kind {
			BenchmarkAsset::Native => NATIVE,
			BenchmarkAsset::Other => {
				if !pallet_assets::Asset::<Test>::contains_key(USD_ID) {
					let owner = ReferralRebate::escrow_account();
					Assets::force_create(RuntimeOrigin::root(), USD_ID, owner, true, USD_MIN)
						.expect("the benchmark asset is created");
				}
				USD
			}
		}
	}
}

/// A key of any of the three schemes `MultiSignature` covers.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // test keys, a handful per test
pub enum Key {
	Sr(sr25519::Pair),
	Ed(ed25519::Pair),
	Ec(ecdsa::Pair),
}

impl Key {
	pub fn sr(suri: &str) -> Self {
		Key::Sr(sr25519::Pair::from_string(suri, None).expect("valid suri"))
	}
	pub fn ed(suri: &str) -> Self {
		Key::Ed(ed25519::Pair::from_string(suri, None).expect("valid suri"))
	}
	pub fn ec(suri: &str) -> Self {
		Key::Ec(ecdsa::Pair::from_string(suri, None).expect("valid suri"))
	}
	pub fn account(&self) -> AccountId {
		match self {
			Key::Sr(p) => MultiSigner::from(p.public()).into_account(),
			Key::Ed(p) => MultiSigner::from(p.public()).into_account(),
			Key::Ec(p) => MultiSigner::from(p.public()).into_account(),
		}
	}
	pub fn sign(&self, message: &[u8]) -> MultiSignature {
		match self {
			Key::Sr(p) => p.sign(message).into(),
			Key::Ed(p) => p.sign(message).into(),
			Key::Ec(p) => p.sign(message).into(),
		}
	}
}

pub fn merchant_key() -> Key {
	Key::sr("//Alice")
}
pub fn customer_key() -> Key {
	Key::sr("//Bob")
}
pub fn referee_key() -> Key {
	Key::sr("//Charlie")
}
pub fn stranger_key() -> Key {
	Key::sr("//Dave")
}
pub fn merchant() -> AccountId {
	merchant_key().account()
}
pub fn customer() -> AccountId {
	customer_key().account()
}
pub fn referee() -> AccountId {
	referee_key().account()
}
pub fn stranger() -> AccountId {
	stranger_key().account()
}

pub const MERCHANT_FUNDS: Balance = 1_000_000;
pub const CUSTOMER_FUNDS: Balance = 100_000;
pub const REFEREE_FUNDS: Balance = 100_000;
pub const STRANGER_FUNDS: Balance = 100_000;

/// Sign the next link of `signed` with `key` (for `genesis`, under `framing`).
pub fn add_link<D: Document<AccountId>>(
	signed: &mut Signed<D, AccountId, MultiSignature>,
	key: &Key,
	designates: Option<AccountId>,
	framing: Framing,
	genesis: &H256,
) {
	signed.sign_next(genesis, designates, framing, |m| key.sign(m)).expect("chain has room");
}

/// The parties and keys of one promotion's documents.
#[derive(Clone)]
pub struct Parties {
	pub merchant: Key,
	pub customer: Key,
	pub referee: Key,
}

impl Default for Parties {
	fn default() -> Self {
		Parties { merchant: merchant_key(), customer: customer_key(), referee: referee_key() }
	}
}

pub fn offer_doc(
	p: &Parties,
	promotion_id: PromotionId,
	origin: PurchaseIdOf<Test>,
) -> OfferOf<Test> {
	Offer {
		promotion_id,
		merchant: p.merchant.account(),
		customer: p.customer.account(),
		origin_purchase: origin,
		asset: NATIVE,
		original_price: 1_000,
		discounted_price: 800,
		settle_by: 10,
		pay_at: 20,
		campaign: None,
	}
}

pub fn rebate_doc(
	p: &Parties,
	promotion_id: PromotionId,
	condition: PayoutCondition,
) -> RebateOf<Test> {
	Rebate {
		promotion_id,
		merchant: p.merchant.account(),
		customer: p.customer.account(),
		asset: NATIVE,
		amount: 150,
		pay_at: 20,
		condition,
		campaign: None,
	}
}

pub fn purchase_doc(p: &Parties, offer: &OfferOf<Test>) -> ReferredPurchaseOf<Test> {
	ReferredPurchase::for_offer(offer, &p.referee.account())
}

impl Parties {
	/// The key of the party in `role`.
	pub fn key(&self, role: Role) -> &Key {
		match role {
			Role::Merchant => &self.merchant,
			Role::Customer => &self.customer,
			Role::Referee => &self.referee,
		}
	}

	/// `document` with its whole chain signed by these parties, in its signing order.
	pub fn sign<D: Document<AccountId>>(
		&self,
		document: D,
		genesis: &H256,
	) -> Signed<D, AccountId, MultiSignature> {
		Signed::sign_complete(
			document,
			genesis,
			&self.referee.account(),
			Framing::Raw,
			|role, m| self.key(role).sign(m),
		)
		.expect("a fresh chain has room for every link")
	}
}

/// The offer signed merchant → customer (designating the referee) → referee.
pub fn sign_offer(p: &Parties, offer: OfferOf<Test>, genesis: &H256) -> SignedOfferOf<Test> {
	p.sign(offer, genesis)
}

/// The rebate signed merchant → referee (designating itself) → customer.
pub fn sign_rebate(p: &Parties, rebate: RebateOf<Test>, genesis: &H256) -> SignedRebateOf<Test> {
	p.sign(rebate, genesis)
}

/// The referred purchase signed customer → referee.
pub fn sign_purchase(
	p: &Parties,
	purchase: ReferredPurchaseOf<Test>,
	genesis: &H256,
) -> SignedPurchaseOf<Test> {
	p.sign(purchase, genesis)
}

pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(merchant(), MERCHANT_FUNDS),
				(customer(), CUSTOMER_FUNDS),
				(referee(), REFEREE_FUNDS),
				(stranger(), STRANGER_FUNDS),
			],
		}
	}
}

impl ExtBuilder {
	pub fn balance(mut self, who: AccountId, amount: Balance) -> Self {
		self.balances.retain(|(a, _)| *a != who);
		if amount > 0 {
			self.balances.push((who, amount));
		}
		self
	}

	/// The genesis storage of the mock chain with these balances.
	pub fn genesis(self) -> sp_runtime::Storage {
		let owner = asset_admin();
		RuntimeGenesisConfig {
			assets: pallet_assets::GenesisConfig {
				assets: vec![(USD_ID, owner.clone(), true, USD_MIN), (PLAIN_ID, owner, false, 1)],
				metadata: vec![(USD_ID, b"Mock Dollar".to_vec(), b"MUSD".to_vec(), 2)],
				accounts: self
					.balances
					.iter()
					.map(|(who, amount)| (USD_ID, who.clone(), *amount))
					.collect(),
				..Default::default()
			},
			balances: pallet_balances::GenesisConfig {
				balances: self.balances,
				..Default::default()
			},
			..Default::default()
		}
		.build_storage()
		.expect("genesis builds")
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut ext = sp_io::TestExternalities::new(self.genesis());
		ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			check_invariants();
		})
	}
}

/// A fresh chain with the default funds.
pub fn new_test_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().build()
}

/// The pallet's `try_state`, and, since nobody in these tests transfers to the escrow account
/// unasked, that it holds exactly the open and held rebates, in each asset.
pub fn check_invariants() {
	ReferralRebate::do_try_state().expect("invariants hold");
	let open = ReferralRebate::open_escrow();
	for asset in [NATIVE, USD] {
		let sum = open.iter().find(|(a, _)| *a == asset).map_or(0, |(_, sum)| *sum);
		assert_eq!(
			balance(asset.clone(), &ReferralRebate::escrow_account()),
			sum,
			"the escrow account holds exactly the open rebates in {asset:?}"
		);
	}
}

/// `who`'s balance in `asset`.
pub fn balance(asset: AssetKind, who: &AccountId) -> Balance {
	<NativeAndAssets as frame_support::traits::fungibles::Inspect<_>>::balance(asset, who)
}

/// `asset`'s total issuance.
pub fn issuance(asset: AssetKind) -> Balance {
	<NativeAndAssets as frame_support::traits::fungibles::Inspect<_>>::total_issuance(asset)
}

/// Run blocks until `n` (its `on_initialize` included), checking invariants after each.
pub fn run_to_block(n: BlockNumber) {
	while System::block_number() < n {
		System::run_to_block::<AllPalletsWithSystem>(System::block_number() + 1);
		check_invariants();
	}
}

/// The events of this pallet so far, oldest first.
pub fn rebate_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ReferralRebate(e) => Some(e),
			_ => None,
		})
		.collect()
}
