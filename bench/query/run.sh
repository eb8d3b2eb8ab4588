#!/usr/bin/env bash
# lt-query against PostgreSQL over loopback: cold keys per second compared with a per-key psql loop,
# warm-cache lines per second, and peak memory for two input sizes (it should stay flat).
#
#   bench/query/run.sh [ROWS] [KEYS] [PSQL_SAMPLE]
#     ROWS         rows in LEARNING_TIME (default 10000000; 10 rows per key)
#     KEYS         distinct keys in the cold input, a tenth of them without rows (default 200000)
#     PSQL_SAMPLE  keys looked up one psql process at a time, scaled to a rate (default 200)
#
# Sets up and tears down its own throwaway PostgreSQL (scripts/postgres.sh); builds lt-query in release mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-10000000}
KEYS=${2:-200000}
SAMPLE=${3:-200}
NKEYS=$((ROWS / 10))
E0=a1b2c3d4-e5f6-7890-abcd-ef1234567890
E1=f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f

[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }; }
echo "building lt-query (release)..." >&2
BIN=$(scripts/build-release.sh .build-q lt-query)

eval "$(scripts/postgres.sh start)"
work=$(mktemp -d /tmp/lt-bench-query.XXXXXX)
trap 'scripts/postgres.sh stop "$LT_PG_DIR"; rm -rf "$work"' EXIT
PG=$LT_TEST_POSTGRES
q() { psql "$PG" -v ON_ERROR_STOP=1 -qAt "$@"; }
now() { date +%s.%N; }

echo "loading $ROWS rows ($NKEYS keys)..." >&2
t0=$(now)
q <<SQL
SET maintenance_work_mem = '256MB';
CREATE UNLOGGED TABLE learning_time (user_id BIGINT NOT NULL, course_key VARCHAR(255) NOT NULL,
  enterprise_customer_uuid VARCHAR(36) NOT NULL, date DATE NOT NULL, learning_time_seconds INTEGER NOT NULL);
-- Row i belongs to key k = i / 10 (user k / 5 + 1, course k % 5), one row per day.
INSERT INTO learning_time
  SELECT k / 5 + 1, 'course-v1:edX+Bench+C' || (k % 5), CASE WHEN (k / 5) % 2 = 0 THEN '$E0' ELSE '$E1' END,
         DATE '2026-01-01' + (i % 10)::int, (i::bigint * 7919 % 3600)::int
  FROM generate_series(0, $ROWS - 1) AS i, LATERAL (SELECT i / 10 AS k) AS kk;
CREATE INDEX learning_time_key ON learning_time (user_id, course_key, enterprise_customer_uuid);
VACUUM ANALYZE learning_time;
SQL
load=$(python3 -c "print($(now) - $t0)")

# Cold input: KEYS distinct keys spread over the table; every tenth has no rows.
lines() {  # $1 = count, $2 = offset
  q -c "SELECT format('{\"id\":\"e%s\",\"payload\":{\"user\":{\"id\":%s},\"course\":{\"course_id\":\"%s\"},\"completion\":{\"is_passing\":true},\"enterprise\":{\"enterprise_customer_uuid\":\"%s\"}}}',
          g, CASE WHEN g % 10 = 0 THEN 1000000000 + g ELSE k / 5 + 1 END, 'course-v1:edX+Bench+C' || (k % 5),
          CASE WHEN (k / 5) % 2 = 0 THEN '$E0' ELSE '$E1' END)
        FROM generate_series($2 + 1, $2 + $1) AS g, LATERAL (SELECT (g::bigint * 7919) % $NKEYS AS k) AS kk"
}
lines "$KEYS" 0 > "$work/cold.ndjson"
for _ in 1 2 3 4 5; do cat "$work/cold.ndjson"; done > "$work/warm5.ndjson"

run() {  # $1 = name, $2 = input, rest = options; prints "seconds maxrss_kb"
  local name=$1 input=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$BIN/lt-query" --warehouse "$PG" --table LEARNING_TIME --flag on \
      --stats "$@" < "$input" > "$work/$name.out" 2> "$work/$name.err" || true
  [ "$(wc -l < "$work/$name.out")" -eq "$(wc -l < "$input")" ] || { echo "$name: output lines do not match input" >&2; cat "$work/$name.err" >&2; exit 1; }
  cat "$work/$name.time"
}

