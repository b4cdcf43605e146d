//! The protocol's documents, their signature chains and the one function that computes what each
//! link signs.
//!
//! Everything here is plain data plus pure functions, shared by the pallet and every off-chain
//! program (client, CLI, coordinator): the encoding of a document, the payload a party signs and
//! the rule that says who signs which link are defined once, in this module.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::traits::{IdentifyAccount, Verify};

/// A merchant's identifier for one referral promotion (one offer and its rebate). Unique per
/// merchant while the promotion is open.
pub type PromotionId = u64;

/// The on-chain identifier of a recorded purchase (a first-type transaction): the block it was
/// recorded in and the index, in that block's events, of its `PurchaseRecorded` event. No counter
/// is stored: the event index is unique within a block (every recorded purchase deposits one
/// event, inside a batch too) and the block number orders purchases in time, so the pallet can
/// remove a record `PurchaseLifetime` blocks after its block.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct PurchaseId<BlockNumber> {
	/// The block the purchase was recorded in.
	pub block: BlockNumber,
	/// The index of its `PurchaseRecorded` event among the block's events.
	pub index: u32,
}

/// Whether a purchase recorded in block `block` is live at block `now`: its record is kept, and
/// it can be an origin purchase, for `lifetime` blocks after its block (the pallet's
/// `PurchaseLifetime`). The pallet and off-chain parties decide it by this one rule.
pub fn record_is_live<BlockNumber: sp_runtime::traits::Saturating + PartialOrd>(
	block: BlockNumber,
	lifetime: BlockNumber,
	now: BlockNumber,
) -> bool {
	block.saturating_add(lifetime) > now
}

impl<BlockNumber: core::fmt::Display> core::fmt::Display for PurchaseId<BlockNumber> {
	/// `block-index`, e.g. `12-3`: the form the CLI takes and prints.
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "{}-{}", self.block, self.index)
	}
}

impl<BlockNumber: core::str::FromStr> core::str::FromStr for PurchaseId<BlockNumber> {
	type Err = &'static str;
	/// Parses `block-index`, e.g. `12-3`.
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let (block, index) =
			s.split_once('-').ok_or("a purchase id is `block-index`, e.g. 12-3")?;
		Ok(PurchaseId {
			block: block.parse().map_err(|_| "a purchase id's block is not a number")?,
			index: index.parse().map_err(|_| "a purchase id's index is not a number")?,
		})
	}
}

/// A block number as a storage key that sorts in block order: its value as a `u64`, big-endian.
/// The pallet's two queues (open promotions by rebate block, purchase records by block) are keyed
/// by it with the `Identity` hasher, so iterating a queue from its head visits the earliest
/// block first. Block numbers are chosen by the chain, not by callers (a rebate block is at most
/// `MaxRebateDelay` blocks ahead), so an unhashed key cannot unbalance the trie.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct BlockKey(pub [u8; 8]);

impl BlockKey {
	/// The key of `block`.
	pub fn of<B: sp_runtime::traits::UniqueSaturatedInto<u64>>(block: B) -> Self {
		BlockKey(block.unique_saturated_into().to_be_bytes())
	}
	/// The block this key names.
	pub fn block<B: sp_runtime::traits::UniqueSaturatedFrom<u64>>(&self) -> B {
		B::unique_saturated_from(u64::from_be_bytes(self.0))
	}
}

/// The most links any signature chain has (the offer and the rebate have three).
pub const MAX_LINKS: u32 = 3;

/// The bound on a chain's links.
pub type MaxLinks = ConstU32<MAX_LINKS>;

/// The opening of the `<Bytes>…</Bytes>` wrapping that wallets apply to raw messages.
pub const BYTES_PREFIX: &[u8] = b"<Bytes>";
/// The closing of the `<Bytes>…</Bytes>` wrapping.
pub const BYTES_SUFFIX: &[u8] = b"</Bytes>";

/// The parties of the protocol (claim 1: 商戶方, 客戶方, 第三方).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum Role {
	/// Sells; issues offers and rebates; broadcasts the referred purchase.
	Merchant,
	/// Bought before; refers a friend; broadcasts the rebate and receives it.
	Customer,
	/// The friend the customer refers; buys at the discounted price.
	Referee,
}

/// When an escrowed rebate is paid (chosen by the merchant and signed as part of the rebate).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum PayoutCondition {
	/// Pay only if the referred purchase was settled on chain by its deadline and was not refunded
	/// before the rebate block.
	#[default]
	ReferralSettled,
	/// Pay whenever the all-signed rebate reached the chain before the rebate block (the claims read
	/// literally).
	Unconditional,
}

/// How a link's signature frames the payload: as it is, or inside `<Bytes>…</Bytes>` as browser
/// wallets do for raw messages. Naming the framing keeps verification at one signature check per
/// link.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum Framing {
	/// The signature is over the 32-byte payload itself.
	#[default]
	Raw,
	/// The signature is over `<Bytes>` ‖ payload ‖ `</Bytes>`.
	Bytes,
}

/// The length of a `<Bytes>`-framed payload.
const FRAMED_LEN: usize = BYTES_PREFIX.len() + 32 + BYTES_SUFFIX.len();

impl Framing {
	/// Call `f` with the exact message a signer signs for `payload` under this framing, built on
	/// the stack.
	pub fn with_message<R>(self, payload: &[u8; 32], f: impl FnOnce(&[u8]) -> R) -> R {
		match self {
			Framing::Raw => f(&payload[..]),
			Framing::Bytes => {
				let mut m = [0u8; FRAMED_LEN];
				let (head, rest) = m.split_at_mut(BYTES_PREFIX.len());
				head.copy_from_slice(BYTES_PREFIX);
				let (body, tail) = rest.split_at_mut(32);
				body.copy_from_slice(payload);
				tail.copy_from_slice(BYTES_SUFFIX);
				f(&m[..])
			}
		}
	}

