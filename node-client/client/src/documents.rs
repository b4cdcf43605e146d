//! Documents as the parties exchange them: a JSON envelope naming the chain, the pallet's own
//! signed document types inside it, the protocol's rules checked before anyone signs, each
//! signing step verifying every link it received first, and an `inspect` that tells who has
//! signed, what is missing and whose turn it is.
//!
//! Every type and payload comes from `pallet-referral-rebate`; nothing is re-declared here. In
//! JSON, accounts are SS58 addresses, signatures hex, amounts decimal.

use crate::{keys, ClientError};
use pallet_referral_rebate::{
	check_shape, distinct, expected_signer, referee_of, verify_links, verify_links_from,
	ChainError, Document, Framing, Offer, Rebate, Role, RuleError, Signed, SignedOfferOf,
	SignedPurchaseOf, SignedRebateOf,
};
use rebate_test_runtime::{AccountId, AssetKind, Balance, Runtime, Signature};
use serde::{Deserialize, Serialize};
use sp_core::H256;

/// One of the protocol's three signed documents.
// Externally tagged: `{"offer": {...}}`. (Internally or adjacently tagged enums and `flatten`
// buffer their content, which loses `u128` amounts.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnyDocument {
	/// The referral offer: merchant → customer (naming the referee) → referee.
	Offer(SignedOfferOf<Runtime>),
	/// The rebate: merchant → referee (naming itself) → customer.
	Rebate(SignedRebateOf<Runtime>),
	/// The referred purchase: customer → referee.
	Purchase(SignedPurchaseOf<Runtime>),
}

/// A document in transit: the chain it is for and the signed document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
	/// The genesis hash of the chain every link is bound to.
	pub chain: H256,
	/// The document and its links, under its kind: `offer`, `rebate` or `purchase`.
	pub document: AnyDocument,
}

impl Envelope {
	/// Parse an envelope from JSON.
	pub fn from_json(text: &str) -> Result<Self, ClientError> {
		serde_json::from_str(text).map_err(|e| ClientError::Malformed(e.to_string()))
	}

	/// The envelope as pretty JSON.
	pub fn to_json(&self) -> String {
		serde_json::to_string_pretty(self).unwrap_or_default()
	}

	/// Read an envelope from a file (`-`: standard input).
	pub fn read(path: &str) -> Result<Self, ClientError> {
		let text = if path == "-" {
			std::io::read_to_string(std::io::stdin())
				.map_err(|e| ClientError::io(std::path::Path::new("<stdin>"), e))?
		} else {
			std::fs::read_to_string(path)
				.map_err(|e| ClientError::io(std::path::Path::new(path), e))?
		};
		Self::from_json(&text)
	}

	/// Write the envelope to a file (`-`: standard output), atomically for files.
	pub fn write(&self, path: &str) -> Result<(), ClientError> {
		let json = self.to_json() + "\n";
		if path == "-" {
			print!("{json}");
			return Ok(());
		}
		let path = std::path::Path::new(path);
		let tmp = path.with_extension("tmp~");
		std::fs::write(&tmp, json)
			.and_then(|()| std::fs::rename(&tmp, path))
			.map_err(|e| ClientError::io(path, e))
	}

	/// The document kind's name.
	pub fn kind(&self) -> &'static str {
		self.document.kind()
	}

	/// The promotion the document belongs to.
	pub fn promotion_id(&self) -> pallet_referral_rebate::PromotionId {
		use pallet_referral_rebate::Document;
		match &self.document {
			AnyDocument::Offer(s) => s.document.promotion_id(),
			AnyDocument::Rebate(s) => s.document.promotion_id(),
			AnyDocument::Purchase(s) => s.document.promotion_id(),
		}
	}

	/// The offer inside, if it is one.
	pub fn offer(&self) -> Option<&SignedOfferOf<Runtime>> {
		match &self.document {
			AnyDocument::Offer(s) => Some(s),
			_ => None,
		}
	}

	/// The rebate inside, if it is one.
	pub fn rebate(&self) -> Option<&SignedRebateOf<Runtime>> {
		match &self.document {
			AnyDocument::Rebate(s) => Some(s),
			_ => None,
		}
	}

	/// The referred purchase inside, if it is one.
	pub fn purchase(&self) -> Option<&SignedPurchaseOf<Runtime>> {
		match &self.document {
			AnyDocument::Purchase(s) => Some(s),
			_ => None,
		}
	}

	/// Refuse a document made for another chain.
	pub fn check_chain(&self, genesis: H256) -> Result<(), ClientError> {
		if self.chain != genesis {
			return Err(ClientError::WrongChain { document: self.chain, chain: genesis });
		}
		Ok(())
	}
}

