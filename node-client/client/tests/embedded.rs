//! The client library on the embedded chain: the whole flow with every signature scheme and
//! `<Bytes>` framing, state and history surviving a reopen, and refusals that change nothing.

use pallet_referral_rebate::{Framing, PayoutCondition};
use rebate_client::{
	chain::{
		embedded::{Embedded, Genesis},
		state, Chain,
	},
	documents::AnyDocument,
	keys::KeyPair,
	Client, ClientError, PromotionTerms,
};
use rebate_test_runtime::{AssetKind, UNIT};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
	tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
}

struct Cast {
	merchant: KeyPair,
	customer: KeyPair,
	referee: KeyPair,
}

fn mixed_cast() -> Cast {
	Cast {
		merchant: KeyPair::parse("ed25519://Merchant").unwrap(),
		customer: KeyPair::parse("ecdsa://Customer").unwrap(),
		referee: KeyPair::parse("//Referee").unwrap(),
	}
}

fn funded(cast: &Cast) -> Genesis {
	Genesis {
		endowed: vec![
			(cast.merchant.account(), 1_000 * UNIT),
			(cast.customer.account(), 1_000 * UNIT),
			(cast.referee.account(), 1_000 * UNIT),
		],
		seed: None,
	}
}

#[test]
fn mixed_schemes_and_bytes_framing_through_the_whole_flow() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let cast = mixed_cast();
		let mut client = Client::new(Embedded::open(dir.path(), &funded(&cast)).unwrap());
		client.framing = Framing::Bytes;

		let (_, origin) = client
			.purchase(&cast.customer, cast.merchant.account(), AssetKind::Native, 100 * UNIT)
			.await
			.unwrap();
		let now = client.now().await.unwrap();
		let terms = PromotionTerms {
			promotion_id: 9,
			origin_purchase: origin,
			asset: None,
			discounted_price: 80 * UNIT,
			settle_by: now + 5,
			pay_at: now + 8,
			rebate: 15 * UNIT,
			condition: PayoutCondition::ReferralSettled,
			campaign: None,
		};
		let (mut offer, mut rebate) =
			client.create_promotion(&cast.merchant, &terms).await.unwrap();
		client.sign(&mut offer, &cast.customer, Some(cast.referee.account())).await.unwrap();
		client.sign(&mut offer, &cast.referee, None).await.unwrap();
		client.sign(&mut rebate, &cast.referee, None).await.unwrap();
		client.sign(&mut rebate, &cast.customer, None).await.unwrap();
		let mut purchase = client.draft_purchase(&offer, &cast.customer).await.unwrap();
		client.sign(&mut purchase, &cast.referee, None).await.unwrap();
		let AnyDocument::Offer(o) = &offer.document else { panic!("an offer") };
		assert!(o.links.iter().all(|l| l.framing == Framing::Bytes));

		let referee_before =
			state::account(&mut client.chain, &cast.referee.account()).await.unwrap();
		client.settle(&cast.merchant, &offer, &purchase).await.unwrap();
		let referee_after =
			state::account(&mut client.chain, &cast.referee.account()).await.unwrap();
		assert_eq!(referee_before.data.free - referee_after.data.free, 80 * UNIT);

		client.submit_rebate(&cast.customer, &rebate).await.unwrap();
		assert_eq!(state::escrow(&mut client.chain, &AssetKind::Native).await.unwrap(), 15 * UNIT);
		let customer_before =
			state::account(&mut client.chain, &cast.customer.account()).await.unwrap().data.free;
		let now = client.now().await.unwrap();
		client.chain.advance(terms.pay_at - now, &mut |_, _| {}).await.unwrap();
		let customer_after =
			state::account(&mut client.chain, &cast.customer.account()).await.unwrap().data.free;
		assert_eq!(customer_after - customer_before, 15 * UNIT);
		assert_eq!(state::escrow(&mut client.chain, &AssetKind::Native).await.unwrap(), 0);
		assert!(state::promotion(&mut client.chain, terms.pay_at, &cast.merchant.account(), 9)
			.await
			.unwrap()
			.is_none());
	})
}

