//! The calls' steps: recording purchases, settling referrals and submitting rebates through one
//! open-or-join step, refunds, manual closing, and the weights each path is charged.

use crate::*;
use frame_support::traits::Contains;
use frame_support::{
	dispatch::{DispatchErrorWithPostInfo, PostDispatchInfo},
	traits::tokens::Preservation,
};
use sp_runtime::traits::{Saturating, Zero};

/// Which path a settle or submit took: it opened the promotion, or joined the one the other
/// document opened. The two cost different amounts; the call is charged for the one it took.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Path {
	/// The first document of the promotion: a new promotion is written.
	Open,
	/// The second: the open promotion is read back and written.
	Join,
}

/// The side of a promotion a document brings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
	/// The offer and its referred purchase (`settle_referral`).
	Referral,
	/// The rebate (`submit_rebate`).
	Rebate,
}

/// Which of a call's signature chains an error is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chain {
	Offer,
	Purchase,
	Rebate,
}

impl Chain {
	/// The error for this chain's wrong number of links or misplaced designation.
	fn malformed<T: Config>(self) -> Error<T> {
		match self {
			Chain::Offer => Error::OfferChainMalformed,
			Chain::Purchase => Error::PurchaseChainMalformed,
			Chain::Rebate => Error::RebateChainMalformed,
		}
	}

	/// The error for a link of this chain that is not `role`'s signature.
	fn bad_signature<T: Config>(self, role: Role) -> Error<T> {
		match (self, role) {
			(Chain::Offer, Role::Merchant) => Error::BadOfferMerchantSignature,
			(Chain::Offer, Role::Customer) => Error::BadOfferCustomerSignature,
			(Chain::Offer, Role::Referee) => Error::BadOfferRefereeSignature,
			(Chain::Purchase, Role::Customer) => Error::BadPurchaseCustomerSignature,
			(Chain::Purchase, _) => Error::BadPurchaseRefereeSignature,
			(Chain::Rebate, Role::Merchant) => Error::BadRebateMerchantSignature,
			(Chain::Rebate, Role::Referee) => Error::BadRebateRefereeSignature,
			(Chain::Rebate, Role::Customer) => Error::BadRebateCustomerSignature,
		}
	}
}

/// What the checks before the signatures found for a settle or submit: the promotion to write
/// and the path to it.
struct Plan<T: Config> {
	key: PromotionKeyOf<T>,
	promotion: PromotionOf<T>,
	path: Path,
	/// The campaign the documents name, read once by the checks and written back by the effects.
	campaign: Option<(CampaignId, CampaignOf<T>)>,
}

impl<T: Config> Pallet<T> {
	/// The hash of block zero: every link is signed for it.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// The weight of verifying one link ([`charges::link`]).
	pub fn link_weight() -> Weight {
		charges::link::<T::WeightInfo>()
	}

	/// The benchmarked path transfers of `asset` take ([`Config::NativeAsset`]).
	pub fn asset_path(asset: &AssetKindOf<T>) -> charges::AssetPath {
		if T::NativeAsset::contains(asset) {
			charges::AssetPath::Native
		} else {
			charges::AssetPath::Other
		}
	}

	/// `purchase`'s weight in `asset` ([`charges::purchase`]).
	pub fn purchase_weight(asset: &AssetKindOf<T>) -> Weight {
		charges::purchase::<T::WeightInfo>(Self::asset_path(asset))
	}

	/// `settle_referral`'s weight on `path` in `asset`, under a campaign or not
	/// ([`charges::settle`]).
	pub fn settle_weight(path: Option<Path>, asset: &AssetKindOf<T>, campaign: bool) -> Weight {
		charges::settle::<T::WeightInfo>(path, Self::asset_path(asset), campaign)
	}

	/// `submit_rebate`'s weight on `path` in `asset`, under a campaign or not
	/// ([`charges::submit`]).
	pub fn submit_weight(path: Option<Path>, asset: &AssetKindOf<T>, campaign: bool) -> Weight {
		charges::submit::<T::WeightInfo>(path, Self::asset_path(asset), campaign)
	}

