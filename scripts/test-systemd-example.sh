#!/usr/bin/env bash
# Checks examples/systemd/ as installed by the package under ROOT: the units pass systemd-analyze
# verify (with ExecStart pointing at the script where this test puts it), and the script they run
# sends a spool folder's files through the packaged tools to a receiver on 127.0.0.1, then replays
# a dead-letter file.
#   scripts/test-systemd-example.sh ROOT
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(cd "$1" && pwd)
examples=$root/usr/share/doc/lt/examples
failures=0
fail() { echo "test-systemd-example: FAIL: $*" >&2; failures=$((failures + 1)); }
work=$(mktemp -d /tmp/lt-systemd-test.XXXXXX)
receiver_pid=""
cleanup() { [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
install -m 755 "$examples/systemd/lt-spool" "$work/lt-spool"

# systemd-analyze verify needs no running systemd; it checks each unit and that ExecStart is executable.
install -d "$work/units"
for unit in lt-spool.path lt-spool.service lt-replay.service lt-replay.timer lt-refresh.service lt-refresh.timer \
    lt-produce.service lt-produce.timer; do
    sed "s#/usr/local/libexec/lt/lt-spool#$work/lt-spool#" "$examples/systemd/$unit" > "$work/units/$unit"
done
if verify=$(cd "$work/units" && systemd-analyze verify --man=no ./*.path ./*.service ./*.timer 2>&1) && [ -z "$verify" ]; then
    echo "test-systemd-example: ok: systemd-analyze verify" >&2
else
    fail "systemd-analyze verify: $verify"
fi

# The spool script on the packaged tools, against the example warehouse and a local receiver.
sqlite3 "$work/warehouse.db" < examples/warehouse.sql
python3 scripts/receiver.py --port-file "$work/port" --record "$work/received.ndjson" &
receiver_pid=$!
while [ ! -s "$work/port" ]; do kill -0 "$receiver_pid" || exit 1; sleep 0.05; done
sed "s#http://127.0.0.1:8787#http://127.0.0.1:$(cat "$work/port")#" examples/integrations.toml > "$work/integrations.toml"
mkdir -p "$work/spool/incoming" "$work/state"
head -3 examples/completions.ndjson > "$work/spool/incoming/a.ndjson"
tail -n +4 examples/completions.ndjson > "$work/spool/incoming/b.ndjson"
export PATH=$root/usr/bin:$PATH LT_SPOOL=$work/spool LT_STATE=$work/state LT_INTEGRATIONS=$work/integrations.toml \
    LT_SEND_OPTIONS="--allow-http --allow-private" LT_WAREHOUSE=sqlite:$work/warehouse.db LT_CACHE_DIR=$work/cache \
    ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT=true
"$work/lt-spool" process || fail "lt-spool process exited $?"
lines=$(wc -l < examples/completions.ndjson)
[ -z "$(find "$work/spool/incoming" "$work/spool/processing" -type f)" ] || fail "files left in incoming/ or processing/"
[ "$(cat "$work"/spool/done/*.results | grep -c '"status":"delivered"')" -eq "$lines" ] \
    || fail "not every spooled line was delivered: $(cat "$work"/spool/done/*.results)"
[ "$(wc -l < "$work/received.ndjson")" -eq "$lines" ] || fail "the receiver got $(wc -l < "$work/received.ndjson") of $lines"

# The nightly replay: the dead-letter file's lines are sent again and the file is emptied.
# (an id of its own: the journal already holds the id lt-send derives from the example line)
printf '{"id": "replayed-1", "payload": %s}\n' "$(head -1 examples/completions.ndjson)" > "$work/state/dead-letter.ndjson"
"$work/lt-spool" replay || fail "lt-spool replay exited $?"
[ ! -s "$work/state/dead-letter.ndjson" ] || fail "the dead-letter file was not emptied by the replay"
grep -q '"status":"delivered"' "$work"/state/replays/replay-*.results || fail "the replayed line was not delivered"
[ "$(wc -l < "$work/received.ndjson")" -eq $((lines + 1)) ] || fail "the receiver did not get the replayed line"

# An error record is not replayed for ever: the replay moves it to error-records.ndjson and sends
# the rest; the next replay has nothing to do.
record='{"error":{"tool":"lt-query","source":"<stdin>","line":1,"message":"not valid JSON","hint":"fix it"},"input":"x"}'
{ echo "$record"; printf '{"id": "replayed-2", "payload": %s}\n' "$(head -1 examples/completions.ndjson)"; } \
    > "$work/state/dead-letter.ndjson"
"$work/lt-spool" replay || fail "lt-spool replay with an error record exited $?"
[ ! -s "$work/state/dead-letter.ndjson" ] || fail "the error record went back into the dead-letter file"
[ "$(cat "$work/state/error-records.ndjson")" = "$record" ] || fail "error-records.ndjson does not hold the record"
[ "$(wc -l < "$work/received.ndjson")" -eq $((lines + 2)) ] || fail "the line beside the error record was not sent"

# The replay history is bounded: LT_REPLAY_KEEP=2 leaves the newest two replays and their results.
for i in 3 4 5; do
    printf '{"id": "replayed-%s", "payload": %s}\n' "$i" "$(head -1 examples/completions.ndjson)" > "$work/state/dead-letter.ndjson"
    LT_REPLAY_KEEP=2 "$work/lt-spool" replay || fail "lt-spool replay $i exited $?"
done
kept=$(find "$work/state/replays" -type f | sort)
[ "$(grep -c 'replay-.*\.ndjson$' <<< "$kept")" -eq 2 ] && [ "$(grep -c '\.results$' <<< "$kept")" -eq 2 ] \
    && grep -q replayed-5 "$(grep '\.ndjson$' <<< "$kept" | tail -1)" \
    || fail "LT_REPLAY_KEEP=2 left: $kept"

# The nightly refresh: nothing changed, nothing is sent; the warehouse catches up on one learner,
# and exactly that line goes out again, as a revision under a new id.
received=$(wc -l < "$work/received.ndjson")
"$work/lt-spool" refresh || fail "lt-spool refresh exited $?"
[ "$(wc -l < "$work/received.ndjson")" -eq "$received" ] || fail "a refresh with nothing changed sent something"
sqlite3 "$work/warehouse.db" "INSERT INTO LEARNING_TIME SELECT USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID,
    '2099-12-31', 3600 FROM LEARNING_TIME WHERE USER_ID = 12345 LIMIT 1"
"$work/lt-spool" refresh || fail "lt-spool refresh exited $?"
[ "$(wc -l < "$work/received.ndjson")" -eq $((received + 1)) ] || fail "the refresh did not send exactly one correction"
tail -1 "$work/received.ndjson" | grep -q '"lt-revision": "1"' || fail "the correction is not marked as revision 1"
"$work/lt-spool" refresh || fail "lt-spool refresh exited $?"
[ "$(wc -l < "$work/received.ndjson")" -eq $((received + 1)) ] || fail "a second refresh sent something again"

[ "$failures" -eq 0 ] || exit 1
echo "test-systemd-example: ok: spool of $lines lines delivered, dead-letter replayed, error records set aside, history bounded, a correction refreshed" >&2
