#!/usr/bin/env bash
# The whole-pipeline benchmark: lt-query | lt-enrich | lt-send against the shell pipeline a user would
# write (psql + jq + curl, xargs -P 16) and against the specification's own design in Python
# (spec_baseline.py), in one run, on one machine. Prints a table and writes docs/benchmarks.md.
#
#   bench/pipeline/run.sh                         # default sizes (about ten minutes on 2 cores)
#   ROWS=1000000 LINES=100000 bench/pipeline/run.sh   # a quick run
#
# Sizes and knobs (environment variables):
#   ROWS=10000000      warehouse rows (daily rows; about ROWS/10 keys, ROWS/40 learners)
#   LINES=1000000      completions in the backfill stream (cold and warm runs, peak memory)
#   REPEAT=0.4         share of stream lines that repeat a recently seen key
#   SHELL_SAMPLE=1000  lines through the psql/jq/curl shell pipeline
#   PY_SAMPLE=5000     lines through the Python baseline (two passes: cold, then warm dict cache)
#   LATENCY_RUNS=300   fresh one-completion pipelines, cold and then warm
#   LOAD_ROUNDS=10     bursts of 100 completions for the load test (the first one is the warm-up)
#   CONCURRENCY=16     lt-send --concurrency for the backfill runs
#   LT_BIN_DIR=DIR     use these built binaries instead of building (release) into SCRATCH
#   SCRATCH=.build-bench  the build folder used when LT_BIN_DIR is not set
#   DOC=docs/benchmarks.md  where the report goes (DOC= to skip writing it)
#   KEEP=1             keep the work folder (streams, results, logs) for inspection
#
# It installs what is missing (apt-get: nginx-light wrk time jq postgresql; pip: requests psycopg2-binary),
# starts a throwaway PostgreSQL, nginx (answers 204) and a Python receiver (answers after 200 ms),
# all on 127.0.0.1 only, and stops them on exit. Every step has a time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

ROWS=${ROWS:-10000000}
LINES=${LINES:-1000000}
REPEAT=${REPEAT:-0.4}
SHELL_SAMPLE=${SHELL_SAMPLE:-1000}
PY_SAMPLE=${PY_SAMPLE:-5000}
LATENCY_RUNS=${LATENCY_RUNS:-300}
LOAD_ROUNDS=${LOAD_ROUNDS:-10}
CONCURRENCY=${CONCURRENCY:-16}
SCRATCH=${SCRATCH:-.build-bench}
DOC=${DOC-docs/benchmarks.md}
STEP_LIMIT=${STEP_LIMIT:-900}

say() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# --- what the run needs -------------------------------------------------------------------------
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
command -v jq >/dev/null || need+=(jq)
command -v psql >/dev/null || need+=(postgresql postgresql-client)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
if ! python3 -c 'import requests, psycopg2' 2>/dev/null; then
    say "installing requests psycopg2-binary"
    pip install -q requests psycopg2-binary 2>/dev/null || pip install -q --break-system-packages requests psycopg2-binary
fi

if [ -z "${LT_BIN_DIR:-}" ]; then
    say "building release binaries in $SCRATCH"
    LT_BIN_DIR=$(scripts/build-release.sh "$SCRATCH")
fi
BIN=$(cd "$LT_BIN_DIR" && pwd)
for t in lt-query lt-enrich lt-send; do [ -x "$BIN/$t" ] || { echo "bench: $BIN/$t is missing" >&2; exit 2; }; done

