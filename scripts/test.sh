#!/usr/bin/env bash
# The whole test suite from a fresh clone on a fresh Debian machine: installs what is missing,
# builds, starts the services the tests need (a throwaway PostgreSQL, two memcached), runs every test, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-system.sh

swift build --build-tests
export LT_BIN_DIR
LT_BIN_DIR=$(swift build --show-bin-path)

export LT_TEST_SNOWFLAKE_PYTHON
LT_TEST_SNOWFLAKE_PYTHON=$(scripts/snowflake-venv.sh)

eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$LT_PG_DIR"' EXIT
# Two memcached servers on loopback for the memcached store's tests (--cache memcached://…).
eval "$(scripts/memcached.sh start)"
trap 'scripts/postgres.sh stop "$LT_PG_DIR"; scripts/memcached.sh stop "$LT_MEMCACHED_DIR"' EXIT

# Tests that need a service fail, rather than skip, when it is missing.
export LT_TEST_REQUIRE_SERVICES=1
# The reliability scenarios leave their figures here; scripts/reliability-report.py turns them into docs.
export LT_RELIABILITY_REPORT
LT_RELIABILITY_REPORT=$(mktemp /tmp/lt-reliability.XXXXXX)
swift test --skip-build --disable-xctest
# The Debian package, built from this debug build, installed into a throwaway root and checked.
scripts/test-package.sh "$LT_BIN_DIR"
python3 scripts/reliability-report.py "$LT_RELIABILITY_REPORT" >/dev/null || true

# Bounded fuzzing over the committed corpus: the line reader and envelope parser, then the splice.
scripts/fuzz.sh 25 envelope splice

# Formatting last, so that a stray space does not hide the test results; fix with
# swift format format -i --recursive Sources Tests (settings in .swift-format).
swift format lint --strict --recursive Sources Tests
