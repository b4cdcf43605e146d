//! Complete referrals per second on the embedded chain.
//!
//! One referral: the customer's purchase, the offer, rebate and referred-purchase chains each
//! signed by their parties through the client's signing step (which verifies every link it
//! received before signing), the merchant's `settle_referral`, the customer's `submit_rebate`,
//! and the payout at the rebate block; every call a signed extrinsic in a block authored by the
//! runtime's `frame-executive`, every block written to disk.
//!
//! Batches are pipelined, one block per batch in the steady state: block `t` carries the
//! purchases of batch `i + 1` and the settlements and rebates of batch `i`, and its hook pays
//! batch `i - 1`.
//!
//! The share of signature work is the number of signatures made and checked (off chain and on
//! chain) times the cost of one, both measured in this run, over the total time.
//!
//! `cargo bench -p rebate-client --bench referrals [-- --referrals N --batch B]`; under
//! `cargo test` it runs a small batch as a smoke test.

use rebate_client::chain::Chain as _;
use rebate_client::{
	chain::embedded::{Embedded, Genesis},
	extrinsic::{self, Birth},
	keys::KeyPair,
};
use rebate_test_runtime::{AccountId, Balance, RuntimeCall, UncheckedExtrinsic, UNIT};
use std::time::{Duration, Instant};

/// The parties sign on one core while the chain executes blocks on the other.
const THREADS: usize = 2;

/// Signatures made and checked for one referral.
const SIGNS_PER_REFERRAL: u32 = 8 + 3; // eight links, three extrinsics
/// Off chain each signing step verifies the links before it (offer 0+1+2, rebate 0+1+2,
/// purchase: the offer's 3 when drafting, then 0+1); on chain the eight links and three
/// extrinsic signatures.
const VERIFIES_PER_REFERRAL: u32 = 3 + 3 + 4 + 8 + 3;

#[path = "support/documents.rs"]
mod referral;
mod support;
use referral::{documents, Parties};

/// This process's CPU time.
fn cpu_time() -> Duration {
	support::cpu(std::process::id())
}

/// A field of this process's memory status, KiB.
fn rss_kib(field: &str) -> u64 {
	support::status_kib(std::process::id(), field)
}

/// The rebates paid in a block.
fn paid(events: &[rebate_client::chain::embedded::EventRecord]) -> u32 {
	events
		.iter()
		.filter(|e| {
			matches!(
				e.event,
				rebate_test_runtime::RuntimeEvent::ReferralRebate(
					pallet_referral_rebate::Event::RebatePaid { .. }
				)
			)
		})
		.count() as u32
}

fn call(c: pallet_referral_rebate::Call<rebate_test_runtime::Runtime>) -> RuntimeCall {
	RuntimeCall::ReferralRebate(c)
}

struct Run {
	referrals: u32,
	elapsed: Duration,
	cpu: Duration,
	blocks: u32,
	rss_at: Vec<(u32, u64)>,
	peak_kib: u64,
	state: (usize, usize),
}