#[test]
fn state_and_history_survive_a_reopen() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let cast = mixed_cast();
		let (head, balance, origin) = {
			let mut client = Client::new(Embedded::open(dir.path(), &funded(&cast)).unwrap());
			let (_, origin) = client
				.purchase(&cast.customer, cast.merchant.account(), AssetKind::Native, 100 * UNIT)
				.await
				.unwrap();
			// Past a snapshot, then a few blocks only in the log.
			let n = rebate_client::chain::embedded::SNAPSHOT_EVERY + 3;
			client.chain.advance(n, &mut |_, _| {}).await.unwrap();
			let balance =
				state::account(&mut client.chain, &cast.merchant.account()).await.unwrap();
			(client.chain.head(), balance.data.free, origin)
		};
		let mut chain = Embedded::open(dir.path(), &Genesis::default()).unwrap();
		assert_eq!(chain.head(), head);
		assert_eq!(
			state::account(&mut chain, &cast.merchant.account()).await.unwrap().data.free,
			balance
		);
		let history = chain.history(1).unwrap();
		assert_eq!(history.len() as u32, head.number);
		assert!(history.iter().any(|b| b.events.iter().any(|e| matches!(
			e.event,
			rebate_test_runtime::RuntimeEvent::ReferralRebate(
				pallet_referral_rebate::Event::PurchaseRecorded { .. }
			)
		))));
		// The purchase record is read back from the reopened state.
		let record = state::purchase(&mut chain, origin).await.unwrap().expect("recorded");
		assert_eq!(record.price, 100 * UNIT);
	})
}

#[test]
fn a_reader_sees_the_chain_another_process_holds_open_and_writes_nothing() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let cast = mixed_cast();
		let mut writer = Client::new(Embedded::open(dir.path(), &funded(&cast)).unwrap());
		let (_, origin) = writer
			.purchase(&cast.customer, cast.merchant.account(), AssetKind::Native, 100 * UNIT)
			.await
			.unwrap();
		// The writer keeps the chain open (its lock held): a reader opens it all the same and
		// sees its blocks, the purchase among them.
		let mut reader = Embedded::open_read_only(dir.path()).expect("opens without the lock");
		assert_eq!(reader.head(), writer.chain.head());
		let record = state::purchase(&mut reader, origin).await.unwrap().expect("recorded");
		assert_eq!(record.buyer, cast.customer.account());
		// It produces nothing and snapshots nothing.
		assert!(reader.advance(1, &mut |_, _| {}).await.is_err());
		assert!(reader.snapshot().is_err());
		// The writer goes on, past a snapshot; the reader catches up with the log's new blocks.
		let n = rebate_client::chain::embedded::SNAPSHOT_EVERY + 2;
		writer.chain.advance(n, &mut |_, _| {}).await.unwrap();
		assert_eq!(reader.catch_up().expect("catches up"), writer.chain.head());
		let record = state::purchase(&mut reader, origin).await.unwrap().expect("still there");
		assert_eq!(record.price, 100 * UNIT);
		// A new reader sees the same.
		let fresh = Embedded::open_read_only(dir.path()).expect("opens");
		assert_eq!(fresh.head(), writer.chain.head());
		// No chain yet: a clear error, nothing created.
		let empty = tempfile::tempdir().unwrap();
		assert!(Embedded::open_read_only(empty.path()).is_err());
		assert!(!empty.path().join("blocks.log").exists());
	})
}

