//! One three-party agreement done with pallet-multisig against the same agreement done with
//! `settle_referral`, in the same runtime and one run; and how many complete referrals fit in a
//! block. The figures are printed (run with `--nocapture`) for the docs.

use frame_support::{dispatch::DispatchClass, weights::Weight};
use pallet_referral_rebate::WeightInfo as _;
use rebate_runtime_tests::{
	documents::{purchase_call, settle_call, submit_call, Parties, Terms},
	fee_paid, normal_weight_used, recorded_purchase, Chain,
};
use rebate_test_runtime::{
	Balance, Runtime, RuntimeBlockLength, RuntimeBlockWeights, RuntimeCall, UNIT,
};

fn sum(items: &[(Weight, Balance)]) -> (Weight, Balance) {
	items.iter().fold((Weight::zero(), 0), |(w, f), (iw, ifee)| (w + *iw, f + ifee))
}

#[test]
fn multisig_against_settle_referral() {
	let p = Parties::dev();
	let (a, b, c) = (p.merchant.account(), p.customer.account(), p.referee.account());
	let mut chain = Chain::development(&[]);
	let genesis = chain.genesis_hash();

	// The multisig way: Alice, Bob and Charlie, threshold 3; the last approval executes the
	// agreed payment (Charlie's 80 units to Alice, from the multisig account).
	let signatories = |me: &sp_runtime::AccountId32| {
		let mut others: Vec<_> = [&a, &b, &c].into_iter().filter(|x| *x != me).cloned().collect();
		others.sort();
		others
	};
	let multi = pallet_multisig::Pallet::<Runtime>::multi_account_id(
		&{
			let mut all = vec![a.clone(), b.clone(), c.clone()];
			all.sort();
			all
		},
		3,
	);
	let fund = chain.sign(
		&p.referee,
		RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: multi.clone().into(),
			value: 100 * UNIT,
		}),
	);
	assert!(matches!(chain.produce(vec![fund]).results[..], [Ok(Ok(()))]));
	let payment = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: a.clone().into(),
		value: 80 * UNIT,
	});
	let payment_weight = {
		use frame_support::dispatch::GetDispatchInfo;
		payment.get_dispatch_info().call_weight
	};
	let call_hash = sp_io::hashing::blake2_256(&codec::Encode::encode(&payment));

	let mut multisig = Vec::new();
	let first = chain.sign(
		&p.merchant,
		RuntimeCall::Multisig(pallet_multisig::Call::approve_as_multi {
			threshold: 3,
			other_signatories: signatories(&a),
			maybe_timepoint: None,
			call_hash,
			max_weight: payment_weight,
		}),
	);
	multisig.push(chain.weight_and_fee(&first));
	let block = chain.produce(vec![first]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let timepoint = pallet_multisig::Timepoint { height: block.block.header.number, index: 1 };
	let mut fees = fee_paid(&block.events, &a);
	let mut used = normal_weight_used(&block.events);

	let second = chain.sign(
		&p.customer,
		RuntimeCall::Multisig(pallet_multisig::Call::approve_as_multi {
			threshold: 3,
			other_signatories: signatories(&b),
			maybe_timepoint: Some(timepoint),
			call_hash,
			max_weight: payment_weight,
		}),
	);
	multisig.push(chain.weight_and_fee(&second));
	let block = chain.produce(vec![second]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	fees += fee_paid(&block.events, &b);
	used += normal_weight_used(&block.events);

	let a0 = chain.free(&a);
	let last = chain.sign(
		&p.referee,
		RuntimeCall::Multisig(pallet_multisig::Call::as_multi {
			threshold: 3,
			other_signatories: signatories(&c),
			maybe_timepoint: Some(timepoint),
			call: Box::new(payment),
			max_weight: payment_weight,
		}),
	);
	multisig.push(chain.weight_and_fee(&last));
	let block = chain.produce(vec![last]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	fees += fee_paid(&block.events, &c);
	used += normal_weight_used(&block.events);
	assert!(
		block.events.iter().any(|e| matches!(
			e,
			rebate_test_runtime::RuntimeEvent::Multisig(pallet_multisig::Event::MultisigExecuted {
				result: Ok(()),
				..
			})
		)),
		"the payment executed"
	);
	// Alice received the payment and got back the deposit her first approval reserved.
	let deposit =
		rebate_test_runtime::DepositBase::get() + rebate_test_runtime::DepositFactor::get() * 3;
	assert_eq!(chain.free(&a), a0 + 80 * UNIT + deposit);

	// The referral way: one extrinsic by the merchant carrying the three parties' signatures.
	let xt = chain.sign(
		&p.customer,
		purchase_call(a.clone(), rebate_test_runtime::AssetKind::Native, 100 * UNIT),
	);
	let origin = recorded_purchase(&chain.produce(vec![xt]).events).expect("recorded");
	let now = chain.best_number();
	let t = Terms::standard(origin, now + 5, now + 10);
	let settle = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let referral = chain.weight_and_fee(&settle);
	let block = chain.produce(vec![settle]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
	let referral_fee = fee_paid(&block.events, &a);
	let referral_used = normal_weight_used(&block.events);

	let (mw, mf) = sum(&multisig);
	println!(
		"multisig, 3 extrinsics: declared {} ps / {} B, used {} ps / {} B, fee quoted {mf}, paid {fees}",
		mw.ref_time(),
		mw.proof_size(),
		used.ref_time(),
		used.proof_size(),
	);
	println!(
		"settle_referral, 1 extrinsic: declared {} ps / {} B, used {} ps / {} B, fee quoted {}, paid {referral_fee}",
		referral.0.ref_time(),
		referral.0.proof_size(),
		referral_used.ref_time(),
		referral_used.proof_size(),
		referral.1,
	);
	println!(
		"multisig / settle_referral: used weight {:.2}x, fee paid {:.2}x",
		used.ref_time() as f64 / referral_used.ref_time() as f64,
		fees as f64 / referral_fee as f64
	);
	// Fees are charged on the declared weight, less what the extrinsic returned unused.
	assert!(fees <= mf && fees > 0);
	assert!(referral_fee <= referral.1 && referral_fee > 0);
	// Declared weights exclude the per-extrinsic base weight that the used weights include.
	assert!(
		used.ref_time() > mw.ref_time() / 2 && referral_used.ref_time() > referral.0.ref_time()
	);
}

#[test]
fn complete_referrals_per_block() {
	let p = Parties::dev();
	let mut chain = Chain::development(&[]);
	let genesis = chain.genesis_hash();
	let unknown = rebate_runtime_tests::documents::PurchaseId { block: 0, index: 0 };
	let t = Terms::standard(unknown, 50, 60);
	let settle = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let submit = chain.sign(&p.customer, submit_call(&genesis, &p, &t));
	let (settle_w, _) = chain.weight_and_fee(&settle);
	let (submit_w, _) = chain.weight_and_fee(&submit);
	let weights = RuntimeBlockWeights::get();
	let base = weights.get(DispatchClass::Normal).base_extrinsic;
	// Each extrinsic also pays the per-extrinsic base weight.
	let per_referral = settle_w + submit_w + base * 2;
	let max_normal = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
	let by_time = max_normal.ref_time() / per_referral.ref_time();
	let len = (codec::Encode::encoded_size(&settle) + codec::Encode::encoded_size(&submit)) as u64;
	let max_len = *RuntimeBlockLength::get().max.get(DispatchClass::Normal) as u64;
	let by_length = max_len / len;
	let in_one_block = by_time.min(by_length);
	// Payouts run in the hook at the rebate block, within MaxHookWeight; what does not fit is
	// carried to the next block (nothing caps how many share a rebate block).
	let hook = <Runtime as pallet_referral_rebate::Config>::MaxHookWeight::get();
	type W = rebate_test_runtime::weights::pallet_referral_rebate::WeightInfo<Runtime>;
	let per_payout = pallet_referral_rebate::charges::close_one::<W>();
	let base = pallet_referral_rebate::charges::close_base::<W>() + W::remove_purchases(0);
	let payouts = (hook.ref_time() - base.ref_time()) / per_payout.ref_time();
	// Sustained: every block settles and submits N referrals and pays N earlier ones.
	let sustained = in_one_block.min(payouts);
	println!(
		"per referral: settle + submit {} ps (with base weights), {} bytes; payout {} ps",
		per_referral.ref_time(),
		len,
		per_payout.ref_time(),
	);
	println!(
		"complete referrals per block at 75% normal dispatch: {in_one_block} (by ref_time {by_time}, by length {by_length}); payouts per block within MaxHookWeight: {payouts}; sustained per block: {sustained}"
	);
	assert!(by_time < by_length, "weight, not length, is the binding limit");
	assert!(payouts >= 1, "the hook closes at least one promotion a block");
}

/// A chain configuration that differs from the test runtime only in its database weight: the
/// same benchmarked weights, charged under `RocksDbWeight`.
#[allow(unexpected_cfgs)] // `frame_support::runtime` tests for a `std` feature this crate lacks
mod rocks {
	use frame_support::{derive_impl, weights::constants::RocksDbWeight};

	#[frame_support::runtime]
	mod runtime {
		#[runtime::runtime]
		#[runtime::derive(RuntimeCall, RuntimeEvent, RuntimeError, RuntimeOrigin, RuntimeTask)]
		pub struct Rocks;

		#[runtime::pallet_index(0)]
		pub type System = frame_system;
	}

	#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
	impl frame_system::Config for Rocks {
		type Block = frame_system::mocking::MockBlock<Rocks>;
		type DbWeight = RocksDbWeight;
	}
}

/// The weights one extrinsic pays besides its call: the base extrinsic weight and the test
/// runtime's transaction extensions, under `T`'s database weight.
fn overhead<T: frame_system::Config>() -> Weight {
	use frame_system::ExtensionsWeightInfo as X;
	use pallet_transaction_payment::WeightInfo as P;
	type S<T> = frame_system::SubstrateExtensionsWeight<T>;
	let base = RuntimeBlockWeights::get().get(DispatchClass::Normal).base_extrinsic;
	base + S::<T>::check_non_zero_sender()
		+ S::<T>::check_spec_version()
		+ S::<T>::check_tx_version()
		+ S::<T>::check_genesis()
		+ S::<T>::check_mortality_mortal_transaction()
		+ S::<T>::check_nonce()
		+ S::<T>::check_weight()
		+ pallet_transaction_payment::weights::SubstrateWeight::<T>::charge_transaction_payment()
		+ S::<T>::weight_reclaim()
}

/// A complete referral under `T`'s database weight: settle and submit (one opens the promotion,
/// the other joins it: the costlier order), each with its extrinsic overhead, the payout in the
/// hook and the removal of the referred purchase's record (both charged to the calls); and the same agreement by pallet-multisig (two approvals and the executing call,
/// with the payment) against `settle_referral` alone.
fn one_basis<T: frame_system::Config>() -> (Weight, Weight, Weight, Weight) {
	use pallet_balances::WeightInfo as B;
	use pallet_multisig::WeightInfo as M;
	use pallet_referral_rebate::{charges, Path};
	type W<T> = rebate_test_runtime::weights::pallet_referral_rebate::WeightInfo<T>;
	type MW<T> = rebate_test_runtime::weights::pallet_multisig::WeightInfo<T>;
	type BW<T> = rebate_test_runtime::weights::pallet_balances::WeightInfo<T>;
	let settle_first = charges::settle::<W<T>>(Some(Path::Open), charges::AssetPath::Native, false)
		+ charges::submit::<W<T>>(Some(Path::Join), charges::AssetPath::Native, false);
	let submit_first = charges::submit::<W<T>>(Some(Path::Open), charges::AssetPath::Native, false)
		+ charges::settle::<W<T>>(Some(Path::Join), charges::AssetPath::Native, false);
	// The opening call's weight already includes the payout (it pays for its promotion's
	// closing) and the settle the referred purchase record's later removal.
	let referral = settle_first.max(submit_first) + overhead::<T>() * 2;
	let settle = charges::settle::<W<T>>(None, charges::AssetPath::Native, false) + overhead::<T>();
	let payment = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: sp_runtime::AccountId32::new([0; 32]).into(),
		value: UNIT,
	});
	let z = codec::Encode::encoded_size(&payment) as u32;
	let multisig = MW::<T>::approve_as_multi_create(2)
		+ MW::<T>::approve_as_multi_approve(2)
		+ MW::<T>::as_multi_complete(2, z)
		+ BW::<T>::transfer_keep_alive()
		+ overhead::<T>() * 3;
	(referral, settle, multisig, charges::close_one::<W<T>>())
}

/// `settle_referral`'s own work under `T`'s database weight, with its extrinsic overhead: what
/// it charges less the two future costs it prepays (closing the promotion it opens, removing the
/// purchase record it writes), which a multisig approval has no counterpart of.
fn settle_own<T: frame_system::Config>() -> Weight {
	use pallet_referral_rebate::{charges, Path};
	type W<T> = rebate_test_runtime::weights::pallet_referral_rebate::WeightInfo<T>;
	charges::settle::<W<T>>(Some(Path::Open), charges::AssetPath::Native, false)
		- charges::close_one::<W<T>>()
		- charges::removal::<W<T>>()
		+ overhead::<T>()
}

#[test]
fn complete_referral_and_multisig_on_one_basis() {
	let block = RuntimeBlockWeights::get().max_block.ref_time();
	let normal = RuntimeBlockWeights::get()
		.get(DispatchClass::Normal)
		.max_total
		.unwrap_or(RuntimeBlockWeights::get().max_block)
		.ref_time();
	for (name, (referral, settle, multisig, payout), overhead_of) in [
		("RocksDbWeight", one_basis::<rocks::Rocks>(), overhead::<rocks::Rocks>()),
		("ParityDbWeight", one_basis::<Runtime>(), overhead::<Runtime>()),
	] {
		let us = |w: Weight| w.ref_time() as f64 / 1e6;
		println!(
			"{name}: complete referral {:.0} µs (of which the payout {:.0} µs and one extrinsic's overhead {:.0} µs, twice): {} per 2-s block, {} in the 75 % for normal extrinsics; settle_referral {:.0} µs; multisig {:.0} µs = {:.2}× settle_referral",
			us(referral),
			us(payout),
			us(overhead_of),
			block / referral.ref_time(),
			normal / referral.ref_time(),
			us(settle),
			us(multisig),
			multisig.ref_time() as f64 / settle.ref_time() as f64,
		);
		let own = if name == "RocksDbWeight" {
			settle_own::<rocks::Rocks>()
		} else {
			settle_own::<Runtime>()
		};
		println!(
			"{name}: settle_referral's own work {:.0} µs (without the prepaid closing and record removal): multisig = {:.2}× that",
			us(own),
			multisig.ref_time() as f64 / own.ref_time() as f64,
		);
		assert!(referral.all_gt(settle) && multisig.all_gt(Weight::zero()));
	}
	// The runtime charges the ParityDB basis.
	assert_eq!(
		<Runtime as frame_system::Config>::DbWeight::get(),
		frame_support::weights::constants::ParityDbWeight::get()
	);
}

/// The most state a block can add and the most the chain can hold, from the charged weights and
/// the records' MaxEncodedLen (each storage entry's key and value; trie nodes come on top).
#[test]
fn worst_case_state_growth() {
	use codec::MaxEncodedLen;
	use pallet_referral_rebate::{BlockKey, PromotionId, PromotionOf, PurchaseRecordOf};
	type P = pallet_referral_rebate::Pallet<Runtime>;
	type C = <Runtime as pallet_referral_rebate::Config>::PurchaseLifetime;
	type D = <Runtime as pallet_referral_rebate::Config>::MaxRebateDelay;
	let prefix = 32usize;
	// A purchase record, and its buyer's last purchase from the merchant (one per live record).
	let last_purchase = prefix + 2 * (16 + sp_runtime::AccountId32::max_encoded_len()) + 4;
	let record = prefix
		+ BlockKey::max_encoded_len()
		+ 4 + PurchaseRecordOf::<Runtime>::max_encoded_len()
		+ last_purchase;
	let promotion = prefix
		+ BlockKey::max_encoded_len()
		+ 16 + sp_runtime::AccountId32::max_encoded_len()
		+ 16 + PromotionId::max_encoded_len()
		+ PromotionOf::<Runtime>::max_encoded_len();
	let weights = RuntimeBlockWeights::get();
	let normal =
		weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block).ref_time();
	let base = weights.get(DispatchClass::Normal).base_extrinsic.ref_time();
	let per_block = |w: Weight| normal / (w.ref_time() + base);
	// A block full of purchases adds a record each; of settlements (each opening a promotion) a
	// record and a promotion each.
	let purchases = per_block(P::purchase_weight(&rebate_test_runtime::AssetKind::Native));
	let settles = per_block(P::settle_weight(None, &rebate_test_runtime::AssetKind::Native, false));
	let by_purchases = purchases as usize * record;
	let by_settles = settles as usize * (record + promotion);
	let growth = by_purchases.max(by_settles);
	// Steady state: every record lives PurchaseLifetime blocks, every promotion at most
	// MaxRebateDelay; a chain that fills every block so holds at most this many bytes.
	let lifetime = <C as frame_support::traits::Get<u32>>::get() as usize;
	let delay = <D as frame_support::traits::Get<u32>>::get() as usize;
	let steady = (purchases as usize * record * lifetime)
		.max(settles as usize * (record * lifetime + promotion * delay));
	println!(
		"state: a purchase record {record} B, a promotion {promotion} B; a block adds at most {growth} B ({purchases} purchases, or {settles} settlements); steady state at most {:.1} GiB over PurchaseLifetime {lifetime} blocks / MaxRebateDelay {delay} blocks",
		steady as f64 / (1u64 << 30) as f64
	);
	assert!(growth > 0 && steady >= growth);
}
