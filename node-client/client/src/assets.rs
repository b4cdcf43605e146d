//! Assets: which asset a command means (`--asset native`, `--asset TUSD`, `--asset 1984`), what
//! the chain says about it (symbol, decimals, minimum balance), and amounts written and read in
//! its units.

use crate::{chain::Chain, ClientError};
use codec::Decode;
use frame_support::traits::fungible::NativeOrWithId;
use rebate_test_runtime::{
	AssetKind, Balance, Runtime, EXISTENTIAL_DEPOSIT, NATIVE_DECIMALS, NATIVE_SYMBOL,
	STABLECOIN_ID, STABLECOIN_MIN_BALANCE,
};

/// The pallet-assets assets a symbol is looked up among (any other asset is named by its id).
pub const KNOWN_ASSET_IDS: &[u32] = &[STABLECOIN_ID];

/// An asset as the user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetArg {
	/// The chain's native token (`native`, or its symbol).
	Native,
	/// A pallet-assets asset by id (`1984`).
	Id(u32),
	/// An asset by its symbol (`TUSD`), looked up on the chain.
	Symbol(String),
}

impl std::str::FromStr for AssetArg {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		if s.is_empty() {
			return Err("an asset is `native`, a symbol such as `TUSD`, or an asset id".into());
		}
		if s.eq_ignore_ascii_case("native") {
			return Ok(AssetArg::Native);
		}
		if let Ok(id) = s.parse() {
			return Ok(AssetArg::Id(id));
		}
		Ok(AssetArg::Symbol(s.to_owned()))
	}
}

/// What the chain says about an asset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AssetInfo {
	/// The asset kind documents name.
	#[serde(serialize_with = "serialize_kind")]
	pub asset: AssetKind,
	/// Its symbol (`UNIT`, `TUSD`).
	pub symbol: String,
	/// Its decimals: one whole unit is `10^decimals` of its smallest amounts.
	pub decimals: u8,
	/// Its minimum balance (the native token's existential deposit).
	pub min_balance: Balance,
}

fn serialize_kind<S: serde::Serializer>(kind: &AssetKind, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&kind_name(kind))
}

/// `native`, or the asset's id: how JSON output names an asset kind.
pub fn kind_name(kind: &AssetKind) -> String {
	match kind {
		NativeOrWithId::Native => "native".into(),
		NativeOrWithId::WithId(id) => id.to_string(),
	}
}

impl AssetInfo {
	/// The native token (with the test runtime's minimum balance).
	pub fn native() -> Self {
		AssetInfo {
			asset: NativeOrWithId::Native,
			symbol: NATIVE_SYMBOL.into(),
			decimals: NATIVE_DECIMALS,
			min_balance: EXISTENTIAL_DEPOSIT,
		}
	}

	/// The native token of `chain`: its minimum balance as the chain has it.
	pub fn native_of<C: Chain>(chain: &C) -> Self {
		AssetInfo { min_balance: chain.constants().existential_deposit, ..Self::native() }
	}

	/// Its pallet-assets id (`None` for the native token): what a fee paid in it names.
	pub fn asset_id(&self) -> Option<u32> {
		match self.asset {
			NativeOrWithId::Native => None,
			NativeOrWithId::WithId(id) => Some(id),
		}
	}

	/// `amount` in whole units with every significant decimal (at least two) and the symbol:
	/// `15.00 TUSD`, `0.001 UNIT`.
	pub fn format(&self, amount: Balance) -> String {
		format!("{} {}", format_units(amount, self.decimals), self.symbol)
	}

	/// `amount` resolved in this asset's units.
	pub fn amount(&self, amount: &AmountArg) -> Result<Balance, ClientError> {
		amount.resolve(self.decimals).map_err(ClientError::Rule)
	}
}

/// `amount` of an asset with `decimals` in whole units: every significant decimal, at least two.
pub fn format_units(amount: Balance, decimals: u8) -> String {
	if decimals == 0 {
		return amount.to_string();
	}
	let one = 10u128.saturating_pow(decimals.into());
	let (whole, frac) = (amount / one, amount % one);
	let mut frac = format!("{frac:0width$}", width = decimals as usize);
	while frac.len() > 2 && frac.ends_with('0') {
		frac.pop();
	}
	format!("{whole}.{frac}")
}