impl AnyDocument {
	/// The document kind's name.
	pub fn kind(&self) -> &'static str {
		match self {
			AnyDocument::Offer(_) => "offer",
			AnyDocument::Rebate(_) => "rebate",
			AnyDocument::Purchase(_) => "purchase",
		}
	}
}

/// What a document kind adds to [`Document`] for the client: its deadline and its own rules.
pub trait Kind: Document<AccountId> + Clone {
	/// The name used in messages and JSON.
	const NAME: &'static str;
	/// The block before which the document must reach the chain, and what it is called.
	fn deadline(&self) -> (&'static str, u32);
	/// The rules a document must satisfy before anyone signs it (the protocol's own, from
	/// `pallet_referral_rebate::types`), as far as `referee` (once a link designated it) tells,
	/// its amounts against `minimum` (its asset's minimum balance).
	fn check_rules_with(
		&self,
		referee: Option<&AccountId>,
		minimum: &Balance,
	) -> Result<(), ClientError>;
	/// [`Kind::check_rules_with`] against the minimum this client knows of the document's
	/// asset without the chain ([`crate::assets::known_minimum`]).
	fn check_rules(&self, referee: Option<&AccountId>) -> Result<(), ClientError> {
		self.check_rules_with(referee, &crate::assets::known_minimum(self.asset()))
	}
	/// The asset its amounts are in.
	fn asset(&self) -> &AssetKind;
	/// Its amounts, named.
	fn amounts(&self) -> Vec<(&'static str, Balance)>;
}

/// A protocol rule's refusal, named for the document it is about.
fn rule_error(kind: &str, e: pallet_referral_rebate::RuleError) -> ClientError {
	ClientError::Rule(format!("{kind}: {e}"))
}

impl Kind for pallet_referral_rebate::OfferOf<Runtime> {
	const NAME: &'static str = "offer";
	fn deadline(&self) -> (&'static str, u32) {
		("the offer's settle-by block", self.settle_by)
	}
	fn check_rules_with(
		&self,
		referee: Option<&AccountId>,
		minimum: &Balance,
	) -> Result<(), ClientError> {
		Offer::check_rules(self, referee, minimum).map_err(|e| rule_error(Self::NAME, e))
	}
	fn asset(&self) -> &AssetKind {
		&self.asset
	}
	fn amounts(&self) -> Vec<(&'static str, Balance)> {
		vec![("original price", self.original_price), ("discounted price", self.discounted_price)]
	}
}

impl Kind for pallet_referral_rebate::RebateOf<Runtime> {
	const NAME: &'static str = "rebate";
	fn deadline(&self) -> (&'static str, u32) {
		("the rebate's pay-at block", self.pay_at)
	}
	fn check_rules_with(
		&self,
		referee: Option<&AccountId>,
		minimum: &Balance,
	) -> Result<(), ClientError> {
		Rebate::check_rules(self, referee, minimum).map_err(|e| rule_error(Self::NAME, e))
	}
	fn asset(&self) -> &AssetKind {
		&self.asset
	}
	fn amounts(&self) -> Vec<(&'static str, Balance)> {
		vec![("rebate", self.amount)]
	}
}

impl Kind for pallet_referral_rebate::ReferredPurchaseOf<Runtime> {
	const NAME: &'static str = "purchase";
	fn deadline(&self) -> (&'static str, u32) {
		("the referred purchase's settle-by block", self.settle_by)
	}
	fn check_rules_with(&self, _: Option<&AccountId>, _: &Balance) -> Result<(), ClientError> {
		distinct(&self.merchant, &self.referrer, &self.buyer)
			.then_some(())
			.ok_or_else(|| rule_error(Self::NAME, RuleError::PartiesNotDistinct))
	}
	fn asset(&self) -> &AssetKind {
		&self.asset
	}
	fn amounts(&self) -> Vec<(&'static str, Balance)> {
		vec![("price", self.price)]
	}
}

/// A signed document of kind `D`.
pub type SignedDoc<D> = Signed<D, AccountId, Signature>;

fn chain_error<D: Kind>(e: ChainError) -> ClientError {
	match e {
		ChainError::BadSignature { link, role } => {
			ClientError::BadSignature { kind: D::NAME, link, role }
		},
		ChainError::TooManyLinks => {
			ClientError::BadChain { kind: D::NAME, reason: "more links than the document has signers".into() }
		},
		ChainError::MissingLinks { have, need } => ClientError::BadChain {
			kind: D::NAME,
			reason: format!("{have} of {need} signatures present"),
		},
		ChainError::Designation { link, role } => ClientError::BadChain {
			kind: D::NAME,
			reason: format!(
				"link {link} (the {role:?}'s) names an account where the protocol has it name none, or none where it must name the referee"
			),
		},
	}
}

/// Check everything a receiver checks before it signs or submits: the rules, the shape, every
/// link's signature against `genesis`, and (with `complete`) that every party has signed.
pub fn verify<D: Kind>(
	genesis: &H256,
	signed: &SignedDoc<D>,
	complete: bool,
) -> Result<(), ClientError> {
	signed.document.check_rules(referee_of(&signed.document, &signed.links))?;
	if complete && signed.links.len() < D::ORDER.len() {
		return Err(incomplete(signed));
	}
	check_shape(signed, complete).map_err(chain_error::<D>)?;
	verify_links(genesis, signed).map_err(chain_error::<D>)
}

/// [`verify`] of a chain that extends one already verified: the same rules and shape, and only
/// the links from index `trusted` on are verified (the first `trusted` links must be, byte for
/// byte, links of the same document that were verified before: the caller checks that).
pub fn verify_extension<D: Kind>(
	genesis: &H256,
	signed: &SignedDoc<D>,
	trusted: usize,
) -> Result<(), ClientError> {
	signed.document.check_rules(referee_of(&signed.document, &signed.links))?;
	check_shape(signed, false).map_err(chain_error::<D>)?;
	verify_links_from(genesis, signed, trusted).map_err(chain_error::<D>)
}

fn incomplete<D: Kind>(signed: &SignedDoc<D>) -> ClientError {
	let next = next_signer(signed)
		.map(|(role, who)| match who {
			Some(who) => format!("the {role:?} ({})", keys::display_name(&who)),
			None => format!("the {role:?}"),
		})
		.unwrap_or_default();
	ClientError::Incomplete {
		kind: D::NAME,
		have: signed.links.len() as u32,
		need: D::ORDER.len() as u32,
		next,
	}
}

/// The referred purchase an endorsed offer calls for: the referee it names buys at the
/// discounted price before the offer's settle-by block.
pub fn referred_purchase(
	offer: &SignedOfferOf<Runtime>,
) -> Result<pallet_referral_rebate::ReferredPurchaseOf<Runtime>, ClientError> {
	let referee = referee_of(&offer.document, &offer.links).cloned().ok_or_else(|| {
		ClientError::Rule("the offer names no referee yet: the customer endorses it first".into())
	})?;
	Ok(pallet_referral_rebate::ReferredPurchase::for_offer(&offer.document, &referee))
}

/// Whose turn it is: the role, and the account where the chain already tells it.
pub fn next_signer<D: Kind>(signed: &SignedDoc<D>) -> Option<(Role, Option<AccountId>)> {
	let k = signed.links.len();
	let rule = signed.next_rule()?;
	Some((rule.signer, expected_signer(&signed.document, &signed.links, k).cloned()))
}

/// Refuse a document whose deadline leaves no block to act in: a document signed or submitted
/// at best block `now` reaches the chain at block `now + 1` at the earliest.
pub fn check_deadline<D: Kind>(document: &D, now: u32) -> Result<(), ClientError> {
	let (what, deadline) = document.deadline();
	if now.saturating_add(1) >= deadline {
		return Err(ClientError::DeadlinePassed { what, deadline, now });
	}
	Ok(())
}

/// Add `key`'s link to `signed`, after verifying every link already there and the deadline.
///
/// `designate` is the referee's account where this link must name one (the customer's offer
/// link); the referee's rebate link names the signer itself, and other links name none.
pub fn sign<D: Kind>(
	genesis: &H256,
	now: u32,
	signed: &mut SignedDoc<D>,
	key: &keys::KeyPair,
	designate: Option<AccountId>,
	framing: Framing,
) -> Result<(), ClientError> {
	verify(genesis, signed, false)?;
	check_deadline(&signed.document, now)?;
	let Some(rule) = D::ORDER.get(signed.links.len()).copied() else {
		return Err(ClientError::Complete { kind: D::NAME });
	};
	let me = key.account();
	let designates = match (rule.designates_referee, rule.signer, designate) {
		(false, _, None) => None,
		(false, _, Some(_)) => {
			return Err(ClientError::Rule(format!(
				"{}: the {:?}'s link names no account; drop the referee argument",
				D::NAME,
				rule.signer
			)))
		}
		(true, Role::Referee, d) => {
			if d.as_ref().is_some_and(|d| d != &me) {
				return Err(ClientError::Rule(format!(
					"{}: the referee's link names the referee itself",
					D::NAME
				)));
			}
			Some(me.clone())
		}
		(true, role, None) => {
			return Err(ClientError::Rule(format!(
				"{}: the {role:?}'s link must name the referee (give the referee's account)",
				D::NAME
			)))
		}
		(true, _, Some(d)) => Some(d),
	};
	// Who must sign this link: the role's account; the referee naming itself in the rebate is
	// whoever signs that link.
	let k = signed.links.len();
	let expected = if rule.signer == Role::Referee && rule.designates_referee {
		Some(me.clone())
	} else {
		expected_signer(&signed.document, &signed.links, k).cloned()
	};
	if expected.as_ref() != Some(&me) {
		return Err(ClientError::NotYourTurn {
			kind: D::NAME,
			role: rule.signer,
			expected: expected
				.map(|e| format!(" ({})", keys::display_name(&e)))
				.unwrap_or_default(),
			signer: keys::display_name(&me),
		});
	}
	if let Some(d) = &designates {
		let doc = &signed.document;
		if d == doc.merchant() || d == doc.customer() {
			return Err(ClientError::Rule(format!(
				"{}: the referee must be neither the merchant nor the customer",
				D::NAME
			)));
		}
	}
	signed.sign_next(genesis, designates, framing, |m| key.sign(m)).map_err(chain_error::<D>)
}

/// One link as `inspect` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct LinkStatus {
	/// Its position in the chain.
	pub index: u32,
	/// The role that signs it.
	pub role: Role,
	/// The account that must sign it, where known.
	pub signer: Option<String>,
	/// `valid`, `invalid` or `missing`.
	pub status: &'static str,
	/// The account the link names, if any.
	pub designates: Option<String>,
}

/// A deadline and how far away it is.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlineStatus {
	/// What the deadline is.
	pub what: &'static str,
	/// Its block.
	pub block: u32,
	/// Blocks left from the best block (negative: passed).
	pub blocks_left: i64,
	/// The estimated seconds left at the runtime's block time.
	pub seconds_left: i64,
}

