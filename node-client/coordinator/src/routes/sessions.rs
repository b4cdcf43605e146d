//! Sign-in: `GET /v1/sessions/challenge?account=…` gives a challenge to sign, `POST
//! /v1/sessions` trades the signed challenge for a session token ([`crate::session`]). Neither
//! needs a signed request: a wallet signs the challenge once, and the token signs nothing.

use crate::{
	api::{Challenge, Refusal, Session, SessionRequest},
	app::App,
	CoordinatorError,
};
use axum::{
	extract::{Query, State},
	http::HeaderMap,
	Json,
};
use rebate_client::keys;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(super) struct Who {
	account: String,
}

/// A sign-in challenge for an account.
#[utoipa::path(
	get,
	path = "/v1/sessions/challenge",
	operation_id = "get_challenge",
	tag = "sessions",
	params(("account" = String, Query, description = "The SS58 address that will sign it")),
	responses(
		(status = 200, description = "The challenge", body = Challenge),
		(status = 400, description = "Not an address", body = Refusal),
		(status = 421, description = "Addressed to another coordinator", body = Refusal),
	)
)]
pub(super) async fn challenge(
	State(app): State<Arc<App>>,
	headers: HeaderMap,
	Query(who): Query<Who>,
) -> Result<Json<Challenge>, CoordinatorError> {
	let origin = app.origin_of(&headers)?;
	let account = keys::parse_address(&who.account)
		.map_err(|e| CoordinatorError::BadRequest(format!("account: {e}")))?;
	Ok(Json(app.sessions.challenge(&origin, &account)))
}

/// A session for a signed challenge.
#[utoipa::path(
	post,
	path = "/v1/sessions",
	operation_id = "open_session",
	tag = "sessions",
	request_body = SessionRequest,
	responses(
		(status = 200, description = "The session", body = Session),
		(status = 401, description = "A challenge not given here, expired, for another origin, or not signed by its account", body = Refusal),
		(status = 421, description = "Addressed to another coordinator", body = Refusal),
	)
)]
pub(super) async fn open(
	State(app): State<Arc<App>>,
	headers: HeaderMap,
	Json(request): Json<SessionRequest>,
) -> Result<Json<Session>, CoordinatorError> {
	let origin = app.origin_of(&headers)?;
	Ok(Json(app.sessions.open(&origin, &request)?))
}
