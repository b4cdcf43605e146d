#!/usr/bin/env bash
# Start or stop chopsticks serving a runtime's wasm on 127.0.0.1 with instant block building.
#
#   scripts/chopsticks.sh start [test|other]  # installs the pinned chopsticks once, writes the
#                                             # raw chain spec, starts it, waits for its RPC,
#                                             # prints its ws:// URL
#   scripts/chopsticks.sh stop [test|other]   # (no argument: both)
#
# `test` (the default) serves the test runtime on port 9944; `other` the other chain's wasm (the
# same crate with the `other-chain` feature: the pallet under another name and index, other
# transaction extensions and constants) on port 9945. `REBATE_CHOPSTICKS_PORT` overrides the port.
#
# Needs Node.js and npm (Debian's `nodejs` and `npm`), and the runtime's wasm, which the runtime
# tests build (`cargo test -p rebate-runtime-tests`; built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/rpc-wait.sh
. scripts/rpc-wait.sh

VERSION=1.5.1
DIR="${REBATE_CHOPSTICKS_DIR:-$HOME/.cache/rebate-chopsticks}"
TARGET="${CARGO_TARGET_DIR:-target}"
FEATURES="rebate-test-runtime/runtime-benchmarks,rebate-test-runtime/try-runtime"

runtime() {
	case "${1:-test}" in
	test) BLOB=rebate_test_runtime DEFAULT_PORT=9944 ;;
	other) BLOB=rebate_other_chain DEFAULT_PORT=9945 ;;
	*)
		echo "unknown runtime $1 (test, other)" >&2
		exit 2
		;;
	esac
	NAME="${1:-test}"
	PORT="${REBATE_CHOPSTICKS_PORT:-$DEFAULT_PORT}"
	WASM="$TARGET/debug/wbuild/rebate-test-runtime/$BLOB.wasm"
	RUN="$DIR/$NAME"
}

start() {
	runtime "${1:-test}"
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
		echo "== building the runtimes' wasm" >&2
		cargo build -q -p rebate-runtime-tests
	fi
	mkdir -p "$RUN"
	cargo run -q -p rebate-cli --features "$FEATURES" -- chain-spec --wasm "$WASM" \
		--out "$RUN/spec.json" >&2
	cat >"$RUN/config.yml" <<YAML
genesis: $RUN/spec.json
port: $PORT
build-block-mode: Instant
# polkadot.js, which chopsticks decodes extrinsics with, types ChargeAssetTxPayment's asset id as
# an XCM location (Asset Hub's); this runtime's is a pallet-assets id.
registered-types:
  types:
    TAssetConversion: Option<u32>
YAML
	stop "$NAME" 2>/dev/null || true
	nohup "$DIR/node_modules/.bin/chopsticks" --config "$RUN/config.yml" >"$RUN/chopsticks.log" 2>&1 &
	echo $! >"$RUN/pid"
	wait_for_rpc chopsticks "$PORT" "$RUN/pid" "$RUN/chopsticks.log"
}

stop() {
	local name
	for name in ${1:-test other}; do
		runtime "$name"
		if [ -f "$RUN/pid" ]; then
			kill "$(cat "$RUN/pid")" 2>/dev/null || true
			rm -f "$RUN/pid"
		fi
	done
}

case "${1:-}" in
start) start "${2:-test}" ;;
stop) stop "${2:-}" ;;
*)
	echo "usage: $0 start|stop [test|other]" >&2
	exit 2
	;;
esac