fn run(referrals: u32, batch: u32) -> Run {
	let dir = tempfile::tempdir().expect("temp dir");
	let p = Parties {
		merchant: KeyPair::dev("alice").expect("dev"),
		customer: KeyPair::dev("bob").expect("dev"),
		referee: KeyPair::dev("charlie").expect("dev"),
	};
	let rich: Balance = 1_000_000_000 * UNIT;
	let genesis = Genesis {
		endowed: vec![
			(p.merchant.account(), rich),
			(p.customer.account(), rich),
			(p.referee.account(), rich),
		],
		seed: None,
	};
	let mut chain = Embedded::open(dir.path(), &genesis).expect("chain opens");
	let info = chain.info();
	let gen = info.genesis;
	let nonce_of = |chain: &Embedded, who: &AccountId| {
		chain
			.with_state(|| frame_system::Pallet::<rebate_test_runtime::Runtime>::account_nonce(who))
	};
	let mut merchant_nonce = nonce_of(&chain, &p.merchant.account());
	let mut customer_nonce = nonce_of(&chain, &p.customer.account());
	let batches = referrals.div_ceil(batch);
	let start = Instant::now();
	let cpu_start = cpu_time();
	let first_block = chain.head().number;
	let mut rss_at = Vec::new();
	let mut done = 0u32;
	// Signed settlements and rebates for the next block, and the purchases of the last block
	// whose documents are still to be signed.
	let mut ready: Vec<UncheckedExtrinsic> = Vec::new();
	let mut origins: Vec<rebate_client::PurchaseId> = Vec::new();
	for i in 0..=batches + 1 {
		let head = chain.head();
		let birth = Birth { number: head.number, hash: head.hash };
		// This block: the settlements and rebates signed during the last block, then the
		// purchases of batch i.
		let count = if i < batches { batch.min(referrals - i * batch) } else { 0 };
		let mut xts = std::mem::take(&mut ready);
		for _ in 0..count {
			let c = call(pallet_referral_rebate::Call::purchase {
				merchant: p.merchant.account(),
				asset: rebate_test_runtime::AssetKind::Native,
				price: 100 * UNIT,
			});
			xts.push(extrinsic::sign(&info, &p.customer, c, customer_nonce, birth, None));
			customer_nonce += 1;
		}
		// The nonces of the next block's settlements and rebates, in block order.
		let nonces: Vec<(u32, u32)> = origins
			.iter()
			.map(|_| {
				merchant_nonce += 1;
				customer_nonce += 1;
				(merchant_nonce - 1, customer_nonce - 1)
			})
			.collect();
		let now = head.number;
		let to_sign = std::mem::take(&mut origins);
		// The parties sign the documents of the last block's purchases on one core while the
		// chain authors this block on the other. Settled in the next block: settle-by and
		// pay-at leave it one block each.
		let (block, signed) = std::thread::scope(|scope| {
			let (p, info) = (&p, &info);
			let signer = scope.spawn(move || {
				let mut out = Vec::with_capacity(to_sign.len() * 2);
				for (id, (mn, cn)) in to_sign.iter().zip(nonces) {
					let (offer, rebate, purchase) = documents(&gen, now, p, *id, now + 3, now + 4);
					let settle = call(pallet_referral_rebate::Call::settle_referral {
						offer: Box::new(offer),
						purchase: Box::new(purchase),
					});
					let submit = call(pallet_referral_rebate::Call::submit_rebate {
						rebate: Box::new(rebate),
					});
					out.push(extrinsic::sign(info, &p.merchant, settle, mn, birth, None));
					out.push(extrinsic::sign(info, &p.customer, submit, cn, birth, None));
				}
				out
			});
			let block = chain.produce(xts).expect("block");
			(block, signer.join().expect("signer thread"))
		});
		let (_, results, events) = block;
		assert!(
			results.iter().all(|r| matches!(r, Ok(Ok(())))),
			"every call succeeds: {results:?}"
		);
		done += paid(&events);
		ready = signed;
		origins = events
			.iter()
			.filter_map(|e| match &e.event {
				rebate_test_runtime::RuntimeEvent::ReferralRebate(
					pallet_referral_rebate::Event::PurchaseRecorded {
						purchase_id,
						promotion_id: None,
						..
					},
				) => Some(*purchase_id),
				_ => None,
			})
			.collect();
		if (i + 1) % (batches / 5).max(1) == 0 {
			rss_at.push((done, rss_kib("VmRSS:")));
		}
	}
	// Up to the last pay-at block.
	while done < referrals {
		let (_, _, events) = chain.produce(vec![]).expect("block");
		done += paid(&events);
		assert!(chain.head().number < first_block + batches + 10, "every rebate is paid");
	}
	let elapsed = start.elapsed();
	let cpu = cpu_time().saturating_sub(cpu_start);
	rss_at.push((done, rss_kib("VmRSS:")));
	Run {
		referrals: done,
		elapsed,
		cpu,
		blocks: chain.head().number - first_block,
		rss_at,
		peak_kib: rss_kib("VmHWM:"),
		state: chain.state_size(),
	}
}

/// The cost of one sr25519 signature and one verification of a 32-byte payload.
fn signature_costs() -> (Duration, Duration) {
	use sp_runtime::traits::Verify;
	let key = KeyPair::dev("alice").expect("dev");
	let who = key.account();
	let n = 2_000u32;
	let message = [7u8; 32];
	let t = Instant::now();
	let mut sig = key.sign(&message);
	for i in 0..n {
		sig = key.sign(&[i as u8; 32]);
	}
	let sign = t.elapsed() / n;
	let t = Instant::now();
	let mut ok = 0;
	for _ in 0..n {
		ok += sig.verify(&[(n - 1) as u8; 32][..], &who) as u32;
	}
	assert_eq!(ok, n);
	(sign, t.elapsed() / n)
}

fn main() {
	let args = support::Args::new();
	let referrals = args.get("--referrals", if args.bench() { 10_000u32 } else { 60 });
	let batch = args.get("--batch", 200u32);
	let (sign, verify) = signature_costs();
	let r = run(referrals, batch);
	let per_second = r.referrals as f64 / r.elapsed.as_secs_f64();
	let signature_time = (sign * SIGNS_PER_REFERRAL + verify * VERIFIES_PER_REFERRAL) * r.referrals;
	let share = signature_time.as_secs_f64() / r.cpu.as_secs_f64();
	println!("referrals: {} in {} blocks, batches of {batch}", r.referrals, r.blocks);
	println!("time: {:.2} s, {:.0} complete referrals/s", r.elapsed.as_secs_f64(), per_second);
	println!(
		"one sr25519 sign {:.1} µs, one verify {:.1} µs; per referral {} signs + {} verifies = {:.0} µs of {:.0} µs CPU",
		sign.as_secs_f64() * 1e6,
		verify.as_secs_f64() * 1e6,
		SIGNS_PER_REFERRAL,
		VERIFIES_PER_REFERRAL,
		(sign * SIGNS_PER_REFERRAL + verify * VERIFIES_PER_REFERRAL).as_secs_f64() * 1e6,
		r.cpu.as_secs_f64() * 1e6 / r.referrals as f64,
	);
	println!(
		"CPU time {:.2} s on {THREADS} threads; signature share of the CPU time: {:.0}%",
		r.cpu.as_secs_f64(),
		share * 100.0
	);
	for (n, kib) in &r.rss_at {
		println!("resident memory after {n:>6} referrals: {:.1} MiB", *kib as f64 / 1024.0);
	}
	println!("peak resident memory: {:.1} MiB", r.peak_kib as f64 / 1024.0);
	println!("final state: {} keys, {:.1} KiB", r.state.0, r.state.1 as f64 / 1024.0);
}