	/// The exact message a signer signs for `payload` under this framing (a link's 32-byte
	/// payload, or any other message framed the same way, such as a coordinator request's).
	pub fn message(self, payload: &[u8]) -> Vec<u8> {
		match self {
			Framing::Raw => payload.to_vec(),
			Framing::Bytes => {
				let mut m =
					Vec::with_capacity(BYTES_PREFIX.len() + payload.len() + BYTES_SUFFIX.len());
				m.extend_from_slice(BYTES_PREFIX);
				m.extend_from_slice(payload);
				m.extend_from_slice(BYTES_SUFFIX);
				m
			}
		}
	}
}

/// The referral offer (the patent's event description, 事件描述信息): a discount for a new
/// purchase by a friend of the customer, tied to the customer's established purchase.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct Offer<AccountId, AssetKind, Balance, BlockNumber> {
	/// The merchant's identifier of this promotion.
	pub promotion_id: PromotionId,
	/// The merchant that issues the offer.
	pub merchant: AccountId,
	/// The customer that refers a friend.
	pub customer: AccountId,
	/// The customer's established purchase the offer is based on.
	pub origin_purchase: PurchaseId<BlockNumber>,
	/// The asset both prices are in (the origin purchase's).
	pub asset: AssetKind,
	/// The price of the origin purchase (the first resource amount).
	pub original_price: Balance,
	/// The price the referee pays (the second resource amount, below the first).
	pub discounted_price: Balance,
	/// The referred purchase must be settled before this block (the predetermined time).
	pub settle_by: BlockNumber,
	/// The rebate block (the resource feedback time).
	pub pay_at: BlockNumber,
	/// The campaign the offer is issued under, if any: its terms then bind the offer (checked
	/// when the referral is settled) and its rebate is reserved from the campaign's budget.
	pub campaign: Option<CampaignId>,
}

/// The rebate (the patent's second-type transaction, 第二類交易): an amount the merchant pays the
/// customer at the rebate block.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct Rebate<AccountId, AssetKind, Balance, BlockNumber> {
	/// The promotion this rebate belongs to (the same id as its offer).
	pub promotion_id: PromotionId,
	/// The merchant that pays the rebate.
	pub merchant: AccountId,
	/// The customer that receives it.
	pub customer: AccountId,
	/// The asset the amount is in (the offer's).
	pub asset: AssetKind,
	/// The rebate amount (the resource feedback amount).
	pub amount: Balance,
	/// The rebate block.
	pub pay_at: BlockNumber,
	/// When the escrowed amount is paid rather than released back to the merchant.
	pub condition: PayoutCondition,
	/// The campaign the rebate is issued under, if any (its offer's): the amount is then reserved
	/// from the campaign's budget at submit, not taken from the merchant's balance.
	pub campaign: Option<CampaignId>,
}

/// The referred purchase (the patent's new first-type transaction): the referee buys at the
/// discounted price. It carries the offer's settle-by block, so the referee's consent to pay
/// expires with the offer.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct ReferredPurchase<AccountId, AssetKind, Balance, BlockNumber> {
	/// The promotion whose offer this purchase takes up.
	pub promotion_id: PromotionId,
	/// The merchant selling.
	pub merchant: AccountId,
	/// The buyer: the referee.
	pub buyer: AccountId,
	/// The customer who referred the buyer.
	pub referrer: AccountId,
	/// The asset the price is in (the offer's).
	pub asset: AssetKind,
	/// The price paid: the offer's discounted price.
	pub price: Balance,
	/// The offer's settle-by block: the purchase cannot be settled from this block on.
	pub settle_by: BlockNumber,
}

/// One signature in a chain. It signs the document, every earlier link, and the account it
/// designates (if the protocol has this link name one).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct Link<AccountId, Signature> {
	/// The account this link names: the referee, in the customer's offer link and in the
	/// referee's own rebate link; `None` in every other link.
	pub designates: Option<AccountId>,
	/// How the signature frames the payload.
	pub framing: Framing,
	/// The signature over [`signing_payload`] (framed as `framing` says).
	pub signature: Signature,
}

/// A document with the links signed so far, in signing order.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(bound(
		serialize = "D: serde::Serialize, AccountId: serde::Serialize, Signature: serde::Serialize",
		deserialize = "D: serde::Deserialize<'de>, AccountId: serde::Deserialize<'de>, Signature: serde::Deserialize<'de>"
	))
)]
pub struct Signed<D, AccountId, Signature> {
	/// The document.
	pub document: D,
	/// Its links, first signer first.
	pub links: BoundedVec<Link<AccountId, Signature>, MaxLinks>,
}

impl<D, AccountId, Signature> Signed<D, AccountId, Signature> {
	/// A document nobody has signed yet.
	pub fn unsigned(document: D) -> Self {
		Self { document, links: BoundedVec::new() }
	}
}

