# Sourced by bench/query/bounds.sh and bench/query/inflight.sh: what both need to run lt-query over
# cold keys and check every answer. Before sourcing, set WORK_NAME (the scratch folder's name).
# Sets BIN (lt-query's folder: LT_BIN_DIR, else a release build), work, pids and pg_dir, and stops
# what was started (the stand-ins, the proxy, PostgreSQL) and removes the folder on exit.

E0=a1b2c3d4-e5f6-7890-abcd-ef1234567890

if [ -z "${LT_BIN_DIR:-}" ]; then
    echo "building lt-query (release)..." >&2
    LT_BIN_DIR=$(scripts/build-release.sh .build-q lt-query)
fi
BIN=$LT_BIN_DIR
work=$(mktemp -d "/tmp/lt-bench-$WORK_NAME.XXXXXX")
pids=()
pg_dir=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -z "$pg_dir" ] || scripts/postgres.sh stop "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }

# KEYS cold lines: user g (every tenth without rows: user 10**9 + g); the stand-in's rule and the
# PostgreSQL table of start_postgres answer them.
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

# Runs lt-query over KEYS cold lines, checks them, and prints seconds and keys/s.
# $1 = keys, $2 = warehouse address, the rest = lt-query's options.
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

# Starts the Snowflake stand-in holding each statement $1 seconds, $2 at once; sets sf to its address.
start_standin() {
    rm -f "$work/sf.port" "$work/sf.stats"
    python3 bench/query/snowflake-latency-standin.py --port-file "$work/sf.port" --latency "$1" \
        --concurrency "$2" --stats "$work/sf.stats" & pids+=($!)
    while [ ! -s "$work/sf.port" ]; do sleep 0.05; done
    sf="snowflake://bench/PROD/BI?user=bench&host=http://127.0.0.1:$(cat "$work/sf.port")"
}

# Starts a throwaway PostgreSQL with $1 keys of the rule in learning_time, and scripts/delay-proxy.py
# in front of it; sets LT_TEST_POSTGRES (direct) and delayed (every answer 50 ms late).
start_postgres() {
    local pg_env target
    pg_env=$(scripts/postgres.sh start)
    eval "$pg_env"
    pg_dir=$LT_PG_DIR
    psql "$LT_TEST_POSTGRES" -v ON_ERROR_STOP=1 -qAt <<SQL
CREATE UNLOGGED TABLE learning_time (user_id BIGINT NOT NULL, course_key VARCHAR(255) NOT NULL,
  enterprise_customer_uuid VARCHAR(36) NOT NULL, date DATE NOT NULL, learning_time_seconds INTEGER NOT NULL);
INSERT INTO learning_time
  SELECT g, 'course-v1:edX+Bench+C' || (g % 5), '$E0', DATE '2026-01-01', (g::bigint * 7919 % 3600)::int + 1
  FROM generate_series(1, $1) AS g;
CREATE INDEX learning_time_key ON learning_time (user_id, course_key, enterprise_customer_uuid);
VACUUM ANALYZE learning_time;
SQL
    target=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<< "$LT_TEST_POSTGRES")
    rm -f "$work/pg.port"
    python3 scripts/delay-proxy.py --target "127.0.0.1:$target" --delay 0.05 --port-file "$work/pg.port" & pids+=($!)
    while [ ! -s "$work/pg.port" ]; do sleep 0.05; done
    delayed="$LT_TEST_POSTGRES host=127.0.0.1 port=$(cat "$work/pg.port") sslmode=disable gssencmode=disable"
}

# Puts the section in file $2 (from its <!-- $1:begin … --> line to <!-- $1:end -->) in place of
# the section of that name in docs/benchmarks.md, or at its end when it has none.
write_section() {
    python3 - "$1" "$2" <<'PY'
import re, sys
name, section = sys.argv[1], open(sys.argv[2]).read()
path = "docs/benchmarks.md"
doc = open(path).read()
pattern = re.compile(r"<!-- %s:begin.*?<!-- %s:end -->\n" % (name, name), re.S)
doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + section
open(path, "w").write(doc)
PY
}
