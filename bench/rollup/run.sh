#!/usr/bin/env bash
# lt-rollup against a straightforward Python implementation of the same rule (bench/rollup/rollup.py)
# over a generated tracking log (bench/rollup/generate.py): events per second for each, the ratio,
# lt-rollup's peak resident memory, and a check that both wrote the same rows.
#
# Usage: bench/rollup/run.sh [EVENTS] [LEARNERS] [RUNS]    (defaults: 2000000 20000, best of 3 runs
#                                                          of each program, Python included)
#
# The issue's goals: at least 20 times the Python version and at least 500,000 events/s, by wall
# clock and by CPU time. lt-rollup parses on one thread per processor (at most four), so its wall
# clock is below its CPU time; Python uses one. Needs python3; installs GNU time with apt-get when
# missing. About six minutes on 2 cores, most of it generating the log and running Python. Run it
# on a quiet machine: other work on the cores makes both programs' times vary by a fifth.
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=${1:-2000000}
LEARNERS=${2:-20000}
RUNS=${3:-3}
SCRATCH=${LT_BENCH_SCRATCH:-.build-bench}

[ -x /usr/bin/time ] || { echo "installing time" >&2; apt-get install -y -qq time >/dev/null; }

if [ -n "${LT_BIN_DIR:-}" ]; then
    BIN=$LT_BIN_DIR/lt-rollup
else
    echo "building lt (release, --scratch-path $SCRATCH)" >&2
    BIN=$(scripts/build-release.sh "$SCRATCH")/lt-rollup
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "generating $EVENTS events of $LEARNERS learners" >&2
python3 bench/rollup/generate.py "$WORK" "$EVENTS" "$LEARNERS"
LOGS=("$WORK/lms1.log" "$WORK/lms2.log")
LINES=$(cat "${LOGS[@]}" | wc -l)
BYTES=$(cat "${LOGS[@]}" | wc -c)

# Best wall-clock and best CPU (user + system) time of RUNS runs of a command, in seconds ("WALL CPU");
# the last run's `time -v` output kept. On a shared machine the CPU time is the steadier figure.
best() {
    local out=$1
    shift
    local best_s="" best_cpu=""
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$out" 2> "$WORK/stderr.txt"
        local s cpu
        s=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); t = 0; for (i = 1; i <= n; i++) t = t * 60 + p[i]; print t }' "$WORK/time.txt")
        cpu=$(awk -F': ' '/User time|System time/ { t += $2 } END { print t }' "$WORK/time.txt")
        if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
    done
    echo "$best_s $best_cpu"
}
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt"; }

ARGS=(--enterprises "$WORK/enterprises.csv")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "lt-rollup, best of $RUNS" >&2
read -r LT_S LT_CPU < <(best "$WORK/lt.ndjson" "$BIN" "${ARGS[@]}" "${LOGS[@]}")
LT_RSS=$(rss)
LT_SUMMARY=$(head -1 "$WORK/stderr.txt")
# Events counted: the lines that gave an event, exact duplicates removed.
COUNTED=$(sed -n 's/.* lines, \([0-9]*\) events counted .*/\1/p' <<< "$LT_SUMMARY")
gzip -1 -c "${LOGS[0]}" > "$WORK/lms1.log.gz"
read -r LTGZ_S LTGZ_CPU < <(best "$WORK/ltgz.ndjson" "$BIN" "${ARGS[@]}" "$WORK/lms1.log.gz" "${LOGS[1]}")
echo "python3 bench/rollup/rollup.py, best of $RUNS" >&2
read -r PY_S PY_CPU < <(best "$WORK/py.ndjson" python3 bench/rollup/rollup.py "${ARGS[@]}" "${LOGS[@]}")
PY_RSS=$(rss)

same=yes
cmp -s "$WORK/lt.ndjson" "$WORK/py.ndjson" || same=NO
cmp -s "$WORK/lt.ndjson" "$WORK/ltgz.ndjson" || same=NO
ROWS=$(wc -l < "$WORK/lt.ndjson")

awk -v lines="$LINES" -v bytes="$BYTES" -v lt="$LT_S" -v ltc="$LT_CPU" -v ltgz="$LTGZ_S" -v ltgzc="$LTGZ_CPU" \
    -v py="$PY_S" -v pyc="$PY_CPU" -v ltrss="$LT_RSS" -v pyrss="$PY_RSS" -v rows="$ROWS" -v same="$same" \
    -v events="$EVENTS" -v summary="$LT_SUMMARY" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v before="$LOAD_BEFORE" \
    -v counted="$COUNTED" -v threads="$(( $(nproc) < 4 ? $(nproc) : 4 ))" 'BEGIN {
    printf "input: %d lines (%d events generated), %.0f MB, two interleaved host files; load average %s before, %s after (1, 5, 15 min)\n", lines, events, bytes / 1e6, before, load
    printf "%s\n", summary
    printf "%-30s %8s %8s %12s %12s %10s\n", "", "wall s", "CPU s", "lines/s wall", "lines/s CPU", "peak RSS"
    printf "%-30s %8.2f %8.2f %12.0f %12.0f %7d MB\n", "lt-rollup", lt, ltc, lines / lt, lines / ltc, ltrss
    printf "%-30s %8.2f %8.2f %12.0f %12.0f\n", "lt-rollup, one file gzip", ltgz, ltgzc, lines / ltgz, lines / ltgzc
    printf "%-30s %8.2f %8.2f %12.0f %12.0f %7d MB\n", "python3 rollup.py (same rule)", py, pyc, lines / py, lines / pyc, pyrss
    printf "lt-rollup / Python: %.1fx wall, %.1fx CPU (goal: 20x)\n", py / lt, pyc / ltc
    printf "lt-rollup: %.0f counted events/s wall, %.0f per CPU second (goal: 500,000 events/s); %d threads\n", counted / lt, counted / ltc, threads
    printf "rows: %d; lt-rollup and Python wrote the same rows: %s\n", rows, same
}'
[ "$same" = yes ]
