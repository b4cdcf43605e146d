//! `GET /v1/promotions/{merchant}/{id}[?pay_at=N]`: a promotion's documents and next steps, for
//! its parties. A merchant's id may name several promotions over time (a reused id has a later
//! rebate block): the caller sees the latest it is a party of, or the one `pay_at` names, and
//! never one it is not a party of.

use crate::{
	api::{DocumentKind, DocumentView, PromotionView, Refusal},
	app::App,
	extract::Authenticated,
	model::StoredDocument,
	CoordinatorError,
};
use axum::{
	extract::{Path, Query, State},
	Json,
};
use rebate_client::{
	documents::{self, Envelope, Inspection},
	keys,
};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(super) struct Which {
	pay_at: Option<u32>,
}

/// A stored document as its parties see it: its envelope and an inspection at the best block
/// (its links were verified on arrival and are not verified again).
pub(crate) fn inspected(
	app: &App,
	row: &StoredDocument,
) -> Result<(Envelope, Inspection), CoordinatorError> {
	// This instance's parsed copy of that very version, if it has one; else parsed here.
	let envelope = match app.cached(&row.key) {
		Some(held) if held.digest == row.digest => held.envelope.clone(),
		_ => App::parse(row)?.envelope,
	};
	let inspection = documents::inspect_verified(&app.config.genesis, app.chain.clock(), &envelope);
	Ok((envelope, inspection))
}

/// [`inspected`], as the service answers it.
pub(crate) fn view(app: &App, row: &StoredDocument) -> Result<DocumentView, CoordinatorError> {
	let (envelope, inspection) = inspected(app, row)?;
	Ok(as_view(envelope, &inspection))
}

fn as_view(envelope: Envelope, inspection: &Inspection) -> DocumentView {
	DocumentView { envelope, inspection: serde_json::to_value(inspection).unwrap_or_default() }
}

/// A promotion's documents and next steps.
#[utoipa::path(
	get,
	path = "/v1/promotions/{merchant}/{promotion}",
	operation_id = "get_promotion",
	tag = "promotions",
	params(
		("merchant" = String, Path, description = "The merchant's SS58 address"),
		("promotion" = u64, Path, description = "The merchant's promotion id"),
		("pay_at" = Option<u32>, Query, description = "The promotion's rebate block (default: the latest the caller is a party of)"),
	),
	responses(
		(status = 200, description = "The promotion", body = PromotionView),
		(status = 400, description = "A malformed request", body = Refusal),
		(status = 401, description = "Unauthenticated, a bad signature or session, expired, replayed", body = Refusal),
		(status = 404, description = "No such promotion that the caller is a party of (one answer for both: a stranger learns nothing of which exist)", body = Refusal),
	),
	security(("signature" = []), ("session" = []))
)]
pub(super) async fn get(
	State(app): State<Arc<App>>,
	Path((merchant, promotion)): Path<(String, u64)>,
	Query(which): Query<Which>,
	Authenticated { caller, .. }: Authenticated,
) -> Result<Json<PromotionView>, CoordinatorError> {
	// An address (a dev name only where dev names are allowed: each costs a key derivation).
	let parse = if app.config.dev_names { keys::parse_account } else { keys::parse_address };
	let merchant = keys::ss58(
		&parse(&merchant).map_err(|e| CoordinatorError::BadRequest(format!("merchant: {e}")))?,
	);
	let rows = app.store.promotion(&merchant, promotion).await?;
	let me = keys::ss58(&caller.account);
	// One answer for a promotion that does not exist and one the caller is not a party of:
	// a stranger learns nothing of which promotions exist.
	let unseen = || {
		CoordinatorError::NotFound(format!(
			"no promotion {promotion} of {merchant} that {me} is a party of"
		))
	};
	let of = |pay_at: u32| rows.iter().filter(move |r| r.key.pay_at == pay_at);
	let party = |pay_at: u32| {
		of(pay_at)
			.any(|r| r.key.merchant == me || r.customer == me || r.referee.as_ref() == Some(&me))
	};
	// Rows come the latest rebate block first.
	let pay_at = match which.pay_at {
		Some(pay_at) => Some(pay_at).filter(|p| party(*p)),
		None => rows.iter().map(|r| r.key.pay_at).find(|p| party(*p)),
	};
	let Some(pay_at) = pay_at else { return Err(unseen()) };
	app.claim_only(&caller).await?;
	let mut docs: [Option<(Envelope, Inspection)>; 3] = Default::default();
	for row in of(pay_at) {
		let slot = match row.key.kind {
			DocumentKind::Offer => 0,
			DocumentKind::Purchase => 1,
			DocumentKind::Rebate => 2,
		};
		docs[slot] = Some(inspected(&app, row)?);
	}
	let next_steps = next_steps(&docs);
	let [offer, purchase, rebate] = docs.map(|d| d.map(|(e, i)| as_view(e, &i)));
	Ok(Json(PromotionView {
		merchant,
		promotion_id: promotion,
		pay_at,
		best_block: app.chain.best(),
		offer,
		rebate,
		purchase,
		next_steps,
	}))
}

/// A document's own deadline (inspections list it first).
fn deadline(d: &Option<(Envelope, Inspection)>) -> u32 {
	d.as_ref().and_then(|(_, i)| i.deadlines.first()).map(|d| d.block).unwrap_or(0)
}

/// What has to happen next for a promotion's offer, referred purchase and rebate.
fn next_steps(docs: &[Option<(Envelope, Inspection)>; 3]) -> Vec<String> {
	let [offer, purchase, rebate] = docs;
	let mut steps = Vec::new();
	let doc = |d: &Option<(Envelope, Inspection)>, what: &str, missing: &str, done: &str| match d {
		None => missing.to_owned(),
		Some((_, i)) if i.complete => done.to_owned(),
		Some((_, i)) => format!("{what}: {} signs next", i.next.clone().unwrap_or_default()),
	};
	steps.push(doc(
		offer,
		"offer",
		"offer: the merchant posts it",
		"offer: every party has signed",
	));
	steps.push(doc(
		purchase,
		"referred purchase",
		"referred purchase: the customer drafts it from the endorsed offer",
		"referred purchase: every party has signed",
	));
	steps.push(doc(
		rebate,
		"rebate",
		"rebate: the merchant posts it",
		"rebate: every party has signed",
	));
	let complete = |d: &Option<(Envelope, Inspection)>| d.as_ref().is_some_and(|(_, i)| i.complete);
	if complete(offer) && complete(purchase) {
		let by = deadline(offer);
		steps.push(format!("the merchant settles the referral before block {by}"));
	}
	if complete(rebate) {
		let by = deadline(rebate);
		steps.push(format!("the customer submits the rebate before block {by}"));
	}
	steps
}
