//! Off-chain helpers every user of this runtime shares (std only): the transaction extensions a
//! signed extrinsic carries, and authoring a block the way a node's block builder does.

use crate::{
	Block, Executive, Header, Runtime, RuntimeCall, TxExtension, UncheckedExtrinsic, SLOT_DURATION,
};
use codec::Encode;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::H256;
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::{Block as _, Header as _},
	ApplyExtrinsicResult,
};

/// The transaction extensions of a signed extrinsic: `nonce`, `era`, no tip, the fee in the native
/// token or (`fee_asset`) in a sufficient pallet-assets asset such as the stablecoin.
#[cfg(not(feature = "other-chain"))]
pub fn tx_extension(nonce: u32, era: Era, fee_asset: Option<u32>) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_asset_tx_payment::ChargeAssetTxPayment::<Runtime>::from(0, fee_asset),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// [`tx_extension`] of the other chain (`other-chain`): its set and order, the metadata hash
/// check disabled.
#[cfg(feature = "other-chain")]
pub fn tx_extension(nonce: u32, era: Era, fee_asset: Option<u32>) -> TxExtension {
	(
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_asset_tx_payment::ChargeAssetTxPayment::<Runtime>::from(0, fee_asset),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// The header a node starts block `number` on `parent` with: an Aura pre-runtime digest for
/// slot `number`.
pub fn next_header(parent: H256, number: u32) -> Header {
	let slot = Slot::from(number as u64);
	let digest = Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, slot.encode())] };
	Header::new(number, Default::default(), Default::default(), parent, digest)
}

/// Author a block on `header` in the current externalities, as `sc-block-builder` does: the
/// timestamp inherent (slot × slot duration), then each extrinsic in a storage transaction; an
/// invalid extrinsic leaves no trace in the block. Returns the finalized block and each
/// extrinsic's result, in order. The externalities hold the block's state changes afterwards.
pub fn author_block(
	header: &Header,
	extrinsics: Vec<UncheckedExtrinsic>,
) -> (Block, Vec<ApplyExtrinsicResult>) {
	let timestamp =
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
			now: *header.number() as u64 * SLOT_DURATION,
		}));
	Executive::initialize_block(header);
	let inherent = Executive::apply_extrinsic(timestamp.clone());
	assert!(matches!(inherent, Ok(Ok(()))), "timestamp inherent: {inherent:?}");
	let mut included = vec![timestamp];
	let mut results = Vec::with_capacity(extrinsics.len());
	for xt in extrinsics {
		sp_io::storage::start_transaction();
		let result = Executive::apply_extrinsic(xt.clone());
		if result.is_ok() {
			sp_io::storage::commit_transaction();
			included.push(xt);
		} else {
			sp_io::storage::rollback_transaction();
		}
		results.push(result);
	}
	let header = Executive::finalize_block();
	(Block::new(header, included), results)
}