/// What `inspect` says of a document: like `analyzepsbt`.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
	/// The document kind.
	pub kind: &'static str,
	/// Whether the document is for this chain.
	pub for_this_chain: bool,
	/// The promotion id.
	pub promotion_id: u64,
	/// The merchant.
	pub merchant: String,
	/// The customer.
	pub customer: String,
	/// The referee, where known.
	pub referee: Option<String>,
	/// The asset the amounts are in: `native` or its pallet-assets id.
	pub asset: String,
	/// The asset's symbol, where this client knows it.
	pub symbol: Option<String>,
	/// The document's amounts, in the asset's smallest units.
	pub amounts: Vec<AmountStatus>,
	/// Every link of the kind's order, signed or not.
	pub links: Vec<LinkStatus>,
	/// Whose turn it is (`None`: complete or broken).
	pub next: Option<String>,
	/// Whether every party has signed.
	pub complete: bool,
	/// The first problem found, if any.
	pub problem: Option<String>,
	/// The deadlines.
	pub deadlines: Vec<DeadlineStatus>,
}

/// One amount of a document.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AmountStatus {
	/// What it is (`discounted price`, `rebate`).
	pub what: &'static str,
	/// The amount, in the asset's smallest units.
	#[serde(serialize_with = "as_string")]
	pub amount: Balance,
	/// The amount with the asset's symbol, where this client knows the asset.
	pub shown: Option<String>,
}

