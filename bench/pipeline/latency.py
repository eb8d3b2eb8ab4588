#!/usr/bin/env python3
"""Latency of one completion through a fresh shell pipeline, process start-up included.

Usage: latency.py --pipeline 'lt-query … | lt-enrich … | lt-send …' --lines FILE --runs N
Each run starts `bash -c PIPELINE` anew and feeds it one line of FILE; the time is from the start of
bash to its exit (the webhook delivered and the result written). Pass 1 sends N distinct completions
whose keys are not cached yet (cold: the warehouse is asked); pass 2 sends the same N lines again
(warm: the cache answers). The pipeline's cache folder must be fresh. With --startup NAME=COMMAND
(repeatable), it also times each COMMAND alone on empty input, to show what process start-up costs.
Prints one JSON object.
"""
import argparse
import json
import statistics
import subprocess
import time


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def run(pipeline, lines):
    times, bad = [], 0
    for line in lines:
        t = time.perf_counter()
        out = subprocess.run(["bash", "-c", pipeline], input=line.encode(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
        try:
            result = json.loads(out.stdout)
            ok = out.returncode == 0 and result.get("status") == "delivered" and result.get("learning_time") is True
        except ValueError:
            ok = False
        bad += 0 if ok else 1
    return {"p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1),
            "mean_ms": round(statistics.fmean(times), 1), "runs": len(times), "not_enriched_or_failed": bad}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline", required=True)
    ap.add_argument("--lines", required=True)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--startup", action="append", default=[])
    args = ap.parse_args()
    with open(args.lines) as f:
        lines = [l for l in f.read().splitlines() if l][: args.runs]
    cold = run(args.pipeline, lines)
    warm = run(args.pipeline, lines)
    startup = {}
    for spec in args.startup:
        name, _, command = spec.partition("=")
        times = []
        for _ in range(min(args.runs, 100)):
            t = time.perf_counter()
            subprocess.run(["bash", "-c", command], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times.append((time.perf_counter() - t) * 1000)
        startup[name] = {"p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1)}
    print(json.dumps({"cold": cold, "warm": warm, "startup": startup}))


if __name__ == "__main__":
    main()
