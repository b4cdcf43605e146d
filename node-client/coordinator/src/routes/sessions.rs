//! Sign-in: `GET /v1/sessions/challenge?account=…` gives a challenge to sign, `POST
//! /v1/sessions` trades the signed challenge for a session token ([`crate::session`]). Neither
//! needs a signed request: a wallet signs the challenge once, and the token signs nothing.

use crate::{
	api::{Challenge, Session, SessionRequest},
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

pub(super) async fn open(
	State(app): State<Arc<App>>,
	headers: HeaderMap,
	Json(request): Json<SessionRequest>,
) -> Result<Json<Session>, CoordinatorError> {
	let origin = app.origin_of(&headers)?;
	Ok(Json(app.sessions.open(&origin, &request)?))
}
