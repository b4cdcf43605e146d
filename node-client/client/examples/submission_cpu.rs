//! Client CPU per referral, metadata-driven submission against the typed path, on one node.
//!
//! Each referral is the whole flow through [`Client`]: the customer's purchase, the merchant's
//! offer and rebate, every party's signatures, the referee's purchase settled by the merchant
//! and the rebate submitted by the customer (three extrinsics, each signed, dry-run, submitted
//! and followed into its block). Rounds alternate the two ways of building extrinsics on the
//! same connection and chain:
//! - **metadata**: the node backend as it is ([`rebate_client::metadata::Profile::sign`]: the
//!   call renumbered by the chain's metadata, signed by subxt's metadata-driven encoder);
//! - **typed**: the same node wrapped so that `Chain::sign` is the test runtime's typed path
//!   (`rebate_test_runtime`'s `SignedPayload`), valid only on a chain that is the test runtime.
//!
//! Client CPU is this process's user and system time (`getrusage`) over each round: the node
//! runs in another process. An offline figure isolates the part that differs: signing one call
//! each way, in a loop.
//!
//! `cargo run --release -p rebate-client --example submission_cpu -- --url ws://127.0.0.1:9944
//! [--referrals 20] [--rounds 4]` (chopsticks serving the test runtime: `scripts/chopsticks.sh
//! start`).

use pallet_referral_rebate::PayoutCondition;
use rebate_client::{
	chain::{node::Node, Chain, Constants, Extrinsic, Inclusion, RuntimeInfo},
	extrinsic::Birth,
	keys::KeyPair,
	metadata::Profile,
	Client, ClientError, PromotionTerms,
};
use rebate_test_runtime::{AccountId, AssetKind, RuntimeCall, UNIT};
use sp_core::H256;
use sp_runtime::ApplyExtrinsicResult;
use std::time::{Duration, Instant};

/// The node, with extrinsics built by the test runtime's types (`Chain::sign`'s default).
struct Typed(Node);

impl Chain for Typed {
	fn info(&self) -> RuntimeInfo {
		self.0.info()
	}
	fn pallet_index(&self) -> u8 {
		self.0.pallet_index()
	}
	fn pallet_name(&self) -> &str {
		self.0.pallet_name()
	}
	fn constants(&self) -> Constants {
		self.0.constants()
	}
	async fn best(&mut self) -> Result<(u32, H256), ClientError> {
		self.0.best().await
	}
	async fn block_hash(&mut self, n: u32) -> Result<H256, ClientError> {
		self.0.block_hash(n).await
	}
	async fn storage(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
		self.0.storage(key).await
	}
	async fn next_nonce(&mut self, who: &AccountId) -> Result<u32, ClientError> {
		self.0.next_nonce(who).await
	}
	async fn dry_run(&mut self, xt: &Extrinsic) -> Result<ApplyExtrinsicResult, ClientError> {
		self.0.dry_run(xt).await
	}
	async fn submit(
		&mut self,
		xts: Vec<Extrinsic>,
	) -> Result<Vec<Result<Inclusion, ClientError>>, ClientError> {
		self.0.submit(xts).await
	}
	async fn advance(
		&mut self,
		n: u32,
		progress: &mut dyn FnMut(u32, u32),
	) -> Result<u32, ClientError> {
		self.0.advance(n, progress).await
	}
}

/// This process's CPU time so far (user and system).
fn cpu() -> Duration {
	// SAFETY: `getrusage` only writes the struct it is given.
	let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
	unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
	let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
	t(usage.ru_utime) + t(usage.ru_stime)
}

struct Cast {
	merchant: KeyPair,
	customer: KeyPair,
	referee: KeyPair,
}

/// One whole referral through `client`.
async fn referral<C: Chain>(
	client: &mut Client<C>,
	cast: &Cast,
	n: u64,
) -> Result<(), ClientError> {
	let (_, origin) = client
		.purchase(&cast.customer, cast.merchant.account(), AssetKind::Native, 100 * UNIT)
		.await?;
	let now = client.now().await?;
	let terms = PromotionTerms {
		promotion_id: n,
		origin_purchase: origin,
		asset: None,
		discounted_price: 90 * UNIT,
		settle_by: now + 50,
		pay_at: now + 60,
		rebate: 5 * UNIT,
		condition: PayoutCondition::ReferralSettled,
		campaign: None,
	};
	let (mut offer, mut rebate) = client.create_promotion(&cast.merchant, &terms).await?;
	client.sign(&mut offer, &cast.customer, Some(cast.referee.account())).await?;
	client.sign(&mut offer, &cast.referee, None).await?;
	client.sign(&mut rebate, &cast.referee, None).await?;
	client.sign(&mut rebate, &cast.customer, None).await?;
	let mut purchase = client.draft_purchase(&offer, &cast.customer).await?;
	client.sign(&mut purchase, &cast.referee, None).await?;
	client.settle(&cast.merchant, &offer, &purchase).await?;
	client.submit_rebate(&cast.customer, &rebate).await?;
	Ok(())
}