	/// The weight of a settle or submit refused after `verified` signature checks
	/// ([`charges::refusal`]).
	pub fn refusal_weight(verified: u32) -> Weight {
		charges::refusal::<T::WeightInfo>(verified)
	}

	/// A refusal charged [`Pallet::refusal_weight`].
	fn refused(error: impl Into<DispatchError>, verified: u32) -> DispatchErrorWithPostInfo {
		DispatchErrorWithPostInfo {
			post_info: PostDispatchInfo {
				actual_weight: Some(Self::refusal_weight(verified)),
				pays_fee: Pays::Yes,
			},
			error: error.into(),
		}
	}

	fn rule_error(e: RuleError) -> Error<T> {
		match e {
			RuleError::DiscountNotBelowPrice => Error::DiscountNotBelowPrice,
			RuleError::DiscountBelowMinimum => Error::DiscountBelowMinimum,
			RuleError::SettleByNotBeforePayAt => Error::SettleByNotBeforePayAt,
			RuleError::RebateBelowMinimum => Error::RebateBelowMinimum,
			RuleError::PartiesNotDistinct => Error::PartiesNotDistinct,
			RuleError::PurchasePromotionMismatch => Error::PurchasePromotionMismatch,
			RuleError::PurchaseBuyerNotReferee => Error::PurchaseBuyerNotReferee,
			RuleError::PurchaseReferrerNotCustomer => Error::PurchaseReferrerNotCustomer,
			RuleError::PurchaseAssetMismatch => Error::PurchaseAssetMismatch,
			RuleError::PurchasePriceNotDiscounted => Error::PurchasePriceNotDiscounted,
			RuleError::PurchaseDeadlineMismatch => Error::PurchaseDeadlineMismatch,
			// Checked off chain only: the chain compares what a promotion stores.
			RuleError::RebateOfferMismatch => Error::PromotionMismatch,
		}
	}

	/// The refusal of a chain that does not verify: its error, charged the `before` signatures
	/// checked in earlier chains of the same call and this chain's up to the bad link.
	fn chain_refused(chain: Chain, e: ChainError, before: u32) -> DispatchErrorWithPostInfo {
		match e {
			ChainError::BadSignature { link, role } => Self::refused(
				chain.bad_signature::<T>(role),
				before.saturating_add(link).saturating_add(1),
			),
			_ => Self::refused(chain.malformed::<T>(), before),
		}
	}

	/// Record a purchase under `(now, index of its PurchaseRecorded event)`.
	fn record_purchase(
		merchant: T::AccountId,
		buyer: T::AccountId,
		asset: AssetKindOf<T>,
		price: BalanceOf<T>,
		promotion: Option<PromotionRef<BlockNumberFor<T>>>,
	) -> PurchaseIdOf<T> {
		let block = frame_system::Pallet::<T>::block_number();
		// The index the event deposited below gets: unique in this block, as every recorded
		// purchase deposits one event that counts (a rollback takes back the record and the
		// event together). Events are not recorded at block zero, where no extrinsic runs.
		if block.is_zero() {
			frame_support::defensive!("a purchase recorded at block zero");
		}
		let purchase_id = PurchaseId { block, index: frame_system::Pallet::<T>::event_count() };
		LastPurchase::<T>::insert(&merchant, &buyer, block);
		Purchases::<T>::insert(
			BlockKey::of(block),
			purchase_id.index,
			PurchaseRecord {
				merchant: merchant.clone(),
				buyer: buyer.clone(),
				asset: asset.clone(),
				price,
				promotion,
				refunded: false,
			},
		);
		Self::deposit_event(Event::PurchaseRecorded {
			purchase_id,
			merchant,
			buyer,
			asset,
			price,
			promotion_id: promotion.map(|p| p.promotion_id),
		});
		purchase_id
	}

