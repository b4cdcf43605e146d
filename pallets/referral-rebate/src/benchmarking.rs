//! Benchmarks of every call at its worst case, the hook per due promotion, and one bare signature
//! verification to compare them against.

use super::*;
use crate::Pallet as ReferralRebate;
use alloc::boxed::Box;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate as _, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

fn account<T: Config>(seed: u32) -> T::AccountId {
	T::BenchmarkHelper::account(seed)
}

/// Give `who` a million existential deposits.
fn fund<T: Config>(who: &T::AccountId) {
	let ed = T::Currency::minimum_balance();
	let _ = T::Currency::set_balance(who, ed.saturating_mul(1_000_000u32.into()));
}

fn funded<T: Config>(seed: u32) -> T::AccountId {
	let who = account::<T>(seed);
	fund::<T>(&who);
	who
}

/// A price many existential deposits large.
fn price<T: Config>(eds: u32) -> BalanceOf<T> {
	T::Currency::minimum_balance().saturating_mul(eds.into())
}

/// Sign the next link of `signed` as `who`. Wrapped framing: the heavier of the two.
fn sign<T: Config, D: Document<T::AccountId>>(
	signed: &mut Signed<D, T::AccountId, T::Signature>,
	who: &T::AccountId,
	designates: Option<T::AccountId>,
) -> Result<(), BenchmarkError> {
	let genesis = ReferralRebate::<T>::genesis_hash();
	signed
		.sign_next(&genesis, designates, Framing::Bytes, |m| T::BenchmarkHelper::sign(who, m))
		.map_err(|_| BenchmarkError::Stop("the benchmark chain is already complete"))
}

struct Setup<T: Config> {
	merchant: T::AccountId,
	customer: T::AccountId,
	referee: T::AccountId,
	offer: SignedOfferOf<T>,
	purchase: SignedPurchaseOf<T>,
	rebate: SignedRebateOf<T>,
}

/// Three funded parties, the customer's origin purchase, and all three documents fully signed for
/// promotion 0, settle-by block 10 and rebate block 20.
fn setup<T: Config>(condition: PayoutCondition) -> Result<Setup<T>, BenchmarkError> {
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	let (merchant, customer, referee) = (funded::<T>(0), funded::<T>(1), funded::<T>(2));
	let origin_purchase = NextPurchaseId::<T>::get();
	ReferralRebate::<T>::purchase(
		RawOrigin::Signed(customer.clone()).into(),
		merchant.clone(),
		price::<T>(100),
	)?;
	let settle_by: BlockNumberFor<T> = 10u32.into();
	let pay_at: BlockNumberFor<T> = 20u32.into();
	let offer_doc = Offer {
		promotion_id: 0,
		merchant: merchant.clone(),
		customer: customer.clone(),
		origin_purchase,
		original_price: price::<T>(100),
		discounted_price: price::<T>(80),
		settle_by,
		pay_at,
	};
	let purchase_doc = ReferredPurchase {
		promotion_id: 0,
		merchant: merchant.clone(),
		buyer: referee.clone(),
		referrer: customer.clone(),
		price: price::<T>(80),
		settle_by,
	};
	let rebate_doc = Rebate {
		promotion_id: 0,
		merchant: merchant.clone(),
		customer: customer.clone(),
		amount: price::<T>(15),
		pay_at,
		condition,
	};
	let mut offer = Signed::unsigned(offer_doc);
	sign::<T, _>(&mut offer, &merchant, None)?;
	sign::<T, _>(&mut offer, &customer, Some(referee.clone()))?;
	sign::<T, _>(&mut offer, &referee, None)?;
	let mut purchase = Signed::unsigned(purchase_doc);
	sign::<T, _>(&mut purchase, &customer, None)?;
	sign::<T, _>(&mut purchase, &referee, None)?;
	let mut rebate = Signed::unsigned(rebate_doc);
	sign::<T, _>(&mut rebate, &merchant, None)?;
	sign::<T, _>(&mut rebate, &referee, Some(referee.clone()))?;
	sign::<T, _>(&mut rebate, &customer, None)?;
	Ok(Setup { merchant, customer, referee, offer, purchase, rebate })
}

/// Put `n` promotions with escrowed, payable rebates on the agenda of `at`, directly in storage;
/// each promotion has its own merchant, customer and referee, so no account is touched twice.
fn fill_agenda<T: Config>(at: BlockNumberFor<T>, n: u32) -> Result<(), BenchmarkError> {
	let amount = price::<T>(15);
	for i in 0..n {
		// Parties that sign nothing need no keys.
		let merchant: T::AccountId = frame_benchmarking::account("merchant", i, 0);
		fund::<T>(&merchant);
		let customer = frame_benchmarking::account("customer", i, 0);
		let referee = frame_benchmarking::account("referee", i, 0);
		T::Currency::hold(&HoldReason::RebateEscrow.into(), &merchant, amount)?;
		Promotions::<T>::insert(
			&merchant,
			0,
			Promotion {
				customer,
				referee,
				pay_at: at,
				due: at,
				referral: Some(SettledReferral { purchase_id: i as PurchaseId, refunded: false }),
				rebate: Some(EscrowedRebate {
					amount,
					condition: PayoutCondition::ReferralSettled,
				}),
			},
		);
		Agenda::<T>::insert(at, i, (merchant, 0));
	}
	ReferralRebate::<T>::set_agenda_len(at, n);
	Ok(())
}

