#!/usr/bin/env bash
# Runs the libFuzzer targets for a bounded time over the committed seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET…]]   (default 20 s, targets envelope and splice)
# Longer runs: scripts/fuzz.sh 3600. New findings are written to fuzz/findings/; add a minimized
# input to fuzz/corpus/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("${@:-envelope}")
[ $# -gt 0 ] || targets=(envelope splice)
scratch=.build-fuzz
for target in "${targets[@]}"; do
    swift build --scratch-path "$scratch" --product lt-fuzz-$target \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
done
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
mkdir -p fuzz/findings
for target in "${targets[@]}"; do
    work=$(mktemp -d)
    cp fuzz/corpus/$target/* "$work/"
    echo "fuzz: lt-fuzz-$target for ${seconds}s" >&2
    "$bin/lt-fuzz-$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=fuzz/findings/$target- -print_final_stats=1 "$work" 2>&1 | tail -n 12 >&2
    rm -rf "$work"
done
echo "fuzz: no crashes"
