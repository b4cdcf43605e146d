//! A campaign's report, from chain state and the chain's events: what was funded, reserved,
//! paid, lapsed back to the budget and returned to the merchant, and the referrals by stage,
//! per customer. Works against any chain the client reads (the embedded one, or a node).

use crate::{
	chain::{state, AnyChain},
	ClientError,
};
use pallet_referral_rebate::{CampaignId, Event};
use rebate_test_runtime::{AccountId, AssetKind, Balance};
use std::collections::BTreeMap;

/// One customer's part of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CustomerLine {
	/// Referrals of the customer's settled on chain.
	pub settled: u32,
	/// Rebates submitted (the customer's and the referee's signatures complete): reserved.
	pub accepted: u32,
	/// Rebates paid, and their sum.
	pub paid: u32,
	pub paid_amount: Balance,
	/// Rebates lapsed back to the budget, and their sum.
	pub lapsed: u32,
	pub lapsed_amount: Balance,
}

/// [`campaign`]'s answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CampaignReport {
	pub campaign: CampaignId,
	/// Whether the campaign is open now.
	pub open: bool,
	/// Its merchant and asset (from its creation, or its state).
	pub merchant: Option<AccountId>,
	pub asset: Option<AssetKind>,
	/// Moved into the escrow account: the budget at creation and every top-up.
	pub funded: Balance,
	/// What is left to reserve from (`0` once closed).
	pub budget: Balance,
	/// Reserved for rebates submitted and not yet closed.
	pub reserved: Balance,
	/// Paid to customers.
	pub paid: Balance,
	/// Rebates that lapsed (back into the budget).
	pub lapsed: Balance,
	/// Returned to the merchant when the campaign closed.
	pub refunded: Balance,
	/// Referrals settled on chain, rebates submitted, rebates paid.
	pub settled: u32,
	pub accepted: u32,
	pub paid_count: u32,
	pub lapsed_count: u32,
	/// By customer.
	pub customers: BTreeMap<AccountId, CustomerLine>,
}

impl CampaignReport {
	/// Whether the money adds up: `funded = budget + reserved + paid + refunded` (a lapsed
	/// rebate is back in the budget).
	pub fn balances(&self) -> bool {
		self.budget
			.checked_add(self.reserved)
			.and_then(|s| s.checked_add(self.paid))
			.and_then(|s| s.checked_add(self.refunded))
			== Some(self.funded)
	}
}

/// The report of campaign `id` from block `from` on (the campaign's creation block or earlier,
/// for the whole campaign): its events, and its state now.
pub async fn campaign(
	chain: &mut AnyChain,
	id: CampaignId,
	from: u32,
) -> Result<CampaignReport, ClientError> {
	let mut r = CampaignReport { campaign: id, ..CampaignReport::default() };
	for block in chain.history(from).await? {
		for event in &block.events {
			if let Some(e) = event.rebate() {
				take(&mut r, e);
			}
		}
	}
	if let Some(c) = state::campaign(chain, id).await? {
		r.open = true;
		r.budget = c.budget;
		r.reserved = c.reserved;
		r.merchant = Some(c.merchant);
		r.asset = Some(c.asset);
	}
	Ok(r)
}

/// Count one event into the report.
fn take(r: &mut CampaignReport, e: &Event<rebate_test_runtime::Runtime>) {
	let id = r.campaign;
	match e {
		Event::CampaignCreated { campaign, merchant, asset, budget } if *campaign == id => {
			r.funded = r.funded.saturating_add(*budget);
			r.merchant = Some(merchant.clone());
			r.asset = Some(asset.clone());
		}
		Event::CampaignToppedUp { campaign, amount, .. } if *campaign == id => {
			r.funded = r.funded.saturating_add(*amount);
		}
		Event::CampaignClosed { campaign, returned, .. } if *campaign == id => {
			r.refunded = r.refunded.saturating_add(*returned);
		}
		Event::ReferralSettled { campaign: Some(c), customer, .. } if *c == id => {
			r.settled += 1;
			r.customers.entry(customer.clone()).or_default().settled += 1;
		}
		Event::RebateScheduled { campaign: Some(c), customer, .. } if *c == id => {
			r.accepted += 1;
			r.customers.entry(customer.clone()).or_default().accepted += 1;
		}
		Event::RebatePaid { campaign: Some(c), customer, amount, .. } if *c == id => {
			r.paid = r.paid.saturating_add(*amount);
			r.paid_count += 1;
			let line = r.customers.entry(customer.clone()).or_default();
			line.paid += 1;
			line.paid_amount = line.paid_amount.saturating_add(*amount);
		}
		Event::RebateLapsed { campaign: Some(c), customer, amount, .. } if *c == id => {
			r.lapsed = r.lapsed.saturating_add(*amount);
			r.lapsed_count += 1;
			let line = r.customers.entry(customer.clone()).or_default();
			line.lapsed += 1;
			line.lapsed_amount = line.lapsed_amount.saturating_add(*amount);
		}
		_ => {}
	}
}
