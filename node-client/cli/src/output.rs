//! What the CLI prints: a line for people, or JSON for scripts (`--json`).

use pallet_referral_rebate::{Event, PromotionOf};
use rebate_client::{
	assets::{kind_name, AssetInfo},
	chain::HistoryBlock,
	documents::Inspection,
	keys, Receipt,
};
use rebate_test_runtime::{AccountId, AssetKind, Balance, Runtime};
use std::sync::OnceLock;

/// The output mode.
pub struct Out {
	/// JSON on stdout instead of lines for people.
	pub json: bool,
	/// The chain's assets, to show amounts with their symbol and decimals.
	pub assets: OnceLock<Vec<AssetInfo>>,
}

/// One account's balances.
pub struct BalanceRow {
	pub account: String,
	pub address: String,
	/// Held (reserved) native balance.
	pub held: Balance,
	/// Free balance in each asset shown, in order.
	pub assets: Vec<Balance>,
}

impl Out {
	/// Output in this mode.
	pub fn new(json: bool) -> Self {
		Out { json, assets: OnceLock::new() }
	}

	/// The chain's assets, read once it is open.
	pub fn set_assets(&self, assets: Vec<AssetInfo>) {
		let _ = self.assets.set(assets);
	}

	/// `amount` of `asset` for people: with its symbol and decimals where the asset is known,
	/// else in its smallest units and the asset's id.
	pub fn amount(&self, asset: &AssetKind, amount: Balance) -> String {
		match self.assets.get().and_then(|all| all.iter().find(|a| a.asset == *asset)) {
			Some(info) => info.format(amount),
			None => format!("{amount} of asset {}", kind_name(asset)),
		}
	}

	/// A referral-rebate event for people: its amounts with their symbol.
	pub fn event(&self, e: &Event<Runtime>) -> String {
		let who = keys::display_name;
		match e {
			Event::PurchaseRecorded {
				purchase_id,
				merchant,
				buyer,
				asset,
				price,
				promotion_id,
			} => {
				format!(
					"PurchaseRecorded {purchase_id}: {} paid {} to {}{}",
					who(buyer),
					self.amount(asset, *price),
					who(merchant),
					promotion_id.map(|p| format!(" (promotion {p})")).unwrap_or_default()
				)
			}
			Event::ReferralSettled { promotion_id, referee, asset, price, pay_at, .. } => format!(
				"ReferralSettled promotion {promotion_id}: {} bought at {}; rebate block {pay_at}",
				who(referee),
				self.amount(asset, *price)
			),
			Event::RebateScheduled { promotion_id, customer, asset, amount, pay_at, .. } => {
				format!(
				"RebateScheduled promotion {promotion_id}: {} escrowed for {} until block {pay_at}",
				self.amount(asset, *amount),
				who(customer)
			)
			}
			Event::RebatePaid { promotion_id, customer, asset, amount, .. } => format!(
				"RebatePaid promotion {promotion_id}: {} to {}",
				self.amount(asset, *amount),
				who(customer)
			),
			Event::RebateLapsed { promotion_id, merchant, asset, amount, reason, .. } => format!(
				"RebateLapsed promotion {promotion_id}: {} back to {} ({reason:?})",
				self.amount(asset, *amount),
				who(merchant)
			),
			Event::PurchaseRefunded { purchase_id, buyer, asset, amount, .. } => format!(
				"PurchaseRefunded {purchase_id}: {} back to {}",
				self.amount(asset, *amount),
				who(buyer)
			),
			Event::PayoutHeld { promotion_id, asset, amount, .. } => format!(
				"PayoutHeld promotion {promotion_id}: {} held (its asset cannot move)",
				self.amount(asset, *amount)
			),
			Event::CampaignCreated { campaign, merchant, asset, budget } => format!(
				"CampaignCreated campaign {campaign} of {}: {} in escrow",
				rebate_client::keys::display_name(merchant),
				self.amount(asset, *budget)
			),
			Event::CampaignToppedUp { campaign, asset, amount, budget } => format!(
				"CampaignToppedUp campaign {campaign}: +{}, budget {}",
				self.amount(asset, *amount),
				self.amount(asset, *budget)
			),
			Event::CampaignClosed { campaign, merchant, asset, returned } => format!(
				"CampaignClosed campaign {campaign}: {} back to {}",
				self.amount(asset, *returned),
				rebate_client::keys::display_name(merchant)
			),
			other => format!("{other:?}"),
		}
	}
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
	let bar = indicatif::ProgressBar::new(len);
	if let Ok(style) =
		indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what}"))
	{
		bar.set_style(style);
	}
	bar
}

impl Out {
	/// A result: `line` for people, `json` for scripts.
	pub fn value(&self, line: &str, json: serde_json::Value) {
		if self.json {
			println!("{json}");
		} else {
			println!("{line}");
		}
	}

	/// A failure: one line on stderr (and a JSON object on stdout with `--json`).
	pub fn error(&self, code: &str, message: &str) {
		let message = message.replace('\n', " ");
		if self.json {
			println!("{}", serde_json::json!({ "error": { "code": code, "message": message } }));
		}
		eprintln!("error: {message}");
	}

