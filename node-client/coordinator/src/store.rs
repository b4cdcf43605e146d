//! Durable state: SQLite (WAL, the default) or PostgreSQL, through one interface. Reads go
//! through sqlx (`Any`); every change goes through the [writer](crate::writer), which commits the
//! requests waiting at that moment in one transaction (group commit) and answers each of them only
//! after the commit: nothing is acknowledged before it is durable. A document replaces the stored one only if the stored one
//! still has the links it had when the request was checked, so two requests (or two coordinator
//! instances over one PostgreSQL database) never lose each other's links.

use crate::api::DocumentKind;
use crate::model::{DocKey, NonceClaim, Outcome, StoredDocument, Write};
use crate::writer::{self, Job};
use crate::CoordinatorError;
use sqlx::{any::AnyPoolOptions, AnyPool, Row};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

const SCHEMA: &[&str] = &[
	"CREATE TABLE IF NOT EXISTS documents (
		merchant TEXT NOT NULL,
		promotion BIGINT NOT NULL,
		pay_at BIGINT NOT NULL,
		kind TEXT NOT NULL,
		links BIGINT NOT NULL,
		customer TEXT NOT NULL,
		referee TEXT,
		next_signer TEXT,
		complete BIGINT NOT NULL,
		creator TEXT NOT NULL,
		sender TEXT NOT NULL,
		deadline BIGINT NOT NULL,
		body TEXT NOT NULL,
		digest TEXT NOT NULL,
		updated_ms BIGINT NOT NULL,
		PRIMARY KEY (merchant, promotion, pay_at, kind)
	)",
	// A mailbox: what a party signs next (by sender: limits and mutes), the referrals a merchant
	// settles, the rebates a customer submits, the rebates a named referee signs.
	"CREATE INDEX IF NOT EXISTS documents_next_signer ON documents (next_signer, sender)",
	"CREATE INDEX IF NOT EXISTS documents_merchant ON documents (merchant, kind, complete)",
	"CREATE INDEX IF NOT EXISTS documents_customer ON documents (customer, kind, complete)",
	"CREATE INDEX IF NOT EXISTS documents_referee ON documents (referee)",
	// Quotas and retention.
	"CREATE INDEX IF NOT EXISTS documents_creator ON documents (creator)",
	"CREATE INDEX IF NOT EXISTS documents_pay_at ON documents (pay_at)",
	"CREATE TABLE IF NOT EXISTS mutes (
		account TEXT NOT NULL,
		muted TEXT NOT NULL,
		PRIMARY KEY (account, muted)
	)",
	"CREATE TABLE IF NOT EXISTS coordinator_meta (
		name TEXT NOT NULL PRIMARY KEY,
		value TEXT NOT NULL
	)",
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

/// Where a mailbox listing starts: after this entry (`rank` 0 for what the party does on chain,
/// 1 for what it signs; then the deadline and the key), in the listing's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
	pub rank: i64,
	pub deadline: u32,
	pub key: DocKey,
}

impl Cursor {
	/// The cursor as the service gives it out.
	pub fn encode(&self) -> String {
		let k = &self.key;
		format!(
			"{}.{}.{}.{}.{}.{}",
			self.rank, self.deadline, k.merchant, k.promotion, k.pay_at, k.kind
		)
	}

	/// A cursor the service gave out.
	pub fn decode(text: &str) -> Option<Self> {
		let mut parts = text.split('.');
		let rank = parts.next()?.parse().ok()?;
		let deadline = parts.next()?.parse().ok()?;
		let merchant = parts.next()?.to_owned();
		let promotion = parts.next()?.parse().ok()?;
		let pay_at = parts.next()?.parse().ok()?;
		let kind = DocumentKind::parse(parts.next()?)?;
		if parts.next().is_some() || !(0..=1).contains(&rank) {
			return None;
		}
		Some(Self { rank, deadline, key: DocKey { merchant, promotion, pay_at, kind } })
	}
}

