//! `GET /v1/mailbox[?cursor=…&limit=N]`: what waits for the caller, a page at a time: what it
//! must do on chain first (`settle`, `submit`), then what it signs next; the soonest deadline
//! first in each. Strangers cannot push the first kind out of sight: only a party's own
//! signatures make a settle or a submit, a document to sign reaches its addressee only if the
//! chain backs it, a sender has a limit of open documents per recipient, and a party can mute a
//! sender.

use crate::{
	api::{Action, DocumentKind, MailboxEntry, MailboxPage, Refusal},
	app::App,
	extract::Authenticated,
	routes::promotions::view,
	store::Cursor,
	CoordinatorError,
};
use axum::{
	extract::{Query, State},
	Json,
};
use rebate_client::keys;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(super) struct Page {
	cursor: Option<String>,
	limit: Option<u32>,
}

/// One page of the caller's mailbox.
#[utoipa::path(
	get,
	path = "/v1/mailbox",
	operation_id = "get_mailbox",
	tag = "mailbox",
	params(
		("cursor" = Option<String>, Query, description = "Where the page starts: a `next_cursor` this coordinator gave"),
		("limit" = Option<u32>, Query, description = "At most this many entries (and at most the coordinator's page size)"),
	),
	responses(
		(status = 200, description = "A page", body = MailboxPage),
		(status = 400, description = "A malformed request", body = Refusal),
		(status = 401, description = "Unauthenticated, a bad signature or session, expired, replayed", body = Refusal),
	),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn get(
	State(app): State<Arc<App>>,
	Query(page): Query<Page>,
	Authenticated { caller, .. }: Authenticated,
) -> Result<Json<MailboxPage>, CoordinatorError> {
	let cursor = match &page.cursor {
		None => None,
		Some(text) => Some(Cursor::decode(text).ok_or_else(|| {
			CoordinatorError::BadRequest(format!(
				"`{text}` is not a mailbox cursor this coordinator gave"
			))
		})?),
	};
	let limit = page.limit.unwrap_or(app.config.mailbox_limit).clamp(1, app.config.mailbox_limit);
	app.claim_only(&caller).await?;
	let me = keys::ss58(&caller.account);
	let best = app.chain.best().unwrap_or(0);
	let mut rows = app.store.mailbox(&me, best, cursor.as_ref(), limit + 1).await?;
	let more = rows.len() > limit as usize;
	rows.truncate(limit as usize);
	let next_cursor = more.then(|| rows.last()).flatten().map(|r| {
		Cursor { rank: r.rank, deadline: r.document.deadline, key: r.document.key.clone() }.encode()
	});
	let entries = rows
		.iter()
		.map(|row| {
			let d = &row.document;
			let action = match (row.rank, d.key.kind) {
				(0, DocumentKind::Rebate) => Action::Submit,
				(0, _) => Action::Settle,
				_ => Action::Sign,
			};
			Ok(MailboxEntry {
				action,
				kind: d.key.kind,
				merchant: d.key.merchant.clone(),
				promotion_id: d.key.promotion,
				pay_at: d.key.pay_at,
				deadline: d.deadline,
				document: view(&app, d)?,
			})
		})
		.collect::<Result<Vec<_>, CoordinatorError>>()?;
	Ok(Json(MailboxPage { entries, next_cursor }))
}
