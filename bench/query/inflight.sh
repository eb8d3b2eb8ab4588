#!/usr/bin/env bash
# lt-query with several batch statements in flight: cold keys per second against a warehouse whose
# every round trip is slow, for one statement in flight and for N, next to the one-at-a-time bound
# (batch size ÷ latency), all measured in the same run.
#
#   bench/query/inflight.sh [N] [LATENCIES]
#     N          --max-statements of the concurrent runs (default 8)
#     LATENCIES  Snowflake statement latencies in seconds (default "0.5 1.5 3")
#
# Snowflake: bench/query/snowflake-latency-standin.py holds every statement for the latency.
# PostgreSQL: a throwaway server (scripts/postgres.sh), directly and behind scripts/delay-proxy.py,
# which delays every round trip by 50 ms. Every run's output is checked line by line (order and
# totals). LT_BIN_DIR picks built binaries; by default lt-query is built in release mode. The table
# replaces its own section of docs/benchmarks.md (WRITE_DOC=0 to only print it).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-8}
LATENCIES=${2:-"0.5 1.5 3"}
BATCH=500
ROUNDS=10  # statements per slot in each run, so every run lasts about ROUNDS × latency
PG_KEYS=20000
E0=a1b2c3d4-e5f6-7890-abcd-ef1234567890

if [ -z "${LT_BIN_DIR:-}" ]; then
    echo "building lt-query (release)..." >&2
    LT_BIN_DIR=$(scripts/build-release.sh .build-q lt-query)
fi
BIN=$LT_BIN_DIR
work=$(mktemp -d /tmp/lt-bench-inflight.XXXXXX)
pids=()
pg_dir=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -z "$pg_dir" ] || scripts/postgres.sh stop "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }

# KEYS cold lines: user g (every tenth without rows: user 10**9 + g).
lines() {
    python3 - "$1" "$E0" <<'PY'
import sys
n, e = int(sys.argv[1]), sys.argv[2]
for g in range(1, n + 1):
    u = 10**9 + g if g % 10 == 0 else g
    print('{"user":{"id":%d},"course":{"course_id":"course-v1:edX+Bench+C%d"},"completion":{},'
          '"enterprise":{"enterprise_customer_uuid":"%s"}}' % (u, g % 5, e))
PY
}

# Checks that output line i answers input line i with the rule's total.
check() {
    python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for inp, out in zip(open(sys.argv[1]), open(sys.argv[2])):
    u = json.loads(inp)["user"]["id"]
    r = json.loads(out)
    assert r["payload"]["user"]["id"] == u, ("out of order", n)
    lk = r["lookup"]
    want = None if u >= 10**9 else (u * 7919) % 3600 + 1
    got = lk.get("total_seconds") if lk["status"] == "found" else None
    assert lk["status"] in ("found", "not_found") and got == want, (u, lk)
    n += 1
assert n == sum(1 for _ in open(sys.argv[1])), "missing lines"
PY
}

# Runs lt-query over KEYS lines; prints keys/s. $1 = keys, $2 = address, rest = options.
run() {
    local keys=$1 address=$2; shift 2
    lines "$keys" > "$work/in.ndjson"
    local t0 t1
    t0=$(now)
    SNOWFLAKE_PAT=bench "$BIN/lt-query" --warehouse "$address" --no-cache --flag on --batch-size $BATCH "$@" \
        < "$work/in.ndjson" > "$work/out.ndjson" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    t1=$(now)
    check "$work/in.ndjson" "$work/out.ndjson" || { echo "wrong output" >&2; exit 1; }
    python3 -c "print(round($keys / ($t1 - $t0)))"
}

results="$work/results.txt"
for latency in $LATENCIES; do
    rm -f "$work/sf.port"
    python3 bench/query/snowflake-latency-standin.py --port-file "$work/sf.port" --latency "$latency" --concurrency "$N" \
        --stats "$work/sf.stats" & pids+=($!)
    while [ ! -s "$work/sf.port" ]; do sleep 0.05; done
    sf="snowflake://bench/PROD/BI?user=bench&host=http://127.0.0.1:$(cat "$work/sf.port")"
    echo "Snowflake, $latency s per statement..." >&2
    one=$(run $((BATCH * ROUNDS)) "$sf" --max-statements 1)
    many=$(run $((BATCH * ROUNDS * N)) "$sf" --max-statements "$N")
    echo "snowflake $latency $one $many" | tee -a "$results" >&2
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done

