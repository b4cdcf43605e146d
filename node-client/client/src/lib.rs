//! # rebate-client
//!
//! The client side of the referral-rebate protocol (CN113177820B): what the merchant's server,
//! the customer's device and the referee's device do.
//!
//! - [`assets`]: assets by name, symbol or id; their symbol, decimals and minimum from the
//!   chain; amounts in their units.
//! - [`keys`]: dev accounts by name, secret URIs and mnemonics, key files; sr25519 by default,
//!   ed25519 and ecdsa accepted.
//! - [`documents`]: the JSON envelope the parties exchange, the protocol's rules checked before
//!   anyone signs, signing steps that verify what they received first, and `inspect`.
//! - [`chain`]: one [`chain::Chain`] trait with two backends, the embedded chain (the default)
//!   and a node over JSON-RPC (feature `node`).
//! - [`extrinsic`]: signed extrinsics with the runtime's transaction extensions.
//! - [`Client`]: each party's steps against a chain: read the state a document needs, build and
//!   check it, sign, dry-run and submit calls, and report the events they caused.

pub mod assets;
pub mod chain;
#[cfg(feature = "chain-spec")]
pub mod chain_spec;
pub mod documents;
mod error;
pub mod extrinsic;
pub mod keys;
#[cfg(feature = "node")]
pub mod metadata;
pub mod report;

pub use error::{describe_dispatch_error, ClientError, PalletError};

use chain::{state, Chain, Extrinsic, Inclusion};
use documents::{AnyDocument, Envelope};
use keys::KeyPair;
use pallet_referral_rebate::{Framing, Offer, PayoutCondition, PromotionId, Rebate, Signed};
use rebate_test_runtime::{AccountId, AssetKind, Balance, RuntimeCall};
use sp_core::H256;

/// A recorded purchase's id on this chain: its block and the index of its `PurchaseRecorded`
/// event (written and parsed as `block-index`, e.g. `12-3`).
pub type PurchaseId = pallet_referral_rebate::PurchaseIdOf<rebate_test_runtime::Runtime>;

/// What a submitted call did.
#[derive(Clone, Debug)]
pub struct Receipt {
	/// Where it landed.
	pub inclusion: Inclusion,
}

impl Receipt {
	/// The referral-rebate events it caused.
	pub fn rebate_events(
		&self,
	) -> Vec<pallet_referral_rebate::Event<rebate_test_runtime::Runtime>> {
		self.inclusion.events.iter().filter_map(|e| e.rebate().cloned()).collect()
	}
}

/// The terms a merchant offers for one promotion. Every amount is in the origin purchase's
/// asset.
#[derive(Clone, Debug)]
pub struct PromotionTerms {
	/// The merchant's id for the promotion (unique per merchant).
	pub promotion_id: PromotionId,
	/// The customer's recorded purchase the offer is based on.
	pub origin_purchase: PurchaseId,
	/// The asset the merchant means the amounts in; `None`: the origin purchase's. A merchant
	/// that names one is refused if the purchase was in another.
	pub asset: Option<AssetKind>,
	/// The referee's price.
	pub discounted_price: Balance,
	/// The referred purchase must be settled before this block.
	pub settle_by: u32,
	/// The rebate block.
	pub pay_at: u32,
	/// The rebate amount.
	pub rebate: Balance,
	/// When the rebate pays.
	pub condition: PayoutCondition,
	/// The campaign both documents are issued under, if any: the amounts and blocks must then
	/// follow its terms (checked before signing), and the rebate is reserved from its budget.
	pub campaign: Option<pallet_referral_rebate::CampaignId>,
}

/// Why a campaign gives no promotion for a purchase ([`Client::campaign_promotion`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
	/// The campaign is closed.
	CampaignClosed,
	/// The campaign's last issue block has passed.
	CampaignEnded,
	/// The purchase's record is gone (its lifetime ended).
	PurchaseGone,
	/// The purchase is from another merchant, in another asset, or refunded.
	NotForCampaign,
	/// The purchase is below the campaign's minimum, or its discount or rebate below the asset's
	/// minimum balance.
	BelowMinimum,
	/// The customer has had the campaign's rebates per customer.
	CustomerAtCap,
	/// The budget cannot cover the rebate.
	BudgetSpent,
	/// The documents the terms give would break one of the protocol's rules (checked before
	/// signing).
	BreaksRules,
}

