#!/usr/bin/env bash
# The in-repo Substrate dev node (`node/`, binary `rebate-node`): build it, run it, and run the
# end-to-end tests and the pool benchmark against it.
#
#   scripts/node.sh build    # builds rebate-node (release) into $REBATE_NODE_TARGET once; later
#                            # calls reuse it (cargo only checks that it is up to date)
#   scripts/node.sh start [CONSENSUS]
#                            # starts it on 127.0.0.1:$REBATE_NODE_PORT (--dev, a fresh ParityDB
#                            # under a temporary base path), waits for its RPC, prints its URL;
#                            # CONSENSUS: instant-seal (default) or manual-seal-MS
#   scripts/node.sh stop
#   scripts/node.sh e2e      # build, start, the CLI's end-to-end tests and the demo against it;
#                            # again with a block every 2 s; stop
#   scripts/node.sh bench    # build, start with a block every second, settlements per second
#                            # through its pool (examples/pool_throughput.rs), stop
#
# A fresh machine needs Debian's protobuf-compiler (litep2p's build compiles .proto files); it is
# installed here when missing. No RocksDB: the node uses ParityDB, so there is no C++ database to
# build. It is not part of `.ci/run` (see the README): building it on a fresh machine takes longer
# than CI's budget leaves.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/rpc-wait.sh
. scripts/rpc-wait.sh

PORT="${REBATE_NODE_PORT:-9955}"
NODE_TARGET="${REBATE_NODE_TARGET:-$HOME/.cache/rebate-node-target}"
RUN_DIR="${REBATE_NODE_RUN_DIR:-$HOME/.cache/rebate-node-run}"
BIN="$NODE_TARGET/release/rebate-node"
FEATURES="rebate-test-runtime/runtime-benchmarks,rebate-test-runtime/try-runtime"

build() {
	if ! command -v protoc >/dev/null 2>&1; then
		echo "== installing protobuf-compiler from Debian's packages" >&2
		apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
	fi
	rustup target add wasm32v1-none >&2
	echo "== building rebate-node (release; the first build takes a while)" >&2
	(cd node && CARGO_TARGET_DIR="$NODE_TARGET" cargo build --release --locked >&2)
}

start() {
	local consensus="${1:-instant-seal}"
	[ -x "$BIN" ] || build
	stop 2>/dev/null || true
	rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
	nohup "$BIN" --dev --base-path "$RUN_DIR/base" --rpc-port "$PORT" --consensus "$consensus" \
		--no-prometheus --no-telemetry --rpc-max-connections 1000 >"$RUN_DIR/node.log" 2>&1 &
	echo $! >"$RUN_DIR/pid"
	wait_for_rpc rebate-node "$PORT" "$RUN_DIR/pid" "$RUN_DIR/node.log"
}

stop() {
	if [ -f "$RUN_DIR/pid" ]; then
		local pid
		pid=$(cat "$RUN_DIR/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		rm -f "$RUN_DIR/pid"
	fi
}

e2e() {
	build
	trap stop EXIT
	local url
	url=$(start instant-seal)
	echo "== the CLI's end-to-end tests against rebate-node at $url"
	REBATE_NODE_URL="$url" cargo test -p rebate-cli --features "$FEATURES" --test node -- \
		--ignored --test-threads=1
	echo "== one complete referral (rebate demo) against rebate-node"
	cargo build -q -p rebate-cli --features "$FEATURES"
	local t0 t1
	t0=$(date +%s.%N)
	"${CARGO_TARGET_DIR:-target}/debug/rebate" demo --chain "$url" >/dev/null
	t1=$(date +%s.%N)
	echo "one complete referral (rebate demo, purchase to paid rebate): $(echo "$t1 - $t0" | bc) s"
	echo "== the same tests with the node making a block every 2 s on its own"
	url=$(start manual-seal-2000)
	REBATE_NODE_URL="$url" cargo test -p rebate-cli --features "$FEATURES" --test node -- \
		--ignored --test-threads=1
}

bench() {
	build
	trap stop EXIT
	local url
	url=$(start manual-seal-1000)
	cargo run -q --release -p rebate-client --example pool_throughput -- \
		--url "$url" --node-pid "$(cat "$RUN_DIR/pid")" "$@"
}

case "${1:-}" in
build) build ;;
start) start "${2:-instant-seal}" ;;
stop) stop ;;
e2e) e2e ;;
bench) shift; bench "$@" ;;
*)
	echo "usage: $0 build|start [CONSENSUS]|stop|e2e|bench [--settles N]" >&2
	exit 2
	;;
esac