echo "PostgreSQL..." >&2
pg_env=$(scripts/postgres.sh start)
eval "$pg_env"
pg_dir=$LT_PG_DIR
psql "$LT_TEST_POSTGRES" -v ON_ERROR_STOP=1 -qAt <<SQL
CREATE UNLOGGED TABLE learning_time (user_id BIGINT NOT NULL, course_key VARCHAR(255) NOT NULL,
  enterprise_customer_uuid VARCHAR(36) NOT NULL, date DATE NOT NULL, learning_time_seconds INTEGER NOT NULL);
INSERT INTO learning_time
  SELECT g, 'course-v1:edX+Bench+C' || (g % 5), '$E0', DATE '2026-01-01', (g::bigint * 7919 % 3600)::int + 1
  FROM generate_series(1, $PG_KEYS) AS g;
CREATE INDEX learning_time_key ON learning_time (user_id, course_key, enterprise_customer_uuid);
VACUUM ANALYZE learning_time;
SQL
target=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<< "$LT_TEST_POSTGRES")
rm -f "$work/pg.port"
python3 scripts/delay-proxy.py --target "127.0.0.1:$target" --delay 0.05 --port-file "$work/pg.port" & pids+=($!)
while [ ! -s "$work/pg.port" ]; do sleep 0.05; done
delayed="$LT_TEST_POSTGRES host=127.0.0.1 port=$(cat "$work/pg.port") sslmode=disable gssencmode=disable"
one=$(run $PG_KEYS "$LT_TEST_POSTGRES" --table learning_time --max-statements 1)
many=$(run $PG_KEYS "$LT_TEST_POSTGRES" --table learning_time --max-statements "$N")
echo "postgres 0 $one $many" | tee -a "$results" >&2
one=$(run $PG_KEYS "$delayed" --table learning_time --max-statements 1)
many=$(run $PG_KEYS "$delayed" --table learning_time --max-statements "$N")
echo "postgres 0.05 $one $many" | tee -a "$results" >&2

python3 - "$results" "$N" "$BATCH" "$BIN" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${WRITE_DOC:-1}" <<'PY'
import datetime, re, sys
rows = [l.split() for l in open(sys.argv[1])]
n, batch, binary, commit, load, write = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
lines = [f"| warehouse | latency per round trip | bound, 1 at a time | 1 in flight | {n} in flight | gain |",
         "|---|---|---|---|---|---|"]
for kind, latency, one, many in rows:
    lat = float(latency)
    bound = f"{batch / lat:,.0f}" if lat > 0 else "-"
    where = "loopback" if lat == 0 else f"{lat * 1000:.0f} ms (delay-proxy.py)" if kind == "postgres" else f"{lat:g} s per statement"
    lines.append(f"| {kind} | {where} | {bound} | {int(one):,} | {int(many):,} | {int(many) / int(one):.1f}x |")
table = "\n".join(lines)
print(f"lt-query cold keys/s, batches of {batch}, every output line checked (order and total)")
print(table)
if write == "1":
    kind = "release" if "release" in binary else "debug" if "debug" in binary else binary
    section = f"""<!-- inflight:begin (written by bench/query/inflight.sh; bench/pipeline/run.sh keeps it) -->
## Statements in flight: cold keys/s against warehouse latency

Written by `bench/query/inflight.sh {n}` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit},
{kind} lt-query, load average {load} when it ended (2 shared cores). Cold keys per second over the
whole run (start-up and the start-up probe included), `--batch-size {batch} --no-cache`, each output line
checked for its place and total. "Bound, 1 at a time" is batch size ÷ latency: the most one
statement in flight can give. Snowflake: `bench/query/snowflake-latency-standin.py` holds every
statement (and the start-up probe) for the latency. PostgreSQL: a throwaway server on loopback,
directly and behind `scripts/delay-proxy.py`, which delays every answer by 50 ms.

{table}
<!-- inflight:end -->
"""
    path = "docs/benchmarks.md"
    doc = open(path).read()
    pattern = re.compile(r"<!-- inflight:begin.*?<!-- inflight:end -->\n", re.S)
    doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + section
    open(path, "w").write(doc)
PY