impl core::fmt::Display for Ineligible {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			Ineligible::CampaignClosed => "the campaign is closed",
			Ineligible::CampaignEnded => "the campaign's last issue block has passed",
			Ineligible::PurchaseGone => "the purchase's record has ended",
			Ineligible::NotForCampaign => {
				"the purchase is another merchant's, in another asset, or refunded"
			}
			Ineligible::BelowMinimum => "the purchase is below the campaign's minimum",
			Ineligible::CustomerAtCap => "the customer has had the campaign's rebates",
			Ineligible::BudgetSpent => "the campaign's budget cannot cover the rebate",
			Ineligible::BreaksRules => "the campaign's documents would break a protocol rule",
		})
	}
}

/// The error for an envelope of the wrong kind.
fn expected(what: &str, got: &Envelope) -> ClientError {
	ClientError::Rule(format!("expected {what}, got a {}", got.kind()))
}

/// A party's view of a chain: reads, documents and calls.
pub struct Client<C> {
	/// The chain.
	pub chain: C,
	/// How this client frames its links (`Bytes`: as a browser wallet signs).
	pub framing: Framing,
	/// The sufficient pallet-assets asset this client pays its fees in (`None`: the native
	/// token).
	pub fee_asset: Option<u32>,
}

impl<C: Chain> Client<C> {
	/// A client of `chain`.
	pub fn new(chain: C) -> Self {
		Client { chain, framing: Framing::Raw, fee_asset: None }
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> H256 {
		self.chain.info().genesis
	}

	/// The best block number.
	pub async fn now(&mut self) -> Result<u32, ClientError> {
		state::now(&mut self.chain).await
	}

	/// Sign `call` as `key` with its next nonce, mortal from the best block's parent.
	pub async fn extrinsic(
		&mut self,
		key: &KeyPair,
		call: RuntimeCall,
	) -> Result<Extrinsic, ClientError> {
		let nonce = self.chain.next_nonce(&key.account()).await?;
		self.extrinsic_with_nonce(key, call, nonce).await
	}

	/// Sign `call` as `key` with `nonce`, mortal from the best block's parent.
	pub async fn extrinsic_with_nonce(
		&mut self,
		key: &KeyPair,
		call: RuntimeCall,
		nonce: u32,
	) -> Result<Extrinsic, ClientError> {
		Ok(self.signed_at_best(key, call, nonce).await?.0)
	}

	/// The signed extrinsic and the best block number it was signed at.
	async fn signed_at_best(
		&mut self,
		key: &KeyPair,
		call: RuntimeCall,
		nonce: u32,
	) -> Result<(Extrinsic, u32), ClientError> {
		// Anchor the era at the best block's parent: its hash is in the best block's state, so
		// a dry run on the best state (a node's `state_call`) accepts the era too.
		let (best, best_hash) = self.chain.best().await?;
		let birth = match best.checked_sub(1) {
			Some(number) => extrinsic::Birth { number, hash: self.chain.block_hash(number).await? },
			None => extrinsic::Birth { number: best, hash: best_hash },
		};
		Ok((self.chain.sign(key, call, nonce, birth, self.fee_asset)?, best))
	}

	/// Sign, dry-run and submit `call` as `key`; wait until it is in a block. A call the chain
	/// would refuse is not submitted: the error names the pallet's error and what it means.
	pub async fn transact(
		&mut self,
		key: &KeyPair,
		call: RuntimeCall,
	) -> Result<Receipt, ClientError> {
		let nonce = self.chain.next_nonce(&key.account()).await?;
		let (mut xt, best) = self.signed_at_best(key, call.clone(), nonce).await?;
		// On the genesis state frame-system still holds a placeholder genesis hash that only
		// block 1 replaces, so a dry run there cannot check the signature: skip it.
		if best > 0 {
			let mut dry = self.chain.dry_run(&xt).await?;
			// Invalid after a runtime upgrade (new versions, maybe new indices): signed again
			// for the new runtime, once.
			if dry.is_err() && self.chain.refresh().await? {
				xt = self.signed_at_best(key, call, nonce).await?.0;
				dry = self.chain.dry_run(&xt).await?;
			}
			match dry {
				Err(invalid) => return Err(ClientError::Invalid(format!("{invalid:?}"))),
				Ok(Err(e)) => return Err(describe_dispatch_error(&e, self.chain.pallet_index())),
				Ok(Ok(())) => {}
			}
		}
		let inclusion = self
			.chain
			.submit(vec![xt])
			.await?
			.pop()
			.ok_or_else(|| ClientError::Backend("no result for the transaction".into()))??;
		// The state may have moved between the dry run and the block (a node's other
		// transactions): report a failure all the same.
		if let Err(e) = &inclusion.outcome {
			return Err(describe_dispatch_error(e, self.chain.pallet_index()));
		}
		Ok(Receipt { inclusion })
	}

	/// The customer buys from `merchant` at `price` in `asset`: returns the receipt and the
	/// purchase id.
	pub async fn purchase(
		&mut self,
		customer: &KeyPair,
		merchant: AccountId,
		asset: AssetKind,
		price: Balance,
	) -> Result<(Receipt, PurchaseId), ClientError> {
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::purchase {
			merchant,
			asset,
			price,
		});
		let receipt = self.transact(customer, call).await?;
		let id = receipt
			.rebate_events()
			.iter()
			.find_map(pallet_referral_rebate::Event::recorded_purchase)
			.ok_or_else(|| ClientError::Backend("no PurchaseRecorded event".into()))?;
		Ok((receipt, id))
	}

