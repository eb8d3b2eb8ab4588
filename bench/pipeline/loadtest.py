#!/usr/bin/env python3
"""The specification's load test: bursts of 100 completions arriving together at a running pipeline,
delivered to a receiver that takes 200 ms to answer.

Usage: loadtest.py --pipeline 'lt-query --stats … 2>QUERY_STATS | lt-enrich … | lt-send …' --lines FILE
                   --query-stats QUERY_STATS --record RECEIVER_RECORD [--rounds 10] [--size 100] [--warmup 1]
The first --warmup rounds go through one run of the pipeline (filling its cache); the other rounds
through a second run that stays up for all of them (a stream, as in production). Each round writes
--size lines in one write at t0, then waits until lt-send has written a result for each. Per line of
the measured rounds:
  * input to delivery: the time lt-send's result line for it came out (the 2xx answer was received);
  * input to receipt: the receiver's record time of the request (before its 200 ms pause).
The cache hit rate after warm-up is lt-query's own count (--stats) for the second run; next to it,
the share of those completions whose key came earlier in the traffic: the most any cache could answer.
Lines are sent as envelopes with id load-N, so the receiver's webhook-id header names the line.
Prints one JSON object.
"""
import argparse
import json
import re
import subprocess
import threading
import time


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] if s else None


def run(pipeline, lines, first, last, size, t0s, results):
    """One run of the pipeline for rounds first..<last; appends (time, result) to results."""
    proc = subprocess.Popen(["bash", "-c", pipeline], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    cond = threading.Condition()
    base = len(results)

    def reader():
        for raw in proc.stdout:
            stamp = time.time()
            with cond:
                results.append((stamp, json.loads(raw)))
                cond.notify_all()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    for r in range(first, last):
        chunk = "".join(l + "\n" for l in lines[r * size:(r + 1) * size]).encode()
        t0s.append(time.time())
        proc.stdin.write(chunk)
        proc.stdin.flush()
        with cond:
            if not cond.wait_for(lambda: len(results) - base >= (r + 1 - first) * size, timeout=120):
                break
    proc.stdin.close()
    proc.wait(timeout=120)
    thread.join(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline", required=True)
    ap.add_argument("--lines", required=True)
    ap.add_argument("--query-stats", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    total = args.rounds * args.size
    with open(args.lines) as f:
        bare = [l for l in f.read().splitlines() if l][:total]
    lines = ['{"id": "load-%d", "payload": %s}' % (i, text) for i, text in enumerate(bare)]

    t0s = []
    results = []
    if args.warmup:
        run(args.pipeline, lines, 0, args.warmup, args.size, t0s, results)
        results.clear()
    run(args.pipeline, lines, args.warmup, args.rounds, args.size, t0s, results)

    delivered, confirm = 0, []
    for stamp, res in results:
        i = int(str(res.get("id", "load-0")).split("-")[-1])
        if res.get("status") == "delivered":
            delivered += 1
            confirm.append(stamp - t0s[i // args.size])
    receipt = []
    with open(args.record) as f:
        for row in f:
            rec = json.loads(row)
            wid = rec["headers"].get("webhook-id", "")
            if wid.startswith("load-") and int(wid.split("-")[-1]) >= args.warmup * args.size:
                i = int(wid.split("-")[-1])
                receipt.append(rec["time"] - t0s[i // args.size])
    hits = misses = None
    with open(args.query_stats) as f:
        m = re.search(r"hits=(\d+) misses=(\d+)", f.read())
        if m:
            hits, misses = int(m.group(1)), int(m.group(2))
    # The most any cache could answer: measured completions whose key came earlier in the traffic
    # (in an earlier burst; repeats within a burst share one warehouse round trip instead).
    seen, burst, repeats, completions = set(), set(), 0, 0
    for i, text in enumerate(bare):
        if i % args.size == 0:
            seen |= burst
            burst = set()
        payload = json.loads(text)
        if not isinstance(payload.get("completion"), dict):
            continue
        key = (payload["user"]["id"], payload["course"]["course_id"], payload["enterprise"]["enterprise_customer_uuid"])
        if i >= args.warmup * args.size:
            completions += 1
            repeats += key in seen
        burst.add(key)
    print(json.dumps({
        "lines": len(lines) - args.warmup * args.size, "results": len(results), "delivered": delivered,
        "delivery_p50_ms": round(pct(confirm, 0.5) * 1000, 1) if confirm else None,
        "delivery_p95_ms": round(pct(confirm, 0.95) * 1000, 1) if confirm else None,
        "receipt_p95_ms": round(pct(receipt, 0.95) * 1000, 1) if receipt else None,
        "hit_rate_after_warmup": round(hits / (hits + misses), 3) if hits is not None and hits + misses else None,
        "hits": hits, "misses": misses,
        "repeated_key_share": round(repeats / completions, 3) if completions else None}))


if __name__ == "__main__":
    main()
