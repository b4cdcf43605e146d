//! The claim flow on the pallet's mock runtime, printed as a timeline with balances after each
//! step: `cargo run -p pallet-referral-rebate --features mock --example demo`.
//!
//! Merchant Alice, customer Bob and his friend Charlie (the referee). Every document is signed
//! link by link, in the claims' order, with the pallet's own types and payload function.

use frame_support::traits::fungible::Inspect;
use pallet_referral_rebate::{mock::*, *};

fn line(step: &str) {
	let (m, c, r) = (merchant(), customer(), referee());
	println!(
		"block {:>2}  {:<74} merchant {:>7} escrow {:>3} |  customer {:>7}  referee {:>7}",
		System::block_number(),
		step,
		Balances::balance(&m),
		Balances::balance(&ReferralRebate::escrow_account()),
		Balances::balance(&c),
		Balances::balance(&r),
	);
}

fn main() -> Result<(), String> {
	let fail = |e: sp_runtime::DispatchError| format!("{e:?}");
	let refused = |e: sp_runtime::DispatchErrorWithPostInfo<
		frame_support::dispatch::PostDispatchInfo,
	>| { format!("{:?}", e.error) };
	ExtBuilder::default().build().execute_with(|| {
		let p = Parties::default();
		let genesis = ReferralRebate::genesis_hash();
		line("genesis: merchant Alice, customer Bob, referee Charlie");

		ReferralRebate::purchase(RuntimeOrigin::signed(customer()), merchant(), NATIVE, 1_000)
			.map_err(fail)?;
		let origin = System::events()
			.iter()
			.find_map(|e| match &e.event {
				RuntimeEvent::ReferralRebate(e) => e.recorded_purchase(),
				_ => None,
			})
			.ok_or("no purchase recorded")?;
		line(&format!("Bob buys for 1000 (the established purchase {origin})"));

		run_to_block(3);
		let offer = offer_doc(&p, 1, origin);
		let mut signed_offer = Signed::unsigned(offer.clone());
		add_link(&mut signed_offer, &p.merchant, None, Framing::Raw, &genesis);
		let rebate = rebate_doc(&p, 1, PayoutCondition::ReferralSettled);
		let mut signed_rebate = Signed::unsigned(rebate);
		add_link(&mut signed_rebate, &p.merchant, None, Framing::Raw, &genesis);
		line("Alice signs an offer (800 instead of 1000) and a rebate (150)");

		add_link(&mut signed_offer, &p.customer, Some(referee()), Framing::Raw, &genesis);
		line("Bob endorses the offer for Charlie");
		add_link(&mut signed_offer, &p.referee, None, Framing::Raw, &genesis);
		add_link(&mut signed_rebate, &p.referee, Some(referee()), Framing::Raw, &genesis);
		line("Charlie accepts the offer and signs the rebate");
		let mut purchase = Signed::unsigned(purchase_doc(&p, &offer));
		add_link(&mut purchase, &p.customer, None, Framing::Raw, &genesis);
		add_link(&mut purchase, &p.referee, None, Framing::Raw, &genesis);
		add_link(&mut signed_rebate, &p.customer, None, Framing::Raw, &genesis);
		line("Charlie drafts his purchase; Bob and Charlie sign it; Bob signs the rebate");

		run_to_block(offer.settle_by - 1);
		ReferralRebate::settle_referral(
			RuntimeOrigin::signed(merchant()),
			Box::new(signed_offer),
			Box::new(purchase),
		)
		.map_err(refused)?;
		line("Alice settles Charlie's purchase, a block before settle-by");

		ReferralRebate::submit_rebate(RuntimeOrigin::signed(customer()), Box::new(signed_rebate))
			.map_err(refused)?;
		line("Bob submits the all-signed rebate: 150 move from Alice into the escrow account");

		run_to_block(offer.pay_at - 1);
		line("the block before the rebate block");
		run_to_block(offer.pay_at);
		line("the rebate block: the chain pays Bob from the escrow account");
		let paid = System::events().iter().any(|e| {
			matches!(&e.event, RuntimeEvent::ReferralRebate(Event::RebatePaid { amount: 150, .. }))
		});
		if paid {
			Ok(())
		} else {
			Err("the rebate was not paid".into())
		}
	})
}
