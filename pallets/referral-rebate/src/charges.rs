//! What each call and the hook are charged, from any [`WeightInfo`]: the pallet charges these with
//! its `Config::WeightInfo`, and a runtime's tools can compute the same figures under another
//! database weight (the test runtime's comparisons do).

use crate::{Path, WeightInfo};
use frame_support::{
	traits::{fungible::NativeOrWithId, Contains},
	weights::Weight,
};

/// Which of the benchmarks' two asset paths a call takes: the native token's (`a = 0`) or
/// another asset's (`a = 1`). A call that does not name its asset (a refund, a closing) is
/// charged the costlier ([`costlier`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AssetPath {
	/// An asset of `Config::NativeAsset`.
	Native,
	/// Any other asset.
	Other,
}

impl AssetPath {
	/// The weight of a call benchmarked with component `a` on this path.
	fn of(self, weight: impl Fn(u32) -> Weight) -> Weight {
		match self {
			AssetPath::Native => weight(0),
			AssetPath::Other => weight(1),
		}
	}
}

/// The costlier of a call's two asset paths: for a call whose asset is not known when its
/// weight is charged.
fn costlier(weight: impl Fn(u32) -> Weight) -> Weight {
	weight(0).max(weight(1))
}

/// `Config::NativeAsset` for `NativeOrWithId` asset kinds (as `fungible::UnionOf` takes them): the
/// `Native` variant.
pub struct NativeOfUnion;

impl<AssetId: Ord> Contains<NativeOrWithId<AssetId>> for NativeOfUnion {
	fn contains(asset: &NativeOrWithId<AssetId>) -> bool {
		matches!(asset, NativeOrWithId::Native)
	}
}

/// Verifying one link: the costliest of the schemes a `MultiSignature` may carry.
pub fn link<W: WeightInfo>() -> Weight {
	W::verify_sr25519().max(W::verify_ed25519()).max(W::verify_ecdsa()).max(W::verify_eth())
}

/// What `links` links cost beyond the sr25519 links the call benchmarks sign.
fn link_surcharge<W: WeightInfo>(links: u64) -> Weight {
	link::<W>().saturating_sub(W::verify_sr25519()).saturating_mul(links)
}

/// The hook's cost of closing one more promotion: the costliest of a payout, a payout that
/// fails and goes back to the merchant, and a campaign's payout (its campaign written too).
pub fn close_one<W: WeightInfo>() -> Weight {
	let paid = W::close_promotions(1).saturating_sub(W::close_promotions(0));
	let returned =
		W::close_promotions_returning(1).saturating_sub(W::close_promotions_returning(0));
	let campaign = W::close_promotions_campaign(1).saturating_sub(W::close_promotions_campaign(0));
	paid.max(returned).max(campaign)
}

/// The hook's fixed cost of closing, at the costliest path.
pub fn close_base<W: WeightInfo>() -> Weight {
	W::close_promotions(0)
		.max(W::close_promotions_returning(0))
		.max(W::close_promotions_campaign(0))
}

/// The hook's cost of removing one more purchase record: part of the weight of every call that
/// records a purchase, which so pays for its record's end.
pub fn removal<W: WeightInfo>() -> Weight {
	W::remove_purchases(1).saturating_sub(W::remove_purchases(0))
}

/// `purchase` on `asset`'s path, with the later removal of the record it writes.
pub fn purchase<W: WeightInfo>(asset: AssetPath) -> Weight {
	asset.of(W::purchase).saturating_add(removal::<W>())
}

/// `refund`: its purchase's asset is not known until the record is read, so the costlier path.
pub fn refund<W: WeightInfo>() -> Weight {
	costlier(W::refund)
}

/// `close_overdue`: the promotion's asset is not known until it is read, so the costlier path;
/// and at least what the hook charges to close one promotion (an open campaign promotion's
/// closing writes its campaign too, which the held-promotion benchmark does not).
pub fn close_overdue<W: WeightInfo>() -> Weight {
	costlier(W::close_overdue).max(close_base::<W>().saturating_add(close_one::<W>()))
}

/// The benchmarked weight of the path taken (`None`: the costlier, charged up front). The
/// opening path also pays for the promotion's closing by the hook: the promotion outlives the
/// call that writes it.
fn on_path<W: WeightInfo>(path: Option<Path>, open: Weight, join: Weight) -> Weight {
	let open = open.saturating_add(close_one::<W>());
	match path {
		Some(Path::Open) => open,
		Some(Path::Join) => join,
		None => open.max(join),
	}
}

/// Whether a settle or submit names a campaign: the benchmarks' component `c`.
fn campaign_component(campaign: bool) -> u32 {
	u32::from(campaign)
}

/// `settle_referral` on `path` (`None`: the costlier path, charged up front), on `asset`'s
/// path and with or without a `campaign`: its five links at the costliest scheme, the later
/// removal of the purchase record it writes, and (opening the promotion) its closing.
pub fn settle<W: WeightInfo>(path: Option<Path>, asset: AssetPath, campaign: bool) -> Weight {
	let c = campaign_component(campaign);
	let (open, join) = (|a| W::settle_referral(0, a, c), |a| W::settle_referral(1, a, c));
	on_path::<W>(path, asset.of(open), asset.of(join))
		.saturating_add(link_surcharge::<W>(5))
		.saturating_add(removal::<W>())
}

/// `submit_rebate` on `path` (`None`: the costlier), on `asset`'s path and with or without a
/// `campaign`: its three links at the costliest scheme, and (opening the promotion) its closing.
pub fn submit<W: WeightInfo>(path: Option<Path>, asset: AssetPath, campaign: bool) -> Weight {
	let c = campaign_component(campaign);
	let (open, join) = (|a| W::submit_rebate(0, a, c), |a| W::submit_rebate(1, a, c));
	on_path::<W>(path, asset.of(open), asset.of(join)).saturating_add(link_surcharge::<W>(3))
}

/// A settle or submit refused before its effects: the checks before the signatures at their
/// costliest, and the `verified` signature checks it made.
pub fn refusal<W: WeightInfo>(verified: u32) -> Weight {
	W::refused().saturating_add(link::<W>().saturating_mul(verified.into()))
}

/// `create_campaign` on its asset's path.
pub fn create_campaign<W: WeightInfo>(asset: AssetPath) -> Weight {
	asset.of(W::create_campaign)
}

/// `top_up_campaign`: the campaign's asset is not known until it is read, so the costlier path.
pub fn top_up_campaign<W: WeightInfo>() -> Weight {
	costlier(W::top_up_campaign)
}

/// `close_campaign` of a campaign with `customers` rebate counts to remove: the campaign's
/// asset is not known until it is read, so the costlier path.
pub fn close_campaign<W: WeightInfo>(customers: u32) -> Weight {
	costlier(|a| W::close_campaign(a, customers))
}
