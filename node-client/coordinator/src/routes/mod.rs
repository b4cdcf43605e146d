//! The HTTP service: one file per resource, authentication as an extractor
//! ([`crate::extract::Authenticated`]), timing and refusal counting as a layer, and one error
//! type mapped to a response once.

mod documents;
mod mailbox;
mod mutes;
pub mod openapi;
mod promotions;
mod service;
mod sessions;

use crate::{api::Refusal, app::App, CoordinatorError};
use axum::{
	extract::{MatchedPath, Request, State},
	http::StatusCode,
	middleware::Next,
	response::{IntoResponse, Response},
	routing::{get, post, put},
	Json, Router,
};
use std::{sync::Arc, time::Instant};

/// The largest request body the service reads (a complete document is a few KiB): a party cannot
/// make the others' mailboxes load and parse megabytes.
pub const MAX_BODY: usize = 64 * 1024;

/// The service's routes (see `openapi.json`).
pub fn router(app: Arc<App>) -> Router {
	Router::new()
		.route("/v1/documents", post(documents::post))
		.route("/v1/promotions/{merchant}/{promotion}", get(promotions::get))
		.route("/v1/mailbox", get(mailbox::get))
		.route("/v1/sessions/challenge", get(sessions::challenge))
		.route("/v1/sessions", post(sessions::open))
		.route("/v1/mutes", get(mutes::list))
		.route("/v1/mutes/{account}", put(mutes::mute).delete(mutes::unmute))
		.route("/health", get(service::health))
		.route("/ready", get(service::ready))
		.route("/metrics", get(service::metrics))
		.route("/openapi.json", get(service::openapi))
		.route_layer(axum::middleware::from_fn_with_state(app.clone(), timing))
		.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
		.with_state(app)
}

/// The code of a refused request, for the layer that counts refusals.
#[derive(Clone)]
struct Refused(String);

/// An error as the service answers it: its status and a [`Refusal`].
impl IntoResponse for CoordinatorError {
	fn into_response(self) -> Response {
		let status =
			StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
		let code = self.code();
		let body = Refusal { code: code.clone(), message: self.to_string() };
		let mut response = (status, Json(body)).into_response();
		response.extensions_mut().insert(Refused(code));
		response
	}
}

/// Every request's latency by route, and every refusal by its code.
async fn timing(
	State(app): State<Arc<App>>,
	route: Option<MatchedPath>,
	request: Request,
	next: Next,
) -> Response {
	let started = Instant::now();
	let response = next.run(request).await;
	let route = route.as_ref().map_or("unmatched", |r| r.as_str());
	app.metrics.observe(route, started);
	if let Some(Refused(code)) = response.extensions().get::<Refused>() {
		app.metrics.refused(code);
		if code == "deadline_passed" {
			app.metrics.deadline_misses.inc();
		}
	}
	response
}
