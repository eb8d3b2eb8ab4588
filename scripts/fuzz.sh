#!/usr/bin/env bash
# Runs the libFuzzer targets for a bounded time over the committed seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET…]]   (default 20 s, targets envelope and splice)
#   scripts/fuzz.sh --build [TARGET…]                 only builds them (scripts/test.sh, while the tests run)
# Longer runs: scripts/fuzz.sh 3600. A finding is written to fuzz/findings/ and the run fails;
# add a minimized copy to fuzz/corpus/<target>/ once fixed (`lt-fuzz-<target> -minimize_crash=1 FILE`).
# The targets depend on LTCore alone (no Crypto, TOMLKit or libcurl), so the sanitizer build compiles
# that module and nothing else. The targets run at once, one core each.
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
if [ "${1:-}" = --build ]; then build_only=true; shift; set -- 0 "$@"; fi
seconds=${1:-20}
shift || true
targets=(envelope splice)
[ $# -eq 0 ] || targets=("$@")
scratch=.build-fuzz
for target in "${targets[@]}"; do
    swift build --scratch-path "$scratch" --product lt-fuzz-$target \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
done
$build_only && exit 0
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
mkdir -p fuzz/findings
# Swift's crash handler would start swift-backtrace, which waits for a symbolizer long after
# libFuzzer has written the finding; libFuzzer and ASan print their own stack.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d /tmp/lt-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
pids=()
for target in "${targets[@]}"; do
    mkdir "$work/$target"
    cp fuzz/corpus/$target/* "$work/$target/"
    echo "fuzz: lt-fuzz-$target for ${seconds}s" >&2
    "$bin/lt-fuzz-$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=fuzz/findings/$target- -print_final_stats=1 "$work/$target" >"$work/$target.log" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
    target=${targets[$i]}
    if wait "${pids[$i]}"; then
        echo "fuzz: lt-fuzz-$target" >&2
        grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$work/$target.log" >&2 || true
    else
        status=1
        grep -v '^ *0x[0-9a-f]*,' "$work/$target.log" | tail -n 60 >&2
        echo "fuzz: lt-fuzz-$target found a failing input; it is in fuzz/findings/" >&2
    fi
done
[ $status -eq 0 ] && echo "fuzz: no crashes"
exit $status
