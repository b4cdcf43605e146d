//! `GET /v1/mutes`, `PUT /v1/mutes/{account}`, `DELETE /v1/mutes/{account}`: the senders whose
//! documents to sign no longer reach the caller's mailbox (what it must settle or submit, which
//! only its own signatures make, is never muted).

use crate::{
	api::{Mutes, Refusal},
	app::App,
	extract::Authenticated,
	model::Write,
	CoordinatorError,
};
use axum::{
	extract::{Path, State},
	http::StatusCode,
	Json,
};
use rebate_client::keys;
use std::sync::Arc;

/// The senders the caller muted.
#[utoipa::path(
	get,
	path = "/v1/mutes",
	operation_id = "list_mutes",
	tag = "mutes",
	responses((status = 200, description = "The muted senders", body = Mutes), (status = 401, description = "Unauthenticated", body = Refusal)),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn list(
	State(app): State<Arc<App>>,
	Authenticated { caller, .. }: Authenticated,
) -> Result<Json<Mutes>, CoordinatorError> {
	app.claim_only(&caller).await?;
	Ok(Json(Mutes { muted: app.store.mutes(&keys::ss58(&caller.account)).await? }))
}

async fn set(
	app: &App,
	account: &str,
	Authenticated { caller, .. }: Authenticated,
	on: bool,
) -> Result<StatusCode, CoordinatorError> {
	let muted = keys::ss58(
		&keys::parse_address(account)
			.map_err(|e| CoordinatorError::BadRequest(format!("account: {e}")))?,
	);
	let write =
		Write::Mute { claim: app.claim(&caller), account: keys::ss58(&caller.account), muted, on };
	app.committed(app.store.write(write).await?, &caller)?;
	Ok(StatusCode::NO_CONTENT)
}

/// Mute a sender.
#[utoipa::path(
	put,
	path = "/v1/mutes/{account}",
	tag = "mutes",
	params(("account" = String, Path, description = "The sender's SS58 address")),
	responses((status = 204, description = "Muted"), (status = 400, description = "Not an address", body = Refusal), (status = 401, description = "Unauthenticated", body = Refusal)),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn mute(
	State(app): State<Arc<App>>,
	Path(account): Path<String>,
	authenticated: Authenticated,
) -> Result<StatusCode, CoordinatorError> {
	set(&app, &account, authenticated, true).await
}

/// Unmute a sender.
#[utoipa::path(
	delete,
	path = "/v1/mutes/{account}",
	tag = "mutes",
	params(("account" = String, Path, description = "The sender's SS58 address")),
	responses((status = 204, description = "Unmuted"), (status = 400, description = "Not an address", body = Refusal), (status = 401, description = "Unauthenticated", body = Refusal)),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn unmute(
	State(app): State<Arc<App>>,
	Path(account): Path<String>,
	authenticated: Authenticated,
) -> Result<StatusCode, CoordinatorError> {
	set(&app, &account, authenticated, false).await
}
