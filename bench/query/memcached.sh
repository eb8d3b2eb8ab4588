#!/usr/bin/env bash
# The shared cache: a second lt-query on another "host" (its own HOME and cache folder, the same
# memcached servers) answers every key from memcached; its keys per second beside a warm file
# cache's, in the same run.
#
#   bench/query/memcached.sh [KEYS]     (default 200000 distinct keys, a tenth without rows)
#   LT_QUERY_BIN=path/to/lt-query bench/query/memcached.sh   # skip the release build
#
# Starts and stops two memcached servers on loopback (scripts/memcached.sh); SQLite warehouse.
set -euo pipefail
cd "$(dirname "$0")/../.."
KEYS=${1:-200000}
E=a1b2c3d4-e5f6-7890-abcd-ef1234567890
if [ -n "${LT_QUERY_BIN:-}" ]; then BIN=$LT_QUERY_BIN; else
    echo "building lt-query (release)..." >&2
    BIN=$(scripts/build-release.sh .build-q lt-query)
fi
eval "$(scripts/memcached.sh start)"
work=$(mktemp -d /tmp/lt-bench-memcached.XXXXXX)
trap 'scripts/memcached.sh stop "$LT_MEMCACHED_DIR"; rm -rf "$work"' EXIT

sqlite3 "$work/w.db" <<SQL
CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY TEXT, ENTERPRISE_CUSTOMER_UUID TEXT, DATE TEXT,
  LEARNING_TIME_SECONDS INTEGER);
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $KEYS * 9 / 10)
INSERT INTO LEARNING_TIME SELECT i, 'course-v1:edX+Bench+C', '$E', '2026-01-01', i % 3600 FROM k;
CREATE INDEX key ON LEARNING_TIME (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID);
SQL
python3 - "$KEYS" "$E" > "$work/in.ndjson" <<'PY'
import sys
n, e = int(sys.argv[1]), sys.argv[2]
for i in range(1, n + 1):
    print('{"user":{"id":%d},"course":{"course_id":"course-v1:edX+Bench+C"},"completion":{},'
          '"enterprise":{"enterprise_customer_uuid":"%s"}}' % (i, e))
PY

# Runs lt-query as host $1 with cache $2; prints keys per second and the hit line of --stats.
run() {
    local home="$work/$1"; mkdir -p "$home"
    local t0 t1
    t0=$(date +%s.%N)
    HOME=$home "$BIN" --warehouse "sqlite:$work/w.db" --cache "$2" --flag on --stats \
        < "$work/in.ndjson" > /dev/null 2> "$home/stats"
    t1=$(date +%s.%N)
    python3 -c "print(round($KEYS / ($t1 - $t0)))"
    grep -o 'hits=[0-9]* misses=[0-9]* hit_rate=[0-9]*%' "$home/stats" >&2
}
mc="memcached://$LT_TEST_MEMCACHED"
echo "keys: $KEYS, memcached: $LT_TEST_MEMCACHED" >&2
cold=$(run host-a "$mc")
shared=$(run host-b "$mc")
run file-host "file:$work/file-cache" > /dev/null
file=$(run file-host "file:$work/file-cache")
echo "cold, host A (warehouse, writes memcached): $cold keys/s"
echo "host B from memcached (100% hits):          $shared keys/s"
echo "warm file cache, same host:                 $file keys/s"
python3 -c "print('memcached / file cache: %.2f' % ($shared / $file))"
