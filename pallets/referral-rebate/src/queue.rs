//! The hook's two queues: open promotions closed at their rebate block, and purchase records
//! removed when their lifetime ends. Both are maps whose first key is a big-endian block number
//! ([`BlockKey`]), so each queue's head is its earliest entry and taking it costs one storage
//! access; nothing else (no agenda, no cursor) is stored.

use crate::*;
use frame_support::{traits::tokens::Preservation, weights::WeightMeter};
use sp_runtime::traits::{CheckedSub, Saturating};

impl<T: Config> Pallet<T> {
	/// The hook: close what is due, then remove what has ended, within `MaxHookWeight`. Closing
	/// may use all of it but room to remove one record, so records always make progress; removal
	/// gets what closing left. Returns the weight used.
	pub(crate) fn service_queues(now: BlockNumberFor<T>) -> Weight {
		let limit = T::MaxHookWeight::get();
		let mut closing =
			WeightMeter::with_limit(limit.saturating_sub(T::WeightInfo::remove_purchases(1)));
		Self::close_due(now, &mut closing);
		let mut removal = WeightMeter::with_limit(limit.saturating_sub(closing.consumed()));
		Self::remove_ended(now, &mut removal);
		closing.consumed().saturating_add(removal.consumed())
	}

	/// The weight of closing one more promotion in the hook ([`charges::close_one`]).
	pub fn close_one_weight() -> Weight {
		charges::close_one::<T::WeightInfo>()
	}

	/// The weight of removing one more purchase record in the hook ([`charges::removal`]).
	pub fn removal_weight() -> Weight {
		charges::removal::<T::WeightInfo>()
	}

	/// Close the promotions due at or before `now`, earliest rebate block first, while `meter`
	/// allows. What does not fit stays at the head of the queue for the next block
	/// ([`Event::ClosingCarried`]); nothing is dropped.
	pub(crate) fn close_due(now: BlockNumberFor<T>, meter: &mut WeightMeter) {
		if meter.try_consume(charges::close_base::<T::WeightInfo>()).is_err() {
			return;
		}
		let per_item = Self::close_one_weight();
		let due = BlockKey::of(now);
		// One iterator for the whole walk: each step asks for the key after the one just removed
		// (`next_key` of the previous key), so the keys removed earlier in the block are never
		// stepped over again (a fresh iterator from the prefix would, and cost O(n²)).
		for key in Promotions::<T>::iter_keys() {
			if key.0 > due {
				return;
			}
			if meter.try_consume(per_item).is_err() {
				Self::deposit_event(Event::ClosingCarried { pay_at: key.0.block() });
				return;
			}
			match Promotions::<T>::take(&key) {
				Some(open) => Self::close(key, open),
				None => {
					// A value that does not decode would stay at the head for good: drop it.
					frame_support::defensive!("an undecodable promotion at the queue's head");
					Promotions::<T>::remove(&key);
				}
			}
		}
	}

	/// Remove the purchase records whose lifetime has ended (recorded at or before
	/// `now - PurchaseLifetime`), earliest first, while `meter` allows.
	pub(crate) fn remove_ended(now: BlockNumberFor<T>, meter: &mut WeightMeter) {
		let Some(last) = now.checked_sub(&T::PurchaseLifetime::get()) else {
			return;
		};
		if meter.try_consume(T::WeightInfo::remove_purchases(0)).is_err() {
			return;
		}
		let per_item = Self::removal_weight();
		let last = BlockKey::of(last);
		// One iterator for the walk, as in `close_due`.
		for (block, index) in Purchases::<T>::iter_keys() {
			if block > last || meter.try_consume(per_item).is_err() {
				return;
			}
			if let Some(record) = Purchases::<T>::take(block, index) {
				// The buyer's latest purchase from the merchant ends with its record; a later
				// purchase's entry stays.
				let ended = block.block::<BlockNumberFor<T>>();
				LastPurchase::<T>::mutate_exists(&record.merchant, &record.buyer, |latest| {
					if *latest == Some(ended) {
						*latest = None;
					}
				});
			}
		}
	}

	/// Whether a purchase recorded at `block` is still live at `now`.
	pub(crate) fn is_live(block: BlockNumberFor<T>, now: BlockNumberFor<T>) -> bool {
		crate::types::record_is_live(block, T::PurchaseLifetime::get(), now)
	}

	/// Close one promotion that has just been removed from the queue: pay its escrowed rebate to
	/// the customer or return it to the merchant, as its condition says. If the escrow can move
	/// to neither (its asset frozen, say), the promotion is held in [`Held`] with its escrow
	/// ([`Event::PayoutHeld`]) for [`Pallet::close_overdue`] to close later: nothing is stranded.
	pub(crate) fn close(key: PromotionKeyOf<T>, open: PromotionOf<T>) {
		if Self::try_close(&key, &open).is_err() {
			let (pay_at, merchant, promotion_id) = key.clone();
			if let Some(rebate) = open.rebate {
				Self::deposit_event(Event::PayoutHeld {
					merchant,
					promotion_id,
					customer: open.customer.clone(),
					referee: open.referee.clone(),
					asset: open.asset.clone(),
					amount: rebate.amount,
					pay_at: pay_at.block(),
				});
			}
			Held::<T>::insert(&key, open);
		}
	}

