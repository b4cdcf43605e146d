//! The chain as the coordinator follows it: its best block (deadlines on arrival, retention, the
//! mailbox) and the purchase records that back an offer (a stranger cannot address an offer to a
//! customer who never bought from the merchant).
//!
//! A coordinator that follows a chain reads it in rounds: every period, and at once when a post
//! asks about a purchase it does not know. The chain stays open between rounds: a node's
//! connection, or an embedded chain opened read-only (its directory is shared with the parties'
//! processes, which keep writing it; each round reads only the blocks its log gained). A round
//! reads the best block and every purchase record asked for since the last round, and answers
//! them all. Records are remembered: a purchase asked about again costs a lookup in memory.

use crate::CoordinatorError;
use pallet_referral_rebate::PurchaseRecordOf;
use rebate_client::{
	chain::{state, AnyChain, Chain, Constants},
	documents::Clock,
	ClientError, PurchaseId,
};
use rebate_test_runtime::Runtime;
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot};

/// A purchase record as the chain keeps it.
pub type Record = PurchaseRecordOf<Runtime>;

/// The chain a coordinator checks documents against.
#[derive(Clone)]
pub struct ChainView(Arc<Inner>);

struct Inner {
	best: AtomicU64,
	source: Source,
	/// Purchase records read, with the best block they were read at (an absent record is not
	/// remembered: a purchase a reorganisation brings back is seen at the next lookup).
	records: Mutex<HashMap<(u32, u32), (Record, u32)>>,
	/// Time spent reading the chain, in nanoseconds (for the load figures).
	reading_ns: AtomicU64,
	rounds: AtomicU64,
	/// The followed chain's constants, once it is open (until then, and for a chain told of:
	/// the test runtime's).
	constants: std::sync::OnceLock<Constants>,
}

enum Source {
	/// No chain: deadlines are not checked on arrival and offers are not checked for backing.
	None,
	/// A chain the owner tells about ([`ChainView::set_best`], [`ChainView::record`]): tests and
	/// benchmarks.
	Told,
	/// A chain read in rounds by a follower task.
	Followed(mpsc::UnboundedSender<Lookup>),
}

struct Lookup {
	id: PurchaseId,
	/// Until when the follower waits for the purchase's block to be reached.
	until: Instant,
	reply: oneshot::Sender<Option<Record>>,
}

const UNKNOWN: u64 = u64::MAX;
/// At most this many purchase records are remembered (then the memory starts over).
const RECORDS_LIMIT: usize = 200_000;
/// A remembered record is read again once the chain is this many blocks past the read (a
/// refund flags it).
const RECORD_FRESH_BLOCKS: u32 = 100;
/// At most this many records are read in one round (the rest wait for the next).
const MAX_READS_PER_ROUND: usize = 1_000;
/// A round waits this long for more lookups to read together.
const MIN_ROUND_GAP: Duration = Duration::from_millis(2);

impl ChainView {
	fn with(source: Source) -> Self {
		Self(Arc::new(Inner {
			best: AtomicU64::new(UNKNOWN),
			source,
			records: Mutex::default(),
			reading_ns: AtomicU64::new(0),
			rounds: AtomicU64::new(0),
			constants: std::sync::OnceLock::new(),
		}))
	}

	/// No chain: deadlines are not checked on arrival, offers are not checked against purchase
	/// records, and nothing is deleted for its age (closed deployments and tests only).
	pub fn none() -> Self {
		Self::with(Source::None)
	}

	/// A chain its owner describes: at block `best`, with the purchases given to
	/// [`ChainView::record`].
	pub fn told(best: u32) -> Self {
		let view = Self::with(Source::Told);
		view.set_best(best);
		view
	}

	/// Whether documents are checked against a chain (deadlines, purchase records).
	pub fn follows(&self) -> bool {
		!matches!(self.0.source, Source::None)
	}

	/// The best block, if known.
	pub fn best(&self) -> Option<u32> {
		match self.0.best.load(Ordering::Relaxed) {
			UNKNOWN => None,
			n => Some(n as u32),
		}
	}

	/// Set the best block.
	pub fn set_best(&self, best: u32) {
		self.0.best.store(best as u64, Ordering::Relaxed);
	}

	/// Tell of purchase `id` (a chain the owner describes).
	pub fn record(&self, id: PurchaseId, record: Record) {
		self.remember(id, record, self.best().unwrap_or(0));
	}

	/// The chain's constants: the followed chain's once it is open, else the test runtime's.
	pub fn constants(&self) -> Constants {
		self.0.constants.get().copied().unwrap_or_else(Constants::test_runtime)
	}

	/// How many blocks a purchase record lives (the chain's `PurchaseLifetime`).
	pub fn lifetime(&self) -> u32 {
		self.constants().purchase_lifetime
	}

	/// The furthest a rebate block may be after the best block (the chain's `MaxRebateDelay`).
	pub fn max_rebate_delay(&self) -> u32 {
		self.constants().max_rebate_delay
	}

	/// The best block (0 if unknown) with the chain's block time.
	pub fn clock(&self) -> Clock {
		Clock { now: self.best().unwrap_or(0), block_time_ms: self.constants().block_time_ms }
	}

	/// Time spent reading the chain so far, and in how many rounds.
	pub fn reading(&self) -> (Duration, u64) {
		(
			Duration::from_nanos(self.0.reading_ns.load(Ordering::Relaxed)),
			self.0.rounds.load(Ordering::Relaxed),
		)
	}

