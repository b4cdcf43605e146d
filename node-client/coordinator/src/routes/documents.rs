//! `POST /v1/documents`: a party posts a document with its new link.

use crate::{
	api::{Accepted, PostStatus, Refusal},
	app::App,
	extract::Authenticated,
	intake, CoordinatorError,
};
use axum::{extract::State, http::StatusCode, Json};
use std::sync::Arc;

/// `201` stored (new or extended), `200` unchanged; refusals as [`CoordinatorError`] says.
#[utoipa::path(
	post,
	path = "/v1/documents",
	operation_id = "post_document",
	tag = "documents",
	request_body(content = Object, content_type = "application/json", description = "An envelope: the chain's genesis hash and the signed document under its kind"),
	responses(
		(status = 201, description = "Stored: new, or extended by the caller's link", body = Accepted),
		(status = 200, description = "Unchanged: the coordinator held these links", body = Accepted),
		(status = 400, description = "A malformed request", body = Refusal),
		(status = 401, description = "Unauthenticated, a bad signature or session, expired, replayed", body = Refusal),
		(status = 403, description = "The caller is not a party of the document", body = Refusal),
		(status = 409, description = "Conflicting with or superseded by the stored document (`conflict`, `stale`)", body = Refusal),
		(status = 413, description = "Larger than any document", body = Refusal),
		(status = 421, description = "Addressed to another coordinator", body = Refusal),
		(status = 422, description = "The document fails a check: its chain, rules, links, deadline, or nothing on chain backs it (`not_backed`)", body = Refusal),
		(status = 429, description = "The sender's limit towards the recipient or its quota (`too_many_open`, `quota_exceeded`)", body = Refusal),
		(status = 503, description = "The database or the chain is unavailable", body = Refusal),
	),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn post(
	State(app): State<Arc<App>>,
	Authenticated { caller, body }: Authenticated,
) -> Result<(StatusCode, Json<Accepted>), CoordinatorError> {
	let accepted = intake::accept(&app, &caller, &body).await?;
	app.metrics.accepted.with_label_values(&[accepted.kind.as_str()]).inc();
	let status = match accepted.status {
		PostStatus::Stored => StatusCode::CREATED,
		PostStatus::Unchanged => StatusCode::OK,
	};
	Ok((status, Json(accepted)))
}