#[test]
fn refusals_change_nothing() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let cast = mixed_cast();
		let mut client = Client::new(Embedded::open(dir.path(), &funded(&cast)).unwrap());
		let head = client.chain.head();
		// The chain refuses a purchase from oneself: not submitted, no block, no fee.
		let e = client
			.purchase(&cast.customer, cast.customer.account(), AssetKind::Native, 10 * UNIT)
			.await
			.unwrap_err();
		assert!(matches!(&e, ClientError::Rejected { name, .. } if name == "SelfPurchase"), "{e}");
		// The pallet's error as a value, not only its name.
		assert!(
			matches!(
				&e,
				ClientError::Rejected {
					pallet: Some(rebate_client::PalletError::SelfPurchase),
					..
				}
			),
			"{e}"
		);
		assert_eq!(client.chain.head(), head);
		// A promotion on a purchase that does not exist is refused before anyone signs.
		let terms = PromotionTerms {
			promotion_id: 1,
			origin_purchase: rebate_client::PurchaseId { block: 1, index: 42 },
			asset: None,
			discounted_price: 80 * UNIT,
			settle_by: head.number + 5,
			pay_at: head.number + 8,
			rebate: 15 * UNIT,
			condition: PayoutCondition::Unconditional,
			campaign: None,
		};
		let e = client.create_promotion(&cast.merchant, &terms).await.unwrap_err();
		assert!(e.to_string().contains("purchase 1-42 is not recorded"), "{e}");
		// Rules checked before signing: the discount must be a discount.
		let (_, origin) = client
			.purchase(&cast.customer, cast.merchant.account(), AssetKind::Native, 100 * UNIT)
			.await
			.unwrap();
		let e = client
			.create_promotion(
				&cast.merchant,
				&PromotionTerms {
					origin_purchase: origin,
					discounted_price: 100 * UNIT,
					..terms.clone()
				},
			)
			.await
			.unwrap_err();
		assert!(e.to_string().contains("discounted price must be below"), "{e}");
		// A rebate block beyond MaxRebateDelay is refused before anyone signs.
		let far = head.number + 31 * rebate_test_runtime::DAYS;
		let e = client
			.create_promotion(
				&cast.merchant,
				&PromotionTerms { origin_purchase: origin, pay_at: far, ..terms.clone() },
			)
			.await
			.unwrap_err();
		assert!(e.to_string().contains("MaxRebateDelay"), "{e}");
		// The customer cannot sign the referee's link.
		let (mut offer, _) = client
			.create_promotion(
				&cast.merchant,
				&PromotionTerms { origin_purchase: origin, ..terms.clone() },
			)
			.await
			.unwrap();
		client.sign(&mut offer, &cast.customer, Some(cast.referee.account())).await.unwrap();
		let before = offer.clone();
		let e = client.sign(&mut offer, &cast.customer, None).await.unwrap_err();
		assert!(matches!(e, ClientError::NotYourTurn { .. }), "{e}");
		assert_eq!(offer, before, "a refused signing step leaves the document as it was");
	})
}

/// The start of every record in a block log (`len ‖ check ‖ checksum ‖ body`).
fn record_starts(log: &[u8]) -> Vec<usize> {
	let mut starts = Vec::new();
	let mut pos = 0usize;
	while pos < log.len() {
		starts.push(pos);
		let len = u32::from_le_bytes(log[pos..pos + 4].try_into().unwrap()) as usize;
		pos += 24 + len;
	}
	starts
}

/// A chain with a snapshot at block `SNAPSHOT_EVERY` and six blocks only in its log, closed as if
/// killed: its head, and the merchant's balance there.
async fn killed_chain(dir: &std::path::Path) -> (rebate_client::chain::embedded::Head, Vec<u8>) {
	let mut chain = Embedded::open(dir, &Genesis::default()).unwrap();
	let n = rebate_client::chain::embedded::SNAPSHOT_EVERY + 5;
	chain.advance(n, &mut |_, _| {}).await.unwrap();
	let head = chain.head();
	chain.close_as_if_killed();
	(head, std::fs::read(dir.join("blocks.log")).unwrap())
}