	/// Close `open` (removed from its queue or from [`Held`]), or, if its escrow can move to
	/// neither the customer nor the merchant (a campaign's: if the escrow account cannot send
	/// the payout), change nothing and fail. A payout the customer cannot receive (blocked in
	/// the asset) goes back to the merchant, or to its campaign's budget
	/// ([`LapseReason::PayoutFailed`]).
	pub(crate) fn try_close(key: &PromotionKeyOf<T>, open: &PromotionOf<T>) -> Result<(), ()> {
		let (pay_at, merchant, promotion_id) = key.clone();
		let pay_at: BlockNumberFor<T> = pay_at.block();
		let Promotion { customer, referee, asset, campaign, .. } = open.clone();
		let Some(outcome) = open.outcome() else {
			// No rebate: nothing of a campaign's was reserved for it.
			Self::deposit_event(Event::PromotionExpired {
				merchant,
				promotion_id,
				customer,
				referee,
				pay_at,
			});
			return Ok(());
		};
		let escrow = Self::escrow_account();
		// The amount is at least the asset's minimum balance, so a new account can take it.
		// Nobody reads why a closing transfer failed: it is not named (no extra reads).
		let pay = |to: &T::AccountId, amount| {
			Self::transfer(&asset, &escrow, to, amount, Preservation::Expendable)
		};
		let (amount, reason) = match outcome {
			Ok(amount) => match pay(&customer, amount) {
				Ok(()) => {
					Self::campaign_closed(campaign, Settled::Paid(amount));
					Self::deposit_event(Event::RebatePaid {
						merchant,
						promotion_id,
						customer,
						referee,
						asset,
						amount,
						pay_at,
						campaign,
					});
					return Ok(());
				}
				Err(_) => (amount, LapseReason::PayoutFailed),
			},
			Err(lapse) => lapse,
		};
		// The asset's owner destroyed it, escrow included: nothing is left to move.
		let destroyed = || !T::Assets::asset_exists(asset.clone());
		// A campaign's rebate goes back to its budget, in the escrow account already: nothing
		// moves. But a payout that failed because the escrow account cannot send (the asset or
		// the escrow frozen) is held like any other, and paid once it can: only a customer that
		// cannot receive sends it back.
		let reason = match reason {
			LapseReason::PayoutFailed if campaign.is_some() && destroyed() => {
				LapseReason::AssetDestroyed
			}
			LapseReason::PayoutFailed
				if campaign.is_some()
					&& T::Assets::can_withdraw(asset.clone(), &escrow, amount)
						.into_result(false)
						.is_err() =>
			{
				return Err(())
			}
			reason => reason,
		};
		let reason = if Self::campaign_closed(campaign, Settled::Lapsed(amount)) {
			reason
		} else {
			match pay(&merchant, amount) {
				Ok(()) => reason,
				Err(_) if destroyed() => LapseReason::AssetDestroyed,
				Err(_) => return Err(()),
			}
		};
		Self::deposit_event(Event::RebateLapsed {
			merchant,
			promotion_id,
			customer,
			referee,
			asset,
			amount,
			pay_at,
			reason,
			campaign,
		});
		Ok(())
	}

	/// Count a promotion of `campaign` closed, its rebate (if any) `settled`: no longer reserved,
	/// and, lapsed, back in the budget. Whether the campaign took it (a promotion with no
	/// campaign, or one whose campaign is gone, which cannot be while it has open promotions,
	/// does not).
	fn campaign_closed(campaign: Option<CampaignId>, settled: Settled<BalanceOf<T>>) -> bool {
		let Some(id) = campaign else { return false };
		Campaigns::<T>::mutate(id, |slot| {
			let Some(c) = slot.as_mut() else {
				frame_support::defensive!("a promotion's campaign closed before it");
				return false;
			};
			c.open_promotions = c.open_promotions.saturating_sub(1);
			match settled {
				Settled::Paid(amount) => c.reserved = c.reserved.saturating_sub(amount),
				Settled::Lapsed(amount) => {
					c.reserved = c.reserved.saturating_sub(amount);
					c.budget = c.budget.saturating_add(amount);
				}
			}
			true
		})
	}
}

/// How a closing promotion's rebate was settled.
#[derive(Clone, Copy)]
enum Settled<Balance> {
	/// Paid to the customer.
	Paid(Balance),
	/// Back to the merchant or its campaign's budget.
	Lapsed(Balance),
}
