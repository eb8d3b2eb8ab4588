#!/usr/bin/env bash
# Makes (once) the virtual environment that runs the Snowflake SQL API stand-in for tests:
# snowduck (DuckDB behind /api/v2/statements) and PyJWT to check the tokens lt-query signs.
# Prints the path of its python.
set -euo pipefail
venv=${LT_SNOWFLAKE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lt/snowflake-venv}
if ! "$venv/bin/python" -c 'import snowduck, jwt, uvicorn' 2>/dev/null; then
    echo "snowflake-venv: installing snowduck into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "snowduck[server]==0.3.0" "sqlglot[c]==30.22.0" "pyjwt[crypto]" >&2
fi
echo "$venv/bin/python"
