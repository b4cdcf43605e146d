//! The merchant server's Prometheus metrics, served at `/metrics` when asked for.

use prometheus::{
	Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
	TextEncoder,
};
use rebate_client::ClientError;
use std::sync::Arc;

/// The server's metrics.
pub struct Metrics {
	registry: Registry,
	/// Purchases to the merchant read from the chain.
	pub seen: IntCounter,
	/// Promotions issued.
	pub issued: IntCounter,
	/// Purchases skipped, by reason.
	pub skipped: IntCounterVec,
	/// Promotions delivered to the coordinator.
	pub delivered: IntCounter,
	/// Deliveries that failed (retried next round).
	pub delivery_failures: IntCounter,
	/// Seconds one delivery took.
	pub delivery_seconds: Histogram,
	/// Referrals settled.
	pub settled: IntCounter,
	/// Settlements the chain refused (retried while the settle-by block allows).
	pub settle_failures: IntCounter,
	/// Promotions whose settle-by block passed unsettled.
	pub expired: IntCounter,
	/// The last block fully read.
	pub cursor: IntGauge,
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}

impl Metrics {
	pub fn new() -> Self {
		let registry =
			Registry::new_custom(Some("rebate_merchant".into()), None).unwrap_or_default();
		let counter = |name: &str, help: &str| {
			let c = IntCounter::new(name, help).unwrap_or_else(|_| {
				IntCounter::new("invalid", "invalid").expect("a valid metric name")
			});
			let _ = registry.register(Box::new(c.clone()));
			c
		};
		let skipped = IntCounterVec::new(
			Opts::new("purchases_skipped_total", "Purchases no campaign took, by reason"),
			&["reason"],
		)
		.expect("a valid metric");
		let _ = registry.register(Box::new(skipped.clone()));
		let delivery_seconds = Histogram::with_opts(HistogramOpts::new(
			"delivery_seconds",
			"Seconds one promotion's delivery to the coordinator took",
		))
		.expect("a valid metric");
		let _ = registry.register(Box::new(delivery_seconds.clone()));
		let cursor = IntGauge::new("cursor_block", "The last block fully read").expect("valid");
		let _ = registry.register(Box::new(cursor.clone()));
		Metrics {
			seen: counter("purchases_seen_total", "Purchases to the merchant read"),
			issued: counter("promotions_issued_total", "Promotions issued"),
			delivered: counter("promotions_delivered_total", "Promotions delivered"),
			delivery_failures: counter("delivery_failures_total", "Deliveries that failed"),
			settled: counter("referrals_settled_total", "Referrals settled"),
			settle_failures: counter("settle_failures_total", "Settlements refused"),
			expired: counter("promotions_expired_total", "Promotions past settle-by unsettled"),
			skipped,
			delivery_seconds,
			cursor,
			registry,
		}
	}

	/// The metrics in Prometheus' text format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		String::from_utf8(out).unwrap_or_default()
	}
}

/// Serve `metrics` at `http://addr/metrics`.
pub async fn spawn(addr: std::net::SocketAddr, metrics: Arc<Metrics>) -> Result<(), ClientError> {
	let listener = tokio::net::TcpListener::bind(addr)
		.await
		.map_err(|e| ClientError::Backend(format!("cannot listen on {addr}: {e}")))?;
	let app = axum::Router::new().route(
		"/metrics",
		axum::routing::get(move || {
			let metrics = metrics.clone();
			async move { metrics.render() }
		}),
	);
	tokio::spawn(async move {
		let _ = axum::serve(listener, app).await;
	});
	Ok(())
}
