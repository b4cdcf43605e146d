//! The writer: every change to the database goes through it. It takes every request waiting at
//! that moment, applies them in one transaction, commits (group commit), and only then answers
//! each: nothing is acknowledged before it is durable.
//!
//! The rules are written once ([`apply`]) over a [`Backend`]: PostgreSQL's is a sqlx transaction
//! driven by a task of the service's runtime; SQLite's is one rusqlite connection owned by a
//! thread of its own, so a batch runs as plain function calls on prepared statements instead of
//! one round trip to sqlx's SQLite worker thread per statement (the writer is serial: its time per
//! request bounds the service's throughput and sets its latency under load).

use crate::model::{Limits, NonceClaim, Outcome, StoredDocument, Write};
use sqlx::AnyPool;
use std::path::Path;
use tokio::sync::{mpsc, oneshot};

/// Every SQLite connection's settings, the writer's and the pool's: WAL, every commit synced
/// before it returns, and checkpoints left to the checkpoint task (not the commit that happens to
/// cross the WAL's size threshold).
pub(crate) const SQLITE_PRAGMAS: [&str; 4] = [
	"PRAGMA journal_mode = WAL",
	"PRAGMA synchronous = FULL",
	"PRAGMA busy_timeout = 5000",
	"PRAGMA wal_autocheckpoint = 0",
];

/// How many waiting requests one transaction commits at most.
pub(crate) const MAX_BATCH: usize = 512;

/// A request for the writer and where its answer goes.
pub(crate) type Job = (Write, oneshot::Sender<Result<Outcome, String>>);

/// Claim a nonce; nothing happens if it was claimed before.
const CLAIM_NONCE: &str = "INSERT INTO request_nonces (expires_ms, account, nonce)
	 VALUES ($1, $2, $3) ON CONFLICT (expires_ms, account, nonce) DO NOTHING";
/// Store a new document unless one is stored under its key.
const INSERT_DOCUMENT: &str = concat!(
	"INSERT INTO documents (",
	columns!(),
	", updated_ms)
	 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
	 ON CONFLICT (merchant, promotion, pay_at, kind) DO NOTHING"
);
/// Replace a stored document if it is still the version the request was checked against (by its
/// content's digest, not only its link count: nothing acknowledged is overwritten unseen).
const UPDATE_DOCUMENT: &str =
	"UPDATE documents SET links = $1, referee = $2, next_signer = $3, complete = $4,
	   sender = $5, body = $6, digest = $7, updated_ms = $8
	 WHERE merchant = $9 AND promotion = $10 AND pay_at = $11 AND kind = $12 AND digest = $13";
/// The documents an account created that are stored.
const COUNT_CREATED: &str = "SELECT COUNT(*) FROM documents WHERE creator = $1";
/// The documents a sender posted that wait for a recipient (deadline not passed), but the one
/// being written.
const COUNT_OPEN: &str = "SELECT COUNT(*) FROM documents
	 WHERE next_signer = $1 AND sender = $2 AND deadline > $3
	   AND NOT (merchant = $4 AND promotion = $5 AND pay_at = $6 AND kind = $7)";
/// Take back a document this transaction just inserted (it was over a limit).
const DELETE_DOCUMENT: &str =
	"DELETE FROM documents WHERE merchant = $1 AND promotion = $2 AND pay_at = $3 AND kind = $4";
/// Mute a sender (nothing happens if it is muted already).
const MUTE: &str =
	"INSERT INTO mutes (account, muted) VALUES ($1, $2) ON CONFLICT (account, muted) DO NOTHING";
/// Unmute a sender.
const UNMUTE: &str = "DELETE FROM mutes WHERE account = $1 AND muted = $2";
/// Forget the documents of promotions whose rebate block is before a block (retention).
const FORGET: &str = "DELETE FROM documents WHERE pay_at < $1";
/// Forget the nonces whose window has closed (a range at the start of the key order).
const SWEEP_NONCES: &str = "DELETE FROM request_nonces WHERE expires_ms < $1";