impl<D, AccountId, Signature> Signed<D, AccountId, Signature>
where
	D: Document<AccountId>,
	AccountId: Encode,
	Signature: Encode,
{
	/// The rule for the next link to sign, or `None` if the chain is complete.
	pub fn next_rule(&self) -> Option<LinkRule> {
		D::ORDER.get(self.links.len()).copied()
	}

	/// The message the next signer signs: [`signing_payload`] over the document and the links so
	/// far, framed as `framing` says.
	pub fn next_message<G: Encode>(
		&self,
		genesis: &G,
		designates: Option<&AccountId>,
		framing: Framing,
	) -> Vec<u8> {
		framing.message(&signing_payload(genesis, &self.document, &self.links, designates))
	}

	/// Sign the next link with `sign` (a party's key) and append it. Fails, changing nothing, if
	/// the chain is already complete.
	pub fn sign_next<G: Encode>(
		&mut self,
		genesis: &G,
		designates: Option<AccountId>,
		framing: Framing,
		sign: impl FnOnce(&[u8]) -> Signature,
	) -> Result<(), ChainError> {
		if self.links.len() >= D::ORDER.len() {
			return Err(ChainError::TooManyLinks);
		}
		let signature = sign(&self.next_message(genesis, designates.as_ref(), framing));
		self.links
			.try_push(Link { designates, framing, signature })
			.map_err(|_| ChainError::TooManyLinks)
	}
}

/// What a link's signer must do: which role signs it, and whether it names an account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LinkRule {
	/// The role whose key signs this link.
	pub signer: Role,
	/// Whether this link carries the referee's account.
	pub designates_referee: bool,
}

const fn rule(signer: Role, designates_referee: bool) -> LinkRule {
	LinkRule { signer, designates_referee }
}

/// A document kind of the protocol: its domain tag, its signing order, and where its parties are.
pub trait Document<AccountId>: Encode {
	/// The tag that binds a signature to this kind of document.
	const DOMAIN: &'static [u8];
	/// The signing order, first link first (claims 1, 3, 4 and 5).
	const ORDER: &'static [LinkRule];
	/// The merchant named by the document.
	fn merchant(&self) -> &AccountId;
	/// The customer (referrer) named by the document.
	fn customer(&self) -> &AccountId;
	/// The referee, where the document itself names it (the referred purchase does; the offer and
	/// the rebate learn it from the link that designates it).
	fn named_referee(&self) -> Option<&AccountId> {
		None
	}
	/// The promotion the document belongs to.
	fn promotion_id(&self) -> PromotionId;
}

impl<AccountId, AssetKind: Encode, Balance: Encode, BlockNumber: Encode> Document<AccountId>
	for Offer<AccountId, AssetKind, Balance, BlockNumber>
where
	AccountId: Encode,
{
	const DOMAIN: &'static [u8] = b"cn113177820/offer/v4";
	const ORDER: &'static [LinkRule] =
		&[rule(Role::Merchant, false), rule(Role::Customer, true), rule(Role::Referee, false)];
	fn merchant(&self) -> &AccountId {
		&self.merchant
	}
	fn customer(&self) -> &AccountId {
		&self.customer
	}
	fn promotion_id(&self) -> PromotionId {
		self.promotion_id
	}
}

impl<AccountId, AssetKind: Encode, Balance: Encode, BlockNumber: Encode> Document<AccountId>
	for Rebate<AccountId, AssetKind, Balance, BlockNumber>
where
	AccountId: Encode,
{
	const DOMAIN: &'static [u8] = b"cn113177820/rebate/v3";
	const ORDER: &'static [LinkRule] =
		&[rule(Role::Merchant, false), rule(Role::Referee, true), rule(Role::Customer, false)];
	fn merchant(&self) -> &AccountId {
		&self.merchant
	}
	fn customer(&self) -> &AccountId {
		&self.customer
	}
	fn promotion_id(&self) -> PromotionId {
		self.promotion_id
	}
}

impl<AccountId, AssetKind: Encode, Balance: Encode, BlockNumber: Encode> Document<AccountId>
	for ReferredPurchase<AccountId, AssetKind, Balance, BlockNumber>
where
	AccountId: Encode,
{
	const DOMAIN: &'static [u8] = b"cn113177820/purchase/v2";
	const ORDER: &'static [LinkRule] = &[rule(Role::Customer, false), rule(Role::Referee, false)];
	fn merchant(&self) -> &AccountId {
		&self.merchant
	}
	fn customer(&self) -> &AccountId {
		&self.referrer
	}
	fn named_referee(&self) -> Option<&AccountId> {
		Some(&self.buyer)
	}
	fn promotion_id(&self) -> PromotionId {
		self.promotion_id
	}
}

/// The 32-byte payload link `earlier.len()` of a chain signs:
/// `blake2_256(DOMAIN ‖ genesis ‖ SCALE(document) ‖ SCALE(earlier links) ‖ SCALE(designates))`.
///
/// This is the only definition of the payload; the pallet verifies and the client signs with it.
pub fn signing_payload<D, AccountId, Signature, G>(
	genesis: &G,
	document: &D,
	earlier: &[Link<AccountId, Signature>],
	designates: Option<&AccountId>,
) -> [u8; 32]
where
	D: Document<AccountId>,
	AccountId: Encode,
	Signature: Encode,
	G: Encode,
{
	let mut preimage = Vec::with_capacity(
		D::DOMAIN.len() + genesis.size_hint() + document.size_hint() + earlier.size_hint() + 33,
	);
	preimage.extend_from_slice(D::DOMAIN);
	genesis.encode_to(&mut preimage);
	document.encode_to(&mut preimage);
	earlier.encode_to(&mut preimage);
	designates.encode_to(&mut preimage);
	sp_io::hashing::blake2_256(&preimage)
}

/// Why a chain does not verify. `link` is the index of the offending link; `role` who should have
/// signed it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChainError {
	/// More links than the document kind has.
	TooManyLinks,
	/// Fewer links than required.
	MissingLinks { have: u32, need: u32 },
	/// The link names an account where the protocol has it name none, or names none where it must.
	Designation { link: u32, role: Role },
	/// The link's signature is not `role`'s signature over the link's payload.
	BadSignature { link: u32, role: Role },
}