echo "cold run..." >&2
read -r cold_s cold_rss < <(run cold "$work/cold.ndjson" --cache-dir "$work/cache")
read -r nocache_s _ < <(run nocache "$work/cold.ndjson" --no-cache)
echo "warm runs..." >&2
read -r warm_s warm_rss < <(run warm "$work/cold.ndjson" --cache-dir "$work/cache")
read -r warm5_s warm5_rss < <(run warm5 "$work/warm5.ndjson" --cache-dir "$work/cache")
grep -q "round_trips=0" "$work/warm.err" || { echo "warm run went to the warehouse" >&2; cat "$work/warm.err" >&2; exit 1; }

echo "per-key psql loop ($SAMPLE keys)..." >&2
head -n "$SAMPLE" "$work/cold.ndjson" | python3 -c '
import json, sys
for l in sys.stdin:
    p = json.loads(l)["payload"]
    print(p["user"]["id"], p["course"]["course_id"], p["enterprise"]["enterprise_customer_uuid"])' > "$work/sample.txt"
t0=$(now)
while read -r u c e; do
  psql "$PG" -qAt -c "SELECT SUM(learning_time_seconds) FROM learning_time WHERE user_id = $u AND course_key = '$c' AND enterprise_customer_uuid = '$e'" >/dev/null
done < "$work/sample.txt"
psql_s=$(python3 -c "print($(now) - $t0)")

# Spot check: lt-query's totals for the sample equal psql's.
python3 - "$work/cold.out" "$SAMPLE" "$PG" <<'PY'
import json, subprocess, sys
out, n, pg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for _, l in zip(range(n), open(out))]
for r in rows[:50]:
    p = r["payload"]; lk = r["lookup"]
    s = subprocess.run(["psql", pg, "-qAt", "-c", "SELECT SUM(learning_time_seconds) FROM learning_time WHERE user_id = %d AND course_key = '%s' AND enterprise_customer_uuid = '%s'" % (p["user"]["id"], p["course"]["course_id"], p["enterprise"]["enterprise_customer_uuid"])], capture_output=True, text=True).stdout.strip()
    got = str(lk.get("total_seconds", "")) if lk["status"] == "found" else ""
    assert got == s, (p, lk, s)
PY

python3 - "$ROWS" "$KEYS" "$SAMPLE" "$load" "$cold_s" "$nocache_s" "$warm_s" "$warm5_s" "$psql_s" "$cold_rss" "$warm_rss" "$warm5_rss" <<'PY'
import sys
rows, keys, sample = map(int, sys.argv[1:4])
load, cold, nocache, warm, warm5, psql = map(float, sys.argv[4:10])
cold_rss, warm_rss, warm5_rss = (int(x) / 1024 for x in sys.argv[10:13])
psql_rate = sample / psql
rate = lambda n, s: n / max(s, 1e-9)
print(f"lt-query on PostgreSQL over loopback: {rows:,} rows, {keys:,} cold keys (10% without rows); table loaded in {load:.0f} s")
print(f"{'measure':<44}{'value':>16}{'vs psql loop':>14}{'target':>12}")
print(f"{'per-key psql loop (keys/s, ' + str(sample) + ' keys)':<44}{psql_rate:>16,.0f}{'1.0x':>14}{'':>12}")
print(f"{'lt-query cold, filling the cache (keys/s)':<44}{rate(keys, cold):>16,.0f}{rate(keys, cold) / psql_rate:>13,.0f}x{'30,000':>12}")
print(f"{'lt-query cold, --no-cache (keys/s)':<44}{rate(keys, nocache):>16,.0f}{rate(keys, nocache) / psql_rate:>13,.0f}x{'':>12}")
print(f"{'lt-query warm cache (lines/s)':<44}{rate(keys, warm):>16,.0f}{rate(keys, warm) / psql_rate:>13,.0f}x{'200,000':>12}")
print(f"{'lt-query warm cache, 5x input (lines/s)':<44}{rate(5 * keys, warm5):>16,.0f}{rate(5 * keys, warm5) / psql_rate:>13,.0f}x{'200,000':>12}")
print(f"{'peak RSS cold, ' + format(keys, ',') + ' lines (MiB)':<44}{cold_rss:>16.1f}")
print(f"{'peak RSS warm, ' + format(keys, ',') + ' lines (MiB)':<44}{warm_rss:>16.1f}")
print(f"{'peak RSS warm, ' + format(5 * keys, ',') + ' lines (MiB)':<44}{warm5_rss:>16.1f}{warm5_rss / warm_rss:>13.2f}x  (flat memory: ~1x)")
PY