#[test]
fn damage_inside_the_log_is_reported_not_cut_off() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let (head, good) = killed_chain(dir.path()).await;
		let log = dir.path().join("blocks.log");
		let starts = record_starts(&good);
		assert_eq!(starts.len() as u32, head.number);
		// A flipped byte in the body of a record after the snapshot but not the last one, and
		// a flipped byte in such a record's length: the open refuses and cuts nothing off (a
		// damaged length used to read as a torn tail, and every later block was dropped).
		let middle = starts[starts.len() - 3];
		for (at, says) in
			[(middle + 40, "checksum mismatch"), (middle + 1, "length does not check")]
		{
			let mut bad = good.clone();
			bad[at] ^= 0xff;
			std::fs::write(&log, &bad).unwrap();
			let err = Embedded::open(dir.path(), &Genesis::default()).err().expect("refused");
			assert!(err.to_string().contains(says), "{err}");
			assert_eq!(std::fs::read(&log).unwrap(), bad, "nothing was cut off");
			let err = Embedded::open_read_only(dir.path()).err().expect("refused too");
			assert!(err.to_string().contains(says), "{err}");
		}
		// A last record cut short, or whole but not all on disk: a torn write; cut off, the
		// chain opens one block back (that block was never reported written).
		for torn in [good[..good.len() - 7].to_vec(), {
			let mut t = good.clone();
			let last = starts[starts.len() - 1];
			t[last + 40] ^= 0xff;
			t
		}] {
			std::fs::write(&log, &torn).unwrap();
			let chain = Embedded::open(dir.path(), &Genesis::default()).unwrap();
			assert_eq!(chain.head().number, head.number - 1);
			drop(chain);
			std::fs::write(&log, &good).unwrap();
		}
		// Zeros after the last record (a crash that grew the file before its data reached the
		// disk): cut off, every committed block kept.
		let mut zeros = good.clone();
		zeros.extend_from_slice(&[0u8; 300]);
		std::fs::write(&log, &zeros).unwrap();
		let chain = Embedded::open(dir.path(), &Genesis::default()).unwrap();
		assert_eq!(chain.head(), head);
		drop(chain);
		assert_eq!(std::fs::read(&log).unwrap(), good, "the zeros are cut off");
	})
}

#[test]
fn a_lost_or_damaged_snapshot_is_rebuilt_from_the_log() {
	block_on(async {
		let dir = tempfile::tempdir().unwrap();
		let alice = KeyPair::dev("alice").unwrap().account();
		let (head, log) = killed_chain(dir.path()).await;
		let balance = {
			let mut chain = Embedded::open(dir.path(), &Genesis::default()).unwrap();
			state::account(&mut chain, &alice).await.unwrap().data.free
		};
		let snapshot = dir.path().join("state.snapshot");
		// Deleted, then damaged: each time the chain opens with every block, the same state,
		// and a new snapshot.
		for damage in [0, 1] {
			if damage == 0 {
				std::fs::remove_file(&snapshot).unwrap();
			} else {
				let mut bytes = std::fs::read(&snapshot).unwrap();
				let n = bytes.len();
				bytes[n / 2] ^= 0xff;
				std::fs::write(&snapshot, bytes).unwrap();
			}
			let mut chain = Embedded::open(dir.path(), &Genesis::default()).expect("rebuilt");
			assert_eq!(chain.head(), head, "no block lost");
			assert_eq!(state::account(&mut chain, &alice).await.unwrap().data.free, balance);
			drop(chain);
			assert!(snapshot.exists(), "a new snapshot");
		}
		assert!(std::fs::read(dir.path().join("blocks.log")).unwrap().starts_with(&log));
		// Without a snapshot or the genesis state, an existing log is not overwritten by a new
		// genesis.
		std::fs::remove_file(&snapshot).unwrap();
		std::fs::remove_file(dir.path().join("genesis.state")).unwrap();
		let before = std::fs::read(dir.path().join("blocks.log")).unwrap();
		let err = Embedded::open(dir.path(), &Genesis::default()).err().expect("refused");
		assert!(err.to_string().contains("not overwriting"), "{err}");
		assert_eq!(std::fs::read(dir.path().join("blocks.log")).unwrap(), before);
	})
}

#[test]
fn every_embedded_chain_has_its_own_genesis() {
	let genesis = |seed: Option<&str>| {
		let dir = tempfile::tempdir().unwrap();
		let g = Genesis { seed: seed.map(str::to_owned), ..Genesis::default() };
		Embedded::open(dir.path(), &g).unwrap().head().genesis
	};
	// Two new chains: two geneses, so what is signed for one is refused by the other.
	assert_ne!(genesis(None), genesis(None));
	// One name, one genesis; two names, two.
	assert_eq!(genesis(Some("team")), genesis(Some("team")));
	assert_ne!(genesis(Some("team")), genesis(Some("other")));
}
