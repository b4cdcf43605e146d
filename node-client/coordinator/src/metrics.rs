//! Prometheus metrics: documents accepted and refused (by reason), queue depths, deadline
//! misses, request latency.

use prometheus::{
	Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
	IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::time::Instant;

/// The service's metrics.
pub struct Metrics {
	registry: Registry,
	/// Documents stored or confirmed, by kind.
	pub accepted: IntCounterVec,
	/// Requests refused, by reason (the error code).
	pub refused: IntCounterVec,
	/// Documents refused because their deadline had passed.
	pub deadline_misses: IntCounter,
	/// Requests waiting for the database writer.
	pub queue_depth: IntGauge,
	/// Request nonces remembered against replays.
	pub nonces: IntGauge,
	/// Stored documents by kind and state (`signing`, `complete`).
	pub documents: IntGaugeVec,
	/// Request latency by route.
	pub latency: HistogramVec,
	/// How often the stored-document and nonce gauges were counted from the database.
	pub table_counts: IntCounter,
	/// How long posts of new offers waited for their origin purchase's record.
	pub chain_lookups: Histogram,
	/// Rounds the chain follower read the chain in.
	pub chain_rounds: IntGauge,
	/// Seconds the chain follower spent reading the chain.
	pub chain_seconds: Gauge,
	/// When they were last counted: a scrape within [`COUNTS_PERIOD`] of it reuses them.
	counted_at: std::sync::Mutex<Option<Instant>>,
}

/// How long the database counts behind `/metrics` are reused: a scrape costs no database work
/// but once per period, however often `/metrics` is asked.
pub const COUNTS_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

impl Metrics {
	pub fn new() -> Self {
		let registry = Registry::new();
		let accepted = IntCounterVec::new(
			Opts::new("rebate_coordinator_documents_accepted_total", "Documents accepted"),
			&["kind"],
		)
		.expect("valid metric");
		let refused = IntCounterVec::new(
			Opts::new("rebate_coordinator_requests_refused_total", "Requests refused, by reason"),
			&["reason"],
		)
		.expect("valid metric");
		let deadline_misses = IntCounter::new(
			"rebate_coordinator_deadline_misses_total",
			"Documents refused because their deadline had passed",
		)
		.expect("valid metric");
		let queue_depth = IntGauge::new(
			"rebate_coordinator_writer_queue_depth",
			"Requests waiting for the database writer",
		)
		.expect("valid metric");
		let nonces = IntGauge::new(
			"rebate_coordinator_nonces",
			"Request nonces remembered against replays (swept after their window closes)",
		)
		.expect("valid metric");
		let documents = IntGaugeVec::new(
			Opts::new("rebate_coordinator_documents", "Stored documents by kind and state"),
			&["kind", "state"],
		)
		.expect("valid metric");
		let latency = HistogramVec::new(
			HistogramOpts::new("rebate_coordinator_request_seconds", "Request latency")
				.buckets(vec![0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0]),
			&["route"],
		)
		.expect("valid metric");
		let table_counts = IntCounter::new(
			"rebate_coordinator_table_counts_total",
			"Times the stored-document and nonce gauges were counted from the database",
		)
		.expect("valid metric");
		let chain_lookups = Histogram::with_opts(
			HistogramOpts::new(
				"rebate_coordinator_chain_lookup_seconds",
				"How long a new offer waited for its origin purchase's record",
			)
			.buckets(vec![0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0, 3.0]),
		)
		.expect("valid metric");
		let chain_rounds = IntGauge::new(
			"rebate_coordinator_chain_rounds",
			"Rounds the chain follower read the chain in",
		)
		.expect("valid metric");
		let chain_seconds = Gauge::new(
			"rebate_coordinator_chain_read_seconds",
			"Seconds the chain follower spent reading the chain",
		)
		.expect("valid metric");
		for m in [
			Box::new(accepted.clone()) as Box<dyn prometheus::core::Collector>,
			Box::new(refused.clone()),
			Box::new(deadline_misses.clone()),
			Box::new(queue_depth.clone()),
			Box::new(nonces.clone()),
			Box::new(documents.clone()),
			Box::new(latency.clone()),
			Box::new(table_counts.clone()),
			Box::new(chain_lookups.clone()),
			Box::new(chain_rounds.clone()),
			Box::new(chain_seconds.clone()),
		] {
			registry.register(m).expect("metric names are unique");
		}
		Self {
			registry,
			accepted,
			refused,
			deadline_misses,
			queue_depth,
			nonces,
			documents,
			latency,
			table_counts,
			chain_lookups,
			chain_rounds,
			chain_seconds,
			counted_at: std::sync::Mutex::new(None),
		}
	}

	/// Whether the database counts are due (none in the last [`COUNTS_PERIOD`]); marks them
	/// counted now if so. Concurrent scrapes see one of them due.
	pub fn counts_due(&self) -> bool {
		let Ok(mut at) = self.counted_at.try_lock() else { return false };
		if at.is_some_and(|t| t.elapsed() < COUNTS_PERIOD) {
			return false;
		}
		*at = Some(Instant::now());
		self.table_counts.inc();
		true
	}

	/// Count a refusal.
	pub fn refused(&self, reason: &str) {
		self.refused.with_label_values(&[reason]).inc();
	}

	/// Record how long a post waited for a purchase record.
	pub fn chain_lookup(&self, started: Instant) {
		self.chain_lookups.observe(started.elapsed().as_secs_f64());
	}

	/// Record a request's latency.
	pub fn observe(&self, route: &str, started: Instant) {
		self.latency.with_label_values(&[route]).observe(started.elapsed().as_secs_f64());
	}

	/// The text exposition format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		String::from_utf8(out).unwrap_or_default()
	}
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}
