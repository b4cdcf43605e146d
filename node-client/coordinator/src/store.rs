//! Durable state: SQLite (WAL, the default) or PostgreSQL, through one interface (sqlx `Any`).
//!
//! Every change goes through one writer task that commits the requests waiting at that moment in
//! one transaction (group commit) and answers each of them only after the commit: nothing is
//! acknowledged before it is durable. A document replaces the stored one only if the stored one
//! still has the links it had when the request was checked, so two requests (or two coordinator
//! instances over one PostgreSQL database) never lose each other's links.

use crate::CoordinatorError;
use sqlx::{any::AnyPoolOptions, AnyPool, Row};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The stored columns, in [`decode`]'s order.
macro_rules! columns {
	() => {
		"merchant, promotion, kind, links, customer, referee, next_signer, complete, body"
	};
}

/// How many waiting requests one transaction commits at most.
const MAX_BATCH: usize = 512;

const SCHEMA: &[&str] = &[
	"CREATE TABLE IF NOT EXISTS documents (
		merchant TEXT NOT NULL,
		promotion BIGINT NOT NULL,
		kind TEXT NOT NULL,
		links BIGINT NOT NULL,
		customer TEXT NOT NULL,
		referee TEXT,
		next_signer TEXT,
		complete BIGINT NOT NULL,
		body TEXT NOT NULL,
		updated_ms BIGINT NOT NULL,
		PRIMARY KEY (merchant, promotion, kind)
	)",
	"CREATE INDEX IF NOT EXISTS documents_next_signer ON documents (next_signer)",
	"CREATE INDEX IF NOT EXISTS documents_customer ON documents (customer)",
	"CREATE TABLE IF NOT EXISTS nonces (
		account TEXT NOT NULL,
		nonce TEXT NOT NULL,
		expires_ms BIGINT NOT NULL,
		PRIMARY KEY (account, nonce)
	)",
	"CREATE INDEX IF NOT EXISTS nonces_expires ON nonces (expires_ms)",
];

/// A stored document and what the coordinator derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
	pub merchant: String,
	pub promotion: u64,
	pub kind: String,
	pub links: u32,
	pub customer: String,
	pub referee: Option<String>,
	pub next_signer: Option<String>,
	pub complete: bool,
	/// The envelope, JSON.
	pub body: String,
}

/// A request's claim on its nonce, valid until `expires_ms`.
#[derive(Clone, Debug)]
pub struct NonceClaim {
	pub account: String,
	pub nonce: String,
	pub expires_ms: u64,
}

/// What the writer does for one request.
enum Write {
	/// Claim the nonce only (a read request).
	Nonce(NonceClaim),
	/// Claim the nonce (unless claimed by an earlier attempt) and put the document, if the
	/// stored one has `expected_links` links (`None`: if there is none).
	Put { claim: Option<NonceClaim>, document: StoredDocument, expected_links: Option<u32> },
}

/// The writer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// Committed.
	Done,
	/// The nonce was used before: nothing was written.
	Replayed,
	/// The stored document changed since the request was checked: nothing was written.
	Raced,
	/// The request's validity window closed before its nonce could be claimed: nothing was
	/// written.
	Expired,
}

type Job = (Write, oneshot::Sender<Result<Outcome, String>>);

impl Write {
	/// The row a job writes (`None`: a nonce only).
	fn key(&self) -> Option<(&str, u64, &str)> {
		match self {
			Write::Nonce(_) => None,
			Write::Put { document: d, .. } => Some((&d.merchant, d.promotion, &d.kind)),
		}
	}
}

/// The coordinator's database.
#[derive(Clone)]
pub struct Store {
	pool: AnyPool,
	writer: mpsc::Sender<Job>,
	backend: &'static str,
}

