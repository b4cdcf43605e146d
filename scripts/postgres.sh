#!/usr/bin/env bash
# A private PostgreSQL server on loopback for the coordinator's tests and load run.
#
#   scripts/postgres.sh start   install Debian's postgresql if missing, start a fresh cluster,
#                               print its URL (postgres://rebate@127.0.0.1:PORT/rebate)
#   scripts/postgres.sh stop    stop it
#
# REBATE_POSTGRES_PORT (default 5544) picks the port; the cluster lives in
# /var/tmp/rebate-postgres (REBATE_POSTGRES_DIR; the postgres user must reach it) and is made
# anew on every start.
set -euo pipefail
PORT="${REBATE_POSTGRES_PORT:-5544}"
DIR="${REBATE_POSTGRES_DIR:-/var/tmp/rebate-postgres}"
DATA="$DIR/data"

pg_bin() {
	local bin
	bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
	[ -n "$bin" ] && [ -x "$bin/postgres" ] && echo "$bin"
}

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/bash -c "$*"
	else
		bash -c "$*"
	fi
}

case "${1:-}" in
start)
	if ! BIN="$(pg_bin)"; then
		echo "installing postgresql from Debian's packages…" >&2
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		BIN="$(pg_bin)"
	fi
	"$0" stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
	mkdir -p "$DATA"
	if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi
	as_postgres "$BIN/initdb -D '$DATA' -A trust -U rebate --no-sync" >"$DIR/initdb.log" 2>&1
	as_postgres "$BIN/pg_ctl -D '$DATA' -l '$DIR/server.log' -w -t 60 \
		-o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200\" start" >&2
	as_postgres "$BIN/createdb -h 127.0.0.1 -p $PORT -U rebate rebate"
	echo "postgres://rebate@127.0.0.1:$PORT/rebate"
	;;
stop)
	BIN="$(pg_bin)" || exit 0
	[ -d "$DATA" ] || exit 0
	as_postgres "$BIN/pg_ctl -D '$DATA' -m fast -w stop" >&2 || true
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