# --- services, torn down on exit ----------------------------------------------------------------
W=$(mktemp -d /tmp/lt-bench.XXXXXX)
chmod 755 "$W"
R=$W/results.env
: >"$R"
NGINX_STARTED= RECEIVER_PID= LT_PG_DIR=
cleanup() {
    set +e
    [ -n "$NGINX_STARTED" ] && "$ROOT/bench/nginx-204.sh" stop "$W/nginx"
    [ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null && wait "$RECEIVER_PID" 2>/dev/null
    [ -n "$LT_PG_DIR" ] && "$ROOT/scripts/postgres.sh" stop "$LT_PG_DIR"
    if [ "${KEEP:-0}" = 1 ]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
put() { printf '%s=%s\n' "$1" "$2" >>"$R"; }

say "starting PostgreSQL"
eval "$("$ROOT/scripts/postgres.sh" start)"
PG="host=127.0.0.1 port=$LT_PG_PORT dbname=prod user=postgres"
psql -h 127.0.0.1 -p "$LT_PG_PORT" -U postgres -d postgres -XqAt -c "CREATE DATABASE prod" >/dev/null

say "generating the warehouse: $ROWS rows"
t=$(now)
timeout "$STEP_LIMIT" psql "$PG" -Xq -v rows="$ROWS" -f bench/pipeline/warehouse.sql -At -F' ' >"$W/warehouse.out"
put warehouse_load_s "$(since "$t")"
read -r rows keys learners <"$W/warehouse.out"
put warehouse_rows "$rows"; put warehouse_keys "$keys"; put warehouse_learners "$learners"
psql "$PG" -XAtq -c "COPY (SELECT user_id, course_key, enterprise_customer_uuid FROM business_intelligence.bench_keys ORDER BY k) TO STDOUT" >"$W/keys.tsv"
put warehouse_mb "$(psql "$PG" -XAtq -c "SELECT pg_total_relation_size('business_intelligence.learning_time') / 1048576")"

say "generating completion streams: $LINES lines"
G=bench/pipeline/completions.py
python3 $G "$W/keys.tsv" "$LINES" --repeat "$REPEAT" >"$W/stream.ndjson" 2>"$W/stream.stats"
put stream_mb "$(( $(stat -c %s "$W/stream.ndjson") / 1048576 ))"
put stream "$(cat "$W/stream.stats")"
# Latency lines: distinct keys with rows, none of them in the backfill stream's first keys.
python3 $G "$W/keys.tsv" "$LATENCY_RUNS" --repeat 0 --not-found 0 --enrollments 0 --seed 7 --skip-keys $((keys / 2 + 1)) >"$W/latency.ndjson" 2>/dev/null
python3 $G "$W/keys.tsv" $((LOAD_ROUNDS * 100)) --repeat "$REPEAT" --seed 11 --skip-keys $((keys * 3 / 4)) >"$W/load.ndjson" 2>/dev/null

say "starting nginx and the slow receiver"
ng=$(bench/nginx-204.sh start "$W/nginx")
eval "$ng"
NGINX_STARTED=1
URL=http://127.0.0.1:$NGINX_PORT/webhooks/bench
python3 scripts/receiver.py --port-file "$W/receiver.port" --record "$W/receiver.ndjson" &
RECEIVER_PID=$!
for _ in $(seq 100); do [ -s "$W/receiver.port" ] && break; sleep 0.1; done
SLOW_URL=http://127.0.0.1:$(cat "$W/receiver.port")/slow/0.2/webhooks/load

say "nginx ceiling (wrk, 5 s, 16 connections)"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$(head -1 "$W/stream.ndjson")" >"$W/post.lua"
timeout 60 wrk -t1 -c16 -d5s -s "$W/post.lua" "$URL" >"$W/wrk.out" || say "wrk failed"
put wrk_rps "$(awk '/Requests\/sec/ { print $2 }' "$W/wrk.out")"

Q="$BIN/lt-query --warehouse '$PG' --flag on"
E="$BIN/lt-enrich --flag on"
S="$BIN/lt-send --url $URL --allow-http --allow-private"

# One backfill run with /usr/bin/time -v around each tool: wall time, lines/s, peak RSS, CPU per tool.
backfill() { # name cache-dir
    local name=$1 cache=$2 t status
    say "pipeline, $name cache: $LINES lines into nginx"
    t=$(now)
    set +e
    timeout "$STEP_LIMIT" bash -c "set -o pipefail
        /usr/bin/time -v -o '$W/$name.query.time' $Q --cache-dir '$cache' --stats < '$W/stream.ndjson' 2>'$W/$name.query.err' \
        | /usr/bin/time -v -o '$W/$name.enrich.time' $E 2>'$W/$name.enrich.err' \
        | /usr/bin/time -v -o '$W/$name.send.time' $S --concurrency $CONCURRENCY --stats 2>'$W/$name.send.err' > '$W/$name.results.ndjson'"
    status=$?
    set -e
    put "${name}_s" "$(since "$t")"
    put "${name}_exit" "$status"
    put "${name}_results" "$(wc -l <"$W/$name.results.ndjson")"
    put "${name}_delivered" "$(grep -c '"status": *"delivered"' "$W/$name.results.ndjson" || true)"
    put "${name}_enriched" "$(grep -c '"learning_time": *true' "$W/$name.results.ndjson" || true)"
    put "${name}_hit_rate" "$(grep -o 'hit_rate=[0-9]*' "$W/$name.query.err" | cut -d= -f2 || true)"
    for tool in query enrich send; do
        put "${name}_${tool}_rss_kb" "$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/$name.$tool.time")"
        put "${name}_${tool}_cpu_s" "$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$W/$name.$tool.time")"
    done
}
mkdir -p "$W/cache"
backfill cold "$W/cache"
backfill warm "$W/cache"

