//! The merchant server's progress on disk (SQLite, one file): the last block it has fully read,
//! and every promotion it issued or purchase it skipped, written in one transaction per block.
//! Signed documents are stored before they are delivered, so a server killed at any point and
//! restarted delivers the same documents again (the coordinator takes a repeat as a
//! confirmation) and never issues a second offer for a purchase.

use rebate_client::{documents::Envelope, ClientError, Ineligible, PurchaseId};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// What a server stored for one issued promotion.
#[derive(Clone, Debug)]
pub struct Issued {
	pub purchase: PurchaseId,
	pub promotion_id: u64,
	pub campaign: u32,
	pub customer: String,
	pub settle_by: u32,
	pub pay_at: u32,
	pub offer: Envelope,
	pub rebate: Envelope,
}

/// Where a promotion the server issued stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
	/// Signed and stored, not yet delivered.
	Signed,
	/// Delivered to the customer through the coordinator.
	Delivered,
	/// Its referral settled on chain.
	Settled,
	/// Its settle-by block passed unsettled.
	Expired,
}

impl Stage {
	fn code(self) -> i64 {
		match self {
			Stage::Signed => 0,
			Stage::Delivered => 1,
			Stage::Settled => 2,
			Stage::Expired => 3,
		}
	}
}

/// A block's outcome, written at once with the cursor.
#[derive(Default)]
pub struct BlockOutcome {
	pub issued: Vec<Issued>,
	pub skipped: Vec<(PurchaseId, Option<u32>, Ineligible)>,
}

/// The progress file.
pub struct Progress {
	db: Connection,
}

fn db_err(e: rusqlite::Error) -> ClientError {
	ClientError::Backend(format!("the merchant server's progress file: {e}"))
}

fn json_err(e: serde_json::Error) -> ClientError {
	ClientError::Backend(format!("a stored document does not read back: {e}"))
}

impl Progress {
	/// Open (or create) the progress file at `path`.
	pub fn open(path: &Path) -> Result<Self, ClientError> {
		let db = Connection::open(path).map_err(db_err)?;
		db.execute_batch(
			"PRAGMA journal_mode = WAL;
			 PRAGMA synchronous = FULL;
			 CREATE TABLE IF NOT EXISTS cursor (
				id INTEGER PRIMARY KEY CHECK (id = 0),
				block INTEGER NOT NULL
			 );
			 CREATE TABLE IF NOT EXISTS issued (
				purchase TEXT PRIMARY KEY,
				promotion_id INTEGER NOT NULL,
				campaign INTEGER NOT NULL,
				customer TEXT NOT NULL,
				settle_by INTEGER NOT NULL,
				pay_at INTEGER NOT NULL,
				offer TEXT NOT NULL,
				rebate TEXT NOT NULL,
				stage INTEGER NOT NULL
			 );
			 CREATE TABLE IF NOT EXISTS skipped (
				purchase TEXT PRIMARY KEY,
				campaign INTEGER,
				reason TEXT NOT NULL
			 );",
		)
		.map_err(db_err)?;
		Ok(Progress { db })
	}

	/// The last block fully read (0: none).
	pub fn cursor(&self) -> Result<u32, ClientError> {
		Ok(self.started()?.unwrap_or(0))
	}

	/// The last block fully read, `None` before the first round recorded one.
	pub fn started(&self) -> Result<Option<u32>, ClientError> {
		self.db
			.query_row("SELECT block FROM cursor WHERE id = 0", [], |r| r.get(0))
			.optional()
			.map_err(db_err)
	}

	/// Record block `block` read, with what it gave, in one transaction.
	pub fn record_block(&mut self, block: u32, outcome: &BlockOutcome) -> Result<(), ClientError> {
		let tx = self.db.transaction().map_err(db_err)?;
		for i in &outcome.issued {
			tx.execute(
				"INSERT OR IGNORE INTO issued
				 (purchase, promotion_id, campaign, customer, settle_by, pay_at, offer, rebate, stage)
				 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				params![
					i.purchase.to_string(),
					i.promotion_id as i64,
					i.campaign,
					i.customer,
					i.settle_by,
					i.pay_at,
					serde_json::to_string(&i.offer).map_err(json_err)?,
					serde_json::to_string(&i.rebate).map_err(json_err)?,
					Stage::Signed.code(),
				],
			)
			.map_err(db_err)?;
		}
		for (purchase, campaign, reason) in &outcome.skipped {
			tx.execute(
				"INSERT OR REPLACE INTO skipped (purchase, campaign, reason) VALUES (?1, ?2, ?3)",
				params![purchase.to_string(), campaign, reason.to_string()],
			)
			.map_err(db_err)?;
		}
		tx.execute(
			"INSERT INTO cursor (id, block) VALUES (0, ?1)
			 ON CONFLICT (id) DO UPDATE SET block = excluded.block",
			params![block],
		)
		.map_err(db_err)?;
		tx.commit().map_err(db_err)
	}

	/// Whether `purchase` has a promotion issued already.
	pub fn has_issued(&self, purchase: PurchaseId) -> Result<bool, ClientError> {
		self.db
			.query_row(
				"SELECT 1 FROM issued WHERE purchase = ?1",
				params![purchase.to_string()],
				|_| Ok(()),
			)
			.optional()
			.map(|r| r.is_some())
			.map_err(db_err)
	}

