//! The embedded chain: `rebate-test-runtime` executed natively in this process.
//!
//! Blocks are authored as a node authors them (Aura pre-runtime digest, the timestamp inherent,
//! `initialize_block` / `apply_extrinsic` / `finalize_block` of the runtime's `frame-executive`),
//! when transactions arrive and on request. Invalid extrinsics leave no trace in the block, as in
//! a node's block builder.
//!
//! ## On disk
//!
//! A data directory holds:
//! - `blocks.log`: one record per block, appended and flushed to disk before the block counts:
//!   the block (header and extrinsics), its events, and the storage changes it made. Each record
//!   is `len (u32 LE) ‖ blake2_128(len)[..4] ‖ blake2_128(body) ‖ body`: the length has a check of
//!   its own, so a damaged length is told from a write cut short. Only a last, incomplete record
//!   (a kill in the middle of its write: the file ends before the record does, its bytes never
//!   reached the disk, or its tail is zeros) is cut off when the chain is opened; damage anywhere
//!   else is an error that truncates nothing. The log is the block history; it is read from disk,
//!   never held in memory.
//! - `state.snapshot`: the whole state at some block and the log offset after that block,
//!   written to a temporary file, flushed and renamed over the old one (atomic), every
//!   [`SNAPSHOT_EVERY`] blocks. Opening loads it and replays the log records after it.
//! - `genesis.state`: the genesis state, written once when the chain is made. A missing or
//!   damaged snapshot is rebuilt from it and the whole log: the log holds every block.
//! - `LOCK`: an exclusive lock held while the chain is open, so two processes never write at once
//!   (a second one waits). A reader opens the chain without it ([`Embedded::open_read_only`]).
//!
//! Every chain's genesis state holds a seed of its own ([`SEED_KEY`], [`Genesis::seed`]), so no
//! two chains share a genesis hash.
//!
//! Memory holds only the current state, rebuilt compactly at every snapshot, so it tracks the
//! size of the state, not the length of the history.

