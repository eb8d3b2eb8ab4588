#!/usr/bin/env bash
# The main job on the embedded default, end to end: builds lt (unless LT_BIN_DIR names tools built
# or installed elsewhere), creates the SQLite warehouse from examples/, starts a webhook receiver on
# 127.0.0.1, pipes the example events through lt-query | lt-enrich | lt-send, and shows the delivery
# results and what the receiver got.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-system.sh
if [ -n "${LT_BIN_DIR:-}" ]; then
    bin=$LT_BIN_DIR
else
    swift build
    bin=$(swift build --show-bin-path)
fi

work=$(mktemp -d /tmp/lt-demo.XXXXXX)
receiver_pid=""
cleanup() { [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

sqlite3 "$work/warehouse.db" < examples/warehouse.sql
python3 scripts/receiver.py --port-file "$work/port" --record "$work/received.ndjson" &
receiver_pid=$!
while [ ! -s "$work/port" ]; do kill -0 "$receiver_pid" || exit 1; sleep 0.05; done
port=$(cat "$work/port")
sed "s#http://127.0.0.1:8787#http://127.0.0.1:$port#" examples/integrations.toml > "$work/integrations.toml"

export ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT=true
export LT_CACHE_DIR="$work/cache"
echo "== lt-query < examples/completions.ndjson | lt-enrich | lt-send (receiver on 127.0.0.1:$port)"
status=0
"$bin/lt-query" --warehouse "sqlite:$work/warehouse.db" < examples/completions.ndjson \
    | "$bin/lt-enrich" \
    | "$bin/lt-send" --integrations "$work/integrations.toml" --allow-http --allow-private \
        --dead-letter "$work/dead-letter.ndjson" > "$work/results.ndjson" || status=$?

echo
echo "== delivery results (one per input line)"
jq -c '{line, status, http_status, attempts, learning_time, error}' "$work/results.ndjson"
echo
echo "== what the receiver got"
jq -c '.body | fromjson | {user: .user.id, course: .course.course_id, kind: (if .completion then "completion" else "enrollment" end), learning_time}' "$work/received.ndjson"
exit "$status"