/// One mailbox row: the document and its rank (0: act on chain, 1: sign).
#[derive(Clone, Debug)]
pub struct MailboxRow {
	pub rank: i64,
	pub document: StoredDocument,
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
						for pragma in crate::writer::SQLITE_PRAGMAS {
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
		// A database an earlier coordinator made keyed documents by promotion id alone.
		if let Err(e) = sqlx::query("SELECT pay_at, creator, digest FROM documents LIMIT 1")
			.fetch_optional(&pool)
			.await
		{
			return Err(CoordinatorError::Store(format!(
				"{url}: the database was made by an earlier coordinator (documents keyed by promotion id alone: {e}); \
				 start this one on a new database (the parties hold their documents and post them again)"
			)));
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

	/// Have the writer do `write`.
	pub async fn write(&self, write: Write) -> Result<Outcome, CoordinatorError> {
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
		self.write(Write::Nonce(claim)).await
	}

	/// Claim a nonce (`None`: none to claim) and put `document` if the stored version is the one
	/// with digest `replaces` (`None`: if nothing is stored under its key).
	pub async fn put(
		&self,
		claim: Option<NonceClaim>,
		document: StoredDocument,
		replaces: Option<String>,
	) -> Result<Outcome, CoordinatorError> {
		self.write(Write::Put { claim, document, replaces, limits: None }).await
	}

	/// The secret this database's coordinators share (session tokens and challenges are
	/// authenticated with it): made by the first coordinator to open the database.
	pub async fn secret(&self) -> Result<[u8; 32], CoordinatorError> {
		use sp_core::Pair;
		let (_, fresh) = sp_core::sr25519::Pair::generate();
		sqlx::query(
			"INSERT INTO coordinator_meta (name, value) VALUES ('session_secret', $1)
			 ON CONFLICT (name) DO NOTHING",
		)
		.bind(hex::encode(fresh))
		.execute(&self.pool)
		.await?;
		let row = sqlx::query("SELECT value FROM coordinator_meta WHERE name = 'session_secret'")
			.fetch_one(&self.pool)
			.await?;
		let value: String = row.try_get(0)?;
		let mut secret = [0u8; 32];
		hex::decode_to_slice(&value, &mut secret)
			.map_err(|e| CoordinatorError::Store(format!("the session secret: {e}")))?;
		Ok(secret)
	}

	/// The stored document under `key`.
	pub async fn get(&self, key: &DocKey) -> Result<Option<StoredDocument>, CoordinatorError> {
		let row = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			" FROM documents WHERE merchant = $1 AND promotion = $2 AND pay_at = $3 AND kind = $4"
		))
		.bind(&key.merchant)
		.bind(key.promotion as i64)
		.bind(key.pay_at as i64)
		.bind(key.kind.as_str())
		.fetch_optional(&self.pool)
		.await?;
		row.map(|r| decode(&r)).transpose()
	}

