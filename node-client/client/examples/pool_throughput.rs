//! Settlements per second through a node's transaction pool, against balance transfers through
//! the same pool in the same run.
//!
//! A bounded run against a node on loopback (`scripts/node.sh bench` starts `rebate-node`, runs
//! this, and stops it): `--settles N` referrals are prepared first (the customer's purchases in
//! blocks, then every document signed by its three parties, off the clock); then, timed, `N`
//! balance transfers, then `N` `settle_referral` extrinsics, are each handed to the node's pool
//! as fast as it takes them (`author_submitExtrinsic`, in nonce order), and the node's
//! blocks are followed until every one is in. Each phase reports extrinsics per second (first
//! submission to last inclusion), blocks used and, with `--node-pid`, the node's CPU time per
//! extrinsic; the ratio of the two phases is the figure to compare across machines.
//!
//! `cargo run --release -p rebate-client --example pool_throughput -- --url ws://127.0.0.1:9955
//! [--settles 2000] [--node-pid PID]`

#[path = "../benches/support/documents.rs"]
mod referral;
#[path = "../benches/support/mod.rs"]
mod support;

use rebate_client::{
	chain::{node::Node, Chain, ChainEvent, Extrinsic},
	extrinsic::Birth,
	keys::KeyPair,
	ClientError,
};
use rebate_test_runtime::{RuntimeCall, RuntimeEvent, UNIT};
use referral::{documents, Parties};
use std::time::{Duration, Instant};

/// A phase's figures.
struct Phase {
	count: usize,
	elapsed: Duration,
	blocks: (u32, u32),
	largest_block: usize,
	node_cpu: Option<Duration>,
}

impl Phase {
	fn per_second(&self) -> f64 {
		self.count as f64 / self.elapsed.as_secs_f64()
	}

	fn report(&self, what: &str) {
		let (first, last) = self.blocks;
		print!(
			"{what}: {} in {:.2} s = {:.0}/s; blocks #{first}..#{last} ({} blocks, at most {} in one)",
			self.count,
			self.elapsed.as_secs_f64(),
			self.per_second(),
			last - first + 1,
			self.largest_block,
		);
		match self.node_cpu {
			Some(cpu) => println!(
				"; node CPU {:.2} s, {:.0} µs per extrinsic",
				cpu.as_secs_f64(),
				cpu.as_secs_f64() * 1e6 / self.count as f64
			),
			None => println!(),
		}
	}
}

