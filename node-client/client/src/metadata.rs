//! What the client reads from a chain's metadata about the referral-rebate pallet, and whether
//! it is a pallet this client understands.
//!
//! The client signs documents and builds calls with this crate's types (the pallet's documents
//! over the test runtime's account, asset, balance and block-number types). A chain that deploys
//! the pallet may place it at another index under another name and with other constants; those
//! are read from its metadata. What the client cannot adapt to — other document layouts, other
//! call arguments, other storage, other domain tags — is compared with the metadata this client
//! was built against (the test runtime's), by subxt's structural hashes of each call and storage
//! entry the client uses, and by the pallet's `DomainTags` constant. A chain that differs is
//! refused with what differs, before anything is signed.

use crate::ClientError;
use codec::Decode;
use subxt::Metadata;

/// The calls the client submits.
pub const CALLS: [&str; 5] =
	["purchase", "settle_referral", "submit_rebate", "refund", "close_overdue"];
/// The storage entries the client reads.
pub const STORAGE: [&str; 2] = ["Purchases", "Promotions"];
/// The constant that names the documents' domain tags.
pub const DOMAIN_TAGS: &str = "DomainTags";

/// The referral-rebate pallet as one chain deploys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PalletInfo {
	/// Its name in the chain's runtime (its storage prefix).
	pub name: String,
	/// Its index (of its calls, events and errors in the runtime's enums).
	pub index: u8,
	/// The furthest a rebate block may be (`MaxRebateDelay`).
	pub max_rebate_delay: u32,
	/// How long a purchase record lives (`PurchaseLifetime`).
	pub purchase_lifetime: u32,
	/// Its errors' names, by index.
	pub errors: Vec<String>,
}

impl PalletInfo {
	/// The name of the pallet's error `index`, if the chain's metadata names one.
	pub fn error_name(&self, index: u8) -> Option<&str> {
		self.errors.get(index as usize).map(String::as_str)
	}
}

/// The metadata this client was built against.
pub fn ours() -> Result<Metadata, ClientError> {
	let opaque = rebate_test_runtime::Runtime::metadata_at_version(15)
		.ok_or_else(|| ClientError::Backend("the client's runtime has no metadata v15".into()))?;
	Metadata::decode_from(&opaque[..])
		.map_err(|e| ClientError::Backend(format!("the client's own metadata: {e}")))
}

/// Find the referral-rebate pallet in `chain`'s metadata (the pallet with the calls the client
/// submits) and check it against `ours`.
pub fn pallet(chain: &Metadata, ours: &Metadata) -> Result<PalletInfo, ClientError> {
	let reference = ours
		.pallets()
		.find(|p| CALLS.iter().all(|c| p.call_variant_by_name(c).is_some()))
		.ok_or_else(|| ClientError::Backend("the client's own metadata has no pallet".into()))?;
	let found = chain
		.pallets()
		.find(|p| CALLS.iter().all(|c| p.call_variant_by_name(c).is_some()))
		.ok_or_else(|| ClientError::IncompatibleChain {
			pallet: None,
			why: "its runtime has no referral-rebate pallet (no pallet with the calls purchase, settle_referral, submit_rebate, …)".into(),
		})?;
	let mut differs = Vec::new();
	for call in CALLS {
		if found.call_hash(call) != reference.call_hash(call) {
			differs.push(format!("call `{call}` has other arguments"));
		}
	}
	for entry in STORAGE {
		if found.storage_hash(entry) != reference.storage_hash(entry) {
			differs.push(format!("storage `{entry}` has another layout"));
		}
	}
	let tags = |p: &subxt::metadata::PalletMetadata<'_>| {
		p.constant_by_name(DOMAIN_TAGS).map(|c| c.value().to_vec())
	};
	match (tags(&found), tags(&reference)) {
		(Some(theirs), Some(mine)) if theirs == mine => {}
		(None, _) => differs.push(format!("it has no `{DOMAIN_TAGS}` constant")),
		(Some(theirs), _) => {
			let named = Vec::<Vec<u8>>::decode(&mut &theirs[..])
				.map(|t| {
					t.iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect::<Vec<_>>()
				})
				.unwrap_or_default();
			differs.push(format!("its documents' domain tags are {named:?}"));
		}
	}
	if !differs.is_empty() {
		return Err(ClientError::IncompatibleChain {
			pallet: Some(format!("{} (index {})", found.name(), found.call_index())),
			why: differs.join("; "),
		});
	}
	let constant = |name: &str| -> Result<u32, ClientError> {
		let c = found.constant_by_name(name).ok_or_else(|| ClientError::IncompatibleChain {
			pallet: Some(found.name().to_owned()),
			why: format!("it has no `{name}` constant"),
		})?;
		u32::decode(&mut c.value()).map_err(|e| ClientError::IncompatibleChain {
			pallet: Some(found.name().to_owned()),
			why: format!("its `{name}` is not a block number of this client's: {e}"),
		})
	};
	Ok(PalletInfo {
		name: found.name().to_owned(),
		index: found.call_index(),
		max_rebate_delay: constant("MaxRebateDelay")?,
		purchase_lifetime: constant("PurchaseLifetime")?,
		errors: found
			.error_variants()
			.map(|v| {
				let mut names =
					vec![String::new(); v.iter().map(|e| e.index as usize + 1).max().unwrap_or(0)];
				for e in v {
					names[e.index as usize] = e.name.clone();
				}
				names
			})
			.unwrap_or_default(),
	})
}