/// Why a batch was not committed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
	#[error(transparent)]
	Sqlx(#[from] sqlx::Error),
	#[error(transparent)]
	Sqlite(#[from] rusqlite::Error),
	#[error("the writer has no open transaction")]
	NoTransaction,
}

/// A statement parameter, bound the same way by both backends.
pub(crate) enum Param<'a> {
	Int(i64),
	Text(&'a str),
	MaybeText(Option<&'a str>),
}

/// One database connection's view of a batch: a transaction and the statements in it. The
/// statements and their parameters are defined once, by the provided methods.
pub(crate) trait Backend {
	/// Open a transaction (dropping one a failed batch left open).
	async fn begin(&mut self) -> Result<(), WriteError>;
	/// Run `sql` with `params` (`$1`, `$2`, … in order) in the transaction: the rows it changed.
	async fn execute(&mut self, sql: &'static str, params: &[Param<'_>])
		-> Result<u64, WriteError>;
	/// Run the counting query `sql` with `params` in the transaction: its count.
	async fn count(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<i64, WriteError>;
	/// Commit the transaction (durably: SQLite `synchronous = FULL`, PostgreSQL's default).
	async fn commit(&mut self) -> Result<(), WriteError>;
	/// Roll back a transaction a failed batch left open, releasing its locks now rather than at
	/// the next batch.
	async fn rollback(&mut self);

	/// Claim `c`'s nonce: `false` if it was claimed before.
	async fn claim(&mut self, c: &NonceClaim) -> Result<bool, WriteError> {
		let params =
			[Param::Int(c.expires_ms as i64), Param::Text(&c.account), Param::Text(&c.nonce)];
		Ok(self.execute(CLAIM_NONCE, &params).await? == 1)
	}

	/// Store `d` unless a document is stored under its key: whether it was stored.
	async fn insert(&mut self, d: &StoredDocument, now_ms: i64) -> Result<bool, WriteError> {
		let params = [
			Param::Text(&d.key.merchant),
			Param::Int(d.key.promotion as i64),
			Param::Int(d.key.pay_at as i64),
			Param::Text(d.key.kind.as_str()),
			Param::Int(d.links as i64),
			Param::Text(&d.customer),
			Param::MaybeText(d.referee.as_deref()),
			Param::MaybeText(d.next_signer.as_deref()),
			Param::Int(d.complete as i64),
			Param::Text(&d.creator),
			Param::Text(&d.sender),
			Param::Int(d.deadline as i64),
			Param::Text(&d.body),
			Param::Text(&d.digest),
			Param::Int(now_ms),
		];
		Ok(self.execute(INSERT_DOCUMENT, &params).await? == 1)
	}

	/// Replace the stored document by `d` if the stored one has digest `replaces`: whether it
	/// was replaced.
	async fn update(
		&mut self,
		d: &StoredDocument,
		replaces: &str,
		now_ms: i64,
	) -> Result<bool, WriteError> {
		let params = [
			Param::Int(d.links as i64),
			Param::MaybeText(d.referee.as_deref()),
			Param::MaybeText(d.next_signer.as_deref()),
			Param::Int(d.complete as i64),
			Param::Text(&d.sender),
			Param::Text(&d.body),
			Param::Text(&d.digest),
			Param::Int(now_ms),
			Param::Text(&d.key.merchant),
			Param::Int(d.key.promotion as i64),
			Param::Int(d.key.pay_at as i64),
			Param::Text(d.key.kind.as_str()),
			Param::Text(replaces),
		];
		Ok(self.execute(UPDATE_DOCUMENT, &params).await? == 1)
	}

	/// Whether `d` is within `limits` (`inserted`: `d` is stored already, by this
	/// transaction): `None` if so, else the outcome that refuses it.
	async fn over(
		&mut self,
		d: &StoredDocument,
		l: &Limits,
		inserted: bool,
	) -> Result<Option<Outcome>, WriteError> {
		if let Some(quota) = l.quota {
			let stored = self.count(COUNT_CREATED, &[Param::Text(&l.sender)]).await?;
			if stored > quota as i64 - i64::from(inserted) {
				return Ok(Some(Outcome::OverQuota));
			}
		}
		if let Some(recipient) = &l.recipient {
			let params = [
				Param::Text(recipient),
				Param::Text(&l.sender),
				Param::Int(l.best as i64),
				Param::Text(&d.key.merchant),
				Param::Int(d.key.promotion as i64),
				Param::Int(d.key.pay_at as i64),
				Param::Text(d.key.kind.as_str()),
			];
			if self.count(COUNT_OPEN, &params).await? >= l.open_per_recipient as i64 {
				return Ok(Some(Outcome::OverLimit));
			}
		}
		Ok(None)
	}

	/// Delete the document under `d`'s key.
	async fn delete(&mut self, d: &StoredDocument) -> Result<(), WriteError> {
		let params = [
			Param::Text(&d.key.merchant),
			Param::Int(d.key.promotion as i64),
			Param::Int(d.key.pay_at as i64),
			Param::Text(d.key.kind.as_str()),
		];
		self.execute(DELETE_DOCUMENT, &params).await.map(|_| ())
	}

	/// `account` mutes (`on`) or unmutes `muted`.
	async fn mute(&mut self, account: &str, muted: &str, on: bool) -> Result<(), WriteError> {
		let sql = if on { MUTE } else { UNMUTE };
		self.execute(sql, &[Param::Text(account), Param::Text(muted)]).await.map(|_| ())
	}

	/// Delete the documents of promotions whose rebate block is before block `before`.
	async fn forget(&mut self, before: u32) -> Result<(), WriteError> {
		self.execute(FORGET, &[Param::Int(before as i64)]).await.map(|_| ())
	}

	/// Delete the nonces that expired before `now_ms`.
	async fn sweep(&mut self, now_ms: i64) -> Result<(), WriteError> {
		self.execute(SWEEP_NONCES, &[Param::Int(now_ms)]).await.map(|_| ())
	}
}

/// Apply `batch` in one transaction: each request's outcome, in order.
async fn apply<B: Backend>(db: &mut B, batch: &[Job]) -> Result<Vec<Outcome>, WriteError> {
	db.begin().await?;
	let mut outcomes = Vec::with_capacity(batch.len());
	for (write, _) in batch {
		if let Some(claim) = write.claim() {
			// A nonce is remembered until its window closes; past that it could be claimed
			// again, so a request that reaches the writer after its window is refused.
			if claim.expires_ms <= crate::auth::now_ms() {
				outcomes.push(Outcome::Expired);
				continue;
			}
			if !db.claim(claim).await? {
				outcomes.push(Outcome::Replayed);
				continue;
			}
		}
		let now = crate::auth::now_ms() as i64;
		let changed = match write {
			Write::Nonce(_) => true,
			// A new document: inserted first (one already stored under its key is a race, not
			// a limit), then counted with it; over a limit, taken back.
			Write::Put { document, replaces: None, limits, .. } => {
				let inserted = db.insert(document, now).await?;
				if let (true, Some(l)) = (inserted, limits) {
					if let Some(refused) = db.over(document, l, true).await? {
						db.delete(document).await?;
						outcomes.push(refused);
						continue;
					}
				}
				inserted
			}
			Write::Put { document, replaces: Some(digest), limits, .. } => {
				if let Some(l) = limits {
					if let Some(refused) = db.over(document, l, false).await? {
						outcomes.push(refused);
						continue;
					}
				}
				db.update(document, digest, now).await?
			}
			Write::Mute { account, muted, on, .. } => {
				db.mute(account, muted, *on).await?;
				true
			}
			Write::Forget { before } => {
				db.forget(*before).await?;
				true
			}
		};
		outcomes.push(if changed { Outcome::Done } else { Outcome::Raced });
	}
	// Each commit deletes the nonces whose window closed since the one before, so the work is
	// spread over the commits instead of piling up.
	db.sweep(crate::auth::now_ms() as i64).await?;
	db.commit().await?;
	Ok(outcomes)
}

/// Take every waiting request, apply them in one transaction, commit, answer; until every
/// sender is gone.
pub(crate) async fn write_loop<B: Backend>(mut db: B, mut jobs: mpsc::Receiver<Job>) {
	let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
	while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
		// Rows are written in key order, so two instances' batches over one PostgreSQL database
		// lock them in the same order (no deadlock between them).
		batch.sort_by(|(a, _), (b, _)| a.key().cmp(&b.key()));
		let mut result = apply(&mut db, &batch).await;
		if let Err(e) = &result {
			// Nothing was committed: one more try (a serialization failure or a lost
			// connection), then every request of the batch hears of the failure.
			tracing::warn!(error = %e, "a commit failed; trying the batch once more");
			db.rollback().await;
			result = apply(&mut db, &batch).await;
			if result.is_err() {
				db.rollback().await;
			}
		}
		match result {
			Ok(outcomes) => {
				for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
					let _ = reply.send(Ok(outcome));
				}
			}
			Err(e) => {
				tracing::error!(error = %e, requests = batch.len(), "a commit failed");
				for (_, reply) in batch.drain(..) {
					let _ = reply.send(Err(e.to_string()));
				}
			}
		}
	}
}