	/// The live purchase record `id`, or why there is none.
	pub fn live_purchase(
		id: PurchaseIdOf<T>,
		unknown: Error<T>,
		expired: Error<T>,
	) -> Result<PurchaseRecordOf<T>, Error<T>> {
		let record = Purchases::<T>::get(BlockKey::of(id.block), id.index).ok_or(unknown)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(Self::is_live(id.block, now), expired);
		Ok(record)
	}

	pub(crate) fn do_purchase(
		buyer: T::AccountId,
		merchant: T::AccountId,
		asset: AssetKindOf<T>,
		price: BalanceOf<T>,
	) -> DispatchResult {
		let minimum = Self::minimum_of(&asset)?;
		ensure!(!price.is_zero() && price >= minimum, Error::<T>::PriceBelowMinimum);
		ensure!(buyer != merchant, Error::<T>::SelfPurchase);
		ensure!(merchant != Self::escrow_account(), Error::<T>::EscrowAccountNotAMerchant);
		let short = Error::<T>::CannotPayPrice;
		Self::move_funds(&asset, &buyer, &merchant, price, Preservation::Preserve, short)?;
		Self::record_purchase(merchant, buyer, asset, price, None);
		Ok(())
	}

	/// The open-or-join step settle and submit share: the promotion at `key` if open (its `side`
	/// still empty, the same customer, referee and asset), or a new one.
	fn open_or_join(
		key: PromotionKeyOf<T>,
		customer: &T::AccountId,
		referee: &T::AccountId,
		asset: &AssetKindOf<T>,
		campaign: Option<CampaignId>,
		side: Side,
	) -> Result<Plan<T>, Error<T>> {
		let Some(open) = Promotions::<T>::get(&key) else {
			let promotion = Promotion {
				customer: customer.clone(),
				referee: referee.clone(),
				asset: asset.clone(),
				referral: None,
				rebate: None,
				campaign,
			};
			return Ok(Plan { key, promotion, path: Path::Open, campaign: None });
		};
		match side {
			Side::Referral => ensure!(open.referral.is_none(), Error::<T>::AlreadySettled),
			Side::Rebate => ensure!(open.rebate.is_none(), Error::<T>::RebateAlreadySubmitted),
		}
		ensure!(open.customer == *customer, Error::<T>::PromotionMismatch);
		ensure!(open.referee == *referee, Error::<T>::RefereeMismatch);
		ensure!(open.asset == *asset, Error::<T>::AssetMismatch);
		ensure!(open.campaign == campaign, Error::<T>::CampaignMismatch);
		Ok(Plan { key, promotion: open, path: Path::Join, campaign: None })
	}

	/// Campaign `id`, open, `merchant`'s and in `asset`: the one a document names.
	fn campaign_of(
		id: CampaignId,
		merchant: &T::AccountId,
		asset: &AssetKindOf<T>,
	) -> Result<CampaignOf<T>, Error<T>> {
		let c = Campaigns::<T>::get(id).ok_or(Error::<T>::UnknownCampaign)?;
		ensure!(c.merchant == *merchant, Error::<T>::NotCampaignMerchant);
		ensure!(c.asset == *asset, Error::<T>::CampaignAssetMismatch);
		Ok(c)
	}

	/// Whether `buyer` bought from `merchant` in a purchase whose record still lives at `now`.
	pub fn bought_from(
		merchant: &T::AccountId,
		buyer: &T::AccountId,
		now: BlockNumberFor<T>,
	) -> bool {
		LastPurchase::<T>::get(merchant, buyer).is_some_and(|block| Self::is_live(block, now))
	}

	/// The campaign checks of a settle, after the protocol's: the offer follows the campaign's
	/// terms, the referee is new to the merchant if the terms ask it (one read, only then), and
	/// a rebate already submitted is the terms' rebate of the referred price.
	fn check_settle_campaign(
		offer: &OfferOf<T>,
		referee: &T::AccountId,
		plan: &mut Plan<T>,
		now: BlockNumberFor<T>,
	) -> Result<(), Error<T>> {
		let Some(id) = offer.campaign else { return Ok(()) };
		let c = Self::campaign_of(id, &offer.merchant, &offer.asset)?;
		c.terms.check_offer(offer, now)?;
		if c.terms.new_referees_only {
			ensure!(!Self::bought_from(&offer.merchant, referee, now), Error::<T>::RefereeNotNew);
		}
		if let Some(rebate) = &plan.promotion.rebate {
			c.terms.check_rebate_amount(rebate.amount, Some(offer.discounted_price))?;
		}
		plan.campaign = Some((id, c));
		Ok(())
	}

