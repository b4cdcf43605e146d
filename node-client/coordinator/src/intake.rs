//! The checks a posted document passes before it is stored, cheapest first: the envelope and its
//! chain; that the caller is a party (from the document and its links' designations, before any
//! signature is verified); the promotion it belongs to; the protocol's rules and every link not
//! already verified; what backs it (an offer: the customer's purchase on chain; a rebate: its
//! promotion's offer; a referred purchase: the endorsed offer it takes up); the sender's limits;
//! then a write conditional on the stored version's content.

use crate::{
	api::{Accepted, DocumentKind, PostStatus},
	app::{App, Held},
	auth::Caller,
	model::{DocKey, Limits, Outcome, StoredDocument, Write},
	CoordinatorError,
};
use pallet_referral_rebate::{record_is_live, referee_of, OriginError};
use rebate_client::{
	documents::{self, AnyDocument, Envelope, Kind, SignedDoc},
	keys, ClientError,
};
use sp_core::H256;
use std::sync::Arc;

/// `$body` with `$s` the envelope's signed document, whatever its kind.
macro_rules! with_signed {
	($document:expr, $s:ident => $body:expr) => {
		match $document {
			AnyDocument::Offer($s) => $body,
			AnyDocument::Rebate($s) => $body,
			AnyDocument::Purchase($s) => $body,
		}
	};
}

/// The parties of a document (with the referee where its links name one), and who signs next.
struct Facts {
	merchant: String,
	promotion: u64,
	customer: String,
	referee: Option<String>,
	links: u32,
	next_signer: Option<String>,
	complete: bool,
	deadline: u32,
}

fn facts<D: Kind>(signed: &SignedDoc<D>) -> Facts {
	let referee = referee_of(&signed.document, &signed.links).map(keys::ss58);
	let next = documents::next_signer(signed);
	Facts {
		merchant: keys::ss58(signed.document.merchant()),
		promotion: signed.document.promotion_id(),
		customer: keys::ss58(signed.document.customer()),
		referee,
		links: signed.links.len() as u32,
		next_signer: next.as_ref().and_then(|(_, who)| who.as_ref()).map(keys::ss58),
		complete: next.is_none(),
		deadline: signed.document.deadline().1,
	}
}

/// Check a document's rules, shape and every link but the first `trusted` (which this instance
/// holds already verified) against this chain, and its deadline.
fn check<D: Kind>(
	genesis: &H256,
	now: Option<u32>,
	signed: &SignedDoc<D>,
	trusted: usize,
) -> Result<(), CoordinatorError> {
	if signed.links.is_empty() {
		return Err(ClientError::Rule(format!(
			"{}: an unsigned document; its first signer signs it before posting",
			D::NAME
		))
		.into());
	}
	documents::verify_extension(genesis, signed, trusted)?;
	if let Some(now) = now {
		documents::check_deadline(&signed.document, now)?;
	}
	Ok(())
}

/// How a posted chain relates to the stored one.
enum Extension {
	/// Nothing stored yet.
	New,
	/// The same links: nothing to do.
	Unchanged,
	/// More links on top of the stored ones.
	Extends,
}

fn extension<D: Kind + PartialEq>(
	stored: &SignedDoc<D>,
	posted: &SignedDoc<D>,
) -> Result<Extension, CoordinatorError> {
	let (s, p) = (stored.links.len(), posted.links.len());
	if stored.document != posted.document {
		return Err(CoordinatorError::Conflict(format!(
			"the coordinator holds a different {} for this promotion (merchant, id and rebate block); nothing was changed",
			D::NAME
		)));
	}
	let common = s.min(p);
	if stored.links[..common] != posted.links[..common] {
		return Err(CoordinatorError::Conflict(format!(
			"the {}'s links differ from the stored ones; nothing was changed",
			D::NAME
		)));
	}
	if p < s {
		return Err(CoordinatorError::Stale { kind: D::NAME, stored: s as u32, posted: p as u32 });
	}
	Ok(if p == s { Extension::Unchanged } else { Extension::Extends })
}

fn extension_of(stored: &Envelope, posted: &Envelope) -> Result<Extension, CoordinatorError> {
	match (&stored.document, &posted.document) {
		(AnyDocument::Offer(s), AnyDocument::Offer(p)) => extension(s, p),
		(AnyDocument::Rebate(s), AnyDocument::Rebate(p)) => extension(s, p),
		(AnyDocument::Purchase(s), AnyDocument::Purchase(p)) => extension(s, p),
		_ => Err(CoordinatorError::Store("a document stored under another kind".into())),
	}
}