/// The worst case for placing a new promotion: every agenda it may use is full but the last.
fn crowd_agendas<T: Config>(pay_at: BlockNumberFor<T>) {
	let mut at = pay_at;
	for _ in 0..T::MaxPayoutDelay::get() {
		ReferralRebate::<T>::set_agenda_len(at, T::MaxDuePerBlock::get());
		at = at.saturating_add(1u32.into());
	}
	ReferralRebate::<T>::set_agenda_len(at, T::MaxDuePerBlock::get().saturating_sub(1));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// One bare signature verification of a 32-byte payload: the unit the calls are compared to.
	#[benchmark]
	fn verify_signature() {
		let who = account::<T>(0);
		let payload = [7u8; 32];
		let signature = T::BenchmarkHelper::sign(&who, &payload);
		let valid;
		#[block]
		{
			valid = signature.verify(&payload[..], &who);
		}
		assert!(valid);
	}

	#[benchmark]
	fn purchase() {
		let (merchant, buyer) = (funded::<T>(0), funded::<T>(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(buyer.clone()), merchant.clone(), price::<T>(100));

		assert!(Purchases::<T>::contains_key(0));
	}

	/// Worst case: a new promotion placed on the last agenda it may use (every one before it full),
	/// five wrapped signatures verified.
	#[benchmark]
	fn settle_referral() -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled)?;
		let pay_at = s.offer.document.pay_at;
		crowd_agendas::<T>(pay_at);
		// The signer's account is read by every extrinsic's fee payment before the call.
		let signer = s.merchant.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.merchant.clone()), Box::new(s.offer), Box::new(s.purchase));

		let last = pay_at.saturating_add(T::MaxPayoutDelay::get().into());
		let open = Promotions::<T>::get(&s.merchant, 0);
		assert!(open.is_some_and(|p| p.referral.is_some() && p.due == last));
		Ok(())
	}

	/// Worst case: a new promotion placed on the last agenda it may use, three wrapped signatures,
	/// one hold.
	#[benchmark]
	fn submit_rebate() -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled)?;
		let pay_at = s.rebate.document.pay_at;
		crowd_agendas::<T>(pay_at);
		let signer = s.customer.clone();
		whitelist_account!(signer);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.customer.clone()), Box::new(s.rebate));

		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::RebateEscrow.into(), &s.merchant),
			price::<T>(15)
		);
		let last = pay_at.saturating_add(T::MaxPayoutDelay::get().into());
		assert_eq!(Promotions::<T>::get(&s.merchant, 0).map(|p| p.due), Some(last));
		Ok(())
	}

	/// Worst case: the refunded purchase is the referral of an open promotion.
	#[benchmark]
	fn refund() -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled)?;
		ReferralRebate::<T>::settle_referral(
			RawOrigin::Signed(s.merchant.clone()).into(),
			Box::new(s.offer),
			Box::new(s.purchase),
		)?;
		let referred = NextPurchaseId::<T>::get().saturating_sub(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.merchant.clone()), referred);

		assert!(Promotions::<T>::get(&s.merchant, 0)
			.and_then(|p| p.referral)
			.is_some_and(|r| r.refunded));
		let _ = s.referee;
		Ok(())
	}

	/// Worst case: a settled promotion whose escrowed rebate is paid out.
	#[benchmark]
	fn close_overdue() -> Result<(), BenchmarkError> {
		let s = setup::<T>(PayoutCondition::ReferralSettled)?;
		let pay_at = s.rebate.document.pay_at;
		ReferralRebate::<T>::settle_referral(
			RawOrigin::Signed(s.merchant.clone()).into(),
			Box::new(s.offer),
			Box::new(s.purchase),
		)?;
		ReferralRebate::<T>::submit_rebate(
			RawOrigin::Signed(s.customer.clone()).into(),
			Box::new(s.rebate),
		)?;
		frame_system::Pallet::<T>::set_block_number(pay_at);
		let caller = funded::<T>(3);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), s.merchant.clone(), 0);

		assert!(!Promotions::<T>::contains_key(&s.merchant, 0));
		assert!(
			T::Currency::balance_on_hold(&HoldReason::RebateEscrow.into(), &s.merchant).is_zero()
		);
		Ok(())
	}

	/// The hook closing `n` due promotions, each paying its escrowed rebate.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxDuePerBlock::get() }>) -> Result<(), BenchmarkError> {
		let at: BlockNumberFor<T> = 20u32.into();
		fill_agenda::<T>(at, n)?;
		frame_system::Pallet::<T>::set_block_number(at);
		let mut meter = WeightMeter::with_limit(Weight::max_value());

		#[block]
		{
			ReferralRebate::<T>::close_due(at, &mut meter);
		}

		assert_eq!(Promotions::<T>::iter().count(), 0);
		assert_eq!(ReferralRebate::<T>::agenda_len(at), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(ReferralRebate, crate::mock::new_test_ext(), crate::mock::Test);
}
