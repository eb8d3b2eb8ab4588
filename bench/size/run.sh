#!/usr/bin/env bash
# Binary size and start-up of the release tools, against another build measured in the same run:
#   bench/size/run.sh [BIN_DIR [BASELINE_DIR]]
# Prints the tables and puts them, as the section "Binary size and start-up", at the end of
# docs/benchmarks.md (DOC=… for another file, DOC= to leave it alone). NOTE=… adds a remark on the run.
# BIN_DIR defaults to scripts/build-release.sh's output; BASELINE_DIR (optional) holds lt-query,
# lt-enrich and lt-send from another build (such as the commit before, built the same way); a tool
# missing there is measured without a comparison.
# Sizes are of stripped copies (strip --strip-unneeded, as the Debian package ships them); a file
# installed under several names counts once in the total. Start-up is a run on empty input (hyperfine
# gives commands /dev/null), timed by hyperfine (apt-get install hyperfine), 20 warm-up runs, 300 or more
# runs; lt-query reads the example SQLite warehouse without the cache, lt-send has --url and no lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-$(scripts/build-release.sh | tail -1)}
baseline=${2:-}
doc=${DOC-docs/benchmarks.md}
work=$(mktemp -d /tmp/lt-size.XXXXXX)
trap 'rm -rf "$work"' EXIT
tools=(lt-query lt-enrich lt-send)

sizes() {  # DIR LABEL: one line per tool and the total of distinct files, in MB (10^6 bytes)
    local dir=$1 label=$2 total=0 seen="" real size count=0
    for t in "${tools[@]}"; do
        [ -e "$dir/$t" ] || continue
        count=$((count + 1))
        real=$(readlink -f "$dir/$t")
        strip --strip-unneeded -o "$work/stripped" "$real"
        size=$(stat -c %s "$work/stripped")
        case " $seen " in *" $real "*) ;; *) total=$((total + size)); seen="$seen $real" ;; esac
        printf '| %s | %s | %.1f MB | %.1f MB |\n' "$label" "$t" "$(stat -c %s "$real")e-6" "${size}e-6"
    done
    [ "$count" -lt 3 ] || printf '| %s | all three (distinct files) | | %.1f MB |\n' "$label" "${total}e-6"
}

{
echo "## Binary size and start-up"
echo
echo "Written by \`bench/size/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo +changes);"
echo "$(nproc) cores, $(swift --version 2>/dev/null | head -1). \"before\" is ${BASELINE_LABEL:-the baseline build given}.${NOTE:+ $NOTE}"
echo
echo "| build | tool | as built | stripped |"
echo "| --- | --- | --- | --- |"
[ -z "$baseline" ] || sizes "$baseline" before
sizes "$bin" after

if command -v hyperfine > /dev/null; then
echo
echo "| tool | start-up before, mean ± σ | after, mean ± σ | after / before |"
echo "| --- | --- | --- | --- |"
sqlite3 "$work/warehouse.db" < examples/warehouse.sql
declare -A options=([lt-query]="--warehouse sqlite:$work/warehouse.db --no-cache" [lt-enrich]=""
    [lt-send]="--url https://127.0.0.1:9/")
for t in "${tools[@]}"; do
    commands=()
    [ -z "$baseline" ] || [ ! -e "$baseline/$t" ] || commands+=("$baseline/$t ${options[$t]}")
    commands+=("$bin/$t ${options[$t]}")
    hyperfine --warmup 20 --min-runs 300 -N --export-json "$work/$t.json" "${commands[@]}" > /dev/null
    python3 - "$work/$t.json" "$t" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
f = lambda x: "%.1f ± %.1f ms" % (x["mean"] * 1e3, x["stddev"] * 1e3)
if len(r) == 2:
    print("| %s | %s | %s | %.2f |" % (sys.argv[2], f(r[0]), f(r[1]), r[1]["mean"] / r[0]["mean"]))
else:
    print("| %s | | %s | |" % (sys.argv[2], f(r[0])))
PY
done
else
    echo "bench: hyperfine is not installed (apt-get install hyperfine); no start-up figures" >&2
fi
} | tee "$work/section.md"

if [ -n "$doc" ]; then
    python3 - "$doc" "$work/section.md" <<'PY'
import sys
doc, section = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
heading = "## Binary size and start-up"
text = (text[:text.index(heading)] if heading in text else text.rstrip("\n") + "\n\n") + section
open(doc, "w").write(text)
PY
    echo "wrote $doc" >&2
fi