/// An amount as the user writes it: the asset's smallest amounts (`1500`), or whole units with
/// a `u` suffix (`15u`, `1.5u`), resolved once the asset's decimals are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountArg {
	/// Smallest amounts (planck).
	Base(Balance),
	/// Whole units and a decimal fraction, as written.
	Units { whole: Balance, fraction: String },
}

impl std::str::FromStr for AmountArg {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let bad = || format!("`{s}` is not an amount (smallest units, or whole units like `15u`)");
		if let Some(units) = s.strip_suffix('u') {
			let (whole, fraction) = units.split_once('.').unwrap_or((units, ""));
			if !fraction.chars().all(|c| c.is_ascii_digit()) {
				return Err(bad());
			}
			let whole = whole.parse().map_err(|_| bad())?;
			return Ok(AmountArg::Units { whole, fraction: fraction.to_owned() });
		}
		s.parse().map(AmountArg::Base).map_err(|_| bad())
	}
}

impl AmountArg {
	/// The amount in smallest units of an asset with `decimals`.
	pub fn resolve(&self, decimals: u8) -> Result<Balance, String> {
		match self {
			AmountArg::Base(b) => Ok(*b),
			AmountArg::Units { whole, fraction } => {
				if fraction.len() > decimals as usize {
					return Err(format!(
						"{whole}.{fraction} has more decimals than the asset's {decimals}"
					));
				}
				let one = 10u128
					.checked_pow(decimals.into())
					.ok_or_else(|| format!("an asset with {decimals} decimals is out of range"))?;
				let frac: Balance = if fraction.is_empty() {
					0
				} else {
					format!("{fraction:0<width$}", width = decimals as usize)
						.parse()
						.map_err(|_| format!("`{fraction}` is not a fraction"))?
				};
				whole
					.checked_mul(one)
					.and_then(|w| w.checked_add(frac))
					.ok_or_else(|| format!("{whole}.{fraction} is too large"))
			}
		}
	}
}

/// What this client knows of an asset without asking the chain: the native token and the test
/// runtime's stablecoin. What a document's inspection shows, and the minimum its rules are
/// checked against off chain before anyone signs.
pub fn known(asset: &AssetKind) -> Option<AssetInfo> {
	match asset {
		NativeOrWithId::Native => Some(AssetInfo::native()),
		NativeOrWithId::WithId(STABLECOIN_ID) => Some(AssetInfo {
			asset: asset.clone(),
			symbol: rebate_test_runtime::STABLECOIN_SYMBOL.into(),
			decimals: rebate_test_runtime::STABLECOIN_DECIMALS,
			min_balance: STABLECOIN_MIN_BALANCE,
		}),
		NativeOrWithId::WithId(_) => None,
	}
}

/// The minimum [`known`] gives, and for any other asset nothing (the chain checks its minimum
/// when the document reaches it; a client that signs reads it from the chain first).
pub fn known_minimum(asset: &AssetKind) -> Balance {
	known(asset).map_or(0, |a| a.min_balance)
}

/// What the chain holds about pallet-assets asset `id`: its details and metadata.
async fn read_asset<C: Chain>(chain: &mut C, id: u32) -> Result<Option<AssetInfo>, ClientError> {
	let details: Option<
		pallet_assets::AssetDetails<Balance, rebate_test_runtime::AccountId, Balance>,
	> = crate::chain::read(chain, &pallet_assets::Asset::<Runtime>::hashed_key_for(id)).await?;
	let Some(details) = details else { return Ok(None) };
	let key = pallet_assets::Metadata::<Runtime>::hashed_key_for(id);
	let metadata = chain.storage(&key).await?;
	let (symbol, decimals) = match metadata {
		Some(bytes) => {
			let m = pallet_assets::AssetMetadata::<
				Balance,
				frame_support::BoundedVec<u8, frame_support::traits::ConstU32<50>>,
			>::decode(&mut &bytes[..])
			.map_err(|e| ClientError::Backend(format!("undecodable asset metadata: {e}")))?;
			(String::from_utf8_lossy(&m.symbol).into_owned(), m.decimals)
		}
		// An asset without metadata: named by its id, amounts in its smallest units.
		None => (format!("#{id}"), 0),
	};
	Ok(Some(AssetInfo {
		asset: NativeOrWithId::WithId(id),
		symbol,
		decimals,
		min_balance: details.min_balance,
	}))
}

