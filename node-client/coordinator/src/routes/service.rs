//! The service's own routes: `/health`, `/ready`, `/metrics`, `/openapi.json`.

use crate::app::App;
use axum::{extract::State, http::StatusCode, response::IntoResponse};
use std::sync::Arc;

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, description = "`ok`", body = String)))]
pub(super) async fn health() -> &'static str {
	"ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/ready", tag = "service", responses((status = 200, description = "`ready`", body = String), (status = 503, description = "The database does not answer", body = String)))]
pub(super) async fn ready(State(app): State<Arc<App>>) -> (StatusCode, &'static str) {
	if app.store.ready().await {
		(StatusCode::OK, "ready")
	} else {
		(StatusCode::SERVICE_UNAVAILABLE, "the database does not answer")
	}
}

/// Prometheus metrics. Unauthenticated: O(1) per scrape; the gauges counted from the database
/// are refreshed at most once per [`crate::metrics::COUNTS_PERIOD`].
#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "The text exposition format", body = String)))]
pub(super) async fn metrics(State(app): State<Arc<App>>) -> String {
	app.metrics.queue_depth.set(app.store.queue_depth() as i64);
	if app.metrics.counts_due() {
		if let Ok(n) = app.store.nonces().await {
			app.metrics.nonces.set(n);
		}
		if let Ok(counts) = app.store.counts().await {
			for (kind, complete, n) in counts {
				let state = if complete { "complete" } else { "signing" };
				app.metrics.documents.with_label_values(&[kind.as_str(), state]).set(n);
			}
		}
	}
	let (reading, rounds) = app.chain.reading();
	app.metrics.chain_rounds.set(rounds as i64);
	app.metrics.chain_seconds.set(reading.as_secs_f64());
	app.metrics.render()
}

/// This description.
#[utoipa::path(get, path = "/openapi.json", tag = "service", responses((status = 200, description = "The OpenAPI description", content_type = "application/json", body = Object)))]
pub(super) async fn openapi() -> impl IntoResponse {
	([("content-type", "application/json")], crate::OPENAPI)
}