	/// The campaign checks of a submit, after the protocol's: the rebate follows the campaign's
	/// terms (its amount against the referred price if the referral is settled), the customer is
	/// under its cap (and, new to the campaign, there is room for it), and the budget covers it.
	/// Returns the customer's count so far.
	fn check_submit_campaign(
		rebate: &RebateOf<T>,
		plan: &mut Plan<T>,
		now: BlockNumberFor<T>,
	) -> Result<u32, Error<T>> {
		let Some(id) = rebate.campaign else { return Ok(0) };
		let c = Self::campaign_of(id, &rebate.merchant, &rebate.asset)?;
		let price = plan.promotion.referral.as_ref().map(|r| r.price);
		c.terms.check_rebate(rebate, price, now)?;
		let count = CampaignRebates::<T>::get(id, &rebate.customer);
		ensure!(count < c.terms.rebates_per_customer, Error::<T>::CustomerAtRebateCap);
		ensure!(
			count > 0 || c.customers < T::MaxCampaignCustomers::get(),
			Error::<T>::CampaignFull
		);
		ensure!(c.budget >= rebate.amount, Error::<T>::CampaignBudgetTooLow);
		plan.campaign = Some((id, c));
		Ok(count)
	}

	/// Every check of `settle_referral` before the signatures, in the documented order.
	fn check_settle(
		who: &T::AccountId,
		offer: &SignedOfferOf<T>,
		purchase: &SignedPurchaseOf<T>,
	) -> Result<(T::AccountId, Plan<T>), Error<T>> {
		let o = &offer.document;
		ensure!(*who == o.merchant, Error::<T>::NotMerchant);
		check_shape(offer, true).map_err(|_| Chain::Offer.malformed::<T>())?;
		check_shape(purchase, true).map_err(|_| Chain::Purchase.malformed::<T>())?;
		let now = frame_system::Pallet::<T>::block_number();
		check_timing(now, o.settle_by, o.pay_at, T::MaxRebateDelay::get()).map_err(
			|e| match e {
				TimingError::DeadlinePassed => Error::<T>::SettleDeadlinePassed,
				TimingError::PayAtTooFar => Error::<T>::PayAtTooFar,
			},
		)?;
		let referee =
			types::referee_of(o, &offer.links).cloned().ok_or(Error::<T>::OfferChainMalformed)?;
		let minimum = Self::minimum_of(&o.asset)?;
		o.check_rules(Some(&referee), &minimum).map_err(Self::rule_error)?;
		purchase.document.check_against(o, &referee).map_err(Self::rule_error)?;

		let origin = Self::live_purchase(
			o.origin_purchase,
			Error::<T>::UnknownOriginPurchase,
			Error::<T>::OriginPurchaseExpired,
		)?;
		origin.check_origin_of(o).map_err(|e| match e {
			OriginError::Mismatch => Error::<T>::OriginPurchaseMismatch,
			OriginError::Refunded => Error::<T>::OriginPurchaseRefunded,
		})?;
		let key = (BlockKey::of(o.pay_at), o.merchant.clone(), o.promotion_id);
		let mut plan =
			Self::open_or_join(key, &o.customer, &referee, &o.asset, o.campaign, Side::Referral)?;
		Self::check_settle_campaign(o, &referee, &mut plan, now)?;
		Ok((referee, plan))
	}

