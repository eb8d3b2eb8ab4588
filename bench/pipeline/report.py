#!/usr/bin/env python3
"""Turns the figures bench/pipeline/run.sh collected into the printed table and docs/benchmarks.md.

Usage: report.py RESULTS_ENV [--doc docs/benchmarks.md]
RESULTS_ENV holds NAME=VALUE lines (some values are JSON objects). Nothing here is measured; every
figure comes from the run, and the document is rewritten whole from it, never edited by hand.
"""
import argparse
import json
import os
import re
import sys


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition("=")
            try:
                r[name] = json.loads(value) if value[:1] == "{" else value
            except ValueError:
                r[name] = value
    return r


def num(x, default=None):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def fmt(x, unit=""):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + unit


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(ok):
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def build(r):
    rows = []  # (section, figure, value, compared, target, status)
    lines = num(r.get("stream", {}).get("lines")) if isinstance(r.get("stream"), dict) else None
    res = {}
    for run in ("cold", "warm"):
        s = num(r.get(f"{run}_s"))
        done = num(r.get(f"{run}_results"))
        res[run] = {"s": s, "lps": ratio(done, s) if done == lines else None, "ok": done == lines}
    shell_lps = ratio(num(r.get("shell_lines")), num(r.get("shell_s")))
    py = {k: r.get(f"py_{k}") if isinstance(r.get(f"py_{k}"), dict) else {} for k in ("cold", "warm")}
    py_lps = {k: num(py[k].get("lines_per_s")) for k in py}
    wrk = num(r.get("wrk_rps"))

    T = "Throughput (lines/s, whole run)"
    cold_s = res["cold"]["s"] if res["cold"]["ok"] else None
    full = lines is not None and lines >= 1_000_000 and (num(r.get("warehouse_rows")) or 0) >= 10_000_000
    rows.append((T, f"lt pipeline, cold cache, {fmt(lines)} lines into nginx", fmt(res["cold"]["lps"]),
                 f"{fmt(cold_s, ' s')} wall", "< 120 s (1M lines, 10M rows)",
                 verdict(None if cold_s is None else cold_s < 120) if full else "n/a at this size"))
    rows.append((T, "lt pipeline, warm cache", fmt(res["warm"]["lps"]), f"{fmt(res['warm']['s'], ' s')} wall", "", ""))
    rows.append((T, f"shell pipeline: psql + jq + curl, xargs -P 16 ({r.get('shell_lines')} lines)", fmt(shell_lps),
                 f"{r.get('shell_delivered')} delivered", "", ""))
    rows.append((T, f"Python, specification's design, cold dict ({py['cold'].get('lines')} lines)", fmt(py_lps.get("cold")),
                 f"{py['cold'].get('queries')} connections+queries", "", ""))
    rows.append((T, "Python, specification's design, warm dict (same lines again)", fmt(py_lps.get("warm")),
                 f"{py['warm'].get('cache_hits')} cache hits", "", ""))
    rows.append((T, "nginx ceiling: wrk, 16 connections, keep-alive", fmt(wrk), "requests/s, no pipeline", "", ""))
    R = "Ratios (same run)"
    for label, a, b, target in (
            ("warm pipeline / shell pipeline", res["warm"]["lps"], shell_lps, 100),
            ("cold pipeline / shell pipeline", res["cold"]["lps"], shell_lps, None),
            ("warm pipeline / Python baseline, warm", res["warm"]["lps"], py_lps.get("warm"), 100),
            ("cold pipeline / Python baseline, cold", res["cold"]["lps"], py_lps.get("cold"), None),
            ("warm pipeline / nginx ceiling (wrk)", res["warm"]["lps"], wrk, None),
            ("nginx ceiling (wrk) / Python baseline, warm: the most any sender could reach here", wrk, py_lps.get("warm"), None)):
        x = ratio(a, b)
        rows.append((R, label, fmt(x, "×"), "", f"≥ {target}×" if target else "",
                     "" if not target else verdict(None if x is None else x >= target)))

    L = "Latency, one completion, fresh shell pipeline (start-up included)"
    lat = r.get("latency") if isinstance(r.get("latency"), dict) else {}
    for kind, target in (("cold", 100), ("warm", 50)):
        d = lat.get(kind, {})
        p95 = num(d.get("p95_ms"))
        rows.append((L, f"{kind} cache: p50 / p95 over {d.get('runs', 'n/a')} runs",
                     f"{fmt(num(d.get('p50_ms')))} / {fmt(p95)} ms",
                     f"{d.get('not_enriched_or_failed', 'n/a')} not enriched or failed",
                     f"p95 < {target} ms", verdict(None if p95 is None else p95 < target)))
    for name, d in (lat.get("startup") or {}).items():
        rows.append((L, f"start-up alone, empty input: {'bash -c true' if name == 'true' else name}",
                     f"{fmt(num(d.get('p50_ms')))} / {fmt(num(d.get('p95_ms')))} ms", "p50 / p95", "", ""))
    D = "Load test: bursts of 100 completions, receiver answering after 200 ms"
    load = r.get("load") if isinstance(r.get("load"), dict) else {}
    p95 = num(load.get("delivery_p95_ms"))
    rows.append((D, "input to confirmed delivery, p50 / p95",
                 f"{fmt(num(load.get('delivery_p50_ms')))} / {fmt(p95)} ms",
                 f"{load.get('delivered', 'n/a')} of {load.get('lines', 'n/a')} delivered", "p95 < 5 s (spec)",
                 verdict(None if p95 is None else p95 < 5000)))
    rows.append((D, "input to receipt at the receiver, p95", f"{fmt(num(load.get('receipt_p95_ms')))} ms", "", "", ""))
    hr = num(load.get("hit_rate_after_warmup"))
    share = num(load.get("repeated_key_share"))
    rows.append((D, "cache hit rate after the first burst", fmt(None if hr is None else hr * 100, " %"),
                 f"{load.get('hits', 'n/a')} hits, {load.get('misses', 'n/a')} misses; "
                 f"{fmt(None if share is None else share * 100, ' %')} of keys came in an earlier burst",
                 "> 80 % (spec)", verdict(None if hr is None else hr > 0.8)))
    M = f"Peak memory (RSS) and CPU per tool, {fmt(lines)}-line runs"
    for tool in ("query", "enrich", "send"):
        for run in ("cold", "warm"):
            kb = num(r.get(f"{run}_{tool}_rss_kb"))
            mb = None if kb is None else kb / 1024
            rows.append((M, f"lt-{tool}, {run} cache", fmt(mb, " MB"), f"{r.get(f'{run}_{tool}_cpu_s', 'n/a')} s CPU",
                         "< 64 MB", verdict(None if mb is None else mb < 64)))
    return rows, res


