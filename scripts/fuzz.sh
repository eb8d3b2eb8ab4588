#!/usr/bin/env bash
# Runs the libFuzzer targets for a bounded time over the committed seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 20; the test command uses the default)
# Longer runs: scripts/fuzz.sh 3600. New findings are written to fuzz/findings/; add a minimized
# input to fuzz/corpus/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
scratch=.build-fuzz
swift build --scratch-path "$scratch" --product lt-fuzz-envelope \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
mkdir -p fuzz/findings
for target in envelope; do
    work=$(mktemp -d)
    cp fuzz/corpus/$target/* "$work/"
    echo "fuzz: lt-fuzz-$target for ${seconds}s" >&2
    "$bin/lt-fuzz-$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=fuzz/findings/$target- -print_final_stats=1 "$work" 2>&1 | tail -n 12 >&2
    rm -rf "$work"
done
echo "fuzz: no crashes"
