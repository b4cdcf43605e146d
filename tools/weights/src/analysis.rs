//! Fitting a benchmark's results the way `frame-benchmarking-cli` does: least squares for time,
//! reads and writes; median slopes for the recorded proof; the MaxEncodedLen estimate for the
//! proof size a weight declares.

use crate::state::Raw;
use frame_benchmarking::{Analysis, BenchmarkResult, BenchmarkSelector};
use frame_support::traits::StorageInfo;
use std::collections::{BTreeMap, BTreeSet};

/// One fitted benchmark.
pub struct Fitted {
	pub name: String,
	/// Component names and ranges.
	pub ranges: Vec<(String, u32, u32)>,
	/// Base execution time in picoseconds, and per-component slopes.
	pub time: (u128, Vec<(String, u128)>),
	/// Minimum execution time seen, nanoseconds.
	pub min_time_ns: u128,
	/// The fastest repeats' fit (as `time`): the minimum time at every set of component values,
	/// fitted the same way. Noise on a shared machine only adds time, so this is the steadier
	/// basis for ratios between benchmarks of one run.
	pub floor: (u128, Vec<(String, u128)>),
	pub reads: (u128, Vec<(String, u128)>),
	pub writes: (u128, Vec<(String, u128)>),
	/// The proof recorded while it ran (bytes).
	pub measured_proof: (u128, Vec<(String, u128)>),
	/// The proof size the weight declares (bytes), from the storage items' MaxEncodedLen.
	pub estimated_proof: (u128, Vec<(String, u128)>),
	/// `Storage:` / `Proof:` comment lines.
	pub comments: Vec<String>,
}

fn selector_name(selector: BenchmarkSelector) -> &'static str {
	match selector {
		BenchmarkSelector::ExtrinsicTime => "time",
		BenchmarkSelector::StorageRootTime => "storage root time",
		BenchmarkSelector::Reads => "reads",
		BenchmarkSelector::Writes => "writes",
		BenchmarkSelector::ProofSize => "proof size",
	}
}

fn fit(
	results: &Vec<BenchmarkResult>,
	selector: BenchmarkSelector,
	median: bool,
) -> Result<(u128, Vec<(String, u128)>), String> {
	if results.is_empty() {
		return Ok((0, vec![]));
	}
	// Least squares needs more distinct points than unknowns: two 0/1 components with the others
	// at their maximum give three points for three unknowns, so fall back to median slopes
	// (exact there), as the CLI does for two samples.
	let a = if median {
		Analysis::median_slopes(results, selector)
	} else {
		Analysis::min_squares_iqr(results, selector)
			.or_else(|_| Analysis::median_slopes(results, selector))
	}
	.map_err(|e| format!("analysis of {}: {e}", selector_name(selector)))?;
	let slopes = a.names.iter().cloned().zip(a.slopes.iter().copied()).filter(|(_, s)| *s != 0);
	Ok((a.base, slopes.collect()))
}

/// The fastest repeat at each set of component values.
fn fastest(results: &[BenchmarkResult]) -> Vec<BenchmarkResult> {
	let mut by_values: BTreeMap<Vec<u32>, &BenchmarkResult> = BTreeMap::new();
	for r in results {
		let values = r.components.iter().map(|(_, v)| *v).collect();
		let best = by_values.entry(values).or_insert(r);
		if r.extrinsic_time < best.extrinsic_time {
			*best = r;
		}
	}
	by_values.into_values().cloned().collect()
}

/// Fit `raw`, the results of benchmark `name`, with the runtime's storage items `info`.
pub fn analyse(name: &str, raw: &Raw, info: &[StorageInfo]) -> Result<Fitted, String> {
	let time = fit(&raw.time, BenchmarkSelector::ExtrinsicTime, false)?;
	let min_time_ns = raw.time.iter().map(|r| r.extrinsic_time).min().unwrap_or(0);
	let reads = fit(&raw.db, BenchmarkSelector::Reads, false)?;
	let writes = fit(&raw.db, BenchmarkSelector::Writes, false)?;
	let measured_proof = fit(&raw.db, BenchmarkSelector::ProofSize, true)?;
	let (estimated_proof, comments) = estimate_proof(&raw.db, info)?;
	Ok(Fitted {
		name: name.to_owned(),
		ranges: raw.components.iter().map(|(p, l, h)| (p.to_string(), *l, *h)).collect(),
		time,
		min_time_ns,
		floor: fit(&fastest(&raw.time), BenchmarkSelector::ExtrinsicTime, false)?,
		reads,
		writes,
		measured_proof,
		estimated_proof,
		comments,
	})
}

