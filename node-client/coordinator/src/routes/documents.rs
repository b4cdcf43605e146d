//! `POST /v1/documents`: a party posts a document with its new link.

use crate::{
	api::{Accepted, PostStatus},
	app::App,
	extract::Authenticated,
	intake, CoordinatorError,
};
use axum::{extract::State, http::StatusCode, Json};
use std::sync::Arc;

/// `201` stored (new or extended), `200` unchanged; refusals as [`CoordinatorError`] says.
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