/// The account that must sign link `k` of `document`, given the links before it; `None` if the
/// chain does not tell yet (the referee before any link designated it).
pub fn expected_signer<'a, D, AccountId, Signature>(
	document: &'a D,
	links: &'a [Link<AccountId, Signature>],
	k: usize,
) -> Option<&'a AccountId>
where
	D: Document<AccountId>,
{
	let rule = D::ORDER.get(k)?;
	match rule.signer {
		Role::Merchant => Some(document.merchant()),
		Role::Customer => Some(document.customer()),
		Role::Referee => referee_of(document, &links[..links.len().min(k + 1)]),
	}
}

/// The referee of a (possibly partial) chain: named by the document, or designated by a link.
pub fn referee_of<'a, D, AccountId, Signature>(
	document: &'a D,
	links: &'a [Link<AccountId, Signature>],
) -> Option<&'a AccountId>
where
	D: Document<AccountId>,
{
	document.named_referee().or_else(|| {
		D::ORDER
			.iter()
			.zip(links.iter())
			.find(|(rule, _)| rule.designates_referee)
			.and_then(|(_, link)| link.designates.as_ref())
	})
}

/// Check the shape of the links present in `signed`: no more links than the document kind has
/// (with `complete`, exactly as many), and an account designated exactly where the protocol has a
/// link name one. Costs no signature verification.
pub fn check_shape<D, AccountId, Signature>(
	signed: &Signed<D, AccountId, Signature>,
	complete: bool,
) -> Result<(), ChainError>
where
	D: Document<AccountId>,
{
	let links = signed.links.as_slice();
	let need = D::ORDER.len() as u32;
	if links.len() > D::ORDER.len() {
		return Err(ChainError::TooManyLinks);
	}
	if complete && (links.len() as u32) < need {
		return Err(ChainError::MissingLinks { have: links.len() as u32, need });
	}
	for (k, (rule, link)) in D::ORDER.iter().zip(links).enumerate() {
		if rule.designates_referee != link.designates.is_some() {
			return Err(ChainError::Designation { link: k as u32, role: rule.signer });
		}
	}
	Ok(())
}

/// Verify the signature of every link present in `signed`, first link first, against `genesis`.
/// Exactly one signature verification per link. Call [`check_shape`] first.
///
/// Computes the same payloads as [`signing_payload`], but encodes the document once per chain
/// and each link once (link `k`'s earlier links are the encoding of link `k - 1`'s plus that
/// link), so the work besides the signature checks grows linearly with the chain.
pub fn verify_links<D, AccountId, Signature, G>(
	genesis: &G,
	signed: &Signed<D, AccountId, Signature>,
) -> Result<(), ChainError>
where
	D: Document<AccountId>,
	AccountId: Encode,
	Signature: Encode + Verify,
	Signature::Signer: IdentifyAccount<AccountId = AccountId>,
	G: Encode,
{
	verify_links_from(genesis, signed, 0)
}

/// [`verify_links`] for the links from index `trusted` on: the links before it are taken as
/// verified (an off-chain holder that already checked the same document with those very links,
/// byte for byte, extends its check to the links added since). Each later link's payload still
/// covers the earlier links. The chain itself always verifies every link.
pub fn verify_links_from<D, AccountId, Signature, G>(
	genesis: &G,
	signed: &Signed<D, AccountId, Signature>,
	trusted: usize,
) -> Result<(), ChainError>
where
	D: Document<AccountId>,
	AccountId: Encode,
	Signature: Encode + Verify,
	Signature::Signer: IdentifyAccount<AccountId = AccountId>,
	G: Encode,
{
	let links = signed.links.as_slice();
	// DOMAIN ‖ genesis ‖ SCALE(document): the same for every link.
	let mut prefix =
		Vec::with_capacity(D::DOMAIN.len() + genesis.size_hint() + signed.document.size_hint());
	prefix.extend_from_slice(D::DOMAIN);
	genesis.encode_to(&mut prefix);
	signed.document.encode_to(&mut prefix);
	let fixed = prefix.len();
	// The links before link `k`, encoded one after the other (without the length prefix).
	let mut earlier = Vec::with_capacity(links.size_hint());
	for (k, (rule, link)) in D::ORDER.iter().zip(links).enumerate() {
		if k < trusted {
			link.encode_to(&mut earlier);
			continue;
		}
		let bad = ChainError::BadSignature { link: k as u32, role: rule.signer };
		let signer = expected_signer(&signed.document, links, k).ok_or(bad)?;
		prefix.truncate(fixed);
		codec::Compact(k as u32).encode_to(&mut prefix);
		prefix.extend_from_slice(&earlier);
		link.designates.as_ref().encode_to(&mut prefix);
		let payload = sp_io::hashing::blake2_256(&prefix);
		if !link.framing.with_message(&payload, |m| link.signature.verify(m, signer)) {
			return Err(bad);
		}
		link.encode_to(&mut earlier);
	}
	Ok(())
}

/// [`check_shape`] then [`verify_links`]: the whole check a party (or the chain) makes of a chain
/// it receives.
pub fn verify_chain<D, AccountId, Signature, G>(
	genesis: &G,
	signed: &Signed<D, AccountId, Signature>,
	complete: bool,
) -> Result<(), ChainError>
where
	D: Document<AccountId>,
	AccountId: Encode,
	Signature: Encode + Verify,
	Signature::Signer: IdentifyAccount<AccountId = AccountId>,
	G: Encode,
{
	check_shape(signed, complete)?;
	verify_links(genesis, signed)
}