/// What the chain says about `asset`; an error naming it if the chain has no such asset.
pub async fn info<C: Chain>(chain: &mut C, asset: &AssetKind) -> Result<AssetInfo, ClientError> {
	match asset {
		NativeOrWithId::Native => Ok(AssetInfo::native_of(chain)),
		NativeOrWithId::WithId(id) => read_asset(chain, *id)
			.await?
			.ok_or_else(|| ClientError::Rule(format!("asset {id} does not exist on this chain"))),
	}
}

/// The asset `arg` names on this chain: a symbol is looked up among the native token and
/// [`KNOWN_ASSET_IDS`].
pub async fn resolve<C: Chain>(chain: &mut C, arg: &AssetArg) -> Result<AssetInfo, ClientError> {
	match arg {
		AssetArg::Native => Ok(AssetInfo::native_of(chain)),
		AssetArg::Id(id) => info(chain, &NativeOrWithId::WithId(*id)).await,
		AssetArg::Symbol(symbol) => {
			if symbol.eq_ignore_ascii_case(NATIVE_SYMBOL) {
				return Ok(AssetInfo::native_of(chain));
			}
			for id in KNOWN_ASSET_IDS {
				if let Some(info) = read_asset(chain, *id).await? {
					if info.symbol.eq_ignore_ascii_case(symbol) {
						return Ok(info);
					}
				}
			}
			Err(ClientError::Rule(format!(
				"no asset with symbol {symbol} on this chain (name another by its id)"
			)))
		}
	}
}

/// The assets `rebate balances` shows by default: the native token and the known assets the
/// chain has.
pub async fn on_chain<C: Chain>(chain: &mut C) -> Result<Vec<AssetInfo>, ClientError> {
	let mut all = vec![AssetInfo::native_of(chain)];
	for id in KNOWN_ASSET_IDS {
		if let Some(info) = read_asset(chain, *id).await? {
			all.push(info);
		}
	}
	Ok(all)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_parse_and_resolve_in_the_assets_decimals() {
		let a = |s: &str| s.parse::<AmountArg>();
		assert_eq!(a("15").and_then(|a| a.resolve(6)), Ok(15));
		assert_eq!(a("15u").and_then(|a| a.resolve(6)), Ok(15_000_000));
		assert_eq!(a("1.5u").and_then(|a| a.resolve(12)), Ok(1_500_000_000_000));
		assert_eq!(a("0.01u").and_then(|a| a.resolve(6)), Ok(10_000));
		assert!(a("0.0000001u").and_then(|a| a.resolve(6)).is_err(), "more decimals");
		assert!(a("1.5").is_err());
		assert!(a("x").is_err());
		assert!(a("1.-5u").is_err());
	}

	#[test]
	fn amounts_format_with_their_symbol() {
		let usd = known(&NativeOrWithId::WithId(STABLECOIN_ID)).expect("the stablecoin");
		assert_eq!((usd.symbol.as_str(), usd.decimals, usd.min_balance), ("TUSD", 6, 10_000));
		assert_eq!(usd.format(15_000_000), "15.00 TUSD");
		assert_eq!(usd.format(15_250_000), "15.25 TUSD");
		assert_eq!(usd.format(10_001), "0.010001 TUSD");
		assert_eq!(AssetInfo::native().format(1_000_000_000), "0.001 UNIT");
		assert_eq!(format_units(7, 0), "7");
	}

	#[test]
	fn assets_parse_by_name_id_or_symbol() {
		assert_eq!("native".parse(), Ok(AssetArg::Native));
		assert_eq!("1984".parse(), Ok(AssetArg::Id(1984)));
		assert_eq!("TUSD".parse(), Ok(AssetArg::Symbol("TUSD".into())));
		assert!("".parse::<AssetArg>().is_err());
	}
}
