#!/usr/bin/env bash
# Deliveries per second from lt-send to a fast receiver on loopback (nginx answering 204), next to
# `xargs -P 16 curl` (one process per request, the shell user's alternative) and wrk (the ceiling).
#
#   bench/send/run.sh [LINES] [SAMPLE]      LINES for lt-send (default 20000), SAMPLE for xargs/curl (default 1000)
#
# lt-send runs as in production: Standard Webhooks signing, results written, journal appended and
# synced (on the scratch folder's disk); once over plain http (HTTP/1.1 keep-alive) and once over
# https with HTTP/2 (throwaway certificate, verified). Installs nginx, wrk and curl when missing;
# starts nginx with its own configuration in a temporary folder and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES=${1:-20000}
SAMPLE=${2:-1000}
CONCURRENCY=${CONCURRENCY:-16}
WRK_SECONDS=${WRK_SECONDS:-5}

need=()
command -v nginx >/dev/null || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "bench: building lt-send (release)" >&2
LT_SEND="${LT_SEND:-$(scripts/build-release.sh .build-s lt-send)/lt-send}"

tmp=$(mktemp -d /tmp/lt-bench-send.XXXXXX)
cleanup() {
    bench/nginx-204.sh stop "$tmp/nginx"
    rm -rf "$tmp"
}
trap cleanup EXIT

# A throwaway certificate for the https (HTTP/2) server.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
ng=$(bench/nginx-204.sh start "$tmp/nginx" --tls "$tmp/cert.pem" "$tmp/key.pem")
eval "$ng"
port=$NGINX_PORT
tls_port=$NGINX_TLS_PORT
URL="http://127.0.0.1:$port/hook"

# Realistic enriched course-completion envelopes, about 600 bytes each.
python3 bench/send/envelopes.py "$LINES" > "$tmp/in.ndjson"
cat > "$tmp/integrations.toml" <<TOML
[integrations.partner]
url = "$URL"
signing = { secrets_env = "BENCH_SIGNING_SECRET" }
TOML
export BENCH_SIGNING_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"

now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

echo "bench: lt-send, $LINES lines, concurrency $CONCURRENCY, signing + results + journal" >&2
t0=$(now)
"$LT_SEND" --integrations "$tmp/integrations.toml" --allow-http --allow-private --concurrency "$CONCURRENCY" \
    --journal "$tmp/journal" --stats < "$tmp/in.ndjson" > "$tmp/results.ndjson" 2> "$tmp/lt-send.err"
t1=$(now)
delivered=$(grep -c '"status":"delivered"' "$tmp/results.ndjson" || true)
journaled=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM delivered").fetchone()[0])' "$tmp/journal")
[ "$delivered" -eq "$LINES" ] && [ "$journaled" -eq "$LINES" ] || { echo "bench: lt-send delivered $delivered of $LINES (journal $journaled)" >&2; cat "$tmp/lt-send.err" >&2; exit 1; }
lt_rate=$(rate "$LINES" "$t0" "$t1")
grep latency_ms "$tmp/lt-send.err" >&2 || true

echo "bench: lt-send over https (HTTP/2, TLS verified), same input" >&2
sed "s|$URL|https://127.0.0.1:$tls_port/hook|" "$tmp/integrations.toml" > "$tmp/integrations-tls.toml"
t0=$(now)
"$LT_SEND" --integrations "$tmp/integrations-tls.toml" --cacert "$tmp/cert.pem" --allow-private --concurrency "$CONCURRENCY" \
    --journal "$tmp/journal-tls" < "$tmp/in.ndjson" > "$tmp/results-tls.ndjson" 2> "$tmp/lt-send-tls.err"
t1=$(now)
delivered=$(grep -c '"status":"delivered"' "$tmp/results-tls.ndjson" || true)
[ "$delivered" -eq "$LINES" ] || { echo "bench: lt-send over https delivered $delivered of $LINES" >&2; head -5 "$tmp/lt-send-tls.err" >&2; exit 1; }
lt_tls_rate=$(rate "$LINES" "$t0" "$t1")

echo "bench: xargs -P $CONCURRENCY curl, $SAMPLE requests" >&2
mkdir -p "$tmp/payloads"
python3 - "$tmp/in.ndjson" "$tmp/payloads" "$SAMPLE" <<'PY'
import json, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src) as f:
    for i, line in enumerate(f):
        if i >= n: break
        with open("%s/%d.json" % (out, i), "w") as p:
            p.write(json.dumps(json.loads(line)["payload"], separators=(",", ":")))
PY
t0=$(now)
ls "$tmp/payloads" | xargs -P "$CONCURRENCY" -I{} curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data-binary "@$tmp/payloads/{}" "$URL"
t1=$(now)
curl_rate=$(rate "$SAMPLE" "$t0" "$t1")

echo "bench: wrk -t2 -c$CONCURRENCY -d${WRK_SECONDS}s (same body, no signing, results or journal)" >&2
head -1 "$tmp/in.ndjson" | python3 -c 'import json,sys; print(json.dumps(json.dumps(json.loads(sys.stdin.read())["payload"], separators=(",", ":"))))' > "$tmp/body.json"
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = $(cat "$tmp/body.json")
LUA
wrk_rate=$(wrk -t2 -c"$CONCURRENCY" -d"${WRK_SECONDS}s" -s "$tmp/post.lua" "$URL" | awk '/Requests\/sec/ {printf "%.0f", $2}')

printf '\n%-34s %12s %16s\n' "sender (loopback nginx, 204)" "requests/s" "vs xargs+curl"
printf '%-34s %12s %16s\n' "xargs -P $CONCURRENCY curl" "$curl_rate" "1.0x"
printf '%-34s %12s %16s\n' "lt-send (sign+results+journal)" "$lt_rate" "$(python3 -c "print('%.1fx' % ($lt_rate / $curl_rate))")"
printf '%-34s %12s %16s\n' "lt-send, https + HTTP/2" "$lt_tls_rate" "$(python3 -c "print('%.1fx' % ($lt_tls_rate / $curl_rate))")"
printf '%-34s %12s %16s\n' "wrk (ceiling)" "$wrk_rate" "$(python3 -c "print('%.1fx' % ($wrk_rate / $curl_rate))")"
printf '\nlt-send reaches %s%% of the wrk ceiling; targets: >= 5000/s and >= 30x xargs+curl.\n' "$(python3 -c "print('%.0f' % (100.0 * $lt_rate / $wrk_rate))")"
