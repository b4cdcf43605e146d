#!/usr/bin/env bash
# Prepare this machine and run every test of the workspace: unit, property and benchmark tests.
# Safe to run on a fresh clone; `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
	echo "cargo is required (https://rustup.rs)" >&2
	exit 1
fi

echo "== formatting"
cargo fmt --all -- --check

echo "== unit, property and benchmark tests (runtime-benchmarks, try-runtime)"
cargo test --workspace --features runtime-benchmarks,try-runtime

echo "== the pallet builds without std"
cargo check -p pallet-referral-rebate --no-default-features

echo "== the native weight generator runs every benchmark over a tracking state (smoke run)"
cargo run -q -p referral-rebate-weights --features pallet-referral-rebate/try-runtime -- --steps 3 --repeat 1 >/dev/null

echo "== the end-to-end demo (the README's main job) runs to the paid rebate"
cargo run -q -p pallet-referral-rebate --features mock,runtime-benchmarks,try-runtime --example demo >/dev/null
