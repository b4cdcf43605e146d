//! Authentication as an extractor: a handler that takes [`Authenticated`] runs only for a
//! request authenticated by its session token or its own signature, and gets the body the
//! signature covers.

use crate::{app::App, auth::Caller, routes::MAX_BODY, CoordinatorError};
use axum::{
	body::Bytes,
	extract::{FromRequest, Request},
};
use std::sync::Arc;

/// An authenticated request: its caller and its body.
pub struct Authenticated {
	pub caller: Caller,
	pub body: Bytes,
}

impl FromRequest<Arc<App>> for Authenticated {
	type Rejection = CoordinatorError;

	async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
		let (parts, body) = request.into_parts();
		let body = axum::body::to_bytes(body, MAX_BODY)
			.await
			.map_err(|_| CoordinatorError::TooLarge(MAX_BODY))?;
		let caller = app.authenticate(&parts.method, &parts.uri, &parts.headers, &body)?;
		Ok(Self { caller, body })
	}
}