impl Store {
	/// Open (and create) the database at `url`: `sqlite://PATH` (created if missing) or
	/// `postgres://…`.
	pub async fn open(url: &str) -> Result<Self, CoordinatorError> {
		sqlx::any::install_default_drivers();
		let sqlite = url.starts_with("sqlite:");
		let url = if sqlite && !url.contains('?') { format!("{url}?mode=rwc") } else { url.into() };
		let pool = AnyPoolOptions::new()
			.max_connections(if sqlite { 4 } else { 8 })
			.after_connect(move |conn, _| {
				Box::pin(async move {
					if sqlite {
						// WAL, and every commit synced before it returns.
						// Checkpoints are the checkpoint task's (below), not the commit
						// that happens to cross the WAL's size threshold.
						for pragma in [
							"PRAGMA journal_mode = WAL",
							"PRAGMA synchronous = FULL",
							"PRAGMA busy_timeout = 5000",
							"PRAGMA wal_autocheckpoint = 0",
						] {
							sqlx::query(pragma).execute(&mut *conn).await?;
						}
					}
					Ok(())
				})
			})
			.connect(&url)
			.await?;
		for statement in SCHEMA {
			sqlx::query(*statement).execute(&pool).await?;
		}
		let (writer, jobs) = mpsc::channel(4096);
		tokio::spawn(write_loop(pool.clone(), jobs));
		if sqlite {
			tokio::spawn(checkpoint_loop(pool.clone()));
		}
		Ok(Self { pool, writer, backend: if sqlite { "sqlite" } else { "postgres" } })
	}

	/// `sqlite` or `postgres`.
	pub fn backend(&self) -> &'static str {
		self.backend
	}

	/// Requests waiting for the writer.
	pub fn queue_depth(&self) -> usize {
		self.writer.max_capacity() - self.writer.capacity()
	}

	/// Whether the database answers.
	pub async fn ready(&self) -> bool {
		sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
	}

	async fn submit(&self, write: Write) -> Result<Outcome, CoordinatorError> {
		let (tx, rx) = oneshot::channel();
		self.writer
			.send((write, tx))
			.await
			.map_err(|_| CoordinatorError::Store("the writer stopped".into()))?;
		rx.await
			.map_err(|_| CoordinatorError::Store("the writer stopped".into()))?
			.map_err(CoordinatorError::Store)
	}

	/// Claim a nonce (for a request that writes nothing else).
	pub async fn claim(&self, claim: NonceClaim) -> Result<Outcome, CoordinatorError> {
		self.submit(Write::Nonce(claim)).await
	}

	/// Claim a nonce (`None`: an earlier attempt of this request claimed it) and put `document`
	/// if the stored one has `expected_links` links.
	pub async fn put(
		&self,
		claim: Option<NonceClaim>,
		document: StoredDocument,
		expected_links: Option<u32>,
	) -> Result<Outcome, CoordinatorError> {
		self.submit(Write::Put { claim, document, expected_links }).await
	}

	/// The stored document of a promotion's kind.
	pub async fn get(
		&self,
		merchant: &str,
		promotion: u64,
		kind: &str,
	) -> Result<Option<StoredDocument>, CoordinatorError> {
		let row = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			" FROM documents WHERE merchant = $1 AND promotion = $2 AND kind = $3"
		))
		.bind(merchant)
		.bind(promotion as i64)
		.bind(kind)
		.fetch_optional(&self.pool)
		.await?;
		row.map(|r| decode(&r)).transpose()
	}

	/// Every stored document of a promotion.
	pub async fn promotion(
		&self,
		merchant: &str,
		promotion: u64,
	) -> Result<Vec<StoredDocument>, CoordinatorError> {
		let rows = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			" FROM documents WHERE merchant = $1 AND promotion = $2 ORDER BY kind"
		))
		.bind(merchant)
		.bind(promotion as i64)
		.fetch_all(&self.pool)
		.await?;
		rows.iter().map(decode).collect()
	}

	/// What waits for `account`: documents it signs next (including a rebate whose referee is
	/// not named yet, for the referee another document of the promotion names), and complete
	/// documents it submits (the merchant settles a referral once the offer and the referred
	/// purchase are both complete: listed as the purchase; the customer submits rebates).
	/// Documents to sign first, then the newest.
	pub async fn mailbox(
		&self,
		account: &str,
		limit: u32,
	) -> Result<Vec<StoredDocument>, CoordinatorError> {
		let rows = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			", updated_ms FROM documents WHERE next_signer = $1
			 UNION ALL SELECT ",
			columns!(),
			", updated_ms FROM documents d
			   WHERE d.next_signer IS NULL AND d.complete = 0 AND EXISTS (
			     SELECT 1 FROM documents o
			     WHERE o.merchant = d.merchant AND o.promotion = d.promotion AND o.referee = $1)
			 UNION ALL SELECT ",
			columns!(),
			", updated_ms FROM documents d
			   WHERE d.complete = 1 AND d.merchant = $1 AND d.kind = 'purchase' AND EXISTS (
			     SELECT 1 FROM documents o
			     WHERE o.merchant = d.merchant AND o.promotion = d.promotion
			       AND o.kind = 'offer' AND o.complete = 1)
			 UNION ALL SELECT ",
			columns!(),
			", updated_ms FROM documents
			   WHERE complete = 1 AND customer = $1 AND kind = 'rebate'
			 ORDER BY complete, updated_ms DESC LIMIT $2"
		))
		.bind(account)
		.bind(limit as i64)
		.fetch_all(&self.pool)
		.await?;
		rows.iter().map(decode).collect()
	}

	/// How many nonces are remembered (claimed, and not yet swept after their window closed).
	pub async fn nonces(&self) -> Result<i64, CoordinatorError> {
		Ok(sqlx::query("SELECT COUNT(*) FROM nonces").fetch_one(&self.pool).await?.try_get(0)?)
	}

	/// How many documents are stored, by kind and completeness (for the metrics).
	pub async fn counts(&self) -> Result<Vec<(String, bool, i64)>, CoordinatorError> {
		let rows = sqlx::query(
			"SELECT kind, complete, COUNT(*) FROM documents GROUP BY kind, complete ORDER BY kind",
		)
		.fetch_all(&self.pool)
		.await?;
		rows.iter()
			.map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? != 0, r.try_get(2)?)))
			.collect()
	}
}