	pub(crate) fn do_settle(
		who: T::AccountId,
		offer: &SignedOfferOf<T>,
		purchase: &SignedPurchaseOf<T>,
	) -> DispatchResultWithPostInfo {
		let (referee, mut plan) =
			Self::check_settle(&who, offer, purchase).map_err(|e| Self::refused(e, 0))?;
		let genesis = Self::genesis_hash();
		let offer_links = offer.links.len() as u32;
		verify_links(&genesis, offer).map_err(|e| Self::chain_refused(Chain::Offer, e, 0))?;
		verify_links(&genesis, purchase)
			.map_err(|e| Self::chain_refused(Chain::Purchase, e, offer_links))?;

		let o = &offer.document;
		let (price, short) = (o.discounted_price, Error::<T>::RefereeCannotPay);
		Self::move_funds(&o.asset, &referee, &o.merchant, price, Preservation::Preserve, short)?;
		let promotion = PromotionRef { promotion_id: o.promotion_id, pay_at: o.pay_at };
		let purchase_id = Self::record_purchase(
			o.merchant.clone(),
			referee.clone(),
			o.asset.clone(),
			price,
			Some(promotion),
		);
		plan.promotion.referral = Some(SettledReferral { purchase_id, price, refunded: false });
		Promotions::<T>::insert(&plan.key, plan.promotion);
		Self::deposit_event(Event::ReferralSettled {
			merchant: o.merchant.clone(),
			promotion_id: o.promotion_id,
			customer: o.customer.clone(),
			referee,
			purchase_id,
			asset: o.asset.clone(),
			price,
			pay_at: o.pay_at,
			campaign: o.campaign,
		});
		Ok(Some(Self::settle_weight(Some(plan.path), &o.asset, o.campaign.is_some())).into())
	}

	/// Every check of `submit_rebate` before the signatures, in the documented order.
	fn check_submit(
		who: &T::AccountId,
		rebate: &SignedRebateOf<T>,
	) -> Result<(T::AccountId, Plan<T>, u32), Error<T>> {
		let r = &rebate.document;
		ensure!(*who == r.customer, Error::<T>::NotCustomer);
		check_shape(rebate, true).map_err(|_| Chain::Rebate.malformed::<T>())?;
		let now = frame_system::Pallet::<T>::block_number();
		check_timing(now, r.pay_at, r.pay_at, T::MaxRebateDelay::get()).map_err(|e| match e {
			TimingError::DeadlinePassed => Error::<T>::RebateDeadlinePassed,
			TimingError::PayAtTooFar => Error::<T>::PayAtTooFar,
		})?;
		let referee =
			types::referee_of(r, &rebate.links).cloned().ok_or(Error::<T>::RebateChainMalformed)?;
		let minimum = Self::minimum_of(&r.asset)?;
		r.check_rules(Some(&referee), &minimum).map_err(Self::rule_error)?;
		let key = (BlockKey::of(r.pay_at), r.merchant.clone(), r.promotion_id);
		let mut plan =
			Self::open_or_join(key, &r.customer, &referee, &r.asset, r.campaign, Side::Rebate)?;
		let count = Self::check_submit_campaign(r, &mut plan, now)?;
		Ok((referee, plan, count))
	}

	pub(crate) fn do_submit(
		who: T::AccountId,
		rebate: &SignedRebateOf<T>,
	) -> DispatchResultWithPostInfo {
		let (referee, mut plan, count) =
			Self::check_submit(&who, rebate).map_err(|e| Self::refused(e, 0))?;
		verify_links(&Self::genesis_hash(), rebate)
			.map_err(|e| Self::chain_refused(Chain::Rebate, e, 0))?;

		let r = &rebate.document;
		match plan.campaign.take() {
			Some((id, c)) => Self::reserve(id, c, r, count),
			None => {
				let (escrow, short) = (Self::escrow_account(), Error::<T>::MerchantCannotEscrow);
				let preserve = Preservation::Preserve;
				Self::move_funds(&r.asset, &r.merchant, &escrow, r.amount, preserve, short)?;
			}
		}
		plan.promotion.rebate = Some(EscrowedRebate { amount: r.amount, condition: r.condition });
		Promotions::<T>::insert(&plan.key, plan.promotion);
		Self::deposit_event(Event::RebateScheduled {
			merchant: r.merchant.clone(),
			promotion_id: r.promotion_id,
			customer: r.customer.clone(),
			referee,
			asset: r.asset.clone(),
			amount: r.amount,
			pay_at: r.pay_at,
			condition: r.condition,
			campaign: r.campaign,
		});
		Ok(Some(Self::submit_weight(Some(plan.path), &r.asset, r.campaign.is_some())).into())
	}