fn as_string<S: serde::Serializer>(b: &Balance, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&b.to_string())
}

/// A chain's block `now` and its block time: what deadlines are shown against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
	/// The best block.
	pub now: u32,
	/// The chain's target block time ([`crate::chain::Constants::block_time_ms`]).
	pub block_time_ms: u64,
}

impl Clock {
	/// Block `now` of a chain with the test runtime's block time (the embedded chain's).
	pub fn test_runtime(now: u32) -> Self {
		Clock { now, block_time_ms: crate::chain::Constants::test_runtime().block_time_ms }
	}
}

fn deadline_status(what: &'static str, block: u32, clock: Clock) -> DeadlineStatus {
	let blocks_left = block as i64 - clock.now as i64;
	let seconds_left = blocks_left * (clock.block_time_ms as i64) / 1000;
	DeadlineStatus { what, block, blocks_left, seconds_left }
}

fn inspect_signed<D: Kind>(
	genesis: &H256,
	now: Clock,
	signed: &SignedDoc<D>,
	for_this_chain: bool,
	verified: bool,
	mut deadlines: Vec<DeadlineStatus>,
) -> Inspection {
	let shape = check_shape(signed, false);
	let trusted = if verified { signed.links.len() } else { 0 };
	// Each link is verified once: for its status here and for the problem below.
	let verified_links = verify_links_from(genesis, signed, trusted);
	let first_bad = match verified_links {
		Err(ChainError::BadSignature { link, .. }) => Some(link),
		_ => None,
	};
	let links = D::ORDER
		.iter()
		.enumerate()
		.map(|(k, rule)| {
			let link = signed.links.get(k);
			let signer = match rule.signer {
				Role::Merchant => Some(signed.document.merchant().clone()),
				Role::Customer => Some(signed.document.customer().clone()),
				Role::Referee => referee_of(&signed.document, &signed.links).cloned(),
			};
			let status = match (link, first_bad) {
				(None, _) => "missing",
				(Some(_), Some(bad)) if k as u32 >= bad => "invalid",
				(Some(_), _) if shape.is_err() => "invalid",
				(Some(_), _) => "valid",
			};
			LinkStatus {
				index: k as u32,
				role: rule.signer,
				signer: signer.as_ref().map(keys::ss58),
				status,
				designates: link.and_then(|l| l.designates.as_ref()).map(keys::ss58),
			}
		})
		.collect();
	let problem = if !for_this_chain {
		Some("the document is for another chain".to_string())
	} else {
		// What `verify_extension` checks, in its order, from the results above.
		let referee = referee_of(&signed.document, &signed.links);
		let rules = signed.document.check_rules(referee).err();
		rules
			.or_else(|| shape.err().map(chain_error::<D>))
			.or_else(|| verified_links.err().map(chain_error::<D>))
			.map(|e| e.to_string())
	};
	let complete = signed.links.len() == D::ORDER.len() && problem.is_none();
	let next = if problem.is_some() {
		None
	} else {
		next_signer(signed).map(|(role, who)| match who {
			Some(who) => format!("{role:?} {}", keys::ss58(&who)),
			None => format!("{role:?} (not yet named)"),
		})
	};
	let (what, block) = signed.document.deadline();
	deadlines.insert(0, deadline_status(what, block, now));
	let known = crate::assets::known(signed.document.asset());
	Inspection {
		kind: D::NAME,
		for_this_chain,
		promotion_id: signed.document.promotion_id(),
		merchant: keys::ss58(signed.document.merchant()),
		customer: keys::ss58(signed.document.customer()),
		referee: referee_of(&signed.document, &signed.links).map(keys::ss58),
		asset: crate::assets::kind_name(signed.document.asset()),
		amounts: signed
			.document
			.amounts()
			.into_iter()
			.map(|(what, amount)| AmountStatus {
				what,
				amount,
				shown: known.as_ref().map(|a| a.format(amount)),
			})
			.collect(),
		symbol: known.map(|a| a.symbol),
		links,
		next,
		complete,
		problem,
		deadlines,
	}
}