/// `referrals` referrals; the client CPU and the wall time they took.
async fn round<C: Chain>(
	client: &mut Client<C>,
	cast: &Cast,
	referrals: u64,
	first_id: u64,
) -> Result<(Duration, Duration), ClientError> {
	let (cpu0, t0) = (cpu(), Instant::now());
	for n in 0..referrals {
		referral(client, cast, first_id + n).await?;
	}
	Ok((cpu() - cpu0, t0.elapsed()))
}

/// Signing one purchase call `n` times each way, offline: (typed, metadata) per call.
fn offline(profile: &Profile, info: &RuntimeInfo, n: u32) -> (Duration, Duration) {
	let key = KeyPair::dev("bob").expect("bob");
	let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::purchase {
		merchant: key.account(),
		asset: AssetKind::Native,
		price: UNIT,
	});
	let birth = Birth { number: 1, hash: H256::repeat_byte(1) };
	let t = Instant::now();
	for i in 0..n {
		std::hint::black_box(rebate_client::extrinsic::sign(
			info,
			&key,
			call.clone(),
			i,
			birth,
			None,
		));
	}
	let typed = t.elapsed() / n;
	let t = Instant::now();
	for i in 0..n {
		std::hint::black_box(profile.sign(&key, call.clone(), i, birth, None).expect("signed"));
	}
	(typed, t.elapsed() / n)
}

async fn run(url: &str, referrals: u64, rounds: u32) -> Result<(), ClientError> {
	let dev = |name| KeyPair::dev(name);
	let cast = Cast { merchant: dev("alice")?, customer: dev("bob")?, referee: dev("charlie")? };
	let node = Node::connect(url).await?;
	let info = node.info();
	// The offline part: the same metadata as the node's, signing alone.
	let opaque = rebate_test_runtime::Runtime::metadata_at_version(15).expect("v15");
	let md = subxt::Metadata::decode_from(&opaque[..]).expect("metadata");
	let profile = Profile::new(md.arc(), &info)?;
	let (typed_sign, metadata_sign) = offline(&profile, &info, 2_000);
	println!(
		"signing one call, offline: typed {:.1} µs, metadata {:.1} µs (ratio {:.3})",
		typed_sign.as_secs_f64() * 1e6,
		metadata_sign.as_secs_f64() * 1e6,
		metadata_sign.as_secs_f64() / typed_sign.as_secs_f64()
	);

	let mut metadata = Client::new(node);
	// Warm up both ways (connections, caches), off the figures.
	let first = u64::from(metadata.now().await?) * 1_000;
	round(&mut metadata, &cast, 1, first).await?;
	let mut typed = Client::new(Typed(metadata.chain));
	round(&mut typed, &cast, 1, first + 1).await?;
	let mut metadata = Client::new(typed.chain.0);
	let (mut cpu_m, mut cpu_t, mut wall_m, mut wall_t) = Default::default();
	let mut id = first + 2;
	for _ in 0..rounds {
		let (c, w) = round(&mut metadata, &cast, referrals, id).await?;
		(cpu_m, wall_m, id) = (cpu_m + c, wall_m + w, id + referrals);
		let mut t = Client::new(Typed(metadata.chain));
		let (c, w) = round(&mut t, &cast, referrals, id).await?;
		(cpu_t, wall_t, id) = (cpu_t + c, wall_t + w, id + referrals);
		metadata = Client::new(t.chain.0);
	}
	let total = referrals * rounds as u64;
	let per = |d: Duration| d.as_secs_f64() * 1e3 / total as f64;
	println!("{total} referrals each way, {rounds} alternating rounds");
	println!(
		"  typed:    client CPU {:.2} ms per referral, wall {:.1} ms",
		per(cpu_t),
		per(wall_t)
	);
	println!(
		"  metadata: client CPU {:.2} ms per referral, wall {:.1} ms",
		per(cpu_m),
		per(wall_m)
	);
	println!("  metadata / typed client CPU: {:.3}", cpu_m.as_secs_f64() / cpu_t.as_secs_f64());
	Ok(())
}

fn main() {
	let mut args = std::env::args().skip(1);
	let (mut url, mut referrals, mut rounds) = ("ws://127.0.0.1:9944".to_string(), 20u64, 4u32);
	while let Some(a) = args.next() {
		match a.as_str() {
			"--url" => url = args.next().expect("--url URL"),
			"--referrals" => referrals = args.next().and_then(|v| v.parse().ok()).expect("a count"),
			"--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("a count"),
			other => panic!("unknown argument {other}"),
		}
	}
	let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
	if let Err(e) = runtime.block_on(run(&url, referrals, rounds)) {
		eprintln!("error: {e}");
		std::process::exit(1);
	}
}