impl<D, AccountId, Signature> Signed<D, AccountId, Signature>
where
	D: Document<AccountId>,
	AccountId: Encode + Clone,
	Signature: Encode,
{
	/// Sign every link still missing, in the document's signing order ([`Document::ORDER`]):
	/// `sign(role, message)` is the signature of the party in `role` over `message`. A link whose
	/// rule designates the referee names `referee`. This is the one place that knows the order in
	/// which a complete chain is signed; fixtures, benchmarks and examples all use it.
	pub fn sign_rest<G: Encode>(
		&mut self,
		genesis: &G,
		referee: &AccountId,
		framing: Framing,
		mut sign: impl FnMut(Role, &[u8]) -> Signature,
	) -> Result<(), ChainError> {
		while let Some(rule) = self.next_rule() {
			let designates = rule.designates_referee.then(|| referee.clone());
			self.sign_next(genesis, designates, framing, |m| sign(rule.signer, m))?;
		}
		Ok(())
	}

	/// `document` with its whole chain signed (see [`Signed::sign_rest`]).
	pub fn sign_complete<G: Encode>(
		document: D,
		genesis: &G,
		referee: &AccountId,
		framing: Framing,
		sign: impl FnMut(Role, &[u8]) -> Signature,
	) -> Result<Self, ChainError> {
		let mut signed = Self::unsigned(document);
		signed.sign_rest(genesis, referee, framing, sign)?;
		Ok(signed)
	}
}

/// A document that breaks one of the protocol's rules. These rules need no chain state but the
/// asset's minimum balance; the pallet checks them in this order (after the sender and the
/// chain's shape, before any storage access), and off-chain parties check them before they sign.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleError {
	/// The discounted price is not below the original price (claim 2).
	DiscountNotBelowPrice,
	/// The discounted price is neither zero nor at least the minimum balance: a referee's purchase
	/// below it could not be refunded once the referee's account is gone.
	DiscountBelowMinimum,
	/// The settle-by block is not before the rebate block (claim 2).
	SettleByNotBeforePayAt,
	/// The rebate amount is below the minimum balance.
	RebateBelowMinimum,
	/// Merchant, customer and referee are not three different accounts.
	PartiesNotDistinct,
	/// The referred purchase names another promotion or merchant than the offer.
	PurchasePromotionMismatch,
	/// The referred purchase's buyer is not the referee the offer designates.
	PurchaseBuyerNotReferee,
	/// The referred purchase's referrer is not the offer's customer.
	PurchaseReferrerNotCustomer,
	/// The referred purchase is in another asset than the offer.
	PurchaseAssetMismatch,
	/// The referred purchase's price is not the offer's discounted price.
	PurchasePriceNotDiscounted,
	/// The rebate is in another asset, or names another merchant, customer, rebate block or
	/// campaign, than its offer.
	RebateOfferMismatch,
	/// The referred purchase's settle-by block is not the offer's.
	PurchaseDeadlineMismatch,
}

impl core::fmt::Display for RuleError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			RuleError::DiscountNotBelowPrice => {
				"the discounted price must be below the original price (claim 2)"
			}
			RuleError::DiscountBelowMinimum => {
				"the discounted price must be zero or at least the minimum balance"
			}
			RuleError::SettleByNotBeforePayAt => {
				"the settle-by block must come before the rebate block (claim 2)"
			}
			RuleError::RebateBelowMinimum => "the rebate must be at least the minimum balance",
			RuleError::PartiesNotDistinct => {
				"the merchant, the customer and the referee must be three different accounts"
			}
			RuleError::PurchasePromotionMismatch => {
				"the referred purchase names another promotion or merchant than the offer"
			}
			RuleError::PurchaseBuyerNotReferee => {
				"the referred purchase's buyer is not the referee the offer designates"
			}
			RuleError::PurchaseReferrerNotCustomer => {
				"the referred purchase's referrer is not the offer's customer"
			}
			RuleError::PurchaseAssetMismatch => {
				"the referred purchase is in another asset than the offer"
			}
			RuleError::RebateOfferMismatch => {
				"the rebate names another merchant, customer, asset, rebate block or campaign than its offer"
			}
			RuleError::PurchasePriceNotDiscounted => {
				"the referred purchase's price is not the offer's discounted price"
			}
			RuleError::PurchaseDeadlineMismatch => {
				"the referred purchase's settle-by block is not the offer's"
			}
		})
	}
}

/// Whether merchant, customer and referee are three different accounts.
pub fn distinct<AccountId: PartialEq>(
	merchant: &AccountId,
	customer: &AccountId,
	referee: &AccountId,
) -> bool {
	merchant != customer && customer != referee && merchant != referee
}

/// Distinct parties, as far as they are known: with no referee yet (a partial chain), the
/// merchant and the customer differ.
fn check_parties<AccountId: PartialEq>(
	merchant: &AccountId,
	customer: &AccountId,
	referee: Option<&AccountId>,
) -> Result<(), RuleError> {
	let ok = match referee {
		Some(referee) => distinct(merchant, customer, referee),
		None => merchant != customer,
	};
	ok.then_some(()).ok_or(RuleError::PartiesNotDistinct)
}

impl<AccountId: PartialEq, AssetKind, Balance, BlockNumber>
	Offer<AccountId, AssetKind, Balance, BlockNumber>
where
	Balance: PartialOrd + sp_runtime::traits::Zero,
	BlockNumber: PartialOrd,
{
	/// The offer's own rules, in this order: discount below the original price, discount zero or
	/// at least `minimum`, settle-by before pay-at, three distinct parties (`referee` is the one the
	/// customer's link designates; `None` before it did).
	pub fn check_rules(
		&self,
		referee: Option<&AccountId>,
		minimum: &Balance,
	) -> Result<(), RuleError> {
		if self.discounted_price >= self.original_price {
			return Err(RuleError::DiscountNotBelowPrice);
		}
		if !self.discounted_price.is_zero() && self.discounted_price < *minimum {
			return Err(RuleError::DiscountBelowMinimum);
		}
		if self.settle_by >= self.pay_at {
			return Err(RuleError::SettleByNotBeforePayAt);
		}
		check_parties(&self.merchant, &self.customer, referee)
	}
}

