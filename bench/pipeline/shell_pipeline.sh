#!/usr/bin/env bash
# The pipeline a user would write with psql, jq and curl: each line on its own, 16 at a time.
#   shell_pipeline.sh CONNINFO URL < stream.ndjson > http-statuses.txt
# Per line: jq reads the key, psql asks the warehouse (no cache), jq adds learning_time when the
# total is above 0, curl POSTs the payload. Benchmark baseline only, not part of the product.
set -euo pipefail
export PG_CONNINFO=$1 TARGET_URL=$2

one() {
    local line=$1 user course ent kind secs
    IFS=$'\t' read -r user course ent kind < <(jq -r '[.user.id, .course.course_id,
        .enterprise.enterprise_customer_uuid, (if (.completion | type) == "object" then "c" else "o" end)] | @tsv' <<<"$line")
    if [ "$kind" = c ]; then
        secs=$(psql "$PG_CONNINFO" -XAtq -v u="$user" -v c="$course" -v e="$ent" <<'SQL'
SELECT COALESCE(SUM(learning_time_seconds), 0) FROM business_intelligence.learning_time
 WHERE user_id = :u AND course_key = :'c' AND enterprise_customer_uuid = :'e';
SQL
)
        if [ "${secs:-0}" -gt 0 ]; then
            line=$(jq -c --argjson s "$secs" --arg d "$(date -u +%Y-%m-%dT00:00:00Z)" \
                '. + {learning_time: {total_seconds: $s, total_hours: ((($s / 36) | round) / 100), last_updated: $d}}' <<<"$line")
        fi
    fi
    curl -sS -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' --data-binary @- "$TARGET_URL" <<<"$line"
}
export -f one
xargs -d '\n' -P 16 -n 1 bash -c 'one "$1"' _
