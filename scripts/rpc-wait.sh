# Sourced by the scripts that start a node: wait for its JSON-RPC.
#
#   wait_for_rpc NAME PORT PIDFILE LOG
#
# Prints ws://127.0.0.1:PORT once `chain_getHeader` answers; fails (showing the log's tail) if the
# process exits or does not answer within 120 s.
wait_for_rpc() {
	local name="$1" port="$2" pidfile="$3" log="$4"
	for _ in $(seq 1 120); do
		if curl -sf -H 'content-type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' \
			"http://127.0.0.1:$port" >/dev/null 2>&1; then
			echo "ws://127.0.0.1:$port"
			return 0
		fi
		if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			echo "$name exited; its log:" >&2
			tail -20 "$log" >&2
			return 1
		fi
		sleep 1
	done
	echo "$name did not answer on port $port within 120 s" >&2
	return 1
}
