//! Failures at the runtime level: late documents, replays, another chain's documents, fee payers
//! who cannot pay, expired mortality. Each one is refused with a named reason and moves nothing
//! but the fee (or, for an invalid transaction, not even that).

use pallet_referral_rebate::{Error as RebateError, PayoutCondition};
use rebate_runtime_tests::{
	documents::{purchase_call, settle_call, submit_call, Parties, Terms},
	fee_paid, recorded_purchase, Chain, DevKey as Key,
};
use rebate_test_runtime::{Runtime, RuntimeCall, UNIT};
use sp_core::H256;
use sp_runtime::{
	generic::Era,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	DispatchError,
};

fn setup() -> (Chain, Parties, Terms, H256) {
	let p = Parties::dev();
	let mut chain = Chain::development(&[]);
	let genesis = chain.genesis_hash();
	let xt = chain.sign(
		&p.customer,
		purchase_call(p.merchant.account(), rebate_test_runtime::AssetKind::Native, 100 * UNIT),
	);
	let block = chain.produce(vec![xt]);
	assert!(matches!(block.results[..], [Ok(Ok(()))]));
	let origin = recorded_purchase(&block.events).expect("recorded");
	let now = chain.best_number();
	let t = Terms { promotion_id: 9, ..Terms::standard(origin, now + 3, now + 6) };
	(chain, p, t, genesis)
}

fn module_error(e: RebateError<Runtime>) -> DispatchError {
	e.into()
}

/// Submit `call` as `key`: it is included, fails with `error`, and moves nothing but the fee:
/// every dev account and the escrow account are unchanged, and the issuance falls by exactly
/// the fee (fees are burned in this runtime).
fn fails_with(chain: &mut Chain, key: &Key, call: RuntimeCall, error: RebateError<Runtime>) {
	let who = key.account();
	let others: Vec<_> = sp_keyring::Sr25519Keyring::iter()
		.map(|k| k.to_account_id())
		.filter(|a| *a != who)
		.collect();
	let snapshot = |chain: &mut Chain| -> Vec<_> {
		let escrow = chain.escrow();
		others.iter().map(|a| (chain.free(a), escrow)).collect()
	};
	let (before, others_before, issuance) = (chain.free(&who), snapshot(chain), chain.issuance());
	let xt = chain.sign(key, call);
	let block = chain.produce(vec![xt]);
	match &block.results[..] {
		[Ok(Err(e))] => assert_eq!(e, &module_error(error)),
		other => panic!("expected a dispatch error, got {other:?}"),
	}
	let fee = fee_paid(&block.events, &who);
	assert!(fee > 0);
	assert_eq!(chain.free(&who), before - fee, "only the fee was taken");
	assert_eq!(snapshot(chain), others_before, "nobody else's funds moved");
	assert_eq!(chain.issuance(), issuance - fee, "only the fee was burned");
	assert!(block.events.iter().any(|e| matches!(
		e,
		rebate_test_runtime::RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. })
	)));
}

#[test]
fn a_settle_after_its_deadline_is_refused() {
	let (mut chain, p, t, genesis) = setup();
	chain.advance_to(t.settle_by - 1);
	let r0 = chain.free(&p.referee.account());
	// The next block is settle-by itself: too late.
	fails_with(
		&mut chain,
		&p.merchant,
		settle_call(&genesis, &p, &t),
		RebateError::SettleDeadlinePassed,
	);
	assert_eq!(chain.free(&p.referee.account()), r0);
}

#[test]
fn a_settle_in_the_last_allowed_block_is_accepted() {
	let (mut chain, p, t, genesis) = setup();
	chain.advance_to(t.settle_by - 2);
	let xt = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	let block = chain.produce(vec![xt]);
	assert_eq!(block.block.header.number, t.settle_by - 1);
	assert!(matches!(block.results[..], [Ok(Ok(()))]), "{:?}", block.results);
}

#[test]
fn a_rebate_after_pay_at_is_refused() {
	let (mut chain, p, t, genesis) = setup();
	chain.advance_to(t.pay_at - 1);
	fails_with(
		&mut chain,
		&p.customer,
		submit_call(&genesis, &p, &t),
		RebateError::RebateDeadlinePassed,
	);
	assert_eq!(chain.escrow(), 0);
}