/// Hand every extrinsic of `xts` to the node's pool (`author_submitExtrinsic`, in order), then
/// follow the node's blocks until every one is in a block; every one must succeed.
/// Returns the phase's figures and the events the extrinsics emitted.
async fn phase(
	node: &mut Node,
	xts: Vec<Extrinsic>,
	node_pid: Option<u32>,
) -> Result<(Phase, Vec<ChainEvent>), ClientError> {
	let count = xts.len();
	let (start_block, _) = node.best().await?;
	let cpu_start = node_pid.map(support::cpu);
	let start = Instant::now();
	// In nonce order, one request at a time: requests in flight together reach the pool in any
	// order, and a sender's later nonces then wait in the pool's future queue, whose limits can
	// drop one of them and strand every later nonce behind it (seen here).
	for xt in &xts {
		node.submit_only(xt).await?;
	}
	let (mut seen, mut next, mut events) = (0usize, start_block + 1, Vec::new());
	let (mut first, mut last, mut largest) = (None, 0u32, 0usize);
	let mut progress_at = Instant::now();
	while seen < count {
		let (best, _) = node.best().await?;
		while next <= best {
			let hash = node.block_hash(next).await?;
			let mut in_block = 0;
			for read in node.events_at(hash).await? {
				// Extrinsic 0 is the timestamp inherent; nothing else uses this node meanwhile.
				if !matches!(read.extrinsic, Some(i) if i > 0) {
					continue;
				}
				if let Some(e) = read.failed {
					return Err(ClientError::Backend(format!(
						"an extrinsic failed in block #{next}: {e:?}"
					)));
				}
				match read.event {
					ChainEvent::Known(RuntimeEvent::System(
						frame_system::Event::ExtrinsicSuccess { .. },
					)) => in_block += 1,
					event => events.push(event),
				}
			}
			if in_block > 0 {
				first.get_or_insert(next);
				last = next;
				largest = largest.max(in_block);
				progress_at = Instant::now();
			}
			seen += in_block;
			next += 1;
		}
		if progress_at.elapsed() > Duration::from_secs(60) {
			return Err(ClientError::Backend(format!(
				"no progress for 60 s: {seen} of {count} extrinsics in blocks"
			)));
		}
		if seen < count {
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
	}
	let elapsed = start.elapsed();
	let node_cpu = node_pid.zip(cpu_start).map(|(pid, s)| support::cpu(pid).saturating_sub(s));
	let blocks = (first.unwrap_or(last), last);
	Ok((Phase { count, elapsed, blocks, largest_block: largest, node_cpu }, events))
}

async fn birth(node: &mut Node) -> Result<Birth, ClientError> {
	let (number, hash) = node.best().await?;
	Ok(Birth { number, hash })
}

async fn run(url: &str, settles: usize, node_pid: Option<u32>) -> Result<(), ClientError> {
	let mut node = Node::connect(url).await?;
	let info = node.info();
	let dev = |name| KeyPair::dev(name);
	let p = Parties { merchant: dev("alice")?, customer: dev("bob")?, referee: dev("charlie")? };
	let (sender, receiver) = (dev("dave")?, dev("eve")?);
	let rebate = |c| RuntimeCall::ReferralRebate(c);

	// The origin purchases, in blocks, before anything is timed.
	let at = birth(&mut node).await?;
	let nonce = node.next_nonce(&p.customer.account()).await?;
	let purchases = (0..settles as u32)
		.map(|i| {
			let c = rebate(pallet_referral_rebate::Call::purchase {
				merchant: p.merchant.account(),
				asset: rebate_test_runtime::AssetKind::Native,
				price: 100 * UNIT,
			});
			node.sign(&p.customer, c, nonce + i, at, None)
		})
		.collect::<Result<_, _>>()?;
	let (made, events) = phase(&mut node, purchases, None).await?;
	made.report("setup: purchases");
	let ids: Vec<rebate_client::PurchaseId> =
		events.iter().filter_map(|e| e.rebate().and_then(|e| e.recorded_purchase())).collect();

	// Every referral's documents, signed by its parties; settle-by far enough for the run, and
	// rebate blocks spread over blocks (as a shop's would be).
	let at = birth(&mut node).await?;
	let settle_by = at.number + 2_000;
	let due_per_block = 200;
	let nonce = node.next_nonce(&p.merchant.account()).await?;
	let settlements: Vec<Extrinsic> = ids
		.iter()
		.enumerate()
		.map(|(i, &id)| {
			let pay_at = settle_by + 1 + (i / due_per_block) as u32;
			let (offer, _rebate, purchase) =
				documents(&info.genesis, at.number, &p, id, settle_by, pay_at);
			let c = rebate(pallet_referral_rebate::Call::settle_referral {
				offer: Box::new(offer),
				purchase: Box::new(purchase),
			});
			node.sign(&p.merchant, c, nonce + i as u32, at, None)
		})
		.collect::<Result<_, _>>()?;
	let nonce = node.next_nonce(&sender.account()).await?;
	let transfers: Vec<Extrinsic> = (0..settles as u32)
		.map(|i| {
			let c = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: receiver.account().into(),
				value: UNIT,
			});
			node.sign(&sender, c, nonce + i, at, None)
		})
		.collect::<Result<_, _>>()?;

	let (transfers, _) = phase(&mut node, transfers, node_pid).await?;
	transfers.report("balance transfers");
	let (settled, events) = phase(&mut node, settlements, node_pid).await?;
	settled.report("settle_referral");
	let count = events
		.iter()
		.filter(|e| {
			matches!(e.rebate(), Some(pallet_referral_rebate::Event::ReferralSettled { .. }))
		})
		.count();
	assert_eq!(count, settles, "every referral settled");
	println!(
		"settlements per second / transfers per second, same pool, same run: {:.2}",
		settled.per_second() / transfers.per_second()
	);
	if let (Some(s), Some(t)) = (settled.node_cpu, transfers.node_cpu) {
		println!(
			"node CPU per settlement / per transfer: {:.2}",
			s.as_secs_f64() / t.as_secs_f64()
		);
	}
	Ok(())
}

fn main() {
	let args = support::Args::new();
	let url = args.get("--url", std::env::var("REBATE_NODE_URL").unwrap_or_default());
	if url.is_empty() {
		eprintln!("error: name the node with --url ws://… or REBATE_NODE_URL");
		std::process::exit(2);
	}
	let settles = args.get("--settles", 2_000usize);
	let node_pid = args.get("--node-pid", 0u32);
	let node_pid = (node_pid != 0).then_some(node_pid);
	let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
	if let Err(e) = runtime.block_on(run(&url, settles, node_pid)) {
		eprintln!("error: {e}");
		std::process::exit(1);
	}
}
