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
WORK_NAME=inflight
# shellcheck source=bench/query/cold-keys.sh
. bench/query/cold-keys.sh

# run's keys/s alone; a failed run stops the script, as run itself does.
rate() {
    local r
    r=$(run "$@") || exit 1
    echo "${r#* }"
}

results="$work/results.txt"
for latency in $LATENCIES; do
    start_standin "$latency" "$N"
    echo "Snowflake, $latency s per statement..." >&2
    one=$(rate $((BATCH * ROUNDS)) "$sf" --batch-size $BATCH --max-statements 1)
    many=$(rate $((BATCH * ROUNDS * N)) "$sf" --batch-size $BATCH --max-statements "$N")
    echo "snowflake $latency $one $many" | tee -a "$results" >&2
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done

echo "PostgreSQL..." >&2
start_postgres $PG_KEYS
one=$(rate $PG_KEYS "$LT_TEST_POSTGRES" --table learning_time --batch-size $BATCH --max-statements 1)
many=$(rate $PG_KEYS "$LT_TEST_POSTGRES" --table learning_time --batch-size $BATCH --max-statements "$N")
echo "postgres 0 $one $many" | tee -a "$results" >&2
one=$(rate $PG_KEYS "$delayed" --table learning_time --batch-size $BATCH --max-statements 1)
many=$(rate $PG_KEYS "$delayed" --table learning_time --batch-size $BATCH --max-statements "$N")
echo "postgres 0.05 $one $many" | tee -a "$results" >&2

python3 - "$results" "$N" "$BATCH" "$BIN" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${WRITE_DOC:-1}" "$work/section.md" <<'PY'
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
    open(sys.argv[-1], "w").write(section)
PY
[ ! -s "$work/section.md" ] || write_section inflight "$work/section.md"