fn decode(r: &sqlx::any::AnyRow) -> Result<StoredDocument, CoordinatorError> {
	Ok(StoredDocument {
		merchant: r.try_get(0)?,
		promotion: r.try_get::<i64, _>(1)? as u64,
		kind: r.try_get(2)?,
		links: r.try_get::<i64, _>(3)? as u32,
		customer: r.try_get(4)?,
		referee: r.try_get(5)?,
		next_signer: r.try_get(6)?,
		complete: r.try_get::<i64, _>(7)? != 0,
		body: r.try_get(8)?,
	})
}

/// SQLite: move the WAL's committed pages into the database file every half second, beside the
/// writer (a passive checkpoint waits for nobody), so that no commit pays for a checkpoint.
async fn checkpoint_loop(pool: AnyPool) {
	let mut tick = tokio::time::interval(Duration::from_millis(500));
	tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	loop {
		tick.tick().await;
		if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
			tracing::warn!(error = %e, "a WAL checkpoint failed");
		}
	}
}

/// The writer: take every waiting request, apply them in one transaction, commit, answer.
async fn write_loop(pool: AnyPool, mut jobs: mpsc::Receiver<Job>) {
	let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
	while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
		// Rows are written in key order, so two instances' batches over one PostgreSQL database
		// lock them in the same order (no deadlock between them).
		batch.sort_by(|(a, _), (b, _)| a.key().cmp(&b.key()));
		let mut result = apply(&pool, &batch).await;
		if let Err(e) = &result {
			// Nothing was committed: one more try (a serialization failure or a lost
			// connection), then every request of the batch hears of the failure.
			tracing::warn!(error = %e, "a commit failed; trying the batch once more");
			result = apply(&pool, &batch).await;
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

async fn apply(pool: &AnyPool, batch: &[Job]) -> Result<Vec<Outcome>, sqlx::Error> {
	let mut tx = pool.begin().await?;
	let mut outcomes = Vec::with_capacity(batch.len());
	for (write, _) in batch {
		let claim = match write {
			Write::Nonce(c) => Some(c),
			Write::Put { claim, .. } => claim.as_ref(),
		};
		if let Some(claim) = claim {
			// A nonce is remembered until its window closes; past that it could be claimed
			// again, so a request that reaches the writer after its window is refused.
			if claim.expires_ms <= crate::auth::now_ms() {
				outcomes.push(Outcome::Expired);
				continue;
			}
			let claimed = sqlx::query(
				"INSERT INTO nonces (account, nonce, expires_ms) VALUES ($1, $2, $3)
				 ON CONFLICT (account, nonce) DO NOTHING",
			)
			.bind(&claim.account)
			.bind(&claim.nonce)
			.bind(claim.expires_ms as i64)
			.execute(&mut *tx)
			.await?
			.rows_affected();
			if claimed == 0 {
				outcomes.push(Outcome::Replayed);
				continue;
			}
		}
		let Write::Put { document: d, expected_links, .. } = write else {
			outcomes.push(Outcome::Done);
			continue;
		};
		let now = crate::auth::now_ms() as i64;
		let changed = match expected_links {
			None => sqlx::query(concat!(
				"INSERT INTO documents (",
				columns!(),
				", updated_ms)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				 ON CONFLICT (merchant, promotion, kind) DO NOTHING"
			))
			.bind(&d.merchant)
			.bind(d.promotion as i64)
			.bind(&d.kind)
			.bind(d.links as i64)
			.bind(&d.customer)
			.bind(&d.referee)
			.bind(&d.next_signer)
			.bind(d.complete as i64)
			.bind(&d.body)
			.bind(now)
			.execute(&mut *tx)
			.await?
			.rows_affected(),
			Some(links) => sqlx::query(
				"UPDATE documents SET links = $1, referee = $2, next_signer = $3, complete = $4,
				   body = $5, updated_ms = $6
				 WHERE merchant = $7 AND promotion = $8 AND kind = $9 AND links = $10",
			)
			.bind(d.links as i64)
			.bind(&d.referee)
			.bind(&d.next_signer)
			.bind(d.complete as i64)
			.bind(&d.body)
			.bind(now)
			.bind(&d.merchant)
			.bind(d.promotion as i64)
			.bind(&d.kind)
			.bind(*links as i64)
			.execute(&mut *tx)
			.await?
			.rows_affected(),
		};
		outcomes.push(if changed == 1 { Outcome::Done } else { Outcome::Raced });
	}
	// Expired nonces: each commit deletes those whose window closed since the one before (an
	// index range on `expires_ms`), so the work is spread over the commits instead of piling up.
	sqlx::query("DELETE FROM nonces WHERE expires_ms < $1")
		.bind(crate::auth::now_ms() as i64)
		.execute(&mut *tx)
		.await?;
	tx.commit().await?;
	Ok(outcomes)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn claim(nonce: &str, expires_ms: u64) -> NonceClaim {
		NonceClaim { account: "5Alice".into(), nonce: nonce.into(), expires_ms }
	}

	#[tokio::test]
	async fn commits_sweep_expired_nonces() {
		let dir = tempfile::tempdir().expect("temp dir");
		let url = format!("sqlite://{}", dir.path().join("c.db").display());
		let store = Store::open(&url).await.expect("opens");
		let soon = crate::auth::now_ms() + 150;
		for i in 0..100 {
			assert_eq!(
				store.claim(claim(&format!("n{i}"), soon)).await.expect("ok"),
				Outcome::Done
			);
		}
		assert_eq!(store.claim(claim("n0", soon)).await.expect("ok"), Outcome::Replayed);
		assert_eq!(store.nonces().await.expect("counts"), 100);
		tokio::time::sleep(Duration::from_millis(200)).await;
		// The window closed: a claim now is refused, and the commit sweeps the expired nonces.
		assert_eq!(store.claim(claim("n0", soon)).await.expect("ok"), Outcome::Expired);
		assert_eq!(store.nonces().await.expect("counts"), 0);
		let later = crate::auth::now_ms() + 30_000;
		assert_eq!(store.claim(claim("fresh", later)).await.expect("ok"), Outcome::Done);
		assert_eq!(store.nonces().await.expect("counts"), 1, "the fresh one is kept");
	}
}