say "shell pipeline (psql + jq + curl, xargs -P 16): $SHELL_SAMPLE lines"
head -n "$SHELL_SAMPLE" "$W/stream.ndjson" >"$W/shell.ndjson"
t=$(now)
timeout "$STEP_LIMIT" bench/pipeline/shell_pipeline.sh "$PG" "$URL" <"$W/shell.ndjson" >"$W/shell.out" 2>"$W/shell.err" || true
put shell_s "$(since "$t")"
put shell_lines "$SHELL_SAMPLE"
put shell_delivered "$(grep -c '^2' "$W/shell.out" || true)"

say "Python baseline (the specification's design): $PY_SAMPLE lines, two passes"
head -n "$PY_SAMPLE" "$W/stream.ndjson" >"$W/py.ndjson"
timeout "$STEP_LIMIT" python3 bench/pipeline/spec_baseline.py --conninfo "$PG" --url "$URL" --passes 2 <"$W/py.ndjson" >"$W/py.out" \
    || say "the Python baseline failed"
put py_cold "$(sed -n 1p "$W/py.out")"
put py_warm "$(sed -n 2p "$W/py.out")"

say "latency: $LATENCY_RUNS fresh pipelines, cold then warm"
mkdir -p "$W/latency-cache"
timeout "$STEP_LIMIT" python3 bench/pipeline/latency.py --lines "$W/latency.ndjson" --runs "$LATENCY_RUNS" \
    --pipeline "$Q --cache-dir '$W/latency-cache' 2>/dev/null | $E 2>/dev/null | $S 2>/dev/null" \
    --startup "true=true" --startup "lt-enrich=$E" --startup "lt-send=$S" \
    --startup "lt-query --no-cache=$Q --no-cache" --startup "lt-query, cache=$Q --cache-dir '$W/latency-cache'" >"$W/latency.out" \
    || say "the latency runs failed"
put latency "$(cat "$W/latency.out" || true)"

say "load test: $LOAD_ROUNDS bursts of 100 completions, receiver answering after 200 ms"
mkdir -p "$W/load-cache"
timeout "$STEP_LIMIT" python3 bench/pipeline/loadtest.py --lines "$W/load.ndjson" --rounds "$LOAD_ROUNDS" \
    --query-stats "$W/load.query.err" --record "$W/receiver.ndjson" \
    --pipeline "$Q --cache-dir '$W/load-cache' --stats 2>'$W/load.query.err' | $E 2>/dev/null | $BIN/lt-send --url $SLOW_URL --allow-http --allow-private --concurrency 100 2>/dev/null" >"$W/load.out" \
    || say "the load test failed"
put load "$(cat "$W/load.out" || true)"

put machine_cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
put machine_nproc "$(nproc)"
put machine_mem_gb "$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
put machine_os "$(. /etc/os-release && echo "$PRETTY_NAME")"
put machine_pg "$(psql "$PG" -XAtq -c 'SHOW server_version')"
put machine_swift "$(swift --version 2>/dev/null | head -1)"
put run_date "$(date -u +'%Y-%m-%d %H:%M UTC')"
put run_commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+changes')"
put params "ROWS=$ROWS LINES=$LINES REPEAT=$REPEAT SHELL_SAMPLE=$SHELL_SAMPLE PY_SAMPLE=$PY_SAMPLE LATENCY_RUNS=$LATENCY_RUNS LOAD_ROUNDS=$LOAD_ROUNDS CONCURRENCY=$CONCURRENCY"

python3 bench/pipeline/report.py "$R" ${DOC:+--doc "$DOC"}