def table(rows):
    out, section = [], None
    for sec, fig, val, cmp, target, status in rows:
        if sec != section:
            section = sec
            out += ["", f"**{sec}**", "", "| figure | value | detail | target | |", "| --- | ---: | --- | --- | --- |"]
        out.append(f"| {fig} | {val} | {cmp} | {target} | {status} |")
    return "\n".join(out)


def plain(rows):
    out, section = [], None
    for sec, fig, val, cmp, target, status in rows:
        if sec != section:
            section = sec
            out += ["", sec]
        out.append(f"  {fig:<72} {val:>18}  {cmp:<34} {target:<18} {status}")
    return "\n".join(out)


SIZE_HEADING = "## Binary size and start-up"

DOC = """# Benchmarks

Written by `bench/pipeline/run.sh` from its latest run, except the last section, which
`bench/size/run.sh` writes; never edited by hand. Run them again to replace every figure.

## Machine and run

- Date: {run_date}; commit {run_commit}
- CPU: {machine_cpu}, {machine_nproc} cores; memory {machine_mem_gb} GiB; {machine_os}
- PostgreSQL {machine_pg} on 127.0.0.1 (throwaway cluster, fsync off); nginx on 127.0.0.1 answering 204; {machine_swift}
- Sizes: `{params}`
- Warehouse: {warehouse_rows} daily rows, {warehouse_keys} keys (learner, course run, enterprise), {warehouse_learners} learners,
  300 course runs, 40 enterprises, days over 2025; {warehouse_mb} MB with its primary-key index; generated in {warehouse_load_s} s.
- Stream: {stream_desc}.

## Results
{table}

## How to reproduce

    bench/pipeline/run.sh                                  # the sizes above by default
    ROWS=1000000 LINES=100000 bench/pipeline/run.sh        # a quick run
    LT_BIN_DIR=.build/release bench/pipeline/run.sh        # binaries already built

It installs what is missing (nginx-light, wrk, time, jq; requests and psycopg2-binary from PyPI),
builds the tools in release mode with the Swift runtime linked in (`scripts/build-release.sh`, as `scripts/install.sh` does), starts PostgreSQL, nginx and a Python receiver on 127.0.0.1,
tears them down on exit, prints the table and rewrites this file. `bench/README.md` lists every knob.

## What each figure means

- **lt pipeline, cold / warm cache**: `lt-query --warehouse … --flag on < stream | lt-enrich --flag on |
  lt-send --url http://127.0.0.1:…/ --concurrency {concurrency}`, the whole stream, wall time from start to the
  last result, lines/s = lines / wall time. Cold: an empty cache folder, so every distinct key is read
  from PostgreSQL in batches; warm: the same stream again with the cache the cold run filled. Every line
  is POSTed to nginx (enrollments and keys without data too, as the specification delivers them).
  The table is served from the OS page cache after its generation: "cold" means the lt cache, not the disk.
- **shell pipeline**: `bench/pipeline/shell_pipeline.sh`, what a user would write without lt: for each
  line, `jq` extracts the key, `psql` runs the SUM query, `jq` adds learning_time, `curl` POSTs;
  `xargs -P 16` runs 16 lines at a time. No cache. On the first lines of the same stream.
- **Python, specification's design**: `bench/pipeline/spec_baseline.py`, sequential like the
  specification's handler: an in-process dict cache (the specification's key, 1 h TTL, "no data"
  cached too), one new psycopg2 connection and query per uncached completion, one `requests.post` per
  webhook. Pass 1 starts with an empty dict (cold), pass 2 sends the same lines again (warm).
- **nginx ceiling**: `wrk -t1 -c16 -d5s` POSTing one stream line to the same nginx; what the receiver
  and loopback allow at best on this machine, with the pipeline's CPU left idle.
- **Ratios**: lines/s of the first over lines/s of the second, both measured in this run.
- **Latency**: `bench/pipeline/latency.py` starts `bash -c 'lt-query … | lt-enrich … | lt-send …'` anew for one
  completion, and times it from start to exit (process start-up, connecting to PostgreSQL, the lookup,
  the POST to nginx and the result). Cold: a key not in the cache (the warehouse is asked); warm: the
  same lines again, answered by the cache. Runs whose result is not delivered with learning time are counted.
  The start-up rows time each tool alone on empty input (`bash -c true` is the floor): what loading the
  binary and its libraries, opening the cache and connecting to PostgreSQL cost before any line.
- **Load test**: `bench/pipeline/loadtest.py` sends the first burst through one pipeline run (the warm-up,
  which fills the cache), then keeps a second pipeline running and writes the other bursts of 100
  completions in one write each, waiting for all 100 results before the next burst; lt-send runs with
  `--concurrency 100` against `scripts/receiver.py`, which answers after 200 ms. Delivery time is when
  lt-send's result for the line came out (the 2xx was received); receipt time is the receiver's record
  of the request. The hit rate is lt-query's own `--stats` count for the second run (lookups answered
  from its memory or the cache file). It is bounded by the traffic: the detail column gives the share of
  those completions whose key came in an earlier burst (`REPEAT` sets how often keys repeat), the most a
  cache could answer; repeats within one burst share one warehouse round trip and count as misses.
- **Peak memory and CPU**: `/usr/bin/time -v` around each tool in the cold and warm pipeline runs:
  maximum resident set size, and user + system CPU seconds (which tool the machine's two cores spend on).
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--doc")
    args = ap.parse_args()
    r = load(args.results)
    rows, _ = build(r)
    head = (f"lt whole-pipeline benchmark, {r.get('run_date')}, {r.get('machine_nproc')} cores, "
            f"{r.get('machine_cpu')}\n{r.get('params')}")
    print(head + "\n" + plain(rows))
    if args.doc:
        st = r.get("stream") if isinstance(r.get("stream"), dict) else {}
        desc = (f"{st.get('lines', 'n/a')} lines ({r.get('stream_mb')} MB), {st.get('completions', 'n/a')} completions and "
                f"{st.get('enrollments', 'n/a')} enrollments, {st.get('distinct_keys', 'n/a')} distinct keys "
                f"(the rest repeat a recent key); 10 % of fresh keys have no rows")
        for k in ("warehouse_rows", "warehouse_keys", "warehouse_learners"):
            if str(r.get(k, "")).isdigit():
                r[k] = f"{int(r[k]):,}"
        fields = {k: r.get(k, "n/a") for k in ("run_date", "run_commit", "machine_cpu", "machine_nproc", "machine_mem_gb",
                                                "machine_os", "machine_pg", "machine_swift", "params", "warehouse_rows",
                                                "warehouse_keys", "warehouse_learners", "warehouse_mb", "warehouse_load_s")}
        params = dict(p.split("=", 1) for p in str(r.get("params", "")).split() if "=" in p)
        # Sections other benchmarks write between <!-- NAME:begin … --> and <!-- NAME:end --> (bench/query,
        # bench/send), and bench/size/run.sh's section (from its heading to the end), are kept as they are.
        old = ""
        if os.path.exists(args.doc):
            with open(args.doc) as f:
                old = f.read()
        marked = [m.group(0) for m in re.finditer(r"<!-- ([\w-]+):begin[^>]*-->.*?<!-- \1:end -->", old, re.S)]
        size = old[old.index(SIZE_HEADING):] if SIZE_HEADING in old else ""
        for section in marked:
            size = size.replace(section, "")
        with open(args.doc, "w") as f:
            f.write(DOC.format(table=table(rows), stream_desc=desc, concurrency=params.get("CONCURRENCY", "16"), **fields))
            for section in marked:
                f.write("\n" + section + "\n")
            if size.strip():
                f.write("\n" + size.lstrip("\n"))
        print(f"\nwrote {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
