//! What the CLI prints: a line for people, or JSON for scripts (`--json`).

use pallet_referral_rebate::PromotionOf;
use rebate_client::{chain::embedded::BlockRecord, documents::Inspection, keys, Receipt};
use rebate_test_runtime::{AccountId, Balance, Runtime, UNIT};
use serde::Serialize;

/// The output mode.
pub struct Out {
	/// JSON on stdout instead of lines for people.
	pub json: bool,
}

/// One account's balances.
#[derive(Serialize)]
pub struct BalanceRow {
	pub account: String,
	pub address: String,
	pub free: Balance,
	pub held: Balance,
}

/// An amount in units with 4 decimals, for people.
pub fn units(b: Balance) -> String {
	let whole = b / UNIT;
	let frac = (b % UNIT) / (UNIT / 10_000);
	format!("{whole}.{frac:04}")
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
				println!("  event {e:?}");
			}
		}
	}

	/// Balances at block `now`, and the pallet's escrow account (every open rebate).
	pub fn balances(&self, now: u32, rows: &[BalanceRow], escrow: Balance) {
		if self.json {
			println!("{}", serde_json::json!({ "block": now, "balances": rows, "escrow": escrow }));
			return;
		}
		println!("at block {now}:");
		for r in rows {
			println!("  {:<8} free {:>14}  held {:>10}", r.account, units(r.free), units(r.held));
		}
		println!("  escrow account (open rebates) {:>14}", units(escrow));
	}

	/// A promotion's on-chain state.
	pub fn status(
		&self,
		now: u32,
		merchant: &AccountId,
		pay_at: u32,
		id: u64,
		open: Option<&PromotionOf<Runtime>>,
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
				println!("  rebate {} escrowed, condition {condition}", units(amount))
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
	pub fn history(&self, blocks: &[BlockRecord]) {
		for b in blocks {
			let events: Vec<String> = b.events.iter().map(|e| format!("{:?}", e.event)).collect();
			if self.json {
				println!(
					"{}",
					serde_json::json!({
						"block": b.block.header.number,
						"extrinsics": b.block.extrinsics.len(),
						"events": events,
					})
				);
			} else {
				println!(
					"block {} ({} extrinsics)",
					b.block.header.number,
					b.block.extrinsics.len()
				);
				for e in events {
					println!("  {e}");
				}
			}
		}
	}
}