impl<AccountId: PartialEq, AssetKind: PartialEq, Balance: PartialOrd, BlockNumber>
	Rebate<AccountId, AssetKind, Balance, BlockNumber>
{
	/// The rebate's own rules, in this order: amount at least `minimum` (which is never zero), three
	/// distinct parties (`referee` is the one the referee's link designates; `None` before it did).
	pub fn check_rules(
		&self,
		referee: Option<&AccountId>,
		minimum: &Balance,
	) -> Result<(), RuleError> {
		if self.amount < *minimum {
			return Err(RuleError::RebateBelowMinimum);
		}
		check_parties(&self.merchant, &self.customer, referee)
	}

	/// That this rebate belongs to `offer`: the same promotion, merchant, customer, asset,
	/// rebate block and campaign. Off-chain parties check it before they sign; the chain checks the parts it
	/// stores (customer and asset) when the second document of a promotion joins the first.
	pub fn check_matches<OfferBalance>(
		&self,
		offer: &Offer<AccountId, AssetKind, OfferBalance, BlockNumber>,
	) -> Result<(), RuleError>
	where
		BlockNumber: PartialEq,
	{
		let same = self.promotion_id == offer.promotion_id
			&& self.merchant == offer.merchant
			&& self.customer == offer.customer
			&& self.asset == offer.asset
			&& self.pay_at == offer.pay_at
			&& self.campaign == offer.campaign;
		same.then_some(()).ok_or(RuleError::RebateOfferMismatch)
	}
}

impl<AccountId, AssetKind, Balance, BlockNumber>
	ReferredPurchase<AccountId, AssetKind, Balance, BlockNumber>
where
	AccountId: Clone + PartialEq,
	AssetKind: Clone + PartialEq,
	Balance: Clone + PartialEq,
	BlockNumber: Clone + PartialEq,
{
	/// The referred purchase that takes up `offer` for `referee`: the only one
	/// [`ReferredPurchase::check_against`] accepts.
	pub fn for_offer(
		offer: &Offer<AccountId, AssetKind, Balance, BlockNumber>,
		referee: &AccountId,
	) -> Self {
		ReferredPurchase {
			promotion_id: offer.promotion_id,
			merchant: offer.merchant.clone(),
			buyer: referee.clone(),
			referrer: offer.customer.clone(),
			asset: offer.asset.clone(),
			price: offer.discounted_price.clone(),
			settle_by: offer.settle_by.clone(),
		}
	}

	/// That this purchase is the one [`ReferredPurchase::for_offer`] derives, checked field by
	/// field in this order: promotion and merchant, buyer, referrer, asset, price, settle-by
	/// block.
	pub fn check_against(
		&self,
		offer: &Offer<AccountId, AssetKind, Balance, BlockNumber>,
		referee: &AccountId,
	) -> Result<(), RuleError> {
		if self.promotion_id != offer.promotion_id || self.merchant != offer.merchant {
			return Err(RuleError::PurchasePromotionMismatch);
		}
		if self.buyer != *referee {
			return Err(RuleError::PurchaseBuyerNotReferee);
		}
		if self.referrer != offer.customer {
			return Err(RuleError::PurchaseReferrerNotCustomer);
		}
		if self.asset != offer.asset {
			return Err(RuleError::PurchaseAssetMismatch);
		}
		if self.price != offer.discounted_price {
			return Err(RuleError::PurchasePriceNotDiscounted);
		}
		if self.settle_by != offer.settle_by {
			return Err(RuleError::PurchaseDeadlineMismatch);
		}
		Ok(())
	}
}

/// Why a document is not accepted at the current block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimingError {
	/// The deadline (settle-by for an offer, pay-at for a rebate) has been reached.
	DeadlinePassed,
	/// The rebate block is more than the chain's `MaxRebateDelay` blocks after `now`.
	PayAtTooFar,
}

/// The timing rule of a document reaching the chain at `now`: `now < deadline` (strictly before,
/// as in the claims) and `pay_at ≤ now + max_rebate_delay`.
pub fn check_timing<BlockNumber: PartialOrd + sp_runtime::traits::Saturating + Copy>(
	now: BlockNumber,
	deadline: BlockNumber,
	pay_at: BlockNumber,
	max_rebate_delay: BlockNumber,
) -> Result<(), TimingError> {
	if now >= deadline {
		return Err(TimingError::DeadlinePassed);
	}
	if pay_at > now.saturating_add(max_rebate_delay) {
		return Err(TimingError::PayAtTooFar);
	}
	Ok(())
}

/// A campaign's identifier, given by the chain in creation order ([`crate::NextCampaignId`]).
pub type CampaignId = u32;

/// An amount a campaign's terms derive from a price: a fixed amount, or a share of the price.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum Share<Balance> {
	/// This amount, whatever the price.
	Fixed(Balance),
	/// This share of the price (rounded down).
	Percent(sp_runtime::Percent),
}

impl<Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy> Share<Balance> {
	/// The amount for `price`: the fixed amount, or the share of it.
	pub fn of(&self, price: Balance) -> Balance {
		match self {
			Share::Fixed(amount) => *amount,
			Share::Percent(p) => p.mul_floor(price),
		}
	}