use super::{Chain, ChainEvent, Extrinsic, Inclusion, RuntimeInfo};
use crate::ClientError;
use codec::{Decode, Encode};
use rebate_test_runtime::{
	AccountId, Balance, Block, BuildStorage, Header, Runtime, RuntimeGenesisConfig,
	UncheckedExtrinsic,
};
use sp_core::H256;
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _, Header as _},
	ApplyExtrinsicResult, StateVersion,
};
use sp_state_machine::{Backend as _, InMemoryBackend, OverlayedChanges};
use std::{
	fs::{File, OpenOptions},
	io::{Read, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
};

/// A snapshot of the state is written every this many blocks.
pub const SNAPSHOT_EVERY: u32 = 64;
/// The on-disk format: 2 since log records check their length (format 1 chains are refused
/// with a message saying so).
const FORMAT: u32 = 2;
const LOG: &str = "blocks.log";
const SNAPSHOT: &str = "state.snapshot";
const GENESIS_STATE: &str = "genesis.state";
/// A record's header: its body's length and that length's check.
const HEADER: u64 = 8;
/// The storage key of an embedded chain's genesis seed: a value of its own in every chain's
/// genesis state, so no two chains share a genesis hash (documents signed for one chain are
/// refused by every other).
pub const SEED_KEY: &[u8] = b":rebate:embedded-seed";

/// An event as stored with its phase and topics.
pub type EventRecord = frame_system::EventRecord<rebate_test_runtime::RuntimeEvent, H256>;

/// The last block of the chain.
#[derive(Clone, Copy, Debug, Encode, Decode, PartialEq, Eq)]
pub struct Head {
	/// Its number.
	pub number: u32,
	/// Its hash.
	pub hash: H256,
	/// The genesis hash.
	pub genesis: H256,
}

#[derive(Encode, Decode)]
struct Snapshot {
	format: u32,
	head: Head,
	log_offset: u64,
	pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One block of the history, as kept in `blocks.log`.
#[derive(Clone, Debug, Encode, Decode)]
pub struct BlockRecord {
	/// The block.
	pub block: Block,
	/// Its events.
	pub events: Vec<EventRecord>,
	/// The storage changes it made (`None`: removed).
	pub changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// How a new embedded chain starts.
#[derive(Clone, Debug, Default)]
pub struct Genesis {
	/// Accounts funded at genesis in addition to (or instead of) the dev accounts' balances.
	pub endowed: Vec<(AccountId, Balance)>,
	/// What makes this chain's genesis its own ([`SEED_KEY`]): `None`, a random seed (every new
	/// chain is another chain); `Some(name)`, a seed derived from the name (chains made with one
	/// name share a genesis: tests, and a chain a team recreates on purpose).
	pub seed: Option<String>,
}

impl Genesis {
	/// The seed stored under [`SEED_KEY`].
	fn seed_value(&self) -> Vec<u8> {
		match &self.seed {
			Some(name) => sp_io::hashing::blake2_256(name.as_bytes()).to_vec(),
			None => {
				use sp_core::Pair;
				let (_, seed) = sp_core::sr25519::Pair::generate();
				seed.to_vec()
			}
		}
	}
}

/// The embedded chain.
pub struct Embedded {
	dir: PathBuf,
	/// The exclusive lock, held while open (`None`: opened read-only, which takes no lock and
	/// writes nothing).
	lock: Option<File>,
	backend: InMemoryBackend<BlakeTwo256>,
	head: Head,
	log: File,
	log_len: u64,
	since_snapshot: u32,
	/// Opened without error and every write so far succeeded (else nothing more is written).
	healthy: bool,
}

fn corrupt(path: &Path, reason: impl ToString) -> ClientError {
	ClientError::Corrupt { path: path.display().to_string(), reason: reason.to_string() }
}

impl Embedded {
	/// Open the chain in `dir`, creating it from the development genesis (with `genesis`'s extra
	/// accounts) if the directory holds none.
	pub fn open(dir: &Path, genesis: &Genesis) -> Result<Self, ClientError> {
		std::fs::create_dir_all(dir).map_err(|e| ClientError::io(dir, e))?;
		let lock_path = dir.join("LOCK");
		let lock = OpenOptions::new()
			.create(true)
			.truncate(false)
			.write(true)
			.open(&lock_path)
			.map_err(|e| ClientError::io(&lock_path, e))?;
		lock.lock().map_err(|e| ClientError::io(&lock_path, e))?;
		let made = dir.join(SNAPSHOT).exists() || dir.join(GENESIS_STATE).exists();
		if made {
			Self::load(dir.to_path_buf(), Some(lock))
		} else {
			Self::create(dir.to_path_buf(), lock, genesis)
		}
	}

	/// Open the chain in `dir` to read it while another process may hold it open: no lock is
	/// taken and nothing is written (its state is the snapshot and the complete blocks the log
	/// holds after it at this moment; a torn last record, another process's write in flight, is
	/// left alone). Producing blocks is refused.
	pub fn open_read_only(dir: &Path) -> Result<Self, ClientError> {
		if !dir.join(SNAPSHOT).exists() && !dir.join(GENESIS_STATE).exists() {
			return Err(ClientError::Backend(format!("{}: no chain here yet", dir.display())));
		}
		Self::load(dir.to_path_buf(), None)
	}

	fn create(dir: PathBuf, lock: File, genesis: &Genesis) -> Result<Self, ClientError> {
		let mut json = rebate_test_runtime::genesis::development();
		if let Some(balances) = json["balances"]["balances"].as_array_mut() {
			for (who, amount) in &genesis.endowed {
				let who = serde_json::json!(who);
				balances.retain(|entry| entry[0] != who);
				balances.push(serde_json::json!([who, amount]));
			}
		}
		let config: RuntimeGenesisConfig = serde_json::from_value(json)
			.map_err(|e| ClientError::Backend(format!("genesis preset: {e}")))?;
		let mut storage = config.build_storage().map_err(ClientError::Backend)?;
		storage.top.insert(SEED_KEY.to_vec(), genesis.seed_value());
		let backend: InMemoryBackend<BlakeTwo256> = (storage, StateVersion::V1).into();
		let state_root = *backend.root();
		let extrinsics_root = BlakeTwo256::trie_root(Vec::new(), StateVersion::V1);
		let genesis_hash =
			Header::new(0, extrinsics_root, state_root, Default::default(), Default::default())
				.hash();
		let log_path = dir.join(LOG);
		if std::fs::metadata(&log_path).map(|m| m.len() > 0).unwrap_or(false) {
			return Err(corrupt(
				&log_path,
				"a block log without its state snapshot; not overwriting it",
			));
		}
		let log = OpenOptions::new()
			.create(true)
			.truncate(true)
			.read(true)
			.write(true)
			.open(&log_path)
			.map_err(|e| ClientError::io(&log_path, e))?;
		let mut chain = Embedded {
			dir,
			lock: Some(lock),
			backend,
			head: Head { number: 0, hash: genesis_hash, genesis: genesis_hash },
			log,
			log_len: 0,
			since_snapshot: 0,
			healthy: true,
		};
		// The genesis state, once: what a lost snapshot is rebuilt from.
		let pairs = chain.pairs()?;
		let head = chain.head;
		write_atomically(
			&chain.dir,
			GENESIS_STATE,
			&Snapshot { format: FORMAT, head, log_offset: 0, pairs },
		)?;
		chain.snapshot()?;
		// Block 1 records the genesis hash on chain (frame-system's genesis holds a placeholder
		// until then), so every transaction signed from here on is for the real genesis.
		chain.produce(vec![])?;
		Ok(chain)
	}

	fn load(dir: PathBuf, lock: Option<File>) -> Result<Self, ClientError> {
		let writable = lock.is_some();
		// The snapshot, or (missing or damaged) the genesis state and the whole log.
		let (snapshot, rebuilt) = match read_state(&dir, SNAPSHOT)? {
			Some(snapshot) => (snapshot, false),
			None => match read_state(&dir, GENESIS_STATE)? {
				Some(genesis) => (genesis, true),
				None => {
					return Err(corrupt(
						&dir.join(SNAPSHOT),
						"the state snapshot is missing or damaged, and there is no genesis state to rebuild it from the block log (a chain made before the client kept one)",
					))
				}
			},
		};
		let backend: InMemoryBackend<BlakeTwo256> = backend_of(snapshot.pairs);
		let log_path = dir.join(LOG);
		let log = OpenOptions::new()
			.read(true)
			.write(writable)
			.open(&log_path)
			.map_err(|e| ClientError::io(&log_path, e))?;
		let file_len = log.metadata().map_err(|e| ClientError::io(&log_path, e))?.len();
		if file_len < snapshot.log_offset {
			return Err(corrupt(&log_path, "the block log is shorter than the snapshot says"));
		}
		let mut chain = Embedded {
			dir,
			lock,
			backend,
			head: snapshot.head,
			log_len: snapshot.log_offset,
			log,
			since_snapshot: 0,
			healthy: false,
		};
		chain.replay_log()?;
		// A read-only chain is never healthy for writing: it produces no block and writes no
		// snapshot.
		chain.healthy = writable;
		if rebuilt && writable {
			chain.snapshot()?;
		}
		Ok(chain)
	}

	/// Apply the complete blocks the log holds after `log_len`. Only a torn last record (a kill
	/// in the middle of its write) is cut off, by a writer; a reader leaves it (it may be another
	/// process's write in flight) and stops before it. Damage anywhere else is reported, never
	/// silently dropped.
	fn replay_log(&mut self) -> Result<(), ClientError> {
		let log_path = self.dir.join(LOG);
		let mut log = File::open(&log_path).map_err(|e| ClientError::io(&log_path, e))?;
		let file_len = log.metadata().map_err(|e| ClientError::io(&log_path, e))?.len();
		if file_len < self.log_len {
			return Err(corrupt(&log_path, "the block log is shorter than the state read from it"));
		}
		log.seek(SeekFrom::Start(self.log_len)).map_err(|e| ClientError::io(&log_path, e))?;
		let mut reader = std::io::BufReader::new(log);
		loop {
			let remaining = file_len - self.log_len;
			match read_record(&mut reader, remaining).map_err(|e| ClientError::io(&log_path, e))? {
				Record::End => return Ok(()),
				Record::Torn if self.read_only() => return Ok(()),
				Record::Torn => {
					self.log.set_len(self.log_len).map_err(|e| ClientError::io(&log_path, e))?;
					self.log.sync_all().map_err(|e| ClientError::io(&log_path, e))?;
					return Ok(());
				}
				Record::Damaged(reason) => {
					return Err(corrupt(
						&log_path,
						format!("block {} onwards: {reason}", self.head.number + 1),
					))
				}
				Record::Block(len, record) => {
					if record.block.header.number != self.head.number + 1
						|| record.block.header.parent_hash != self.head.hash
					{
						return Err(corrupt(
							&log_path,
							format!(
								"block {} does not follow block {}",
								record.block.header.number, self.head.number
							),
						));
					}
					self.apply_changes(&record)?;
					self.log_len += len;
					self.since_snapshot += 1;
				}
			}
		}
	}

	/// A chain opened read-only ([`Embedded::open_read_only`]): take in the blocks its writer
	/// added since (the log is append-only, so this reads only the new records). The new head.
	pub fn catch_up(&mut self) -> Result<Head, ClientError> {
		if !self.read_only() {
			return Ok(self.head);
		}
		self.replay_log()?;
		if self.since_snapshot >= SNAPSHOT_EVERY {
			// As a snapshot would, in memory only: drop the trie nodes no longer referenced.
			let pairs = self.pairs()?;
			self.backend = backend_of(pairs);
			self.since_snapshot = 0;
		}
		Ok(self.head)
	}

	/// Whether the chain was opened read-only ([`Embedded::open_read_only`]).
	fn read_only(&self) -> bool {
		self.lock.is_none()
	}

	/// The whole state as key-value pairs.
	fn pairs(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, ClientError> {
		self.backend
			.pairs(Default::default())
			.map_err(|e| ClientError::Backend(format!("state iteration: {e}")))?
			.collect::<Result<Vec<_>, _>>()
			.map_err(|e| ClientError::Backend(format!("state iteration: {e}")))
	}

	fn apply_changes(&mut self, record: &BlockRecord) -> Result<(), ClientError> {
		let delta = record.changes.iter().map(|(k, v)| (&k[..], v.as_deref()));
		let (root, transaction) = self.backend.storage_root(delta, StateVersion::V1);
		if root != record.block.header.state_root {
			return Err(corrupt(
				&self.dir.join(LOG),
				format!("block {} does not lead to its state root", record.block.header.number),
			));
		}
		self.backend.apply_transaction(root, transaction);
		self.head.number = record.block.header.number;
		self.head.hash = record.block.header.hash();
		Ok(())
	}

	/// The chain's last block.
	pub fn head(&self) -> Head {
		self.head
	}

	/// Close without the final snapshot, leaving the directory as a kill after the last block
	/// would (the blocks since the last snapshot only in the log). For tests of recovery.
	#[doc(hidden)]
	pub fn close_as_if_killed(mut self) {
		self.since_snapshot = 0;
	}

	/// The data directory.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// Run `f` against the current state, read-only (changes are discarded).
	pub fn with_state<R>(&self, f: impl FnOnce() -> R) -> R {
		let mut overlay = OverlayedChanges::<BlakeTwo256>::default();
		let mut ext = sp_state_machine::Ext::new(&mut overlay, &self.backend, None);
		sp_externalities::set_and_run_with_externalities(&mut ext, f)
	}

	/// Author the next block from `extrinsics` on a scratch overlay: the block, each extrinsic's
	/// result, the events, and the overlay holding the block's changes.
	fn author(
		&self,
		extrinsics: Vec<UncheckedExtrinsic>,
	) -> (Block, Vec<ApplyExtrinsicResult>, Vec<EventRecord>, OverlayedChanges<BlakeTwo256>) {
		let header =
			rebate_test_runtime::authoring::next_header(self.head.hash, self.head.number + 1);
		let mut overlay = OverlayedChanges::<BlakeTwo256>::default();
		let mut ext = sp_state_machine::Ext::new(&mut overlay, &self.backend, None);
		let (block, results, events) =
			sp_externalities::set_and_run_with_externalities(&mut ext, || {
				let (block, results) =
					rebate_test_runtime::authoring::author_block(&header, extrinsics);
				let events = frame_system::Pallet::<Runtime>::read_events_no_consensus()
					.map(|e| *e)
					.collect::<Vec<_>>();
				(block, results, events)
			});
		drop(ext);
		(block, results, events, overlay)
	}

	/// Author and import the next block with `extrinsics`: returns the block, each extrinsic's
	/// result (invalid ones are not in the block) and the block's events. The block is on disk
	/// when this returns.
	pub fn produce(
		&mut self,
		extrinsics: Vec<UncheckedExtrinsic>,
	) -> Result<(Block, Vec<ApplyExtrinsicResult>, Vec<EventRecord>), ClientError> {
		if self.read_only() {
			return Err(ClientError::Backend("the chain is open read-only".into()));
		}
		if !self.healthy {
			return Err(ClientError::Backend(
				"an earlier write to the chain failed; reopen it".into(),
			));
		}
		let (block, results, events, mut overlay) = self.author(extrinsics);
		let changes = overlay
			.drain_storage_changes(&self.backend, StateVersion::V1)
			.map_err(|e| ClientError::Backend(format!("storage changes: {e}")))?;
		let record = BlockRecord {
			block: block.clone(),
			events: events.clone(),
			changes: changes.main_storage_changes,
		};
		// The record on disk is the commit point; memory follows it.
		self.append(&record)?;
		self.backend.apply_transaction(changes.transaction_storage_root, changes.transaction);
		// Drop the trie nodes this block made unreachable, so memory follows the state's size.
		self.backend.backend_storage_mut().purge();
		self.head.number = block.header.number;
		self.head.hash = block.header.hash();
		self.since_snapshot += 1;
		// The block is committed; a snapshot is an optimisation, retried at the next block if
		// it fails (the log alone reopens the chain).
		if self.since_snapshot >= SNAPSHOT_EVERY {
			let _ = self.snapshot();
		}
		Ok((block, results, events))
	}

	fn append(&mut self, record: &BlockRecord) -> Result<(), ClientError> {
		let body = record.encode();
		let mut bytes = Vec::with_capacity(body.len() + 24);
		bytes.extend_from_slice(&header(body.len() as u32));
		bytes.extend_from_slice(&sp_io::hashing::blake2_128(&body));
		bytes.extend_from_slice(&body);
		let path = self.dir.join(LOG);
		let written = self
			.log
			.seek(SeekFrom::Start(self.log_len))
			.and_then(|_| self.log.write_all(&bytes))
			.and_then(|()| self.log.sync_data());
		if let Err(e) = written {
			// Take back whatever reached the file, so a block reported as failed never
			// reappears; if even that fails, write nothing more.
			if self.log.set_len(self.log_len).and_then(|()| self.log.sync_all()).is_err() {
				self.healthy = false;
			}
			return Err(ClientError::io(&path, e));
		}
		self.log_len += bytes.len() as u64;
		Ok(())
	}

	/// Write the whole state atomically (temporary file, flush, rename) and rebuild the
	/// in-memory state from it, dropping trie nodes no longer referenced.
	pub fn snapshot(&mut self) -> Result<(), ClientError> {
		if self.read_only() {
			return Err(ClientError::Backend("the chain is open read-only".into()));
		}
		let pairs = self.pairs()?;
		let snapshot =
			Snapshot { format: FORMAT, head: self.head, log_offset: self.log_len, pairs };
		write_atomically(&self.dir, SNAPSHOT, &snapshot)?;
		let root = *self.backend.root();
		self.backend = backend_of(snapshot.pairs);
		debug_assert_eq!(root, *self.backend.root());
		self.since_snapshot = 0;
		Ok(())
	}

	/// The block history from block `from` on (`from` ≥ 1), read from disk.
	pub fn history(&self, from: u32) -> Result<Vec<BlockRecord>, ClientError> {
		let path = self.dir.join(LOG);
		let file = File::open(&path).map_err(|e| ClientError::io(&path, e))?;
		let mut reader = std::io::BufReader::new(file.take(self.log_len));
		let mut remaining = self.log_len;
		let mut out = Vec::new();
		loop {
			match read_record(&mut reader, remaining).map_err(|e| ClientError::io(&path, e))? {
				Record::Block(len, record) => {
					remaining -= len;
					if record.block.header.number >= from {
						out.push(record);
					}
				}
				Record::End => return Ok(out),
				Record::Torn | Record::Damaged(_) => {
					return Err(corrupt(&path, "the block log is damaged"))
				}
			}
		}
	}

	/// The number of keys in the state and their total encoded size.
	pub fn state_size(&self) -> (usize, usize) {
		self.backend
			.pairs(Default::default())
			.map(|it| {
				it.filter_map(Result::ok)
					.fold((0, 0), |(n, s), (k, v)| (n + 1, s + k.len() + v.len()))
			})
			.unwrap_or_default()
	}
}

fn checked_body(bytes: &[u8]) -> Option<&[u8]> {
	let (sum, body) = bytes.split_at_checked(16)?;
	(sp_io::hashing::blake2_128(body) == sum).then_some(body)
}

/// What the log holds at the reader's position.
enum Record {
	/// A whole, intact block record and its length on disk.
	Block(u64, BlockRecord),
	/// The end of the log.
	End,
	/// An incomplete last record: a write cut short.
	Torn,
	/// A record that is whole but damaged, or does not decode.
	Damaged(&'static str),
}

/// A record's header for a body of `len` bytes: the length and its check.
fn header(len: u32) -> [u8; HEADER as usize] {
	let len = len.to_le_bytes();
	let check = sp_io::hashing::blake2_128(&len);
	[len[0], len[1], len[2], len[3], check[0], check[1], check[2], check[3]]
}

/// Whether the rest of `reader` is zeros (a crash that extended the file before its data
/// reached the disk).
fn all_zeros(reader: &mut impl Read) -> std::io::Result<bool> {
	let mut buf = [0u8; 8192];
	loop {
		match reader.read(&mut buf)? {
			0 => return Ok(true),
			n if buf[..n].iter().any(|b| *b != 0) => return Ok(false),
			_ => {}
		}
	}
}

/// Read one record; `remaining` is how many bytes the log has from here. Only a last,
/// incomplete record is `Torn`: the file ends inside it, or it and everything after it are zeros,
/// or it is the file's last and its body does not check (its bytes never all reached the disk).
/// Any other failure is `Damaged`, and nothing is cut off.
fn read_record(reader: &mut impl Read, remaining: u64) -> std::io::Result<Record> {
	if remaining == 0 {
		return Ok(Record::End);
	}
	if remaining < HEADER + 16 {
		// Less than a header and a checksum: a write cut short at the file's end.
		return Ok(Record::Torn);
	}
	let mut head = [0u8; HEADER as usize];
	reader.read_exact(&mut head)?;
	let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
	if head != header(len) {
		if head.iter().all(|b| *b == 0) && all_zeros(reader)? {
			return Ok(Record::Torn);
		}
		return Ok(Record::Damaged("a record's length does not check"));
	}
	let size = HEADER + 16 + len as u64;
	if size > remaining {
		// The length checks and promises more than the file holds: a write cut short.
		return Ok(Record::Torn);
	}
	let mut bytes = vec![0u8; 16 + len as usize];
	reader.read_exact(&mut bytes)?;
	let Some(body) = checked_body(&bytes) else {
		// The file's last record, whole in length but not in content: its write did not reach
		// the disk (it was never reported written). Elsewhere, damage.
		return Ok(if size == remaining {
			Record::Torn
		} else {
			Record::Damaged("checksum mismatch")
		});
	};
	Ok(match BlockRecord::decode(&mut &body[..]) {
		Ok(record) => Record::Block(size, record),
		Err(_) => Record::Damaged("a record that does not decode"),
	})
}

/// Read a state file (a snapshot or the genesis state): `None` if it is missing or damaged; an
/// error if it was made by another format of the client.
fn read_state(dir: &Path, name: &str) -> Result<Option<Snapshot>, ClientError> {
	let path = dir.join(name);
	let bytes = match std::fs::read(&path) {
		Ok(bytes) => bytes,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
		Err(e) => return Err(ClientError::io(&path, e)),
	};
	let Some(snapshot) =
		checked_body(&bytes).and_then(|body| Snapshot::decode(&mut &body[..]).ok())
	else {
		return Ok(None);
	};
	if snapshot.format != FORMAT {
		return Err(corrupt(
			&path,
			format!(
				"made by another version of the client (format {}, this one reads {FORMAT}); move the directory away to start a new chain",
				snapshot.format
			),
		));
	}
	Ok(Some(snapshot))
}

/// An in-memory state holding exactly `pairs`.
fn backend_of(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> InMemoryBackend<BlakeTwo256> {
	(pairs.into_iter().collect::<std::collections::BTreeMap<_, _>>(), StateVersion::V1).into()
}

/// Write `state` to `dir/name` atomically: a temporary file, flushed, renamed over the old one,
/// the directory flushed.
fn write_atomically(dir: &Path, name: &str, state: &Snapshot) -> Result<(), ClientError> {
	let body = state.encode();
	let path = dir.join(name);
	let tmp = dir.join(format!("{name}.tmp"));
	{
		let mut file = File::create(&tmp).map_err(|e| ClientError::io(&tmp, e))?;
		file.write_all(&sp_io::hashing::blake2_128(&body))
			.and_then(|()| file.write_all(&body))
			.and_then(|()| file.sync_all())
			.map_err(|e| ClientError::io(&tmp, e))?;
	}
	std::fs::rename(&tmp, &path).map_err(|e| ClientError::io(&path, e))?;
	File::open(dir).and_then(|d| d.sync_all()).map_err(|e| ClientError::io(dir, e))
}

impl Chain for Embedded {
	fn info(&self) -> RuntimeInfo {
		let version = rebate_test_runtime::VERSION;
		RuntimeInfo {
			genesis: self.head.genesis,
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
		}
	}

	async fn best(&mut self) -> Result<(u32, H256), ClientError> {
		Ok((self.head.number, self.head.hash))
	}

	async fn block_hash(&mut self, n: u32) -> Result<H256, ClientError> {
		if n == self.head.number {
			return Ok(self.head.hash);
		}
		let hash = self.with_state(|| frame_system::Pallet::<Runtime>::block_hash(n));
		if hash == H256::zero() {
			return Err(ClientError::Backend(format!("no hash of block {n} in state")));
		}
		Ok(hash)
	}

	async fn storage(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
		self.backend.storage(key).map_err(|e| ClientError::Backend(format!("storage read: {e}")))
	}

	async fn dry_run(&mut self, xt: &Extrinsic) -> Result<ApplyExtrinsicResult, ClientError> {
		let (_, mut results, _, _) = self.author(vec![decode_extrinsic(xt)?]);
		results.pop().ok_or_else(|| ClientError::Backend("no dry-run result".into()))
	}

	async fn submit(
		&mut self,
		xts: Vec<Extrinsic>,
	) -> Result<Vec<Result<Inclusion, ClientError>>, ClientError> {
		// Extrinsics this runtime cannot decode are refused as a node's pool refuses them; the
		// rest go into one block.
		let decoded: Vec<_> = xts.iter().map(decode_extrinsic).collect();
		let valid = decoded.iter().filter_map(|d| d.as_ref().ok().cloned()).collect();
		let (block, results, events) = self.produce(valid)?;
		let hash = block.header.hash();
		let number = block.header.number;
		// Included extrinsics are numbered after the timestamp inherent, in order.
		let mut index = 0u32;
		let mut results = results.into_iter();
		Ok(decoded
			.into_iter()
			.map(|d| {
				d?;
				match results.next() {
					None => Err(ClientError::Backend("no result for the extrinsic".into())),
					Some(Err(e)) => Err(ClientError::Invalid(format!("{e:?}"))),
					Some(Ok(outcome)) => {
						index += 1;
						Ok(Inclusion {
							block_number: number,
							block_hash: hash,
							index,
							outcome,
							events: events_of(&events, index)
								.into_iter()
								.map(ChainEvent::Known)
								.collect(),
						})
					}
				}
			})
			.collect())
	}

	async fn advance(
		&mut self,
		n: u32,
		progress: &mut dyn FnMut(u32, u32),
	) -> Result<u32, ClientError> {
		for done in 1..=n {
			self.produce(vec![])?;
			progress(done, n);
		}
		Ok(self.head.number)
	}
}

/// `xt` as this runtime's extrinsic.
fn decode_extrinsic(xt: &Extrinsic) -> Result<UncheckedExtrinsic, ClientError> {
	UncheckedExtrinsic::decode(&mut xt.encoded())
		.map_err(|e| ClientError::Invalid(format!("not an extrinsic of this runtime: {e}")))
}

/// The events of extrinsic `index` among a block's event records.
pub fn events_of(records: &[EventRecord], index: u32) -> Vec<rebate_test_runtime::RuntimeEvent> {
	records
		.iter()
		.filter(|r| r.phase == frame_system::Phase::ApplyExtrinsic(index))
		.map(|r| r.event.clone())
		.collect()
}

impl Drop for Embedded {
	fn drop(&mut self) {
		// A clean close leaves a fresh snapshot, so the next open replays nothing.
		if self.healthy && self.since_snapshot > 0 {
			let _ = self.snapshot();
		}
	}
}
