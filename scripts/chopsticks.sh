#!/usr/bin/env bash
# Start or stop chopsticks serving the test runtime on 127.0.0.1 with instant block building.
#
#   scripts/chopsticks.sh start   # installs the pinned chopsticks once, writes the raw chain
#                                 # spec, starts it, waits for its RPC, prints its ws:// URL
#   scripts/chopsticks.sh stop
#
# Needs Node.js and npm (Debian's `nodejs` and `npm`), and the runtime's wasm, which the runtime
# tests build (`cargo test -p rebate-runtime-tests`; built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/rpc-wait.sh
. scripts/rpc-wait.sh

VERSION=1.5.1
PORT="${REBATE_CHOPSTICKS_PORT:-9944}"
DIR="${REBATE_CHOPSTICKS_DIR:-$HOME/.cache/rebate-chopsticks}"
TARGET="${CARGO_TARGET_DIR:-target}"
WASM="$TARGET/debug/wbuild/rebate-test-runtime/rebate_test_runtime.wasm"
FEATURES="rebate-test-runtime/runtime-benchmarks,rebate-test-runtime/try-runtime"

start() {
	if ! command -v npm >/dev/null 2>&1; then
		echo "== installing Node.js and npm from Debian's packages" >&2
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
	fi
	mkdir -p "$DIR"
	local installed
	installed=$(node -p "require('$DIR/node_modules/@acala-network/chopsticks/package.json').version" 2>/dev/null || true)
	if [ "$installed" != "$VERSION" ]; then
		echo "== installing @acala-network/chopsticks@$VERSION into $DIR" >&2
		(cd "$DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
			npm install --no-audit --no-fund --loglevel=error "@acala-network/chopsticks@$VERSION" >&2)
	fi
	if [ ! -f "$WASM" ]; then
		echo "== building the runtime's wasm" >&2
		cargo build -q -p rebate-runtime-tests
	fi
	cargo run -q -p rebate-cli --features "$FEATURES" -- chain-spec --wasm "$WASM" \
		--out "$DIR/spec.json" >&2
	cat >"$DIR/config.yml" <<YAML
genesis: $DIR/spec.json
port: $PORT
build-block-mode: Instant
# polkadot.js, which chopsticks decodes extrinsics with, types ChargeAssetTxPayment's asset id as
# an XCM location (Asset Hub's); this runtime's is a pallet-assets id.
registered-types:
  types:
    TAssetConversion: Option<u32>
YAML
	stop 2>/dev/null || true
	nohup "$DIR/node_modules/.bin/chopsticks" --config "$DIR/config.yml" >"$DIR/chopsticks.log" 2>&1 &
	echo $! >"$DIR/pid"
	wait_for_rpc chopsticks "$PORT" "$DIR/pid" "$DIR/chopsticks.log"
}

stop() {
	if [ -f "$DIR/pid" ]; then
		kill "$(cat "$DIR/pid")" 2>/dev/null || true
		rm -f "$DIR/pid"
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