	/// A record read recently enough (a described chain's records never go stale).
	fn known(&self, id: &PurchaseId) -> Option<Record> {
		let records = self.0.records.lock().ok()?;
		let (record, read_at) = records.get(&(id.block, id.index))?;
		let fresh = matches!(self.0.source, Source::Told)
			|| self.best().unwrap_or(0) < read_at.saturating_add(RECORD_FRESH_BLOCKS);
		fresh.then(|| record.clone())
	}

	fn remember(&self, id: PurchaseId, record: Record, read_at: u32) {
		if let Ok(mut records) = self.0.records.lock() {
			if records.len() >= RECORDS_LIMIT {
				records.clear();
			}
			records.insert((id.block, id.index), (record, read_at));
		}
	}

	/// The record of purchase `id` (`None`: the chain has none). A purchase in a block the
	/// follower has not read yet is waited for, a few rounds at most.
	pub async fn purchase(&self, id: PurchaseId) -> Result<Option<Record>, CoordinatorError> {
		if let Some(known) = self.known(&id) {
			return Ok(Some(known));
		}
		let Source::Followed(lookups) = &self.0.source else { return Ok(None) };
		let (reply, answer) = oneshot::channel();
		let until = Instant::now() + Duration::from_secs(3);
		lookups
			.send(Lookup { id, until, reply })
			.map_err(|_| CoordinatorError::ChainUnavailable("the chain follower stopped".into()))?;
		tokio::time::timeout(Duration::from_secs(10), answer)
			.await
			.map_err(|_| CoordinatorError::ChainUnavailable("the chain did not answer".into()))?
			.map_err(|_| CoordinatorError::ChainUnavailable("the chain follower stopped".into()))
	}

	/// Follow the chain at `spec` (an embedded chain's directory or a node's URL): a round every
	/// `period`, and at once for a purchase asked about.
	pub fn follow(spec: String, period: Duration) -> Self {
		let (lookups, waiting) = mpsc::unbounded_channel();
		let view = Self::with(Source::Followed(lookups));
		tokio::spawn(view.clone().follower(spec, period, waiting));
		view
	}

	async fn follower(
		self,
		spec: String,
		period: Duration,
		mut waiting: mpsc::UnboundedReceiver<Lookup>,
	) {
		let mut tick = tokio::time::interval(period);
		tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		let mut pending: Vec<Lookup> = Vec::new();
		// Kept between rounds: a node's connection; an embedded chain opened read-only (no lock:
		// the parties' processes keep writing it), which each round catches up with its log.
		let mut chain: Option<AnyChain> = None;
		// Lookups left over by a full round: the next round starts at once.
		let mut backlog = false;
		loop {
			if !backlog {
				tokio::select! {
					_ = tick.tick() => {}
					lookup = waiting.recv() => match lookup {
						Some(lookup) => pending.push(lookup),
						None => return,
					},
				}
			}
			tokio::time::sleep(MIN_ROUND_GAP).await;
			while let Ok(lookup) = waiting.try_recv() {
				pending.push(lookup);
			}
			// The rest wait for the next round, which starts at once.
			let later = pending.split_off(pending.len().min(MAX_READS_PER_ROUND));
			backlog = !later.is_empty();
			let ids: Vec<PurchaseId> = pending.iter().map(|l| l.id).collect();
			let started = Instant::now();
			let read = match chain.as_mut() {
				Some(c) => read_round(c, &ids).await,
				None => match AnyChain::open_read_only(&spec).await {
					Ok(c) => {
						let _ = self.0.constants.set(c.constants());
						read_round(chain.insert(c), &ids).await
					}
					Err(e) => Err(e),
				},
			};
			self.0.reading_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
			self.0.rounds.fetch_add(1, Ordering::Relaxed);
			match read {
				Ok((best, records)) => {
					self.set_best(best);
					let now = Instant::now();
					let mut still = Vec::new();
					for (lookup, record) in pending.drain(..).zip(records) {
						if lookup.id.block <= best {
							if let Some(r) = &record {
								self.remember(lookup.id, r.clone(), best);
							}
							let _ = lookup.reply.send(record);
						} else if lookup.until > now {
							// Its block is not in the chain yet: asked again next round.
							still.push(lookup);
						} else {
							let _ = lookup.reply.send(None);
						}
					}
					pending = still;
					pending.extend(later);
				}
				Err(e) => {
					chain = None;
					tracing::warn!(chain = %spec, error = %e, "cannot read the chain");
					// The lookups wait for a round that can read, each until its requester
					// stops waiting.
					let now = Instant::now();
					pending.extend(later);
					pending.retain(|l| l.until > now && !l.reply.is_closed());
					backlog = false;
				}
			}
		}
	}
}

/// One round's reads: the best block and the record of each of `ids`.
async fn read_round(
	chain: &mut AnyChain,
	ids: &[PurchaseId],
) -> Result<(u32, Vec<Option<Record>>), ClientError> {
	chain.catch_up()?;
	let best = chain.best().await?.0;
	let mut records = Vec::with_capacity(ids.len());
	for id in ids {
		records.push(if id.block <= best { state::purchase(chain, *id).await? } else { None });
	}
	Ok((best, records))
}
