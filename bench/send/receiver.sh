# Sourced by the bench/send scripts: a scratch folder in $tmp (removed on exit unless KEEP is set)
# and scripts/receiver.py listening on 127.0.0.1, its port in $port, stopped on exit.
#   . bench/send/receiver.sh NAME      the folder is /tmp/lt-bench-NAME.XXXXXX
tmp=$(mktemp -d "/tmp/lt-bench-$1.XXXXXX")
receiver_pid=""
cleanup() { [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

python3 scripts/receiver.py --port-file "$tmp/port" --record "$tmp/record.ndjson" &
receiver_pid=$!
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
