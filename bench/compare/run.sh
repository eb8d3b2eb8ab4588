#!/usr/bin/env bash
# The same workloads on two builds of lt, taking turns in one run: is a change slower?
#
#   bench/compare/run.sh BEFORE [AFTER]        # git revisions; AFTER defaults to the working tree
#   BEFORE_BIN=DIR AFTER_BIN=DIR bench/compare/run.sh   # given binaries (lt-query, lt-enrich, lt-send)
#
# Each revision is exported with git archive and built by its own scripts/build-release.sh, as it
# was installed then, into .build-compare/REV (kept, so a second run does not rebuild it; a release
# build takes five to ten minutes on 2 cores). Then, against a throwaway PostgreSQL and SQLite
# file loaded with the same rows and an nginx answering 204, all on 127.0.0.1, bench/compare/measure.py
# runs every workload ROUNDS times per build, alternately, checks that both builds answer alike, and
# prints medians and ratios (after ÷ before: below 1 is faster, smaller).
#
#   ROUNDS=5           runs of each throughput workload per build (start-up workloads run 40 times)
#   KEYS=50000         warehouse keys (ten daily rows each) and lines of the lookup workloads
#   DOC=docs/benchmarks.md  where the table goes, in its own section (DOC= to only print it)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROUNDS=${ROUNDS:-5}
KEYS=${KEYS:-50000}
DOC=${DOC-docs/benchmarks.md}
say() { printf '%s compare: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v psql >/dev/null || need+=(postgresql postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi

# build REV: prints the folder holding REV's release binaries; "" is the working tree.
build() {
    local rev=$1 src scratch
    if [ -z "$rev" ]; then
        scripts/build-release.sh .build-bench
        return
    fi
    rev=$(git rev-parse --short=12 "$rev^{commit}")
    src=$ROOT/.build-compare/$rev
    if [ ! -d "$src/src" ]; then
        mkdir -p "$src/src"
        git archive "$rev" | tar -x -C "$src/src"
        [ ! -f Package.resolved ] || [ -f "$src/src/Package.resolved" ] || cp Package.resolved "$src/src/"
    fi
    say "building $rev in $src"
    (cd "$src/src" && scripts/build-release.sh "$src/build")
}

if [ -z "${BEFORE_BIN:-}" ]; then
    [ $# -ge 1 ] || { echo "usage: bench/compare/run.sh BEFORE [AFTER]   (git revisions)" >&2; exit 64; }
    BEFORE_LABEL=$(git rev-parse --short "$1^{commit}")
    BEFORE_BIN=$(build "$1" | tail -1)
else
    BEFORE_LABEL=${BEFORE_LABEL:-before}
fi
if [ -z "${AFTER_BIN:-}" ]; then
    if [ $# -ge 2 ]; then
        AFTER_LABEL=$(git rev-parse --short "$2^{commit}")
        AFTER_BIN=$(build "$2" | tail -1)
    else
        AFTER_LABEL="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo +)"
        AFTER_BIN=$(build "" | tail -1)
    fi
else
    AFTER_LABEL=${AFTER_LABEL:-after}
fi

W=$(mktemp -d /tmp/lt-compare.XXXXXX)
chmod 755 "$W"
LT_PG_DIR=
cleanup() {
    [ -z "$LT_PG_DIR" ] || scripts/postgres.sh stop "$LT_PG_DIR"
    rm -rf "$W"
}
trap cleanup EXIT
eval "$(scripts/postgres.sh start)"

python3 bench/compare/measure.py --before "$BEFORE_BIN" --after "$AFTER_BIN" \
    --before-label "$BEFORE_LABEL" --after-label "$AFTER_LABEL" \
    --postgres "$LT_TEST_POSTGRES" --work "$W" --rounds "$ROUNDS" --keys "$KEYS" --doc "$DOC"