/// Inspect `envelope` against a chain with this genesis at `now`.
pub fn inspect(genesis: &H256, now: Clock, envelope: &Envelope) -> Inspection {
	inspect_as(genesis, now, envelope, false)
}

/// [`inspect`] of a document whose every link was verified already (a coordinator verifies each
/// link once, on arrival): the rules, shape and deadlines are checked, no signature is.
pub fn inspect_verified(genesis: &H256, now: Clock, envelope: &Envelope) -> Inspection {
	inspect_as(genesis, now, envelope, true)
}

fn inspect_as(genesis: &H256, now: Clock, envelope: &Envelope, verified: bool) -> Inspection {
	let ours = envelope.chain == *genesis;
	// Links are checked against the chain the document names, so a document of another chain
	// still shows who signed it; `for_this_chain` and `problem` say it is not for this one.
	let bound = &envelope.chain;
	match &envelope.document {
		AnyDocument::Offer(s) => {
			let pay_at = deadline_status("the rebate block", s.document.pay_at, now);
			inspect_signed(bound, now, s, ours, verified, vec![pay_at])
		}
		AnyDocument::Rebate(s) => inspect_signed(bound, now, s, ours, verified, vec![]),
		AnyDocument::Purchase(s) => inspect_signed(bound, now, s, ours, verified, vec![]),
	}
}

