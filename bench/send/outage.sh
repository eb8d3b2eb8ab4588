#!/usr/bin/env bash
# A backfill through a partner outage: LINES lines to nginx on loopback (204), with nginx stopped
# for OUTAGE seconds once half the lines are delivered (connections refused), then started again.
#
#   bench/send/outage.sh [LINES] [OUTAGE]      defaults: 20000 lines, 30 s
# (nginx is stopped once half the baseline run's duration has passed, about half the lines in)
#   DOC=docs/benchmarks.md (default) gets the figures in its "send-outage" section; DOC= skips it.
#
# Measured in the same run: lt-send with no outage (the baseline rate), then with the outage.
# Printed: lines dead-lettered (want 0), requests sent during the outage (from --attempts; want a
# few probes), and the delivery rate before and after the outage next to the baseline (want ~1.0x).
# Settings of a backfill: --retry-preset standard-webhooks, --breaker-cooldown 5s, journal,
# signing, results and the attempt log written. Installs nginx when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES=${1:-20000}
OUTAGE=${2:-30}
DOC=${DOC-docs/benchmarks.md}
CONCURRENCY=${CONCURRENCY:-16}
COOLDOWN=${COOLDOWN:-5s}

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi

echo "bench: building lt-send (release)" >&2
LT_SEND="${LT_SEND:-$(scripts/build-release.sh .build-s lt-send)/lt-send}"

tmp=$(mktemp -d /tmp/lt-bench-outage.XXXXXX)
stop_nginx() { bench/nginx-204.sh stop "$tmp/nginx"; }
start_nginx() { local env; env=$(bench/nginx-204.sh start "$tmp/nginx"); eval "$env"; }
cleanup() { stop_nginx; rm -rf "$tmp"; }
trap cleanup EXIT

start_nginx
port=$NGINX_PORT

python3 bench/send/envelopes.py "$LINES" > "$tmp/in.ndjson"
cat > "$tmp/integrations.toml" <<TOML
[integrations.partner]
url = "http://127.0.0.1:$port/hook"
signing = { secrets_env = "BENCH_SIGNING_SECRET" }
TOML
export BENCH_SIGNING_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"

send() { # NAME: one run into $tmp/NAME.*, in the background; its pid in $pid
    "$LT_SEND" --integrations "$tmp/integrations.toml" --allow-http --allow-private --concurrency "$CONCURRENCY" \
        --retry-preset standard-webhooks --breaker-cooldown "$COOLDOWN" --journal "$tmp/$1.journal" \
        --attempts "$tmp/$1.attempts" --dead-letter "$tmp/$1.dead" < "$tmp/in.ndjson" > "$tmp/$1.results" 2> "$tmp/$1.err" &
    pid=$!
}

echo "bench: baseline, $LINES lines, no outage" >&2
b0=$(date +%s.%N)
send baseline
wait "$pid"
half=$(python3 -c "import sys; print(max(0.5, (float(sys.argv[2]) - float(sys.argv[1])) / 2))" "$b0" "$(date +%s.%N)")

# Stopped after half the baseline's duration (a timer, not a poll of the results, which would
# compete with lt-send for the CPU).
echo "bench: $LINES lines, nginx stopped for ${OUTAGE}s after ${half}s" >&2
send outage
sleep "$half"
t_stop=$(date +%s.%N)
stop_nginx
sleep "$OUTAGE"
t_start=$(date +%s.%N)
start_nginx
wait "$pid" || true

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo +changes)"
python3 - "$tmp" "$LINES" "$t_stop" "$t_start" "$DOC" "$commit" "$CONCURRENCY" "$COOLDOWN" "$LT_SEND" <<'PY'
import json, os, re, sys, time
from datetime import datetime, timezone
tmp, lines, t_stop, t_start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def ts(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
def results(name): return [json.loads(l) for l in open("%s/%s.results" % (tmp, name))]
def rate(times):
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")
base = results("baseline")
base_rate = rate([ts(r["finished_at"]) for r in base if r["status"] == "delivered"])
out = results("outage")
delivered = [ts(r["finished_at"]) for r in out if r["status"] == "delivered"]
before = [t for t in delivered if t < t_stop]
after = [t for t in delivered if t > t_start]
dead = sum(1 for _ in open("%s/outage.dead" % tmp)) if __import__("os").path.exists("%s/outage.dead" % tmp) else 0
attempts = [json.loads(l) for l in open("%s/outage.attempts" % tmp)]
during = [a for a in attempts if t_stop <= ts(a["started_at"]) <= t_start]
failed_before = [a for a in during if ts(a["started_at"]) < t_stop + 1]
resumed = min(after) - t_start if after else float("nan")
print()
print("%-52s %s" % ("lines", lines))
print("%-52s %d" % ("delivered (outage run)", len(delivered)))
print("%-52s %d" % ("dead-lettered", dead))
print("%-52s %.1f s" % ("outage", t_start - t_stop))
print("%-52s %d" % ("requests during the outage (attempt log)", len(during)))
print("%-52s %d" % ("  of which in the first second (in flight or queued)", len(failed_before)))
print("%-52s %d" % ("lines delivered with more than one attempt", sum(1 for r in out if r["attempts"] > 1)))
print("%-52s %.1f s" % ("first delivery after nginx was back", resumed))
print("%-52s %.0f /s" % ("baseline rate (no outage)", base_rate))
print("%-52s %.0f /s  (%.2fx baseline)" % ("rate before the outage", rate(before), rate(before) / base_rate))
print("%-52s %.0f /s  (%.2fx baseline)" % ("rate after the outage", rate(after), rate(after) / base_rate))
doc, commit, concurrency, cooldown, binary = sys.argv[5:10]
if doc:
    build = "release" if "/release/" in binary or ".build-s" in binary else "debug"
    section = f"""<!-- send-outage:begin -->
## lt-send through a partner outage

Written by `bench/send/outage.sh` from its latest run ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
commit {commit}, {os.cpu_count()} cores, {build} build). {lines:,} enriched completions to nginx on
127.0.0.1 (204), signed, journaled, results and `--attempts` written, `--concurrency {concurrency}
--retry-preset standard-webhooks --breaker-cooldown {cooldown}`. Half-way through (after half the
baseline's duration), nginx was stopped (connections refused) for {t_start - t_stop:.0f} s and started again. The same
binary delivered the same input without an outage first, in the same run, as the baseline.

| figure | value |
| --- | ---: |
| lines delivered / dead-lettered | {len(delivered):,} / {dead} |
| requests during the outage (attempt log) | {len(during)} |
| of which in its first second (in flight, or sent before the breaker opened) | {len(failed_before)} |
| lines that needed more than one attempt | {sum(1 for r in out if r["attempts"] > 1)} |
| first delivery after nginx was back | {resumed:.1f} s |
| baseline rate, no outage | {base_rate:,.0f} lines/s |
| rate before the outage | {rate(before):,.0f} lines/s ({rate(before) / base_rate:.2f}x baseline) |
| rate after the outage | {rate(after):,.0f} lines/s ({rate(after) / base_rate:.2f}x baseline) |

Not measured here: before the outage handling (commit 3a4385c), every line that met the open
breaker was dead-lettered at once, so the lines read during the outage, which with an input that
is read as fast as it fails means the rest of the input, went to the dead-letter file.
<!-- send-outage:end -->
"""
    text = open(doc).read() if os.path.exists(doc) else ""
    pattern = re.compile(r"<!-- send-outage:begin -->.*?<!-- send-outage:end -->\n?", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    open(doc, "w").write(text)
    print("wrote " + doc, file=sys.stderr)
PY
