#!/usr/bin/env bash
# lt-query against the latency bound (issue 26): the cases where fixed costs (the start-up probe, the
# batch size, waves of statements) dominate, each against the physical bound measured or computed
# in the same run.
#
#   bench/query/bounds.sh            # about a minute; LT_BIN_DIR=… to use binaries already built
#
# Snowflake: bench/query/snowflake-latency-standin.py, whose warehouse runs 8 statements at once (a
# ninth waits for a free slot) and holds each, the start-up probe included, for 1.5 s; real
# Snowflake's own speed of 1.5 s per statement. PostgreSQL: a throwaway server (scripts/postgres.sh)
# behind scripts/delay-proxy.py, which delays every answer by 50 ms. Every run's output is checked
# line by line (order and totals). The table replaces its own section of docs/benchmarks.md
# (WRITE_DOC=0 to only print it).
set -euo pipefail
cd "$(dirname "$0")/../.."
LATENCY=1.5
E0=a1b2c3d4-e5f6-7890-abcd-ef1234567890

if [ -z "${LT_BIN_DIR:-}" ]; then
    echo "building lt-query (release)..." >&2
    LT_BIN_DIR=$(scripts/build-release.sh .build-q lt-query)
fi
BIN=$LT_BIN_DIR
work=$(mktemp -d /tmp/lt-bench-bounds.XXXXXX)
pids=()
pg_dir=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -z "$pg_dir" ] || scripts/postgres.sh stop "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }

# KEYS cold lines: user g (every tenth without rows: user 10**9 + g); the stand-in's rule answers them.
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

# Runs lt-query over KEYS cold lines; prints seconds and keys/s. $1 = keys, $2 = address, rest = options.
run() {
    local keys=$1 address=$2; shift 2
    lines "$keys" > "$work/in.ndjson"
    local t0 t1
    t0=$(now)
    SNOWFLAKE_PAT=bench "$BIN/lt-query" --warehouse "$address" --no-cache --flag on "$@" \
        < "$work/in.ndjson" > "$work/out.ndjson" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    t1=$(now)
    check "$work/in.ndjson" "$work/out.ndjson" || { echo "wrong output" >&2; exit 1; }
    python3 -c "print(f'{$t1 - $t0:.3f} {round($keys / ($t1 - $t0))}')"
}

# The stand-in's figures of the run just made: statements, the most at once, how many queued, sizes.
standin_stats() {
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    python3 -c "import json; s = json.load(open('$work/sf.stats')); sz = sorted(s['sizes'], reverse=True); \
print(f\"{s['statements']} statements (probe included), {s['max_in_flight']} at once, {s['queued']} queued, \
keys per statement {sz[0]}..{sz[-2] if len(sz) > 1 else sz[0]}\")"
}

start_standin() {
    rm -f "$work/sf.port" "$work/sf.stats"
    python3 bench/query/snowflake-latency-standin.py --port-file "$work/sf.port" --latency "$LATENCY" \
        --concurrency 8 --stats "$work/sf.stats" & pids+=($!)
    while [ ! -s "$work/sf.port" ]; do sleep 0.05; done
    sf="snowflake://bench/PROD/BI?user=bench&host=http://127.0.0.1:$(cat "$work/sf.port")"
}

results="$work/results.txt"
for keys in 9000 40000; do
    start_standin
    echo "Snowflake stand-in, $keys cold keys..." >&2
    read -r secs rate < <(run "$keys" "$sf" --max-statements 8)
    echo "snowflake|$keys cold keys, 8 statements in flight|$secs|$rate|$(standin_stats)" | tee -a "$results" >&2
done

start_standin
echo "Snowflake stand-in, one ad-hoc key..." >&2
t0=$(now)
SNOWFLAKE_PAT=bench "$BIN/lt-query" --warehouse "$sf" --no-cache --user 7 --course course-v1:edX+Bench+C2 \
    --enterprise "$E0" > "$work/adhoc.json"
t1=$(now)
grep -q '"total_seconds":'$(( (7 * 7919) % 3600 + 1 )) "$work/adhoc.json" || { cat "$work/adhoc.json" >&2; exit 1; }
echo "adhoc|one ad-hoc key|$(python3 -c "print(f'{$t1 - $t0:.3f}')")|-|$(standin_stats)" | tee -a "$results" >&2

echo "PostgreSQL behind a 50 ms proxy..." >&2
pg_env=$(scripts/postgres.sh start)
eval "$pg_env"
pg_dir=$LT_PG_DIR
psql "$LT_TEST_POSTGRES" -v ON_ERROR_STOP=1 -qAt <<SQL
CREATE UNLOGGED TABLE learning_time (user_id BIGINT NOT NULL, course_key VARCHAR(255) NOT NULL,
  enterprise_customer_uuid VARCHAR(36) NOT NULL, date DATE NOT NULL, learning_time_seconds INTEGER NOT NULL);