	/// The merchant creates a promotion's offer and rebate from the customer's recorded
	/// purchase, checks the protocol's rules against the chain, and signs both first links.
	pub async fn create_promotion(
		&mut self,
		merchant: &KeyPair,
		terms: &PromotionTerms,
	) -> Result<(Envelope, Envelope), ClientError> {
		let me = merchant.account();
		let origin =
			state::purchase(&mut self.chain, terms.origin_purchase).await?.ok_or_else(|| {
				ClientError::Rule(format!(
					"purchase {} is not recorded on this chain",
					terms.origin_purchase
				))
			})?;
		if origin.merchant != me {
			return Err(ClientError::Rule(format!(
				"purchase {} was made from {}, not from this merchant",
				terms.origin_purchase,
				keys::display_name(&origin.merchant)
			)));
		}
		if origin.refunded {
			return Err(ClientError::Rule(format!(
				"purchase {} was refunded",
				terms.origin_purchase
			)));
		}
		// The asset, from the chain: its minimum is what the rules below are checked against.
		let asset = assets::info(&mut self.chain, &origin.asset).await?;
		if let Some(named) = terms.asset.as_ref().filter(|a| **a != origin.asset) {
			return Err(ClientError::Rule(format!(
				"purchase {} was paid in {}, not in {}: a promotion's amounts are in its origin purchase's asset",
				terms.origin_purchase,
				asset.symbol,
				assets::info(&mut self.chain, named).await?.symbol,
			)));
		}
		if state::promotion(&mut self.chain, terms.pay_at, &me, terms.promotion_id).await?.is_some()
		{
			return Err(ClientError::Rule(format!(
				"promotion {} of this merchant is open on chain; pick another id",
				terms.promotion_id
			)));
		}
		let now = self.now().await?;
		// The chain's timing rule, from the protocol's one copy of it: the documents reach the
		// chain at the next block at the earliest.
		let max_delay = self.chain.constants().max_rebate_delay;
		pallet_referral_rebate::check_timing(now + 1, terms.settle_by, terms.pay_at, max_delay)
			.map_err(|e| {
				ClientError::Rule(match e {
					pallet_referral_rebate::TimingError::DeadlinePassed => {
						"the settle-by block leaves no block to settle in".to_owned()
					}
					pallet_referral_rebate::TimingError::PayAtTooFar => format!(
						"the rebate block {} is more than MaxRebateDelay ({max_delay} blocks) ahead",
						terms.pay_at
					),
				})
			})?;
		let genesis = self.genesis();
		let offer = Offer {
			promotion_id: terms.promotion_id,
			merchant: me.clone(),
			customer: origin.buyer.clone(),
			origin_purchase: terms.origin_purchase,
			asset: origin.asset.clone(),
			original_price: origin.price,
			discounted_price: terms.discounted_price,
			settle_by: terms.settle_by,
			pay_at: terms.pay_at,
			campaign: terms.campaign,
		};
		let rebate = Rebate {
			promotion_id: terms.promotion_id,
			merchant: me,
			customer: origin.buyer,
			asset: origin.asset,
			amount: terms.rebate,
			pay_at: terms.pay_at,
			condition: terms.condition,
			campaign: terms.campaign,
		};
		let minimum = |e| ClientError::Rule(format!("{e} ({})", asset.format(asset.min_balance)));
		offer.check_rules(None, &asset.min_balance).map_err(minimum)?;
		rebate.check_rules(None, &asset.min_balance).map_err(minimum)?;
		if let Some(id) = terms.campaign {
			self.check_campaign_documents(id, &offer, &rebate, now + 1).await?;
		}
		let mut offer = Signed::unsigned(offer);
		documents::sign(&genesis, now, &mut offer, merchant, None, self.framing)?;
		let mut rebate = Signed::unsigned(rebate);
		documents::sign(&genesis, now, &mut rebate, merchant, None, self.framing)?;
		Ok((
			Envelope { chain: genesis, document: AnyDocument::Offer(offer) },
			Envelope { chain: genesis, document: AnyDocument::Rebate(rebate) },
		))
	}

