#!/usr/bin/env bash
# The whole test suite from a fresh clone on a fresh Debian machine: installs what is missing,
# builds, starts the services the tests need (a throwaway PostgreSQL, two memcached), runs every test, stops them.
# Steps that wait on different things overlap: the fuzz targets' sanitizer build runs while the
# tests run (which leave most of the CPU idle), and fuzzing runs beside the package checks.
# At the end it prints when each step ended, in seconds since the start.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
steps=()
step() { steps+=("$(printf '%4ds  %s' $((SECONDS - start)) "$1")"); }

scripts/setup-system.sh
step "system packages checked"

swift build --build-tests
step "debug build with the tests"
fuzz_build_log=$(mktemp /tmp/lt-fuzz-build.XXXXXX)
scripts/fuzz.sh --build >"$fuzz_build_log" 2>&1 &
fuzz_build=$!
export LT_BIN_DIR
LT_BIN_DIR=$(swift build --show-bin-path)

export LT_TEST_SNOWFLAKE_PYTHON
LT_TEST_SNOWFLAKE_PYTHON=$(scripts/snowflake-venv.sh)

eval "$(scripts/postgres.sh start)"
# Two memcached servers on loopback for the memcached store's tests (--cache memcached://…).
eval "$(scripts/memcached.sh start)"
# errexit holds inside a trap too: a failing step here (kill of a fuzz build that has already ended)
# would skip the rest and make a green run exit 1. Every step may fail; the run's status stays.
trap 'status=$?; kill $fuzz_build 2>/dev/null || true; scripts/postgres.sh stop "$LT_PG_DIR" || true
    scripts/memcached.sh stop "$LT_MEMCACHED_DIR" || true; rm -f "$fuzz_build_log"; exit $status' EXIT

# Tests that need a service fail, rather than skip, when it is missing.
export LT_TEST_REQUIRE_SERVICES=1
# The reliability scenarios leave their figures here; scripts/reliability-report.py turns them into docs.
export LT_RELIABILITY_REPORT
LT_RELIABILITY_REPORT=$(mktemp /tmp/lt-reliability.XXXXXX)
step "services started"
# Every test, in several processes at once (the script says why).
scripts/swift-test.sh
step "tests"
python3 scripts/reliability-report.py "$LT_RELIABILITY_REPORT" >/dev/null || true
# No declaration in Sources/ that nothing uses; read from the index the debug build wrote.
python3 scripts/unused-declarations.py
step "dead-code check"

wait $fuzz_build || { cat "$fuzz_build_log" >&2; echo "test: the fuzz build failed" >&2; exit 1; }
step "fuzz build (ran beside the tests)"
# Bounded fuzzing over the committed corpus (the line reader and envelope parser; the splice), beside
# the Debian package's test: built from this debug build, installed into a throwaway root and checked.
scripts/fuzz.sh 25 envelope splice &
fuzzing=$!
scripts/test-package.sh "$LT_BIN_DIR"
wait $fuzzing
step "package checks and fuzzing"

# Formatting last, so that a stray space does not hide the test results; fix with
# swift format format -i --recursive Sources Tests Plugins (settings in .swift-format).
swift format lint --strict --recursive Sources Tests Plugins
step "lint"
printf 'test: %s\n' "${steps[@]}" >&2
