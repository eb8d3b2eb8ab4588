#!/usr/bin/env python3
"""The specification's own design, in Python, as a benchmark baseline (not part of the product).

For every webhook, in order, as the specification's handler does it:
  * a course completion with the flag on is looked up under the cache key
    learning_time:{user_id}:{course_id}:{enterprise_id}, in an in-process dict with a one-hour TTL that
    also caches "no data" (the specification's Redis, without its network hop, so the baseline is
    if anything flattered);
  * on a miss: one new warehouse connection (psycopg2) and one SUM query for that completion, closed after;
  * learning_time = {total_seconds, total_hours = round(s / 3600, 2), last_updated} is added when the
    total is above 0;
  * one POST per webhook with the requests library (requests.post, a new connection each time).

Usage: spec_baseline.py --conninfo 'host=… dbname=prod' --url http://127.0.0.1:PORT/hook [--passes 2] < stream.ndjson
Prints one JSON line per pass on stdout: lines, seconds, lines_per_s, cache hits, queries, posts, failures.
Pass 1 starts with an empty cache (cold); later passes reuse it (warm).
"""
import argparse
import datetime
import json
import sys
import time

import psycopg2
import requests

TTL = 3600.0
QUERY = ("SELECT SUM(learning_time_seconds) FROM business_intelligence.learning_time "
         "WHERE user_id = %s AND course_key = %s AND enterprise_customer_uuid = %s")


def lookup(conninfo, user, course, enterprise):
    conn = psycopg2.connect(conninfo)
    try:
        with conn.cursor() as cur:
            cur.execute(QUERY, (user, course, enterprise))
            row = cur.fetchone()
            return row[0] if row and row[0] is not None else None
    finally:
        conn.close()


def run_pass(lines, conninfo, url, cache):
    stats = {"lines": 0, "cache_hits": 0, "queries": 0, "posts": 0, "failures": 0}
    start = time.perf_counter()
    for text in lines:
        stats["lines"] += 1
        obj = json.loads(text)
        payload = obj["payload"] if "payload" in obj else obj
        if isinstance(payload.get("completion"), dict):
            key = "learning_time:%s:%s:%s" % (payload["user"]["id"], payload["course"]["course_id"],
                                              payload["enterprise"]["enterprise_customer_uuid"])
            now = time.time()
            hit = cache.get(key)
            if hit is not None and hit[1] > now:
                stats["cache_hits"] += 1
                total, updated = hit[0]
            else:
                stats["queries"] += 1
                try:
                    total = lookup(conninfo, payload["user"]["id"], payload["course"]["course_id"],
                                   payload["enterprise"]["enterprise_customer_uuid"])
                    updated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT00:00:00Z")
                    cache[key] = ((total, updated), now + TTL)
                except psycopg2.Error:
                    total, updated = None, None
            if total is not None and total > 0:
                payload["learning_time"] = {"total_seconds": int(total), "total_hours": round(total / 3600, 2),
                                            "last_updated": updated}
        try:
            r = requests.post(url, json=payload, timeout=30)
            stats["posts"] += 1
            if r.status_code >= 300:
                stats["failures"] += 1
        except requests.RequestException:
            stats["failures"] += 1
    stats["seconds"] = round(time.perf_counter() - start, 3)
    stats["lines_per_s"] = round(stats["lines"] / stats["seconds"], 1) if stats["seconds"] else None
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conninfo", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    lines = sys.stdin.read().splitlines()
    cache = {}
    for n in range(args.passes):
        stats = run_pass(lines, args.conninfo, args.url, cache)
        stats["pass"] = n + 1
        print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