	/// `key` adds its link to `envelope` after verifying it (the customer endorsing the offer
	/// names the referee with `designate`).
	pub async fn sign(
		&mut self,
		envelope: &mut Envelope,
		key: &KeyPair,
		designate: Option<AccountId>,
	) -> Result<(), ClientError> {
		let genesis = self.genesis();
		envelope.check_chain(genesis)?;
		let now = self.now().await?;
		let framing = self.framing;
		// The rules against the asset's minimum as the chain has it (the signing step below
		// knows the minimums of the native token and the stablecoin only); a referred purchase
		// has no minimum to check.
		match &envelope.document {
			AnyDocument::Offer(o) => self.check_minimum(&o.document).await?,
			AnyDocument::Rebate(r) => self.check_minimum(&r.document).await?,
			AnyDocument::Purchase(_) => {}
		}
		match &mut envelope.document {
			AnyDocument::Offer(s) => documents::sign(&genesis, now, s, key, designate, framing),
			AnyDocument::Rebate(s) => documents::sign(&genesis, now, s, key, designate, framing),
			AnyDocument::Purchase(s) => documents::sign(&genesis, now, s, key, designate, framing),
		}
	}

	/// The customer drafts the referred purchase from an offer it has endorsed (naming the
	/// referee), and signs it first.
	pub async fn draft_purchase(
		&mut self,
		offer: &Envelope,
		customer: &KeyPair,
	) -> Result<Envelope, ClientError> {
		let genesis = self.genesis();
		offer.check_chain(genesis)?;
		let o = offer.offer().ok_or_else(|| expected("an offer", offer))?;
		documents::verify(&genesis, o, false)?;
		let purchase = documents::referred_purchase(o)?;
		let now = self.now().await?;
		let mut signed = Signed::unsigned(purchase);
		documents::sign(&genesis, now, &mut signed, customer, None, self.framing)?;
		Ok(Envelope { chain: genesis, document: AnyDocument::Purchase(signed) })
	}