	/// Every stored document of a merchant's promotion id, whatever its rebate block (a reused
	/// id's promotions apart by `pay_at`), the latest promotion first.
	pub async fn promotion(
		&self,
		merchant: &str,
		promotion: u64,
	) -> Result<Vec<StoredDocument>, CoordinatorError> {
		let rows = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			" FROM documents WHERE merchant = $1 AND promotion = $2 ORDER BY pay_at DESC, kind"
		))
		.bind(merchant)
		.bind(promotion as i64)
		.fetch_all(&self.pool)
		.await?;
		rows.iter().map(decode).collect()
	}

	/// What waits for `account` at block `best`, after `cursor`, at most `limit` entries: the
	/// referrals it settles as the merchant (the offer and the referred purchase complete; listed
	/// as the purchase) and the rebates it submits as the customer (rank 0: strangers cannot make
	/// those for another party), then the documents it signs next, but those of senders it muted
	/// (rank 1; a rebate whose referee is not named yet is the referee's the offer names, while
	/// the offer is open: so the offers the sender limit counts bound those too); in
	/// each, the soonest deadline first. Documents past their deadline are not listed.
	pub async fn mailbox(
		&self,
		account: &str,
		best: u32,
		cursor: Option<&Cursor>,
		limit: u32,
	) -> Result<Vec<MailboxRow>, CoordinatorError> {
		let start = cursor.cloned().unwrap_or(Cursor {
			rank: -1,
			deadline: 0,
			key: DocKey {
				merchant: String::new(),
				promotion: 0,
				pay_at: 0,
				kind: DocumentKind::Offer,
			},
		});
		let rows = sqlx::query(concat!(
			"SELECT ",
			columns!(),
			", rank FROM (
			   SELECT d.*, 1 AS rank FROM documents d
			   WHERE d.next_signer = $1 AND d.deadline > $2
			     AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.account = $1 AND u.muted = d.sender)
			 UNION ALL SELECT d.*, 1 AS rank FROM documents o
			   JOIN documents d ON d.merchant = o.merchant AND d.promotion = o.promotion
			     AND d.pay_at = o.pay_at AND d.kind = 'rebate'
			   WHERE o.referee = $1 AND o.kind = 'offer' AND o.deadline > $2
			     AND d.next_signer IS NULL AND d.complete = 0 AND d.deadline > $2
			     AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.account = $1 AND u.muted = d.sender)
			 UNION ALL SELECT d.*, 0 AS rank FROM documents d
			   JOIN documents o ON o.merchant = d.merchant AND o.promotion = d.promotion
			     AND o.pay_at = d.pay_at AND o.kind = 'offer' AND o.complete = 1
			   WHERE d.merchant = $1 AND d.kind = 'purchase' AND d.complete = 1 AND d.deadline > $2
			 UNION ALL SELECT d.*, 0 AS rank FROM documents d
			   WHERE d.customer = $1 AND d.kind = 'rebate' AND d.complete = 1 AND d.deadline > $2
			 ) AS m
			 WHERE (rank, deadline, merchant, promotion, pay_at, kind) > ($3, $4, $5, $6, $7, $8)
			 ORDER BY rank, deadline, merchant, promotion, pay_at, kind LIMIT $9"
		))
		.bind(account)
		.bind(best as i64)
		.bind(start.rank)
		.bind(start.deadline as i64)
		.bind(&start.key.merchant)
		.bind(start.key.promotion as i64)
		.bind(start.key.pay_at as i64)
		.bind(start.key.kind.as_str())
		.bind(limit as i64)
		.fetch_all(&self.pool)
		.await?;
		rows.iter().map(|r| Ok(MailboxRow { rank: r.try_get(14)?, document: decode(r)? })).collect()
	}

	/// The senders `account` muted.
	pub async fn mutes(&self, account: &str) -> Result<Vec<String>, CoordinatorError> {
		let rows = sqlx::query("SELECT muted FROM mutes WHERE account = $1 ORDER BY muted")
			.bind(account)
			.fetch_all(&self.pool)
			.await?;
		rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
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
	let kind: String = r.try_get(3)?;
	let kind = DocumentKind::parse(&kind)
		.ok_or_else(|| CoordinatorError::Store(format!("a stored document of kind `{kind}`")))?;
	Ok(StoredDocument {
		key: DocKey {
			merchant: r.try_get(0)?,
			promotion: r.try_get::<i64, _>(1)? as u64,
			pay_at: r.try_get::<i64, _>(2)? as u32,
			kind,
		},
		links: r.try_get::<i64, _>(4)? as u32,
		customer: r.try_get(5)?,
		referee: r.try_get(6)?,
		next_signer: r.try_get(7)?,
		complete: r.try_get::<i64, _>(8)? != 0,
		creator: r.try_get(9)?,
		sender: r.try_get(10)?,
		deadline: r.try_get::<i64, _>(11)? as u32,
		body: r.try_get(12)?,
		digest: r.try_get(13)?,
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

	fn key(promotion: u64) -> DocKey {
		let pay_at = 100 + promotion as u32;
		DocKey { merchant: "5Merchant".into(), promotion, pay_at, kind: DocumentKind::Offer }
	}

	fn document(promotion: u64, links: u32) -> StoredDocument {
		let body = format!("{{\"links\":{links}}}");
		StoredDocument {
			key: key(promotion),
			links,
			customer: "5Customer".into(),
			referee: None,
			next_signer: Some("5Customer".into()),
			complete: false,
			creator: "5Merchant".into(),
			sender: "5Merchant".into(),
			deadline: 50 + promotion as u32,
			digest: StoredDocument::digest_of(&body),
			body,
		}
	}

	#[tokio::test]
	async fn puts_are_conditional_on_the_stored_content() {
		let dir = tempfile::tempdir().expect("temp dir");
		let url = format!("sqlite://{}", dir.path().join("c.db").display());
		let store = Store::open(&url).await.expect("opens");
		let later = crate::auth::now_ms() + 30_000;
		let put = |nonce: &str, d: StoredDocument, replaces: Option<&StoredDocument>| {
			store.put(Some(claim(nonce, later)), d, replaces.map(|r| r.digest.clone()))
		};
		let (one, two, three) = (document(1, 1), document(1, 2), document(1, 3));
		assert_eq!(put("a", one.clone(), None).await.expect("ok"), Outcome::Done);
		// A second new document under the same key lost a race: nothing changes.
		assert_eq!(put("b", two.clone(), None).await.expect("ok"), Outcome::Raced);
		// An update checked against another version than the stored one is refused the same
		// way, even if the stored one has the link count it expects.
		let mut same_count = document(1, 1);
		same_count.body = "{\"links\":1,\"other\":true}".into();
		same_count.digest = StoredDocument::digest_of(&same_count.body);
		assert_eq!(put("c", three.clone(), Some(&same_count)).await.expect("ok"), Outcome::Raced);
		assert_eq!(store.get(&key(1)).await.expect("reads"), Some(one.clone()));
		assert_eq!(put("d", two.clone(), Some(&one)).await.expect("ok"), Outcome::Done);
		assert_eq!(store.get(&key(1)).await.expect("reads"), Some(two.clone()));
		// A replayed nonce writes nothing, even with a valid update.
		assert_eq!(put("d", three, Some(&two)).await.expect("ok"), Outcome::Replayed);
		assert_eq!(store.get(&key(1)).await.expect("reads"), Some(two));
	}

	#[tokio::test]
	async fn retention_forgets_the_documents_of_ended_promotions() {
		let dir = tempfile::tempdir().expect("temp dir");
		let url = format!("sqlite://{}", dir.path().join("c.db").display());
		let store = Store::open(&url).await.expect("opens");
		let later = crate::auth::now_ms() + 30_000;
		for (i, promotion) in [1u64, 2, 3].into_iter().enumerate() {
			let claim = Some(claim(&format!("n{i}"), later));
			assert_eq!(
				store.put(claim, document(promotion, 1), None).await.ok(),
				Some(Outcome::Done)
			);
		}
		// Rebate blocks 101, 102, 103: forgetting before block 103 keeps the last one only.
		assert_eq!(store.write(Write::Forget { before: 103 }).await.ok(), Some(Outcome::Done));
		assert_eq!(store.get(&key(1)).await.expect("reads"), None);
		assert_eq!(store.get(&key(2)).await.expect("reads"), None);
		assert_eq!(store.get(&key(3)).await.expect("reads"), Some(document(3, 1)));
	}

	#[tokio::test]
	async fn mailboxes_page_in_order_and_leave_out_muted_senders() {
		let dir = tempfile::tempdir().expect("temp dir");
		let url = format!("sqlite://{}", dir.path().join("c.db").display());
		let store = Store::open(&url).await.expect("opens");
		let later = crate::auth::now_ms() + 30_000;
		for promotion in 1..=5u64 {
			let mut d = document(promotion, 1);
			if promotion == 4 {
				d.sender = "5Stranger".into();
			}
			let claim = Some(claim(&format!("n{promotion}"), later));
			assert_eq!(store.put(claim, d, None).await.ok(), Some(Outcome::Done));
		}
		let mute = Write::Mute {
			claim: None,
			account: "5Customer".into(),
			muted: "5Stranger".into(),
			on: true,
		};
		assert_eq!(store.write(mute).await.ok(), Some(Outcome::Done));
		assert_eq!(store.mutes("5Customer").await.expect("reads"), vec!["5Stranger".to_owned()]);
		let mut seen = Vec::new();
		let mut cursor = None;
		loop {
			let page = store.mailbox("5Customer", 51, cursor.as_ref(), 2).await.expect("reads");
			let Some(last) = page.last() else { break };
			cursor = Some(Cursor {
				rank: last.rank,
				deadline: last.document.deadline,
				key: last.document.key.clone(),
			});
			// Cursors survive their encoding.
			let encoded = cursor.as_ref().map(Cursor::encode).unwrap_or_default();
			assert_eq!(Cursor::decode(&encoded), cursor);
			seen.extend(page.into_iter().map(|r| r.document.key.promotion));
		}
		// Promotion 1's deadline (51) has passed at block 51; 4 is a muted sender's.
		assert_eq!(seen, vec![2, 3, 5]);
		assert_eq!(Cursor::decode("2.0.x.1.1.offer"), None, "a rank the service never gives");
		assert_eq!(Cursor::decode("1.0.x.1.1.memo"), None, "no such kind");
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
		assert_eq!(store.get(&key(7)).await.expect("reads"), None);
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
