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
WORK_NAME=bounds
# shellcheck source=bench/query/cold-keys.sh
. bench/query/cold-keys.sh

# The stand-in's figures of the run just made: statements, the most at once, how many queued, sizes.
standin_stats() {
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    python3 -c "import json; s = json.load(open('$work/sf.stats')); sz = sorted(s['sizes'], reverse=True); \
print(f\"{s['statements']} statements (probe included), {s['max_in_flight']} at once, {s['queued']} queued, \
keys per statement {sz[0]}..{sz[-2] if len(sz) > 1 else sz[0]}\")"
}

results="$work/results.txt"
for keys in 9000 40000; do
    start_standin "$LATENCY" 8
    echo "Snowflake stand-in, $keys cold keys..." >&2
    read -r secs rate < <(run "$keys" "$sf" --max-statements 8)
    echo "snowflake|$keys cold keys, 8 statements in flight|$secs|$rate|$(standin_stats)" | tee -a "$results" >&2
done

start_standin "$LATENCY" 8
echo "Snowflake stand-in, one ad-hoc key..." >&2
t0=$(now)
SNOWFLAKE_PAT=bench "$BIN/lt-query" --warehouse "$sf" --no-cache --user 7 --course course-v1:edX+Bench+C2 \
    --enterprise "$E0" > "$work/adhoc.json"
t1=$(now)
grep -q '"total_seconds":'$(( (7 * 7919) % 3600 + 1 )) "$work/adhoc.json" || { cat "$work/adhoc.json" >&2; exit 1; }
echo "adhoc|one ad-hoc key|$(python3 -c "print(f'{$t1 - $t0:.3f}')")|-|$(standin_stats)" | tee -a "$results" >&2

echo "PostgreSQL behind a 50 ms proxy..." >&2
start_postgres 40000
for keys in 9000 40000; do
    read -r secs rate < <(run "$keys" "$LT_TEST_POSTGRES" --table learning_time)
    echo "postgres0|$keys cold keys, loopback|$secs|$rate|-" | tee -a "$results" >&2
    read -r secs rate < <(run "$keys" "$delayed" --table learning_time)
    echo "postgres|$keys cold keys, 50 ms proxy|$secs|$rate|-" | tee -a "$results" >&2
done

python3 - "$results" "$BIN" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${WRITE_DOC:-1}" "$LATENCY" "$work/section.md" <<'PY'
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
one) and answers each {latency:g} s after its request arrived, about real Snowflake's speed; not snowduck, which answers one
statement at a time. The bound is the keys over the round trips that 8 statements of at most
2,000 keys need. PostgreSQL: a throwaway server behind `scripts/delay-proxy.py` (every answer 50 ms
late), against the same server on loopback in the same run. Command:
`LT_BIN_DIR=.build-q/x86_64-unknown-linux-gnu/release bench/query/bounds.sh` after
`scripts/build-release.sh .build-q` (or `bench/query/bounds.sh` alone, which builds).

{table}
<!-- bounds:end -->
"""
    open(sys.argv[-1], "w").write(section)
PY
[ ! -s "$work/section.md" ] || write_section bounds "$work/section.md"