/// PostgreSQL (or any sqlx database): a transaction from the pool.
pub(crate) struct Pooled {
	pool: AnyPool,
	tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl Pooled {
	pub(crate) fn new(pool: AnyPool) -> Self {
		Self { pool, tx: None }
	}

	fn tx(&mut self) -> Result<&mut sqlx::AnyConnection, WriteError> {
		self.tx.as_deref_mut().ok_or(WriteError::NoTransaction)
	}
}

impl Backend for Pooled {
	async fn begin(&mut self) -> Result<(), WriteError> {
		// A transaction a failed batch left open rolls back as it is dropped.
		self.tx = Some(self.pool.begin().await?);
		Ok(())
	}

	async fn execute(
		&mut self,
		sql: &'static str,
		params: &[Param<'_>],
	) -> Result<u64, WriteError> {
		let mut query = sqlx::query(sql);
		for param in params {
			query = match *param {
				Param::Int(v) => query.bind(v),
				Param::Text(v) => query.bind(v),
				Param::MaybeText(v) => query.bind(v),
			};
		}
		Ok(query.execute(self.tx()?).await?.rows_affected())
	}

	async fn count(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<i64, WriteError> {
		let mut query = sqlx::query_scalar::<_, i64>(sql);
		for param in params {
			query = match *param {
				Param::Int(v) => query.bind(v),
				Param::Text(v) => query.bind(v),
				Param::MaybeText(v) => query.bind(v),
			};
		}
		Ok(query.fetch_one(self.tx()?).await?)
	}

	async fn commit(&mut self) -> Result<(), WriteError> {
		self.tx.take().ok_or(WriteError::NoTransaction)?.commit().await?;
		Ok(())
	}

	async fn rollback(&mut self) {
		if let Some(tx) = self.tx.take() {
			if let Err(e) = tx.rollback().await {
				// The connection is closed rather than returned to the pool with the
				// transaction open.
				tracing::warn!(error = %e, "rolling back a failed batch failed");
			}
		}
	}
}

/// SQLite: the writer's own connection, in WAL mode with every commit synced before it returns.
pub(crate) struct Direct {
	conn: rusqlite::Connection,
}

impl Direct {
	/// Open the database file, which must exist (with its tables: sqlx's pool creates them).
	pub(crate) fn open(path: &Path) -> Result<Self, rusqlite::Error> {
		use rusqlite::OpenFlags;
		let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
		let conn = rusqlite::Connection::open_with_flags(path, flags)?;
		// Checkpoints are the checkpoint task's, not the commit that happens to cross the
		// WAL's size threshold.
		for pragma in SQLITE_PRAGMAS {
			conn.execute_batch(pragma)?;
		}
		Ok(Self { conn })
	}

	/// Run the writer on a thread of its own until every sender of `jobs` is gone.
	pub(crate) fn spawn(self, jobs: mpsc::Receiver<Job>) -> std::io::Result<()> {
		std::thread::Builder::new()
			.name("sqlite-writer".into())
			.spawn(move || match tokio::runtime::Builder::new_current_thread().build() {
				Ok(runtime) => runtime.block_on(write_loop(self, jobs)),
				// The channel closes with `jobs` dropped: every write answers that the writer
				// stopped, and readiness says so.
				Err(e) => tracing::error!(error = %e, "the SQLite writer could not start"),
			})
			.map(|_| ())
	}
}

impl rusqlite::ToSql for Param<'_> {
	fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
		match self {
			Param::Int(v) => v.to_sql(),
			Param::Text(v) => v.to_sql(),
			Param::MaybeText(v) => v.to_sql(),
		}
	}
}

impl Backend for Direct {
	async fn begin(&mut self) -> Result<(), WriteError> {
		// A failed batch's transaction is rolled back when it fails; should that have failed
		// too, `BEGIN` below refuses to nest and the batch fails rather than joining it.
		self.rollback().await;
		self.conn.execute_batch("BEGIN IMMEDIATE")?;
		Ok(())
	}

	async fn execute(
		&mut self,
		sql: &'static str,
		params: &[Param<'_>],
	) -> Result<u64, WriteError> {
		let changed =
			self.conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params.iter()))?;
		Ok(changed as u64)
	}

	async fn count(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<i64, WriteError> {
		let mut statement = self.conn.prepare_cached(sql)?;
		Ok(statement.query_row(rusqlite::params_from_iter(params.iter()), |row| row.get(0))?)
	}

	async fn commit(&mut self) -> Result<(), WriteError> {
		self.conn.execute_batch("COMMIT")?;
		Ok(())
	}

	async fn rollback(&mut self) {
		if !self.conn.is_autocommit() {
			if let Err(e) = self.conn.execute_batch("ROLLBACK") {
				tracing::warn!(error = %e, "rolling back a failed batch failed");
			}
		}
	}
}