	/// Whether it can never be anything but zero.
	pub fn is_nothing(&self) -> bool {
		match self {
			Share::Fixed(amount) => amount.is_zero(),
			Share::Percent(p) => p.is_zero(),
		}
	}
}

/// A campaign's terms: what every offer and rebate issued under it gives, and to whom.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub struct CampaignTerms<Balance, BlockNumber> {
	/// The referee's discount: off the origin purchase's price.
	pub discount: Share<Balance>,
	/// The customer's rebate: of the referred purchase's price.
	pub rebate: Share<Balance>,
	/// The least an origin purchase must have cost to earn an offer.
	pub min_origin_price: Balance,
	/// Settle-by is this many blocks after the offer's issue block.
	pub settle_window: BlockNumber,
	/// The rebate block is this many blocks after settle-by (the review period).
	pub review_period: BlockNumber,
	/// When the rebates pay.
	pub condition: PayoutCondition,
	/// The last block an offer may be issued in.
	pub last_issue_block: BlockNumber,
	/// Whether the referee must be new to the merchant.
	pub new_referees_only: bool,
	/// How many rebates one customer may earn from the campaign (at least one).
	pub rebates_per_customer: u32,
}

/// Why a campaign's terms are refused (each a pallet error of its own).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TermsError {
	/// The discount is nothing (a referee's price must be below the original: claim 2).
	NoDiscount,
	/// The rebate is nothing.
	NoRebate,
	/// A fixed rebate is below the asset's minimum balance.
	RebateBelowMinimum,
	/// The settle window or the review period is empty (settle-by must be after the issue
	/// block, and before the rebate block: claim 2).
	EmptyWindow,
	/// The settle window and the review period together pass `MaxRebateDelay`.
	WindowTooLong,
	/// The last issue block has passed.
	LastIssuePassed,
	/// No customer could earn a rebate.
	NoRebatesPerCustomer,
	/// A percent rebate pays unconditionally: it is a share of the referred purchase's price,
	/// so it can only be checked, and paid, once a referral is settled.
	PercentRebateUnconditional,
	/// New referees only, with rebates paid unconditionally: an unconditional rebate pays
	/// without a referred purchase, whose buyer is the one checked for being new.
	NewRefereesUnconditional,
}

impl core::fmt::Display for TermsError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			TermsError::NoDiscount => {
				"the campaign's discount is nothing (a referee's price must be below the original)"
			}
			TermsError::NoRebate => "the campaign's rebate is nothing",
			TermsError::RebateBelowMinimum => {
				"the campaign's fixed rebate is below the asset's minimum balance"
			}
			TermsError::EmptyWindow => {
				"the campaign's settle window and review period must be a block at least each"
			}
			TermsError::WindowTooLong => {
				"the campaign's settle window and review period together pass MaxRebateDelay"
			}
			TermsError::LastIssuePassed => "the campaign's last issue block has passed",
			TermsError::NoRebatesPerCustomer => {
				"the campaign must let a customer earn one rebate at least"
			}
			TermsError::PercentRebateUnconditional => {
				"a percent rebate is of the referred price: its condition must be referral-settled"
			}
			TermsError::NewRefereesUnconditional => {
				"new referees only needs a referral-settled condition (the referee's purchase is what is checked)"
			}
		})
	}
}