#[test]
fn a_replayed_extrinsic_is_invalid_and_not_included() {
	let (mut chain, p, t, genesis) = setup();
	let xt = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	assert!(matches!(chain.produce(vec![xt.clone()]).results[..], [Ok(Ok(()))]));
	let before = chain.free(&p.merchant.account());
	let block = chain.produce(vec![xt]);
	assert_eq!(
		block.results,
		vec![Err(TransactionValidityError::Invalid(InvalidTransaction::Stale))]
	);
	assert_eq!(block.block.extrinsics.len(), 1, "only the timestamp inherent");
	assert_eq!(chain.free(&p.merchant.account()), before, "no fee for an invalid transaction");
}

#[test]
fn a_replayed_settle_with_a_fresh_nonce_is_refused_by_the_pallet() {
	let (mut chain, p, t, genesis) = setup();
	let xt = chain.sign(&p.merchant, settle_call(&genesis, &p, &t));
	assert!(matches!(chain.produce(vec![xt]).results[..], [Ok(Ok(()))]));
	fails_with(&mut chain, &p.merchant, settle_call(&genesis, &p, &t), RebateError::AlreadySettled);
}

#[test]
fn documents_signed_for_another_genesis_are_refused() {
	let (mut chain, p, t, _) = setup();
	let other = H256::repeat_byte(7);
	fails_with(
		&mut chain,
		&p.merchant,
		settle_call(&other, &p, &t),
		RebateError::BadOfferMerchantSignature,
	);
	fails_with(
		&mut chain,
		&p.customer,
		submit_call(&other, &p, &t),
		RebateError::BadRebateMerchantSignature,
	);
}

#[test]
fn a_fee_payer_who_cannot_pay_is_refused_before_dispatch() {
	let (_, p, t, _) = setup();
	// An existing account (so the nonce check passes) holding one planck above the existential
	// deposit: less than any fee, which may not reap the account.
	let pauper = Key::sr("//Pauper");
	let mut chain =
		Chain::development(&[(pauper.account(), rebate_test_runtime::EXISTENTIAL_DEPOSIT + 1)]);
	let genesis = chain.genesis_hash();
	let call = submit_call(&genesis, &Parties { customer: pauper.clone(), ..p }, &t);
	let xt = chain.sign(&pauper, call);
	let (_, fee) = chain.weight_and_fee(&xt);
	let funds = chain.free(&pauper.account());
	assert!(
		fee > funds - rebate_test_runtime::EXISTENTIAL_DEPOSIT,
		"the fee ({fee}) is more than the payer can spend ({funds})"
	);
	let block = chain.produce(vec![xt]);
	assert_eq!(
		block.results,
		vec![Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))]
	);
	assert_eq!(chain.free(&pauper.account()), funds);
}

#[test]
fn an_expired_mortal_transaction_is_refused() {
	let (mut chain, p, _, _) = setup();
	let now = chain.best_number() as u64;
	let xt = chain.sign_with(
		&p.customer,
		purchase_call(p.merchant.account(), rebate_test_runtime::AssetKind::Native, 10 * UNIT),
		1,
		Era::mortal(4, now - 1),
	);
	// Positive control: on an identical chain the transaction goes in within its period.
	let (mut control, ..) = setup();
	assert!(matches!(control.produce(vec![xt.clone()]).results[..], [Ok(Ok(()))]));
	chain.advance_to(now as u32 + 8);
	let block = chain.produce(vec![xt]);
	assert_eq!(
		block.results,
		// Past its period the era names another birth block, so the signed payload no longer
		// matches: the signature is refused.
		vec![Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof))]
	);
}

#[test]
fn a_merchant_without_free_funds_cannot_escrow() {
	let p = Parties { merchant: Key::sr("//Poor merchant"), ..Parties::dev() };
	let mut chain = Chain::development(&[(p.merchant.account(), 5 * UNIT)]);
	let genesis = chain.genesis_hash();
	let unknown = rebate_runtime_tests::documents::PurchaseId { block: 0, index: 0 };
	let t = Terms { condition: PayoutCondition::Unconditional, ..Terms::standard(unknown, 5, 10) };
	fails_with(
		&mut chain,
		&p.customer,
		submit_call(&genesis, &p, &t),
		RebateError::MerchantCannotEscrow,
	);
}