/// Whether two envelopes carry the same document (whatever their links).
pub(crate) fn same_document(a: &Envelope, b: &Envelope) -> bool {
	match (&a.document, &b.document) {
		(AnyDocument::Offer(x), AnyDocument::Offer(y)) => x.document == y.document,
		(AnyDocument::Rebate(x), AnyDocument::Rebate(y)) => x.document == y.document,
		(AnyDocument::Purchase(x), AnyDocument::Purchase(y)) => x.document == y.document,
		_ => false,
	}
}

/// How many links an envelope's document has.
pub(crate) fn links(e: &Envelope) -> usize {
	with_signed!(&e.document, s => s.links.len())
}

/// Why `offer` cannot be the one a referred purchase takes up (`None`: it is).
fn takes_up(offer: &Held, purchase: &Envelope) -> Option<CoordinatorError> {
	let (Some(offer), Some(p)) = (offer.envelope.offer(), purchase.purchase()) else {
		return Some(CoordinatorError::Store("a stored offer that is not one".into()));
	};
	let Some(referee) = referee_of(&offer.document, &offer.links) else {
		return Some(
			ClientError::Rule(
				"purchase: the promotion's offer names no referee yet; post the endorsed offer first".into(),
			)
			.into(),
		);
	};
	p.document
		.check_against(&offer.document, referee)
		.err()
		.map(|e| ClientError::Rule(format!("purchase: {e}")).into())
}

/// The stored offer a referred purchase takes up: the merchant's offer of that id this instance
/// remembers, or else each stored one, the latest first.
async fn offer_taken_up(
	app: &App,
	merchant: &str,
	id: u64,
	purchase: &Envelope,
) -> Result<Arc<Held>, CoordinatorError> {
	let key = |pay_at| DocKey {
		merchant: merchant.to_owned(),
		promotion: id,
		pay_at,
		kind: DocumentKind::Offer,
	};
	if let Some(held) = app.latest_offer(merchant, id).and_then(|pay_at| app.cached(&key(pay_at))) {
		if takes_up(&held, purchase).is_none() {
			return Ok(held);
		}
	}
	let mut refusal = None;
	for row in app.store.promotion(merchant, id).await? {
		if row.key.kind != DocumentKind::Offer {
			continue;
		}
		let held = Arc::new(App::parse(&row)?);
		match takes_up(&held, purchase) {
			None => {
				app.remember(row.key.clone(), held.clone());
				return Ok(held);
			}
			Some(e) => refusal = refusal.or(Some(e)),
		}
	}
	Err(refusal.unwrap_or_else(|| {
		ClientError::Rule(
			"purchase: the coordinator holds no offer for this promotion; post the offer first"
				.into(),
		)
		.into()
	}))
}

/// Check that a rebate belongs to its promotion's stored offer (and, once the referee signs it,
/// names the referee the offer does).
async fn check_rebate(
	app: &App,
	key: &DocKey,
	rebate: &Envelope,
	referee: Option<&String>,
) -> Result<(), CoordinatorError> {
	let offer_key = DocKey { kind: DocumentKind::Offer, ..key.clone() };
	let bound = |held: &Held| -> Result<(), CoordinatorError> {
		let (Some(offer), Some(r)) = (held.envelope.offer(), rebate.rebate()) else {
			return Err(CoordinatorError::Store("a stored offer that is not one".into()));
		};
		r.document
			.check_matches(&offer.document)
			.map_err(|e| ClientError::Rule(format!("rebate: {e}")))?;
		if let Some(referee) = referee {
			let named = referee_of(&offer.document, &offer.links).map(keys::ss58);
			if named.as_ref() != Some(referee) {
				return Err(ClientError::Rule(
					"rebate: the referee signs the rebate as the referee the endorsed offer names; post the endorsed offer first".into(),
				)
				.into());
			}
		}
		Ok(())
	};
	if let Some(held) = app.cached(&offer_key) {
		if bound(&held).is_ok() {
			return Ok(());
		}
	}
	match app.load(&offer_key).await? {
		Some(held) => bound(&held),
		None => Err(ClientError::Rule(
			"rebate: the coordinator holds no offer for this promotion; post the offer first"
				.into(),
		)
		.into()),
	}
}