	/// How many promotions of campaign `campaign` this server issued to `customer` that still
	/// count (not expired unsettled).
	pub fn issued_to(&self, campaign: u32, customer: &str) -> Result<u32, ClientError> {
		self.db
			.query_row(
				"SELECT COUNT(*) FROM issued WHERE campaign = ?1 AND customer = ?2 AND stage != ?3",
				params![campaign, customer, Stage::Expired.code()],
				|r| r.get(0),
			)
			.map_err(db_err)
	}

	/// The promotions at `stage`.
	pub fn at(&self, stage: Stage) -> Result<Vec<Issued>, ClientError> {
		self.select("stage = ?1", params![stage.code()])
	}

	/// The delivered promotion `promotion_id`, if there is one.
	pub fn delivered(&self, promotion_id: u64) -> Result<Option<Issued>, ClientError> {
		let found = self.select(
			"stage = ?1 AND promotion_id = ?2",
			params![Stage::Delivered.code(), promotion_id as i64],
		)?;
		Ok(found.into_iter().next())
	}

	/// The promotions signed or delivered, not settled, whose settle-by block is `block` or
	/// earlier.
	pub fn due(&self, block: u32) -> Result<Vec<Issued>, ClientError> {
		self.select(
			"stage IN (?1, ?2) AND settle_by <= ?3",
			params![Stage::Signed.code(), Stage::Delivered.code(), block],
		)
	}

	fn select(
		&self,
		filter: &str,
		values: &[&dyn rusqlite::ToSql],
	) -> Result<Vec<Issued>, ClientError> {
		let mut q = self
			.db
			.prepare(&format!(
				"SELECT purchase, promotion_id, campaign, customer, settle_by, pay_at, offer, rebate
				 FROM issued WHERE {filter} ORDER BY promotion_id"
			))
			.map_err(db_err)?;
		let rows = q
			.query_map(values, |r| {
				Ok((
					r.get::<_, String>(0)?,
					r.get::<_, i64>(1)?,
					r.get::<_, u32>(2)?,
					r.get::<_, String>(3)?,
					r.get::<_, u32>(4)?,
					r.get::<_, u32>(5)?,
					r.get::<_, String>(6)?,
					r.get::<_, String>(7)?,
				))
			})
			.map_err(db_err)?;
		let mut out = Vec::new();
		for row in rows {
			let (purchase, id, campaign, customer, settle_by, pay_at, offer, rebate) =
				row.map_err(db_err)?;
			out.push(Issued {
				purchase: purchase.parse().map_err(|e: &str| {
					ClientError::Backend(format!("a stored purchase id: {e}"))
				})?,
				promotion_id: id as u64,
				campaign,
				customer,
				settle_by,
				pay_at,
				offer: serde_json::from_str(&offer).map_err(json_err)?,
				rebate: serde_json::from_str(&rebate).map_err(json_err)?,
			});
		}
		Ok(out)
	}

	/// Move the promotions of `purchases` to `stage`, in one transaction.
	pub fn set_stages(
		&mut self,
		purchases: &[PurchaseId],
		stage: Stage,
	) -> Result<(), ClientError> {
		let tx = self.db.transaction().map_err(db_err)?;
		for purchase in purchases {
			tx.execute(
				"UPDATE issued SET stage = ?2 WHERE purchase = ?1",
				params![purchase.to_string(), stage.code()],
			)
			.map_err(db_err)?;
		}
		tx.commit().map_err(db_err)
	}

	/// How many promotions this server issued under campaign `campaign`, and how many purchases it
	/// skipped with that campaign's reason.
	pub fn issued_under(&self, campaign: u32) -> Result<(u64, u64), ClientError> {
		let count = |sql: &str| -> Result<u64, ClientError> {
			self.db
				.query_row(sql, params![campaign], |r| r.get::<_, i64>(0))
				.map(|n| n as u64)
				.map_err(db_err)
		};
		Ok((
			count("SELECT COUNT(*) FROM issued WHERE campaign = ?1")?,
			count("SELECT COUNT(*) FROM skipped WHERE campaign = ?1")?,
		))
	}

	/// How many promotions are at each stage, and how many purchases were skipped.
	pub fn counts(&self) -> Result<Counts, ClientError> {
		let at = |stage: Stage| -> Result<u64, ClientError> {
			self.db
				.query_row(
					"SELECT COUNT(*) FROM issued WHERE stage = ?1",
					params![stage.code()],
					|r| r.get::<_, i64>(0),
				)
				.map(|n| n as u64)
				.map_err(db_err)
		};
		let skipped = self
			.db
			.query_row("SELECT COUNT(*) FROM skipped", [], |r| r.get::<_, i64>(0))
			.map(|n| n as u64)
			.map_err(db_err)?;
		Ok(Counts {
			signed: at(Stage::Signed)?,
			delivered: at(Stage::Delivered)?,
			settled: at(Stage::Settled)?,
			expired: at(Stage::Expired)?,
			skipped,
		})
	}
}

impl Progress {
	/// How many purchases were skipped, by reason.
	pub fn skipped_by_reason(
		&self,
	) -> Result<std::collections::BTreeMap<String, u64>, ClientError> {
		let mut q = self
			.db
			.prepare("SELECT reason, COUNT(*) FROM skipped GROUP BY reason")
			.map_err(db_err)?;
		let rows = q
			.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))
			.map_err(db_err)?;
		rows.collect::<Result<_, _>>().map_err(db_err)
	}
}

/// [`Progress::counts`].
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Counts {
	pub signed: u64,
	pub delivered: u64,
	pub settled: u64,
	pub expired: u64,
	pub skipped: u64,
}
