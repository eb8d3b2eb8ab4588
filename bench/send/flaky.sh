#!/usr/bin/env bash
# lt-send against a flaky partner: a receiver on 127.0.0.1 (scripts/receiver.py, /random/0.3/0.2/)
# that answers every request after 200 ms, with 503 at random 30 % of the time.
#
#   bench/send/flaky.sh [LINES]      default 4000 lines
#   LABEL="before: …" names the run's row in docs/benchmarks.md's "send-flaky" section (default: the
#   commit); DOC= skips the doc. FAILURE, LATENCY and CONCURRENCY change the receiver and lt-send.
#
# lt-send runs with --concurrency 16 and the default retry policy, results and --attempts written.
# Printed (bench/send/flaky.py): lines/s against the bound (success rate x concurrency / latency,
# from what the receiver answered and the attempts' durations), breaker pauses (a second or more
# with no attempt started while new lines were still going out) and the longest gap with no attempt
# started. The goal (issue 25): at least 80 % of the bound, no pause.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES=${1:-4000}
FAILURE=${FAILURE:-0.3}
LATENCY=${LATENCY:-0.2}
CONCURRENCY=${CONCURRENCY:-16}
DOC=${DOC-docs/benchmarks.md}

echo "bench: building lt-send (release)" >&2
LT_SEND="${LT_SEND:-$(scripts/build-release.sh .build-s lt-send)/lt-send}"

. bench/send/receiver.sh flaky
python3 bench/send/envelopes.py "$LINES" > "$tmp/in.ndjson"
cat > "$tmp/integrations.toml" <<TOML
[integrations.partner]
url = "http://127.0.0.1:$port/random/$FAILURE/$LATENCY/hook"
TOML

echo "bench: lt-send, $LINES lines, --concurrency $CONCURRENCY, default retry policy, $FAILURE 503s after ${LATENCY}s" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
"$LT_SEND" --integrations "$tmp/integrations.toml" --allow-http --allow-private --concurrency "$CONCURRENCY" \
    --attempts "$tmp/attempts.ndjson" --dead-letter "$tmp/dead.ndjson" --stats \
    < "$tmp/in.ndjson" > "$tmp/results.ndjson" 2> "$tmp/lt-send.err" || true
t1=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo +changes)"
python3 bench/send/flaky.py "$tmp" "$LINES" "$CONCURRENCY" "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1")" \
    "$load_before" "$load_after" "${LABEL:-$commit}" "$DOC" "$FAILURE" "$LATENCY"