/// Check what backs a new offer: on the chain the coordinator follows, its origin purchase is
/// the customer's live, unrefunded purchase from the merchant at the offer's price; and no other
/// offer of the merchant's id is open (a referred purchase, which names no rebate block, must
/// belong to one promotion).
async fn check_new_offer(
	app: &App,
	key: &DocKey,
	offer: &Envelope,
	now: Option<u32>,
) -> Result<(), CoordinatorError> {
	let Some(o) = offer.offer() else { return Ok(()) };
	let o = &o.document;
	for row in app.store.promotion(&key.merchant, key.promotion).await? {
		let open = now.is_none_or(|now| now < row.deadline);
		if row.key.kind == DocumentKind::Offer && row.key.pay_at != key.pay_at && open {
			return Err(CoordinatorError::Conflict(format!(
				"the coordinator holds another open offer of promotion {} (rebate block {}, open until block {}); nothing was changed",
				key.promotion, row.key.pay_at, row.deadline
			)));
		}
	}
	if !app.chain.follows() {
		return Ok(());
	}
	let id = o.origin_purchase;
	let started = std::time::Instant::now();
	let record = app.chain.purchase(id).await;
	app.metrics.chain_lookup(started);
	let purchase = format!("purchase {}/{}", id.block, id.index);
	let Some(record) = record? else {
		return Err(CoordinatorError::NotBacked(format!(
			"the chain has no {purchase}: an offer is based on the customer's recorded purchase"
		)));
	};
	record.check_origin_of(o).map_err(|e| {
		CoordinatorError::NotBacked(match e {
			OriginError::Mismatch => format!(
				"{purchase} is not the customer's purchase from this merchant in the offer's asset at its original price"
			),
			OriginError::Refunded => format!("{purchase} was refunded"),
		})
	})?;
	let best = app.chain.best().unwrap_or(0);
	if !record_is_live(id.block, app.chain.lifetime(), best) {
		return Err(CoordinatorError::NotBacked(format!(
			"{purchase}'s record has ended (block {best}); an offer is based on a live purchase"
		)));
	}
	Ok(())
}

/// The sender's limits for an offer that waits for `recipient` (and, new, is charged to its
/// creator's quota), which the write counts in its transaction (so concurrent posts cannot each
/// see a count under the limit and all pass).
///
/// Only offers are limited: an offer is what addresses a party that has signed nothing of the
/// promotion (the merchant's to the customer, the customer's designation of the referee). A
/// rebate or a referred purchase belongs to a stored offer of its promotion (at most one each;
/// a referee sees a rebate to sign only while its offer is open), so an offer's count bounds
/// them, and the common posts cost no count.
fn limits(
	app: &App,
	me: &str,
	key: &DocKey,
	recipient: Option<&String>,
	new: bool,
) -> Option<Limits> {
	let recipient = recipient.filter(|r| r.as_str() != me);
	if key.kind != DocumentKind::Offer || (recipient.is_none() && !new) {
		return None;
	}
	Some(Limits {
		sender: me.to_owned(),
		recipient: recipient.cloned(),
		best: app.chain.best().unwrap_or(0),
		open_per_recipient: app.config.open_per_recipient,
		quota: new.then_some(app.config.quota),
	})
}

/// Refuse a rebate block further than the chain allows (`MaxRebateDelay` after the best block):
/// the chain would refuse the promotion, and its documents would otherwise be kept until then.
fn check_pay_at(app: &App, pay_at: u32) -> Result<(), CoordinatorError> {
	let Some(now) = app.chain.best() else { return Ok(()) };
	let max = app.chain.max_rebate_delay();
	match pallet_referral_rebate::check_timing(now, u32::MAX, pay_at, max) {
		Err(pallet_referral_rebate::TimingError::PayAtTooFar) => Err(ClientError::Rule(format!(
			"the rebate block {pay_at} is more than {max} blocks after the chain's block {now} (MaxRebateDelay): the chain would refuse the promotion"
		))
		.into()),
		_ => Ok(()),
	}
}