const MAP_SIZE: u32 = 1_000_000;
const ADDITIONAL_TRIE_LAYERS: u32 = 2;

fn log16(i: u32) -> u32 {
	if i == 0 {
		0
	} else {
		let mut layers = 0;
		let mut cap = 1u64;
		while cap < i as u64 {
			cap *= 16;
			layers += 1;
		}
		layers.max(1)
	}
}

/// The CLI's worst-case proof estimate: per storage item read, its MaxEncodedLen plus the trie
/// nodes above it; the weight declares the largest item's fit (and each component's largest
/// slope).
fn estimate_proof(
	db: &[BenchmarkResult],
	info: &[StorageInfo],
) -> Result<((u128, Vec<(String, u128)>), Vec<String>), String> {
	let by_prefix: BTreeMap<&[u8], &StorageInfo> =
		info.iter().map(|i| (&i.prefix[..], i)).collect();
	let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
	let mut per_prefix: BTreeMap<Vec<u8>, Vec<BenchmarkResult>> = BTreeMap::new();
	let mut seen = BTreeSet::new();
	let mut comments = Vec::new();
	for result in db.iter().rev() {
		for (key, reads, writes, whitelisted) in &result.keys {
			if *whitelisted {
				continue;
			}
			let prefix = key[..key.len().min(32)].to_vec();
			let item = by_prefix.get(&prefix[..]).copied();
			let overhead = log16(item.and_then(|i| i.max_values).unwrap_or(MAP_SIZE)) * 15 * 33;
			let mut r = result.clone();
			let mode = match item.and_then(|i| i.max_size) {
				Some(max) => {
					r.proof_size = (overhead + max) * reads;
					"MaxEncodedLen"
				}
				None => {
					r.proof_size += overhead * reads;
					"Measured"
				}
			};
			if *reads > 0 {
				r.proof_size += 15 * 33 * ADDITIONAL_TRIE_LAYERS;
			}
			per_prefix.entry(prefix.clone()).or_default().push(r);
			if !seen.insert(prefix) {
				continue;
			}
			match item {
				Some(i) => {
					let (p, s) = (text(&i.pallet_name), text(&i.storage_name));
					comments.push(format!("Storage: `{p}::{s}` (r:{reads} w:{writes})"));
					comments.push(match i.max_size {
						Some(max) => format!(
							"Proof: `{p}::{s}` (`max_values`: {:?}, `max_size`: {:?}, added: {}, mode: `{mode}`)",
							i.max_values,
							i.max_size,
							overhead + max
						),
						None => format!(
							"Proof: `{p}::{s}` (`max_values`: {:?}, `max_size`: {:?}, mode: `{mode}`)",
							i.max_values, i.max_size
						),
					});
				}
				None => {
					let k = sp_core::hexdisplay::HexDisplay::from(key);
					comments.push(format!("Storage: UNKNOWN KEY `0x{k}` (r:{reads} w:{writes})"));
					comments.push(format!("Proof: UNKNOWN KEY `0x{k}` (r:{reads} w:{writes})"));
				}
			}
		}
	}
	// An item some component values never touch (the asset's details in the native path) costs
	// nothing there: its fit needs those points too, at zero.
	for results in per_prefix.values_mut() {
		for result in db {
			if !results.iter().any(|r| r.components == result.components) {
				let mut untouched = result.clone();
				untouched.proof_size = 0;
				results.push(untouched);
			}
		}
	}
	let mut base = 0u128;
	let mut slopes: Vec<(String, u128)> = Vec::new();
	for results in per_prefix.values() {
		let (b, s) = fit(results, BenchmarkSelector::ProofSize, false)?;
		base = base.max(b);
		for (name, slope) in s {
			match slopes.iter_mut().find(|(n, _)| *n == name) {
				Some(entry) => entry.1 = entry.1.max(slope),
				None => slopes.push((name, slope)),
			}
		}
	}
	slopes.sort();
	Ok(((base, slopes), comments))
}

#[cfg(test)]
mod tests {
	use super::log16;

	#[test]
	fn trie_depth_matches_the_cli() {
		for (i, expected) in [(0, 0), (1, 1), (16, 1), (17, 2), (256, 2), (257, 3), (1_000_000, 5)]
		{
			assert_eq!(log16(i), expected, "log16({i})");
		}
	}
}