impl<Balance, BlockNumber> CampaignTerms<Balance, BlockNumber>
where
	Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy,
	BlockNumber: sp_runtime::traits::AtLeast32BitUnsigned + Copy,
{
	/// The rules a campaign's terms follow, at block `now`, for an asset with minimum balance
	/// `minimum` on a chain with `max_delay` (`MaxRebateDelay`): written once, checked by the
	/// pallet when a campaign is created and by clients before they sign one.
	pub fn check(
		&self,
		now: BlockNumber,
		minimum: Balance,
		max_delay: BlockNumber,
	) -> Result<(), TermsError> {
		frame_support::ensure!(!self.discount.is_nothing(), TermsError::NoDiscount);
		frame_support::ensure!(!self.rebate.is_nothing(), TermsError::NoRebate);
		if let Share::Fixed(amount) = self.rebate {
			frame_support::ensure!(amount >= minimum, TermsError::RebateBelowMinimum);
		}
		frame_support::ensure!(
			!self.settle_window.is_zero() && !self.review_period.is_zero(),
			TermsError::EmptyWindow
		);
		let whole = self.settle_window.checked_add(&self.review_period);
		frame_support::ensure!(whole.is_some_and(|w| w <= max_delay), TermsError::WindowTooLong);
		frame_support::ensure!(self.last_issue_block > now, TermsError::LastIssuePassed);
		frame_support::ensure!(self.rebates_per_customer > 0, TermsError::NoRebatesPerCustomer);
		let percent = matches!(self.rebate, Share::Percent(_));
		let settled = self.condition == PayoutCondition::ReferralSettled;
		frame_support::ensure!(!percent || settled, TermsError::PercentRebateUnconditional);
		frame_support::ensure!(
			!self.new_referees_only || settled,
			TermsError::NewRefereesUnconditional
		);
		Ok(())
	}

	/// What an offer issued at block `issued` for an origin purchase at `original_price` gives
	/// under these terms: the referee's price, the settle-by block and the rebate block, and the
	/// customer's rebate; `None` where the terms give no offer (the origin purchase below the
	/// minimum, the issue block past the last, blocks that overflow). The merchant's server
	/// issues by it; [`CampaignTerms::check_offer`] and [`CampaignTerms::check_rebate`] accept
	/// exactly what it gives.
	pub fn issue(
		&self,
		issued: BlockNumber,
		original_price: Balance,
	) -> Option<Issue<Balance, BlockNumber>> {
		if original_price < self.min_origin_price || issued > self.last_issue_block {
			return None;
		}
		let discounted_price = self.discounted(original_price);
		let settle_by = issued.checked_add(&self.settle_window)?;
		let pay_at = settle_by.checked_add(&self.review_period)?;
		Some(Issue {
			discounted_price,
			settle_by,
			pay_at,
			rebate: self.rebate.of(discounted_price),
		})
	}

	/// The referee's price for an origin purchase at `original_price`: the discount off it
	/// (nothing below zero).
	pub fn discounted(&self, original_price: Balance) -> Balance {
		original_price.saturating_sub(self.discount.of(original_price))
	}

	/// The block an offer or rebate with this `settle_by` was issued in, checked at `now`: not
	/// after `now` (settle-by at most one settle window ahead) nor after the last issue block.
	fn check_issued(&self, settle_by: BlockNumber, now: BlockNumber) -> Result<(), CampaignError> {
		let issued =
			settle_by.checked_sub(&self.settle_window).ok_or(CampaignError::WindowBreaksTerms)?;
		frame_support::ensure!(issued <= now, CampaignError::WindowBreaksTerms);
		frame_support::ensure!(
			issued <= self.last_issue_block,
			CampaignError::IssuedAfterLastBlock
		);
		Ok(())
	}

	/// That `offer`, settled at block `now`, follows these terms, in this order: its origin price
	/// at least the minimum, its discounted price the terms' discount off it, its rebate block
	/// one review period after settle-by, settle-by at most one settle window after `now` and
	/// issued by the last issue block.
	pub fn check_offer<AccountId, AssetKind>(
		&self,
		offer: &Offer<AccountId, AssetKind, Balance, BlockNumber>,
		now: BlockNumber,
	) -> Result<(), CampaignError> {
		frame_support::ensure!(
			offer.original_price >= self.min_origin_price,
			CampaignError::OriginBelowMinimum
		);
		frame_support::ensure!(
			offer.discounted_price == self.discounted(offer.original_price),
			CampaignError::DiscountBreaksTerms
		);
		let pay_at = offer.settle_by.checked_add(&self.review_period);
		frame_support::ensure!(pay_at == Some(offer.pay_at), CampaignError::WindowBreaksTerms);
		self.check_issued(offer.settle_by, now)
	}

	/// That `rebate`, submitted at block `now`, follows these terms, in this order: the terms'
	/// payout condition, its amount the terms' rebate of `price` (the referred purchase's price,
	/// where it is known: a fixed rebate needs none), and its rebate block issued within the
	/// windows (as [`CampaignTerms::check_offer`]).
	pub fn check_rebate<AccountId, AssetKind>(
		&self,
		rebate: &Rebate<AccountId, AssetKind, Balance, BlockNumber>,
		price: Option<Balance>,
		now: BlockNumber,
	) -> Result<(), CampaignError> {
		frame_support::ensure!(
			rebate.condition == self.condition,
			CampaignError::ConditionBreaksTerms
		);
		self.check_rebate_amount(rebate.amount, price)?;
		let settle_by = rebate
			.pay_at
			.checked_sub(&self.review_period)
			.ok_or(CampaignError::WindowBreaksTerms)?;
		self.check_issued(settle_by, now)
	}

	/// That a rebate of `amount` is the terms' rebate of `price` (where it is known).
	pub fn check_rebate_amount(
		&self,
		amount: Balance,
		price: Option<Balance>,
	) -> Result<(), CampaignError> {
		let expected = match (self.rebate, price) {
			(Share::Fixed(fixed), _) => Some(fixed),
			(share, Some(price)) => Some(share.of(price)),
			(Share::Percent(_), None) => None,
		};
		frame_support::ensure!(
			expected.map_or(true, |e| e == amount),
			CampaignError::RebateBreaksTerms
		);
		Ok(())
	}
}

/// What [`CampaignTerms::issue`] gives an offer and its rebate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Issue<Balance, BlockNumber> {
	/// The referee's price.
	pub discounted_price: Balance,
	/// The offer's settle-by block.
	pub settle_by: BlockNumber,
	/// The rebate block.
	pub pay_at: BlockNumber,
	/// The customer's rebate (of the discounted price).
	pub rebate: Balance,
}

/// Why a document breaks its campaign's terms (each a pallet error of its own).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CampaignError {
	/// The origin purchase cost less than the campaign's minimum.
	OriginBelowMinimum,
	/// The discounted price is not the campaign's discount off the original price.
	DiscountBreaksTerms,
	/// The settle-by or rebate block is not the campaign's windows from an issue block at or
	/// before the current block.
	WindowBreaksTerms,
	/// The document was issued after the campaign's last issue block.
	IssuedAfterLastBlock,
	/// The rebate's payout condition is not the campaign's.
	ConditionBreaksTerms,
	/// The rebate amount is not the campaign's rebate of the referred price.
	RebateBreaksTerms,
}

impl core::fmt::Display for CampaignError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			CampaignError::OriginBelowMinimum => {
				"the origin purchase cost less than the campaign's minimum"
			}
			CampaignError::DiscountBreaksTerms => {
				"the discounted price is not the campaign's discount off the original price"
			}
			CampaignError::WindowBreaksTerms => {
				"the settle-by or rebate block is not the campaign's windows from its issue block"
			}
			CampaignError::IssuedAfterLastBlock => {
				"the document was issued after the campaign's last issue block"
			}
			CampaignError::ConditionBreaksTerms => {
				"the rebate's payout condition is not the campaign's"
			}
			CampaignError::RebateBreaksTerms => {
				"the rebate amount is not the campaign's rebate of the referred price"
			}
		})
	}
}
