//! Signed extrinsics with the runtime's transaction extensions (nonce, mortality, genesis, fee),
//! built and signed off chain with the runtime's own types.

use crate::{chain::RuntimeInfo, keys::KeyPair};
use codec::Encode;
use rebate_test_runtime::{RuntimeCall, SignedPayload, UncheckedExtrinsic};
use sp_core::H256;
use sp_runtime::{generic::Era, MultiAddress};

/// How long a transaction stays valid, in blocks (a power of two).
pub const MORTALITY: u64 = 64;

/// Where a transaction's mortality starts: the best block's number and hash.
#[derive(Clone, Copy, Debug)]
pub struct Birth {
	/// The block number the era is anchored at.
	pub number: u32,
	/// That block's hash (what `CheckEra` signs).
	pub hash: H256,
}

/// Sign `call` as `key` with `nonce`, valid for [`MORTALITY`] blocks from `birth`, no tip, its
/// fee paid in the native token or (`fee_asset`) in a sufficient pallet-assets asset.
pub fn sign(
	info: &RuntimeInfo,
	key: &KeyPair,
	call: RuntimeCall,
	nonce: u32,
	birth: Birth,
	fee_asset: Option<u32>,
) -> UncheckedExtrinsic {
	let era = Era::mortal(MORTALITY, birth.number as u64);
	let extension = rebate_test_runtime::authoring::tx_extension(nonce, era, fee_asset);
	// What each extension signs without carrying it: versions, genesis and the era's block.
	let implicit =
		((), info.spec_version, info.transaction_version, info.genesis, birth.hash, (), (), (), ());
	let payload = SignedPayload::from_raw(call, extension, implicit);
	let signature = payload.using_encoded(|bytes| key.sign(bytes));
	let (call, extension, _) = payload.deconstruct();
	UncheckedExtrinsic::new_signed(call, MultiAddress::Id(key.account()), signature, extension)
}
