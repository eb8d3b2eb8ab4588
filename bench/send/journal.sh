#!/usr/bin/env bash
# How lt-send's journal scales: opening a journal of N delivered ids (default 30 million) and
# looking up a run's lines in it, next to the same run on a journal of 1,000 ids.
#
#   bench/send/journal.sh [IDS] [LINES]     IDS in the big journal (default 30000000), LINES per run (default 20000)
#
# The journal is made by lt-send itself (one delivery to a receiver on 127.0.0.1, which creates the
# schema and the destination's scope), then filled with IDS ids in one transaction by Python's sqlite3.
# Each run reads LINES lines whose ids are all in the journal, so every line is a lookup and a
# `skipped` result, and nothing is sent: the figures are the journal's. Prints wall time and peak
# resident memory (GNU time), and the ratios against the small journal measured in the same run.
# LT_SEND=path uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/../.."
IDS=${1:-30000000}
LINES=${2:-20000}

if [ -z "${LT_SEND:-}" ]; then
    echo "bench: building lt-send (release)" >&2
    LT_SEND="$(scripts/build-release.sh .build-s lt-send)/lt-send"
fi
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }

. bench/send/receiver.sh journal
url="http://127.0.0.1:$port/ok/hook"

make_journal() { # PATH COUNT
    echo '{"id":"seed","payload":{"n":0}}' | "$LT_SEND" --url "$url" --allow-http --allow-private --journal "$1" > /dev/null
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys, time
path, count = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
scope = db.execute("SELECT scope FROM scopes").fetchone()[0]
started = time.time()
with db:
    # One statement in SQLite's own loop: ids in key order, so the index is appended to, not shuffled.
    db.execute("""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
                  INSERT INTO delivered (scope, id, delivered_at_ms)
                  SELECT ?, printf('evt-%09d', i), 1764547200000 + i FROM n""", (count, scope))
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(f"bench: filled {path} with {count} ids in {time.time() - started:.0f} s", file=sys.stderr)
PY
}

# Lines spread over the big journal's ids (and within the small one's), all delivered before.
python3 -c "
import sys
ids, lines = int(sys.argv[1]), int(sys.argv[2])
step = max(1, ids // lines)
for i in range(lines): print('{\"id\":\"evt-%09d\",\"payload\":{\"n\":%d}}' % ((i * step) % ids, i))
" "$IDS" "$LINES" > "$tmp/big.ndjson"
python3 -c "
import sys
for i in range(int(sys.argv[1])): print('{\"id\":\"evt-%09d\",\"payload\":{\"n\":%d}}' % (i % 1000, i))
" "$LINES" > "$tmp/small.ndjson"

echo "bench: making a journal of $IDS ids" >&2
make_journal "$tmp/big.journal" "$IDS"
make_journal "$tmp/small.journal" 1000
size=$(du -m "$tmp/big.journal" | cut -f1)

run() { # JOURNAL INPUT -> "seconds maxrss_kb"
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$LT_SEND" --url "$url" --allow-http --allow-private --journal "$1" < "$2" > "$tmp/results" 2>/dev/null || true
    skipped=$(grep -c '"status":"skipped"' "$tmp/results" || true)
    [ "$skipped" -eq "$LINES" ] || { echo "bench: only $skipped of $LINES lines skipped" >&2; exit 1; }
    cat "$tmp/time"
}
open_only() { # JOURNAL -> seconds for an empty input
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$LT_SEND" --url "$url" --allow-http --allow-private --journal "$1" < /dev/null > /dev/null
    cat "$tmp/time"
}

read -r big_open big_open_rss < <(open_only "$tmp/big.journal")
read -r small_open small_open_rss < <(open_only "$tmp/small.journal")
read -r big_s big_rss < <(run "$tmp/big.journal" "$tmp/big.ndjson")
read -r small_s small_rss < <(run "$tmp/small.journal" "$tmp/small.ndjson")

printf '%-44s %14s %14s %8s\n' "lt-send --journal" "$IDS ids" "1000 ids" "ratio"
printf '%-44s %13ss %13ss %7sx\n' "open, empty input (wall)" "$big_open" "$small_open" "$(python3 -c "print('%.1f' % ($big_open / max($small_open, 0.01)))")"
printf '%-44s %12sMB %12sMB %7sx\n' "open, empty input (peak RSS)" "$((big_open_rss / 1024))" "$((small_open_rss / 1024))" "$(python3 -c "print('%.2f' % ($big_open_rss / $small_open_rss))")"
printf '%-44s %13ss %13ss %7sx\n' "$LINES lines, all skipped (wall)" "$big_s" "$small_s" "$(python3 -c "print('%.1f' % ($big_s / max($small_s, 0.01)))")"
printf '%-44s %12sMB %12sMB %7sx\n' "$LINES lines, all skipped (peak RSS)" "$((big_rss / 1024))" "$((small_rss / 1024))" "$(python3 -c "print('%.2f' % ($big_rss / $small_rss))")"
echo "journal file: $size MB for $IDS ids"
