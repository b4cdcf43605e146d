//! What the pallet stores: purchase records, open promotions and campaigns.

use crate::{CampaignId, CampaignTerms, PromotionId, PurchaseId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// The promotion a referred purchase belongs to: its id and rebate block (with the merchant, the
/// promotion's key).
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
pub struct PromotionRef<BlockNumber> {
	/// The merchant's promotion id.
	pub promotion_id: PromotionId,
	/// The promotion's rebate block.
	pub pay_at: BlockNumber,
}

/// A purchase recorded on chain (an established first-type transaction), for
/// `PurchaseLifetime` blocks after its block.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PurchaseRecord<AccountId, AssetKind, Balance, BlockNumber> {
	/// The seller.
	pub merchant: AccountId,
	/// The buyer (the customer of a later offer, or the referee of a referred purchase).
	pub buyer: AccountId,
	/// The asset the price was paid in.
	pub asset: AssetKind,
	/// The price paid.
	pub price: Balance,
	/// The promotion this purchase was referred by, if any.
	pub promotion: Option<PromotionRef<BlockNumber>>,
	/// Whether the merchant has refunded it.
	pub refunded: bool,
}

/// Why a purchase record is not the origin purchase an offer names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OriginError {
	/// The record's merchant, buyer, asset or price is not the offer's merchant, customer, asset
	/// and original price.
	Mismatch,
	/// The merchant refunded the purchase.
	Refunded,
}

impl<AccountId: PartialEq, AssetKind: PartialEq, Balance: PartialEq, BlockNumber>
	PurchaseRecord<AccountId, AssetKind, Balance, BlockNumber>
{
	/// Whether this record backs `offer` as its origin purchase: the customer bought from the
	/// offer's merchant, in its asset, at its original price, and was not refunded. The pallet
	/// checks it when the referral is settled; the coordinator before it lists an offer to
	/// anyone (a stranger cannot address an offer to a customer who never bought).
	pub fn check_origin_of<OfferBlock>(
		&self,
		offer: &crate::Offer<AccountId, AssetKind, Balance, OfferBlock>,
	) -> Result<(), OriginError> {
		let matches = self.merchant == offer.merchant
			&& self.buyer == offer.customer
			&& self.asset == offer.asset
			&& self.price == offer.original_price;
		if !matches {
			return Err(OriginError::Mismatch);
		}
		if self.refunded {
			return Err(OriginError::Refunded);
		}
		Ok(())
	}
}

/// The referral side of an open promotion: the settled referred purchase.
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
pub struct SettledReferral<Balance, BlockNumber> {
	/// The referred purchase recorded by `settle_referral`.
	pub purchase_id: PurchaseId<BlockNumber>,
	/// Its price (the offer's discounted price): a campaign's percent rebate is a share of it.
	pub price: Balance,
	/// Whether the merchant refunded it before the rebate block.
	pub refunded: bool,
}

/// The rebate side of an open promotion: the amount in the escrow account.
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
pub struct EscrowedRebate<Balance> {
	/// The amount the escrow account holds for this promotion.
	pub amount: Balance,
	/// When it is paid.
	pub condition: crate::PayoutCondition,
}

/// An open promotion: what reached the chain of one offer and its rebate, until the rebate block
/// (which, with the merchant and the promotion id, is its key).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Promotion<AccountId, AssetKind, Balance, BlockNumber> {
	/// The customer (referrer).
	pub customer: AccountId,
	/// The referee the chains designated.
	pub referee: AccountId,
	/// The asset of the promotion's documents: the referred purchase's price and the escrowed
	/// rebate are in it.
	pub asset: AssetKind,
	/// The settled referred purchase, once `settle_referral` ran.
	pub referral: Option<SettledReferral<Balance, BlockNumber>>,
	/// The escrowed rebate, once `submit_rebate` ran.
	pub rebate: Option<EscrowedRebate<Balance>>,
	/// The campaign both documents name, if any: its open promotions count this one, and its
	/// rebate is reserved from, and a lapsed one goes back to, the campaign's budget.
	pub campaign: Option<CampaignId>,
}

impl<AccountId, AssetKind, Balance: Copy, BlockNumber>
	Promotion<AccountId, AssetKind, Balance, BlockNumber>
{
	/// What closing this promotion does with its escrow, the rebate's payout condition read
	/// against what reached the chain: `Ok(amount)` pays the customer, `Err((amount, reason))`
	/// returns it to the merchant; `None` if no rebate was submitted.
	pub fn outcome(&self) -> Option<Result<Balance, (Balance, LapseReason)>> {
		let rebate = self.rebate.as_ref()?;
		let amount = rebate.amount;
		Some(match (rebate.condition, &self.referral) {
			(crate::PayoutCondition::Unconditional, _) => Ok(amount),
			(crate::PayoutCondition::ReferralSettled, None) => {
				Err((amount, LapseReason::NotSettled))
			}
			(crate::PayoutCondition::ReferralSettled, Some(r)) if r.refunded => {
				Err((amount, LapseReason::Refunded))
			}
			(crate::PayoutCondition::ReferralSettled, Some(_)) => Ok(amount),
		})
	}
}

/// Why an escrowed rebate went back to the merchant.
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
pub enum LapseReason {
	/// The condition was `ReferralSettled` and no referred purchase was settled.
	NotSettled,
	/// The condition was `ReferralSettled` and the merchant refunded the referred purchase before
	/// the rebate block.
	Refunded,
	/// The customer's account could not receive the payout (blocked in the asset, say); the escrow
	/// went back to the merchant rather than staying stranded.
	PayoutFailed,
	/// The asset's owner destroyed the asset (the escrow account's balance in it with it) before
	/// the promotion could close: nothing was left to pay or return.
	AssetDestroyed,
}

/// A merchant's referral program on chain: its budget waits in the escrow account.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Campaign<AccountId, AssetKind, Balance, BlockNumber> {
	/// The merchant that funds it and issues its documents.
	pub merchant: AccountId,
	/// The asset of its budget and of every document issued under it.
	pub asset: AssetKind,
	/// What is left to reserve rebates from.
	pub budget: Balance,
	/// What is reserved for rebates submitted under it and not yet closed.
	pub reserved: Balance,
	/// Its open promotions that hold a reserved rebate (the merchant closes the campaign once
	/// none does).
	pub open_promotions: u32,
	/// How many customers have a rebate count under it ([`crate::CampaignRebates`]): at most
	/// `MaxCampaignCustomers`, so closing it removes a bounded number of entries.
	pub customers: u32,
	/// Its terms.
	pub terms: CampaignTerms<Balance, BlockNumber>,
}
