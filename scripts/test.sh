#!/usr/bin/env bash
# Prepare this machine and run every test of the workspace: unit, property and benchmark tests,
# the client and CLI tests, the runtime tests with the wasm build, the no-std build, the weight
# generator and the demo. Safe on a fresh clone; `.ci/run` calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
	echo "cargo is required (https://rustup.rs)" >&2
	exit 1
fi
if command -v rustup >/dev/null 2>&1; then
	echo "== the wasm target the runtime's wasm build needs"
	rustup target add wasm32v1-none
else
	echo "rustup is required to add the wasm32v1-none target" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== formatting (the workspace, and the dev node's own workspace)"
cargo fmt --all -- --check
cargo fmt --manifest-path node/Cargo.toml -- --check

echo "== a PostgreSQL server for the coordinator's tests (Debian's postgresql)"
trap 'scripts/postgres.sh stop; rm -f "$log"' EXIT
pg_url=$(scripts/postgres.sh start)
export REBATE_COORDINATOR_POSTGRES="$pg_url" REBATE_LOAD_POSTGRES="$pg_url"

echo "== unit, property and benchmark tests (runtime-benchmarks, try-runtime)"
cargo test --workspace --exclude rebate-runtime-tests --all-targets \
	--features runtime-benchmarks,try-runtime 2>&1 | tee "$log"

echo "== runtime tests: signed extrinsics in blocks, natively and with the production wasm"
cargo test -p rebate-runtime-tests --all-targets 2>&1 | tee -a "$log"

echo "== the CLI and client against real nodes: chopsticks serving each runtime's wasm"
# The test runtime, and the other chain (the pallet under another name and index, other
# transaction extensions and constants): the same tests, unchanged.
trap 'scripts/chopsticks.sh stop; scripts/postgres.sh stop; rm -f "$log"' EXIT
for runtime in test other; do
	echo "== against the $runtime runtime"
	node_url=$(scripts/chopsticks.sh start "$runtime")
	REBATE_NODE_URL="$node_url" REBATE_NODE_RUNTIME="$runtime" cargo test -p rebate-cli \
		--features rebate-test-runtime/runtime-benchmarks,rebate-test-runtime/try-runtime \
		--test node -- --ignored --test-threads=1 2>&1 | tee -a "$log"
	scripts/chopsticks.sh stop "$runtime"
done

echo "== the pallet builds without std"
cargo check -q -p pallet-referral-rebate --no-default-features

echo "== the native weight generator runs every benchmark over a tracking state (smoke run)"
cargo run -q -p referral-rebate-weights --features pallet-referral-rebate/try-runtime -- \
	--steps 3 --repeat 1 >/dev/null 2>&1

echo "== the end-to-end demo (the README's main job) runs to the paid rebate"
cargo run -q -p rebate-cli --features rebate-test-runtime/runtime-benchmarks,rebate-test-runtime/try-runtime -- demo >/dev/null

passed=$(grep -oE '^test result: .* ([0-9]+) passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "$passed passed, $failed failed"
