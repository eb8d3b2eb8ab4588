#!/usr/bin/env bash
# lt-enrich against jq doing the equivalent merge on the same file of lt-query output.
#
# Usage: bench/enrich/run.sh [LINES] [RUNS]      (defaults: 200000 lines, best of 3 runs)
#
# Prints lines per second for each (wall clock and CPU time), the ratio, and lt-enrich's peak
# resident memory on LINES/10 and LINES lines: equal figures mean memory is flat in the input length.
# Needs python3 (to generate the input); installs jq and GNU time with apt-get when missing.
# Runs in a few minutes by default on a 2-core machine (jq is the slow part).
set -euo pipefail
cd "$(dirname "$0")/../.."

LINES=${1:-200000}
RUNS=${2:-3}
SCRATCH=${LT_BENCH_SCRATCH:-.build-bench}

need=()
command -v jq >/dev/null || need+=(jq)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "building lt-enrich (release, --scratch-path $SCRATCH)" >&2
BIN=$(scripts/build-release.sh "$SCRATCH" lt-enrich 2>/dev/null)/lt-enrich

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SMALL=$((LINES / 10))
python3 bench/enrich/generate.py "$LINES" > "$WORK/in.ndjson"
head -n "$SMALL" "$WORK/in.ndjson" > "$WORK/small.ndjson"
BYTES=$(stat -c %s "$WORK/in.ndjson")

# The same merge in jq: completions with a positive found total get learning_time, every line an enrichment marker.
cat > "$WORK/merge.jq" <<'JQ'
if (.payload.completion | type) == "object" and .lookup.status == "found" and .lookup.total_seconds > 0
then .payload.learning_time = {total_seconds: .lookup.total_seconds,
                               total_hours: ((.lookup.total_seconds / 36 | round) / 100),
                               last_updated: .lookup.last_updated}
     | .enrichment = {learning_time: true}
else .enrichment = {learning_time: false} end
JQ

# best_of NAME CMD...: runs CMD (stdin: the input, stdout: /dev/null) RUNS times; prints "wall cpu maxrss_kb" of the fastest.
best_of() {
    local best=""
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" < "$WORK/in.ndjson" > /dev/null
        read -r wall user sys rss < "$WORK/time"
        local cpu
        cpu=$(python3 -c "print(round($user + $sys, 2))")
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $wall < ${best%% *} else 1)"; then best="$wall $cpu $rss"; fi
    done
    echo "$best"
}

rate() { python3 -c "print(f'{$LINES / max($1, 0.001):,.0f}')"; }

echo "input: $LINES lines, $((BYTES / 1000000)) MB of enveloped completions with lookups; best of $RUNS runs" >&2
read -r lt_wall lt_cpu lt_rss <<< "$(best_of "$BIN" --flag on)"
read -r jq_wall jq_cpu _ <<< "$(best_of jq -c -f "$WORK/merge.jq")"

# Both must have enriched the same lines.
lt_n=$("$BIN" --flag on < "$WORK/in.ndjson" | grep -c '"enrichment":{"learning_time":true' || true)
jq_n=$(jq -c -f "$WORK/merge.jq" < "$WORK/in.ndjson" | grep -c '"enrichment":{"learning_time":true' || true)

/usr/bin/time -f "%M" -o "$WORK/small.rss" "$BIN" --flag on < "$WORK/small.ndjson" > /dev/null
small_rss=$(cat "$WORK/small.rss")

printf '%-10s %10s %14s %10s %14s\n' tool "wall s" "lines/s wall" "cpu s" "lines/s cpu"
printf '%-10s %10s %14s %10s %14s\n' lt-enrich "$lt_wall" "$(rate "$lt_wall")" "$lt_cpu" "$(rate "$lt_cpu")"
printf '%-10s %10s %14s %10s %14s\n' jq "$jq_wall" "$(rate "$jq_wall")" "$jq_cpu" "$(rate "$jq_cpu")"
echo "ratio lt-enrich/jq: $(python3 -c "print(round($jq_wall / $lt_wall, 1))")x wall, $(python3 -c "print(round($jq_cpu / max($lt_cpu, 0.01), 1))")x cpu (target: 4x)"
echo "lines enriched: lt-enrich $lt_n, jq $jq_n"
echo "lt-enrich peak RSS: $small_rss KB on $SMALL lines, $lt_rss KB on $LINES lines"
