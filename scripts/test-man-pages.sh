#!/usr/bin/env bash
# Checks the installed man pages under ROOT (a package unpacked by scripts/test-package.sh):
# mandoc -T lint finds nothing at warning level or above, each tool's page has the sections an
# operator looks for, the environment and exit statuses lt uses, and every option the tool accepts.
#   scripts/test-man-pages.sh ROOT
set -euo pipefail
root=$1
failures=0
fail() { echo "test-man-pages: FAIL: $*" >&2; failures=$((failures + 1)); }
work=$(mktemp -d /tmp/lt-man-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

for gz in "$root"/usr/share/man/man[15]/lt-*.gz; do
    page=$work/$(basename "$gz" .gz)
    gunzip -c "$gz" > "$page"
    lint=$(mandoc -T lint -W warning "$page" 2>&1) || true
    [ -z "$lint" ] || fail "$(basename "$page"): mandoc -T lint: $lint"
    mandoc -T utf8 -O width=200 "$page" | sed "s/.\x08//g" > "$page.txt"
done

for tool in lt-query lt-enrich lt-send lt-rollup; do
    text=$work/$tool.1.txt
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -q "^$section\$" "$text" || fail "$tool(1) has no $section section"
    done
    for variable in LT_WAREHOUSE LT_CACHE_DIR LT_ROLLOUT_FILE LT_METRICS ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT \
        PGPASSWORD SNOWFLAKE_PRIVATE_KEY_PATH HTTPS_PROXY NO_PROXY CURL_CA_BUNDLE DD_AGENT_HOST; do
        grep -q "$variable" "$text" || fail "$tool(1) does not mention $variable"
    done
    statuses=$(sed -n '/^EXIT STATUS$/,/^EXAMPLES$/p' "$text")
    for status in 0 1 2 64 130 143; do
        grep -Eq "^ +$status( |,|$)|^ +[0-9]+, $status$" <<< "$statuses" || fail "$tool(1) EXIT STATUS lacks $status"
    done
    # Every option the tool accepts (its own description of itself) is in OPTIONS.
    options=$(sed -n '/^OPTIONS$/,/^ENVIRONMENT$/p' "$text")
    for option in $("$root/usr/bin/$tool" --experimental-dump-help | python3 -c '
import json, sys
for a in json.load(sys.stdin)["command"].get("arguments", []):
    if a.get("shouldDisplay", True) and a["kind"] != "positional":
        print(next("--" + n["name"] for n in a["names"] if n["kind"] == "long"))'); do
        grep -q -- "$option" <<< "$options" || fail "$tool(1) OPTIONS lacks $option"
    done
    grep -qi "subcommand" "$text" && fail "$tool(1) mentions a subcommand, which lt's tools do not have"
done
grep -Eq "^ +74( |$)" <(sed -n '/^EXIT STATUS$/,/^EXAMPLES$/p' "$work/lt-send.1.txt") || fail "lt-send(1) EXIT STATUS lacks 74"
grep -q "Default: 16" "$work/lt-send.1.txt" || fail "lt-send(1) does not give --concurrency's default"

[ "$failures" -eq 0 ] || exit 1
echo "test-man-pages: ok: 6 pages lint-clean with their sections, variables, statuses and options" >&2