impl std::fmt::Display for Inspection {
	fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
		writeln!(f, "{} of promotion {}", self.kind, self.promotion_id)?;
		writeln!(f, "  merchant {}", self.merchant)?;
		writeln!(f, "  customer {}", self.customer)?;
		writeln!(f, "  referee  {}", self.referee.as_deref().unwrap_or("(not yet named)"))?;
		writeln!(f, "  asset    {}", self.symbol.as_deref().unwrap_or(&self.asset))?;
		for a in &self.amounts {
			let shown = a.shown.clone().unwrap_or_else(|| a.amount.to_string());
			writeln!(f, "  {} {shown}", a.what)?;
		}
		for l in &self.links {
			writeln!(
				f,
				"  link {} {:<8?} {:<7} {}{}",
				l.index,
				l.role,
				l.status,
				l.signer.as_deref().unwrap_or("(not yet named)"),
				l.designates.as_ref().map(|d| format!(" names {d}")).unwrap_or_default()
			)?;
		}
		for d in &self.deadlines {
			if d.blocks_left > 0 {
				writeln!(
					f,
					"  {}: block {} ({} blocks, about {} s)",
					d.what, d.block, d.blocks_left, d.seconds_left
				)?;
			} else {
				writeln!(f, "  {}: block {} (passed)", d.what, d.block)?;
			}
		}
		match (&self.problem, &self.next, self.complete) {
			(Some(p), _, _) => write!(f, "  problem: {p}"),
			(None, _, true) => write!(f, "  complete: every party has signed"),
			(None, Some(n), _) => write!(f, "  next: {n}"),
			(None, None, _) => write!(f, "  next: nothing"),
		}
	}
}