	/// The merchant settles the referral: both chains complete and valid, before settle-by.
	pub async fn settle(
		&mut self,
		merchant: &KeyPair,
		offer: &Envelope,
		purchase: &Envelope,
	) -> Result<Receipt, ClientError> {
		offer.check_chain(self.genesis())?;
		purchase.check_chain(self.genesis())?;
		let (Some(o), Some(p)) = (offer.offer(), purchase.purchase()) else {
			return Err(ClientError::Rule("settle takes an offer and a referred purchase".into()));
		};
		self.ready_to_submit(o).await?;
		documents::verify(&self.genesis(), p, true)?;
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::settle_referral {
			offer: Box::new(o.clone()),
			purchase: Box::new(p.clone()),
		});
		self.transact(merchant, call).await
	}

	/// The customer submits the all-signed rebate before its pay-at block.
	pub async fn submit_rebate(
		&mut self,
		customer: &KeyPair,
		rebate: &Envelope,
	) -> Result<Receipt, ClientError> {
		rebate.check_chain(self.genesis())?;
		let r = rebate.rebate().ok_or_else(|| expected("a rebate", rebate))?;
		self.ready_to_submit(r).await?;
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::submit_rebate {
			rebate: Box::new(r.clone()),
		});
		self.transact(customer, call).await
	}

	/// `document`'s rules against its asset's minimum balance as the chain has it.
	async fn check_minimum<D: documents::Kind>(&mut self, document: &D) -> Result<(), ClientError> {
		let minimum = assets::info(&mut self.chain, document.asset()).await?.min_balance;
		document.check_rules_with(None, &minimum)
	}

	/// Check a received document before it is submitted: every party has signed, every link
	/// verifies against this chain, and its deadline leaves a block to land in.
	async fn ready_to_submit<D: documents::Kind>(
		&mut self,
		signed: &documents::SignedDoc<D>,
	) -> Result<(), ClientError> {
		documents::verify(&self.genesis(), signed, true)?;
		documents::check_deadline(&signed.document, self.now().await?)
	}

	/// The merchant refunds a purchase.
	pub async fn refund(
		&mut self,
		merchant: &KeyPair,
		purchase_id: PurchaseId,
	) -> Result<Receipt, ClientError> {
		let call =
			RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::refund { purchase_id });
		self.transact(merchant, call).await
	}

	/// Anyone closes an overdue promotion (`pay_at`, `merchant`, `promotion_id`).
	pub async fn close(
		&mut self,
		key: &KeyPair,
		pay_at: u32,
		merchant: AccountId,
		promotion_id: PromotionId,
	) -> Result<Receipt, ClientError> {
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::close_overdue {
			pay_at,
			merchant,
			promotion_id,
		});
		self.transact(key, call).await
	}

	/// The merchant creates a campaign in `asset` with `budget` and `terms`, checked against the
	/// chain's rules first (the asset's minimum, `MaxRebateDelay`, the next block): returns the
	/// receipt and the campaign's id.
	pub async fn create_campaign(
		&mut self,
		merchant: &KeyPair,
		asset: AssetKind,
		budget: Balance,
		terms: pallet_referral_rebate::CampaignTermsOf<rebate_test_runtime::Runtime>,
	) -> Result<(Receipt, pallet_referral_rebate::CampaignId), ClientError> {
		let info = assets::info(&mut self.chain, &asset).await?;
		if budget == 0 || budget < info.min_balance {
			return Err(ClientError::Rule(format!(
				"a campaign's budget must be at least the minimum balance ({})",
				info.format(info.min_balance)
			)));
		}
		let now = self.now().await?;
		let max_delay = self.chain.constants().max_rebate_delay;
		terms
			.check(now + 1, info.min_balance, max_delay)
			.map_err(|e| ClientError::Rule(e.to_string()))?;
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::create_campaign {
			asset,
			budget,
			terms,
		});
		let receipt = self.transact(merchant, call).await?;
		let id = receipt
			.rebate_events()
			.iter()
			.find_map(|e| match e {
				pallet_referral_rebate::Event::CampaignCreated { campaign, .. } => Some(*campaign),
				_ => None,
			})
			.ok_or_else(|| ClientError::Backend("no CampaignCreated event".into()))?;
		Ok((receipt, id))
	}

	/// That `offer` and `rebate` may be issued under campaign `id` as they reach the chain at
	/// block `at`: the campaign is open, the merchant's and in their asset, and they follow its
	/// terms (the pallet's own checks, [`pallet_referral_rebate::CampaignTerms::check_offer`]
	/// and [`check_rebate`](pallet_referral_rebate::CampaignTerms::check_rebate)).
	async fn check_campaign_documents(
		&mut self,
		id: pallet_referral_rebate::CampaignId,
		offer: &pallet_referral_rebate::OfferOf<rebate_test_runtime::Runtime>,
		rebate: &pallet_referral_rebate::RebateOf<rebate_test_runtime::Runtime>,
		at: u32,
	) -> Result<(), ClientError> {
		let c = state::campaign(&mut self.chain, id)
			.await?
			.ok_or_else(|| ClientError::Rule(format!("campaign {id} is not open on this chain")))?;
		if c.merchant != offer.merchant {
			return Err(ClientError::Rule(format!("campaign {id} is another merchant's")));
		}
		if c.asset != offer.asset {
			return Err(ClientError::Rule(format!(
				"campaign {id} is in another asset than the origin purchase"
			)));
		}
		let broken = |e: pallet_referral_rebate::CampaignError| {
			ClientError::Rule(format!("campaign {id}: {e}"))
		};
		c.terms.check_offer(offer, at).map_err(broken)?;
		c.terms.check_rebate(rebate, Some(offer.discounted_price), at).map_err(broken)
	}

	/// The terms of the promotion `promotion_id` campaign `id` gives for the customer's purchase
	/// `origin_purchase`, issued now ([`pallet_referral_rebate::CampaignTerms::issue`]), or why
	/// it gives none: what the merchant's server signs for every eligible purchase. `issued`: how
	/// many promotions of the campaign the caller has issued to this customer, counted against
	/// its cap as well as the rebates the chain has counted (the larger).
	pub async fn campaign_promotion(
		&mut self,
		id: pallet_referral_rebate::CampaignId,
		origin_purchase: PurchaseId,
		promotion_id: PromotionId,
		issued: u32,
	) -> Result<Result<PromotionTerms, Ineligible>, ClientError> {
		let Some(c) = state::campaign(&mut self.chain, id).await? else {
			return Ok(Err(Ineligible::CampaignClosed));
		};
		let Some(origin) = state::purchase(&mut self.chain, origin_purchase).await? else {
			return Ok(Err(Ineligible::PurchaseGone));
		};
		if origin.merchant != c.merchant || origin.asset != c.asset || origin.refunded {
			return Ok(Err(Ineligible::NotForCampaign));
		}
		let now = self.now().await?;
		let Some(issue) = c.terms.issue(now, origin.price) else {
			return Ok(Err(if now > c.terms.last_issue_block {
				Ineligible::CampaignEnded
			} else {
				Ineligible::BelowMinimum
			}));
		};
		let min = assets::info(&mut self.chain, &c.asset).await?.min_balance;
		// A percent discount that rounds to nothing on a small price gives no discount at all.
		let no_discount = issue.discounted_price >= origin.price;
		if no_discount
			|| issue.rebate < min
			|| (issue.discounted_price != 0 && issue.discounted_price < min)
		{
			return Ok(Err(Ineligible::BelowMinimum));
		}
		let count = state::campaign_rebates(&mut self.chain, id, &origin.buyer).await?;
		if count.max(issued) >= c.terms.rebates_per_customer {
			return Ok(Err(Ineligible::CustomerAtCap));
		}
		if c.budget < issue.rebate {
			return Ok(Err(Ineligible::BudgetSpent));
		}
		Ok(Ok(PromotionTerms {
			promotion_id,
			origin_purchase,
			asset: Some(c.asset),
			discounted_price: issue.discounted_price,
			settle_by: issue.settle_by,
			pay_at: issue.pay_at,
			rebate: issue.rebate,
			condition: c.terms.condition,
			campaign: Some(id),
		}))
	}

	/// The merchant adds `amount` to campaign `campaign`'s budget.
	pub async fn top_up_campaign(
		&mut self,
		merchant: &KeyPair,
		campaign: pallet_referral_rebate::CampaignId,
		amount: Balance,
	) -> Result<Receipt, ClientError> {
		let call = RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::top_up_campaign {
			campaign,
			amount,
		});
		self.transact(merchant, call).await
	}

	/// The merchant closes campaign `campaign`; the rest of its budget comes back.
	pub async fn close_campaign(
		&mut self,
		merchant: &KeyPair,
		campaign: pallet_referral_rebate::CampaignId,
	) -> Result<Receipt, ClientError> {
		let call =
			RuntimeCall::ReferralRebate(pallet_referral_rebate::Call::close_campaign { campaign });
		self.transact(merchant, call).await
	}

	/// Inspect a document against this chain.
	pub async fn inspect(
		&mut self,
		envelope: &Envelope,
	) -> Result<documents::Inspection, ClientError> {
		let now = self.now().await?;
		Ok(documents::inspect(&self.genesis(), self.clock(now), envelope))
	}

	/// Block `now` of this chain, with its block time (what deadlines are shown in).
	pub fn clock(&self, now: u32) -> documents::Clock {
		documents::Clock { now, block_time_ms: self.chain.constants().block_time_ms }
	}
}