	/// Reserve `rebate`'s amount from campaign `id`'s budget (checked to cover it), count the
	/// promotion as holding a reservation and the rebate against its customer (`count` so far);
	/// [`Event::CampaignBudgetSpent`] if what is left cannot cover another such rebate.
	fn reserve(id: CampaignId, mut c: CampaignOf<T>, rebate: &RebateOf<T>, count: u32) {
		let amount = rebate.amount;
		c.budget = c.budget.saturating_sub(amount);
		c.reserved = c.reserved.saturating_add(amount);
		c.open_promotions = c.open_promotions.saturating_add(1);
		if count == 0 {
			c.customers = c.customers.saturating_add(1);
		}
		CampaignRebates::<T>::insert(id, &rebate.customer, count.saturating_add(1));
		let spent = c.budget < amount;
		let budget = c.budget;
		Campaigns::<T>::insert(id, c);
		if spent {
			Self::deposit_event(Event::CampaignBudgetSpent { campaign: id, budget });
		}
	}

	pub(crate) fn do_refund(who: T::AccountId, purchase_id: PurchaseIdOf<T>) -> DispatchResult {
		let mut record = Self::live_purchase(
			purchase_id,
			Error::<T>::UnknownPurchase,
			Error::<T>::PurchaseExpired,
		)?;
		ensure!(who == record.merchant, Error::<T>::NotPurchaseMerchant);
		ensure!(!record.refunded, Error::<T>::AlreadyRefunded);
		ensure!(!record.price.is_zero(), Error::<T>::NothingToRefund);
		let (merchant, buyer) = (&record.merchant, &record.buyer);
		let short = Error::<T>::MerchantCannotRefund;
		Self::move_funds(
			&record.asset,
			merchant,
			buyer,
			record.price,
			Preservation::Preserve,
			short,
		)?;
		record.refunded = true;

		let now = frame_system::Pallet::<T>::block_number();
		let mut undone = None;
		if let Some(PromotionRef { promotion_id, pay_at }) = record.promotion {
			if now < pay_at {
				let key = (BlockKey::of(pay_at), record.merchant.clone(), promotion_id);
				Promotions::<T>::mutate(&key, |open| {
					let referral = open.as_mut().and_then(|o| o.referral.as_mut());
					if let Some(referral) = referral.filter(|r| r.purchase_id == purchase_id) {
						referral.refunded = true;
						undone = Some(promotion_id);
					}
				});
			}
		}
		Self::deposit_event(Event::PurchaseRefunded {
			purchase_id,
			merchant: record.merchant.clone(),
			buyer: record.buyer.clone(),
			asset: record.asset.clone(),
			amount: record.price,
			promotion_id: undone,
		});
		Purchases::<T>::insert(BlockKey::of(purchase_id.block), purchase_id.index, record);
		Ok(())
	}

	pub(crate) fn do_close_overdue(
		pay_at: BlockNumberFor<T>,
		merchant: T::AccountId,
		promotion_id: PromotionId,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(pay_at <= now, Error::<T>::NotYetDue);
		let key = (BlockKey::of(pay_at), merchant, promotion_id);
		if let Some(open) = Promotions::<T>::take(&key) {
			Self::close(key, open);
			return Ok(());
		}
		let held = Held::<T>::take(&key).ok_or(Error::<T>::UnknownPromotion)?;
		// A held promotion's escrow still stuck stays held: the call fails, changing nothing.
		Self::try_close(&key, &held).map_err(|()| Error::<T>::PayoutStillBlocked.into())
	}
}