/// Accept a posted document from `caller`.
pub(crate) async fn accept(
	app: &App,
	caller: &Caller,
	body: &[u8],
) -> Result<Accepted, CoordinatorError> {
	let text = std::str::from_utf8(body)
		.map_err(|_| ClientError::Malformed("the body is not UTF-8".into()))?;
	let envelope = Envelope::from_json(text)?;
	let genesis = app.config.genesis;
	envelope.check_chain(genesis)?;
	let now = app.chain.best();
	let kind = DocumentKind::of(&envelope.document);
	// Only a party posts: checked from the document and its links' designations, before any
	// link's signature is (a stranger's post costs no verification).
	let f = with_signed!(&envelope.document, s => facts(s));
	let me = keys::ss58(&caller.account);
	if me != f.merchant && me != f.customer && f.referee.as_ref() != Some(&me) {
		return Err(CoordinatorError::NotAParty(me));
	}
	// The promotion it belongs to: an offer and a rebate name their rebate block; a referred
	// purchase belongs to the promotion whose endorsed offer it takes up.
	let pay_at = match &envelope.document {
		AnyDocument::Offer(s) => s.document.pay_at,
		AnyDocument::Rebate(s) => s.document.pay_at,
		AnyDocument::Purchase(_) => {
			let offer = offer_taken_up(app, &f.merchant, f.promotion, &envelope).await?;
			offer.envelope.offer().map_or(0, |o| o.document.pay_at)
		}
	};
	check_pay_at(app, pay_at)?;
	let key = DocKey { merchant: f.merchant.clone(), promotion: f.promotion, pay_at, kind };
	// What this instance holds under the key (`None`: not known here): its links need no second
	// check. The write below is conditional on the stored version, so a stale or missing entry
	// (another instance, a restart, retention) only costs a retry against the database.
	let cached = app.cached(&key);
	// The posted chain extends this instance's copy link for link (or repeats it): those links
	// were verified when the copy was accepted, and each new link's signature covers them.
	let trusted = match cached.as_deref() {
		Some(held) if extension_of(&held.envelope, &envelope).is_ok() => links(&held.envelope),
		_ => 0,
	};
	with_signed!(&envelope.document, s => check(&genesis, now, s, trusted))?;
	if kind == DocumentKind::Rebate {
		check_rebate(app, &key, &envelope, f.referee.as_ref()).await?;
	}
	let body = serde_json::to_string(&envelope)
		.map_err(|e| CoordinatorError::Store(format!("re-serialising a document: {e}")))?;
	let accepted = |status| Accepted {
		status,
		kind,
		merchant: f.merchant.clone(),
		promotion_id: f.promotion,
		pay_at,
		links: f.links,
		complete: f.complete,
		next: f.next_signer.clone(),
	};
	let mut claim = app.claim(caller);
	let (mut stored, mut from_cache) = (cached, true);
	let mut backed = false;
	for _ in 0..6 {
		let ext = match &stored {
			// Not known here: new, unless the conditional insert finds it stored (then decided
			// again on the database's version).
			None => Extension::New,
			Some(held) => match extension_of(&held.envelope, &envelope) {
				Ok(ext) => ext,
				// This instance's copy may be stale: decide on the database's.
				Err(_) if from_cache => {
					(stored, from_cache) = (app.load(&key).await?, false);
					continue;
				}
				Err(e) => return Err(e),
			},
		};
		let replaces = match ext {
			Extension::Unchanged => {
				if let Some(claim) = claim.take() {
					app.committed(app.store.claim(claim).await?, caller)?;
				}
				return Ok(accepted(PostStatus::Unchanged));
			}
			Extension::New => {
				if kind == DocumentKind::Offer && !backed {
					check_new_offer(app, &key, &envelope, now).await?;
					backed = true;
				}
				None
			}
			Extension::Extends => stored.as_ref().map(|held| held.digest.clone()),
		};
		let limits = limits(app, &me, &key, f.next_signer.as_ref(), replaces.is_none());
		let row = StoredDocument {
			key: key.clone(),
			links: f.links,
			customer: f.customer.clone(),
			referee: f.referee.clone(),
			next_signer: f.next_signer.clone(),
			complete: f.complete,
			// Written with a new document only (an update leaves the creator as it was).
			creator: me.clone(),
			sender: me.clone(),
			deadline: f.deadline,
			digest: StoredDocument::digest_of(&body),
			// Canonical: re-serialised from the parsed document, so what is stored is bounded
			// by the document kind (its fields and at most three links), whatever padding was
			// posted.
			body: body.clone(),
		};
		let digest = row.digest.clone();
		let write = Write::Put { claim: claim.take(), document: row, replaces, limits };
		match app.committed(app.store.write(write).await?, caller)? {
			Outcome::OverLimit => {
				return Err(CoordinatorError::TooManyOpen {
					sender: me,
					recipient: f.next_signer.clone().unwrap_or_default(),
					limit: app.config.open_per_recipient,
				})
			}
			Outcome::OverQuota => {
				return Err(CoordinatorError::QuotaExceeded {
					account: me,
					quota: app.config.quota,
				})
			}
			Outcome::Done => {
				tracing::info!(%kind, merchant = %f.merchant, promotion = f.promotion, pay_at, links = f.links, by = %me, "document stored");
				app.remember(key, Arc::new(Held { envelope, digest }));
				return Ok(accepted(PostStatus::Stored));
			}
			_raced => (stored, from_cache) = (app.load(&key).await?, false),
		}
	}
	Err(CoordinatorError::Conflict(format!(
		"the {kind} kept changing while this request was checked; post it again"
	)))
}
