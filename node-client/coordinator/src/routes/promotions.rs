//! `GET /v1/promotions/{merchant}/{id}[?pay_at=N]`: a promotion's documents and next steps, for
//! its parties. A merchant's id may name several promotions over time (a reused id has a later
//! rebate block): the caller sees the latest it is a party of, or the one `pay_at` names, and
//! never one it is not a party of.

use crate::{
	api::{DocumentKind, DocumentView, PromotionView},
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
	documents::{self, Inspection},
	keys,
};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(super) struct Which {
	pay_at: Option<u32>,
}

/// A stored document as its parties see it: its envelope and an inspection at the best block
/// (its links were verified on arrival and are not verified again).
pub(crate) fn view(
	app: &App,
	row: &StoredDocument,
) -> Result<DocumentView<Inspection>, CoordinatorError> {
	let envelope = App::parse(row)?.envelope;
	let now = app.chain.best().unwrap_or(0);
	let inspection = documents::inspect_verified(&app.config.genesis, now, &envelope);
	Ok(DocumentView { envelope, inspection })
}

pub(super) async fn get(
	State(app): State<Arc<App>>,
	Path((merchant, promotion)): Path<(String, u64)>,
	Query(which): Query<Which>,
	Authenticated { caller, .. }: Authenticated,
) -> Result<Json<PromotionView<Inspection>>, CoordinatorError> {
	let merchant = keys::ss58(
		&keys::parse_account(&merchant)
			.map_err(|e| CoordinatorError::BadRequest(format!("merchant: {e}")))?,
	);
	let rows = app.store.promotion(&merchant, promotion).await?;
	if rows.is_empty() {
		return Err(CoordinatorError::NotFound(format!("promotion {promotion} of {merchant}")));
	}
	let me = keys::ss58(&caller.account);
	let of = |pay_at: u32| rows.iter().filter(move |r| r.key.pay_at == pay_at);
	let party = |pay_at: u32| {
		of(pay_at)
			.any(|r| r.key.merchant == me || r.customer == me || r.referee.as_ref() == Some(&me))
	};
	// Rows come the latest rebate block first.
	let pay_at = match which.pay_at {
		Some(pay_at) if of(pay_at).next().is_none() => {
			return Err(CoordinatorError::NotFound(format!(
				"promotion {promotion} of {merchant} with rebate block {pay_at}"
			)))
		}
		Some(pay_at) => Some(pay_at).filter(|p| party(*p)),
		None => rows.iter().map(|r| r.key.pay_at).find(|p| party(*p)),
	};
	let Some(pay_at) = pay_at else { return Err(CoordinatorError::NotAParty(me)) };
	app.claim_only(&caller).await?;
	let mut v = PromotionView {
		merchant,
		promotion_id: promotion,
		pay_at,
		best_block: app.chain.best(),
		offer: None,
		rebate: None,
		purchase: None,
		next_steps: vec![],
	};
	for row in of(pay_at) {
		let d = Some(view(&app, row)?);
		match row.key.kind {
			DocumentKind::Offer => v.offer = d,
			DocumentKind::Rebate => v.rebate = d,
			DocumentKind::Purchase => v.purchase = d,
		}
	}
	v.next_steps = next_steps(&v);
	Ok(Json(v))
}

/// A document's own deadline (inspections list it first).
fn deadline(d: &Option<DocumentView<Inspection>>) -> u32 {
	d.as_ref().and_then(|d| d.inspection.deadlines.first()).map(|d| d.block).unwrap_or(0)
}

fn next_steps(v: &PromotionView<Inspection>) -> Vec<String> {
	let mut steps = Vec::new();
	let doc = |d: &Option<DocumentView<Inspection>>, what: &str, missing: &str, done: &str| match d
	{
		None => missing.to_owned(),
		Some(d) if d.inspection.complete => done.to_owned(),
		Some(d) => format!("{what}: {} signs next", d.inspection.next.clone().unwrap_or_default()),
	};
	steps.push(doc(
		&v.offer,
		"offer",
		"offer: the merchant posts it",
		"offer: every party has signed",
	));
	steps.push(doc(
		&v.purchase,
		"referred purchase",
		"referred purchase: the customer drafts it from the endorsed offer",
		"referred purchase: every party has signed",
	));
	steps.push(doc(
		&v.rebate,
		"rebate",
		"rebate: the merchant posts it",
		"rebate: every party has signed",
	));
	let complete =
		|d: &Option<DocumentView<Inspection>>| d.as_ref().is_some_and(|d| d.inspection.complete);
	if complete(&v.offer) && complete(&v.purchase) {
		let by = deadline(&v.offer);
		steps.push(format!("the merchant settles the referral before block {by}"));
	}
	if complete(&v.rebate) {
		let by = deadline(&v.rebate);
		steps.push(format!("the customer submits the rebate before block {by}"));
	}
	steps
}
