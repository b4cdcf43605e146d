//! Durable state: SQLite (WAL, the default) or PostgreSQL, through one interface. Reads go
//! through sqlx (`Any`); every change goes through the [writer](crate::writer), which commits the
//! requests waiting at that moment in one transaction (group commit) and answers each of them only
//! after the commit: nothing is acknowledged before it is durable. A document replaces the stored one only if the stored one
//! still has the links it had when the request was checked, so two requests (or two coordinator
//! instances over one PostgreSQL database) never lose each other's links.

use crate::writer::{self, Job, Write};
use crate::CoordinatorError;
use sqlx::{any::AnyPoolOptions, AnyPool, Row};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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
];

/// Request nonces. A replay carries the same signed timestamp, so it has the same
/// (`expires_ms`, account, nonce) (every instance over one database runs with the same window).
/// On SQLite the rows live in that key's b-tree (`WITHOUT ROWID`), window first: claims land at
/// the end of the key order and each commit's sweep deletes a range at its start, so neither
/// scatters page writes. PostgreSQL keeps the account first with an index on the window's end
/// (its sweep would otherwise walk the dead index entries a leading `expires_ms` leaves behind
/// until vacuum).
fn nonces_schema(sqlite: bool) -> &'static [&'static str] {
	macro_rules! table {
		($key:literal, $options:literal) => {
			concat!(
				"CREATE TABLE IF NOT EXISTS request_nonces (
					expires_ms BIGINT NOT NULL,
					account TEXT NOT NULL,
					nonce TEXT NOT NULL,
					PRIMARY KEY (",
				$key,
				"))",
				$options
			)
		};
	}
	if sqlite {
		&[table!("expires_ms, account, nonce", " WITHOUT ROWID")]
	} else {
		&[
			table!("account, nonce, expires_ms", ""),
			"CREATE INDEX IF NOT EXISTS request_nonces_expires ON request_nonces (expires_ms)",
		]
	}
}

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
		for statement in SCHEMA.iter().chain(nonces_schema(sqlite)) {
			sqlx::query(*statement).execute(&pool).await?;
		}
		let (writer, jobs) = mpsc::channel(4096);
		if sqlite {
			let path = sqlite_path(&url)?;
			let direct = writer::Direct::open(&path)
				.map_err(|e| CoordinatorError::Store(format!("opening {}: {e}", path.display())))?;
			direct
				.spawn(jobs)
				.map_err(|e| CoordinatorError::Store(format!("starting the writer: {e}")))?;
		} else {
			tokio::spawn(writer::write_loop(writer::Pooled::new(pool.clone()), jobs));
		}
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
		!self.writer.is_closed() && sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
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
	/// Complete documents first (a settle or a submit: strangers cannot make those for another
	/// party, while anyone can post it documents to sign), then documents to sign, the newest
	/// first in each.
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
			 ORDER BY complete DESC, updated_ms DESC LIMIT $2"
		))
		.bind(account)
		.bind(limit as i64)
		.fetch_all(&self.pool)
		.await?;
		rows.iter().map(decode).collect()
	}

	/// How many nonces are remembered (claimed, and not yet swept after their window closed).
	pub async fn nonces(&self) -> Result<i64, CoordinatorError> {
		Ok(sqlx::query("SELECT COUNT(*) FROM request_nonces")
			.fetch_one(&self.pool)
			.await?
			.try_get(0)?)
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

/// The file of a `sqlite:` URL, as sqlx's pool reads it (percent-decoded, options after `?`);
/// the writer opens the same file directly, so it must be a file, not an in-memory database.
fn sqlite_path(url: &str) -> Result<std::path::PathBuf, CoordinatorError> {
	use std::str::FromStr;
	let not_a_file = || {
		CoordinatorError::Store(format!("{url}: the coordinator's SQLite database must be a file"))
	};
	let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
		.map_err(|e| CoordinatorError::Store(format!("{url}: {e}")))?;
	let path = options.get_filename();
	let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
	let in_memory = path.to_string_lossy().starts_with("file:sqlx-in-memory")
		|| query.split('&').any(|option| option == "mode=memory");
	if in_memory || path.as_os_str().is_empty() {
		return Err(not_a_file());
	}
	Ok(path.to_path_buf())
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

#[cfg(test)]
mod tests {
	use super::*;

	fn claim(nonce: &str, expires_ms: u64) -> NonceClaim {
		NonceClaim { account: "5Alice".into(), nonce: nonce.into(), expires_ms }
	}

	#[test]
	fn sqlite_urls_name_a_file() {
		let path = |url: &str| sqlite_path(url).ok();
		assert_eq!(path("sqlite:///tmp/c.db?mode=rwc"), Some("/tmp/c.db".into()));
		assert_eq!(path("sqlite://c.db"), Some("c.db".into()));
		assert_eq!(path("sqlite:c.db"), Some("c.db".into()));
		// Percent-decoded, as sqlx's pool opens it.
		assert_eq!(path("sqlite:///tmp/my%20db.db"), Some("/tmp/my db.db".into()));
		// The writer has its own connection: an in-memory database would be a different one.
		assert_eq!(path("sqlite::memory:"), None);
		assert_eq!(path("sqlite://c.db?mode=memory"), None);
	}

	fn document(promotion: u64, links: u32) -> StoredDocument {
		StoredDocument {
			merchant: "5Merchant".into(),
			promotion,
			kind: "offer".into(),
			links,
			customer: "5Customer".into(),
			referee: None,
			next_signer: Some("5Customer".into()),
			complete: false,
			body: format!("{{\"links\":{links}}}"),
		}
	}

	#[tokio::test]
	async fn puts_are_conditional_on_the_stored_links() {
		let dir = tempfile::tempdir().expect("temp dir");
		let url = format!("sqlite://{}", dir.path().join("c.db").display());
		let store = Store::open(&url).await.expect("opens");
		let later = crate::auth::now_ms() + 30_000;
		let put = |nonce: &str, d: StoredDocument, expected: Option<u32>| {
			store.put(Some(claim(nonce, later)), d, expected)
		};
		assert_eq!(put("a", document(1, 1), None).await.expect("ok"), Outcome::Done);
		// A second new document under the same key lost a race: nothing changes.
		assert_eq!(put("b", document(1, 2), None).await.expect("ok"), Outcome::Raced);
		// An extension checked against a stale link count is refused the same way.
		assert_eq!(put("c", document(1, 3), Some(2)).await.expect("ok"), Outcome::Raced);
		assert_eq!(store.get("5Merchant", 1, "offer").await.expect("reads"), Some(document(1, 1)));
		assert_eq!(put("d", document(1, 2), Some(1)).await.expect("ok"), Outcome::Done);
		assert_eq!(store.get("5Merchant", 1, "offer").await.expect("reads"), Some(document(1, 2)));
		// A replayed nonce writes nothing, even with a valid extension.
		assert_eq!(put("d", document(1, 3), Some(2)).await.expect("ok"), Outcome::Replayed);
		assert_eq!(store.get("5Merchant", 1, "offer").await.expect("reads"), Some(document(1, 2)));
	}

	#[tokio::test]
	async fn a_batch_left_open_by_a_failure_is_rolled_back() {
		use crate::writer::Backend;
		let dir = tempfile::tempdir().expect("temp dir");
		let file = dir.path().join("c.db");
		let store = Store::open(&format!("sqlite://{}", file.display())).await.expect("opens");
		let mut direct = writer::Direct::open(&file).expect("opens the file");
		let later = crate::auth::now_ms() + 30_000;
		// A batch that failed after its first write: begun, written, never committed.
		direct.begin().await.expect("begins");
		assert!(direct.claim(&claim("lost", later)).await.expect("claims"));
		assert!(direct.insert(&document(7, 1), 0).await.expect("inserts"));
		// The next batch starts by rolling it back.
		direct.begin().await.expect("begins again");
		assert!(direct.claim(&claim("kept", later)).await.expect("claims"));
		direct.commit().await.expect("commits");
		assert_eq!(store.get("5Merchant", 7, "offer").await.expect("reads"), None);
		assert_eq!(store.nonces().await.expect("counts"), 1);
		assert_eq!(store.claim(claim("lost", later)).await.expect("ok"), Outcome::Done);
		assert_eq!(store.claim(claim("kept", later)).await.expect("ok"), Outcome::Replayed);
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
