#!/usr/bin/env bash
# Runs every test of the built package in several `swift test` processes at once, then prints each
# one's output in turn and fails when any failed.
#   scripts/swift-test.sh [SHARDS]    (default 4; run after `swift build --build-tests`)
# Why: swift-testing runs tests on Swift's cooperative thread pool, which is as wide as the machine has
# cores, and most tests block one of its threads while a tool runs (Tool.shell waits for the process).
# On 2 cores only two tests ran at a time and the CPU was three quarters idle. Each process has a pool
# of its own. ReliabilityTests (serialized, the longest suite) gets a process to itself; the other
# suites are dealt out by size. A suite never spans two processes, so `.serialized` still holds.
# The test binary is run directly: `swift test` holds a lock on .build, so two of them run one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-4}
[ "$shards" -ge 2 ] || { echo "swift-test: at least 2 shards" >&2; exit 64; }
tests=$(swift build --show-bin-path)/ltPackageTests.xctest
suites=$("$tests" --testing-library swift-testing --list-tests 2>/dev/null | sed 's#/.*##' | sort | uniq -c | sort -rn | awk '{print $2}')
[ -n "$suites" ] || { echo "swift-test: $tests lists no tests; build with swift build --build-tests" >&2; exit 1; }
declare -a filters
filters[0]='EndToEndTests\.ReliabilityTests/'
i=1
for s in $suites; do
    [ "$s" = EndToEndTests.ReliabilityTests ] && continue
    [ "$s" = EndToEndTests.HostileInputTests ] && continue
    filters[$i]+="${filters[$i]:+|}${s//./\\.}/"
    i=$((i % (shards - 1) + 1))
done
logs=$(mktemp -d /tmp/lt-swift-test.XXXXXX)
trap 'rm -rf "$logs"' EXIT
pids=()
for ((n = 0; n < shards; n++)); do
    [ -n "${filters[$n]:-}" ] || continue
    NO_COLOR=1 "$tests" --testing-library swift-testing --filter "${filters[$n]}" >"$logs/$n.log" 2>&1 &
    pids[$n]=$!
done
status=0
for n in "${!pids[@]}"; do
    result=0
    wait "${pids[$n]}" || result=$?
    cat "$logs/$n.log"
    if [ $result -ne 0 ]; then
        status=1
        echo "swift-test: shard $n (${filters[$n]}) failed with status $result" >&2
    fi
done
# HostileInputTests measures resident memory over an endless stream; beside the other processes the
# machine's load showed as growth (2-3 MB) and failed it by chance, so it runs alone, after them.
result=0
NO_COLOR=1 "$tests" --testing-library swift-testing --filter 'EndToEndTests\.HostileInputTests/' || result=$?
if [ $result -ne 0 ]; then
    status=1
    echo "swift-test: HostileInputTests, run alone, failed with status $result" >&2
fi
exit $status