	/// A submitted call's receipt.
	pub fn receipt(&self, what: &str, receipt: &Receipt, mut extra: serde_json::Value) {
		let i = &receipt.inclusion;
		if self.json {
			if let Some(map) = extra.as_object_mut() {
				map.insert("block".into(), i.block_number.into());
				map.insert("block_hash".into(), format!("{:?}", i.block_hash).into());
				map.insert("extrinsic_index".into(), i.index.into());
				map.insert(
					"events".into(),
					receipt
						.rebate_events()
						.iter()
						.map(|e| format!("{e:?}"))
						.collect::<Vec<_>>()
						.into(),
				);
			}
			println!("{extra}");
		} else {
			println!("{what} in block {} (extrinsic {})", i.block_number, i.index);
			for e in receipt.rebate_events() {
				println!("  event {}", self.event(&e));
			}
		}
	}

	/// Balances in `assets` at block `now`, and the pallet's escrow account in each (every open
	/// rebate). JSON: `free` and `escrow` are in the first asset shown (the native token unless
	/// `--asset` named another); `assets` and `escrow_by_asset` map each symbol to its amount.
	pub fn balances(
		&self,
		now: u32,
		assets: &[AssetInfo],
		rows: &[BalanceRow],
		escrow: &[Balance],
	) {
		let by_symbol = |amounts: &[Balance]| -> serde_json::Map<String, serde_json::Value> {
			assets
				.iter()
				.zip(amounts)
				.map(|(a, b)| (a.symbol.clone(), b.to_string().into()))
				.collect()
		};
		if self.json {
			let rows: Vec<_> = rows
				.iter()
				.map(|r| {
					serde_json::json!({
						"account": r.account, "address": r.address, "held": r.held,
						// In the first asset shown.
						"free": r.assets.first().copied().unwrap_or_default(),
						"assets": by_symbol(&r.assets),
					})
				})
				.collect();
			println!(
				"{}",
				serde_json::json!({
					"block": now,
					"asset": assets.first(),
					"assets": assets,
					"balances": rows,
					"escrow": escrow.first().copied().unwrap_or_default(),
					"escrow_by_asset": by_symbol(escrow),
				})
			);
			return;
		}
		println!("at block {now}:");
		for r in rows {
			let amounts: Vec<String> = assets
				.iter()
				.zip(&r.assets)
				.map(|(a, b)| format!("{:>22}", a.format(*b)))
				.collect();
			println!("  {:<8} {}", r.account, amounts.join("  "));
		}
		let escrow: Vec<String> = assets.iter().zip(escrow).map(|(a, b)| a.format(*b)).collect();
		println!("  escrow account (open rebates): {}", escrow.join(", "));
	}

	/// A promotion's on-chain state.
	pub fn status(
		&self,
		now: u32,
		merchant: &AccountId,
		pay_at: u32,
		id: u64,
		open: Option<&PromotionOf<Runtime>>,
		asset: Option<&AssetInfo>,
	) {
		let Some(p) = open else {
			self.value(
				&format!(
					"promotion {id} of {} is not open at block {now} (never opened, or closed at its rebate block)",
					keys::display_name(merchant)
				),
				serde_json::json!({ "block": now, "open": false }),
			);
			return;
		};
		let settled = p.referral.as_ref().map(|r| (r.purchase_id, r.refunded));
		let rebate = p.rebate.as_ref().map(|r| (r.amount, format!("{:?}", r.condition)));
		if self.json {
			println!(
				"{}",
				serde_json::json!({
					"block": now, "open": true, "customer": keys::ss58(&p.customer),
					"referee": keys::ss58(&p.referee), "pay_at": pay_at,
					"asset": asset,
					"referral": settled.map(|(id, refunded)| serde_json::json!({"purchase_id": id.to_string(), "refunded": refunded})),
					"rebate": rebate.as_ref().map(|(a, c)| serde_json::json!({"amount": a, "condition": c})),
				})
			);
			return;
		}
		println!("promotion {id} of {} at block {now}:", keys::display_name(merchant));
		println!(
			"  customer {}  referee {}",
			keys::display_name(&p.customer),
			keys::display_name(&p.referee)
		);
		match settled {
			Some((pid, refunded)) => println!(
				"  referral settled as purchase {pid}{}",
				if refunded { " (refunded)" } else { "" }
			),
			None => println!("  referral not settled"),
		}
		match rebate {
			Some((amount, condition)) => {
				println!(
					"  rebate {} escrowed, condition {condition}",
					self.amount(&p.asset, amount)
				)
			}
			None => println!("  rebate not submitted"),
		}
		println!("  closes at block {pay_at} ({} blocks left)", pay_at.saturating_sub(now));
	}

	/// A document inspection.
	pub fn inspection(&self, i: &Inspection) {
		if self.json {
			println!("{}", serde_json::to_string(i).unwrap_or_default());
		} else {
			println!("{i}");
		}
	}

	/// Block history.
	pub fn history(&self, blocks: &[HistoryBlock]) {
		for b in blocks {
			let events: Vec<String> = b
				.events
				.iter()
				.map(|e| match e.rebate() {
					Some(r) => self.event(r),
					None => e.to_string(),
				})
				.collect();
			if self.json {
				println!(
					"{}",
					serde_json::json!({
						"block": b.number,
						"extrinsics": b.extrinsics,
						"events": events,
					})
				);
			} else {
				println!("block {} ({} extrinsics)", b.number, b.extrinsics);
				for e in events {
					println!("  {e}");
				}
			}
		}
	}
}