INSERT INTO learning_time
  SELECT g, 'course-v1:edX+Bench+C' || (g % 5), '$E0', DATE '2026-01-01', (g::bigint * 7919 % 3600)::int + 1
  FROM generate_series(1, 40000) AS g;
CREATE INDEX learning_time_key ON learning_time (user_id, course_key, enterprise_customer_uuid);
VACUUM ANALYZE learning_time;
SQL
target=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<< "$LT_TEST_POSTGRES")
rm -f "$work/pg.port"
python3 scripts/delay-proxy.py --target "127.0.0.1:$target" --delay 0.05 --port-file "$work/pg.port" & pids+=($!)
while [ ! -s "$work/pg.port" ]; do sleep 0.05; done
delayed="$LT_TEST_POSTGRES host=127.0.0.1 port=$(cat "$work/pg.port") sslmode=disable gssencmode=disable"
for keys in 9000 40000; do
    read -r secs rate < <(run "$keys" "$LT_TEST_POSTGRES" --table learning_time)
    echo "postgres0|$keys cold keys, loopback|$secs|$rate|-" | tee -a "$results" >&2
    read -r secs rate < <(run "$keys" "$delayed" --table learning_time)
    echo "postgres|$keys cold keys, 50 ms proxy|$secs|$rate|-" | tee -a "$results" >&2
done

python3 - "$results" "$BIN" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${WRITE_DOC:-1}" "$LATENCY" <<'PY'
import datetime, re, sys
path, binary, commit, load, write, latency = sys.argv[1:7]
latency = float(latency)
rows = [l.rstrip("\n").split("|") for l in open(path)]
loopback = {r[1].split(",")[0]: float(r[2]) for r in rows if r[0] == "postgres0"}
lines = ["| warehouse | run | seconds | keys/s | bound | goal | met | what the warehouse saw |",
         "|---|---|---|---|---|---|---|---|"]
for kind, what, secs, rate, seen in rows:
    s = float(secs)
    if kind == "snowflake":
        keys = int(what.split()[0])
        waves = -(-keys // (8 * 2000))
        bound = f"{keys / (waves * latency):,.0f} keys/s ({waves} round trip{'s' if waves > 1 else ''})"
        goal = 4000 if keys == 9000 else 8000
        lines.append(f"| Snowflake stand-in | {what} | {s:.2f} | {int(rate):,} | {bound} | ≥ {goal:,} keys/s "
                     f"| {'yes' if int(rate) >= goal else 'NO'} | {seen} |")
    elif kind == "adhoc":
        lines.append(f"| Snowflake stand-in | {what} | {s:.2f} | - | {latency:g} s (one round trip) | < 2 s "
                     f"| {'yes' if s < 2 else 'NO'} | {seen} |")
    elif kind == "postgres0":
        lines.append(f"| PostgreSQL | {what} | {s:.2f} | {int(rate):,} | - | - | - | - |")
    else:
        base = loopback[what.split(",")[0]]
        lines.append(f"| PostgreSQL | {what} | {s:.2f} | {int(rate):,} | loopback + {s - base:.2f} s "
                     f"({(s - base) / 0.05:.0f} × 50 ms) | - | - | - |")
table = "\n".join(lines)
print(table)
if write == "1":
    kind = "release" if "release" in binary else "debug" if "debug" in binary else binary
    section = f"""<!-- bounds:begin (written by bench/query/bounds.sh) -->
## lt-query against the latency bound

Written by `bench/query/bounds.sh` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit},
{kind} lt-query, load average {load} when it ended (2 shared cores). Seconds from start to the last
line (start-up and the start-up probe included), default options (`--batch-size 2000
--max-statements 8`), `--no-cache`, each output line checked for its place and total.
Snowflake: `bench/query/snowflake-latency-standin.py --latency {latency:g} --concurrency 8`, a stand-in
for a warehouse that runs 8 statements at once (a ninth queues for a slot, the probe counting as
one) and answers each in {latency:g} s, about real Snowflake's speed; not snowduck, which answers one
statement at a time. The bound is the keys over the round trips that 8 statements of at most
2,000 keys need. PostgreSQL: a throwaway server behind `scripts/delay-proxy.py` (every answer 50 ms
late), against the same server on loopback in the same run.

{table}
<!-- bounds:end -->
"""
    doc_path = "docs/benchmarks.md"
    doc = open(doc_path).read()
    pattern = re.compile(r"<!-- bounds:begin.*?<!-- bounds:end -->\n", re.S)
    doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + section
    open(doc_path, "w").write(doc)
PY
