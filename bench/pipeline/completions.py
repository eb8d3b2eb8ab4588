#!/usr/bin/env python3
"""Writes a stream of specification-shaped webhook payloads (one JSON object a line) for the benchmark.

Usage: completions.py KEYS_TSV LINES [--repeat 0.4] [--not-found 0.1] [--enrollments 0.05] [--seed N] > stream.ndjson

KEYS_TSV holds the warehouse's keys (user_id, course_key, enterprise_customer_uuid, tab-separated),
as bench/pipeline/run.sh exports them from the generated table. The stream mixes:
  * course completions of keys that have rows in the warehouse (found);
  * completions of keys with no rows (--not-found share of the fresh keys: learners with no tracked time);
  * enrollments (--enrollments share), which the pipeline passes through without a lookup;
  * repeated keys (--repeat share of the lines): a key seen in the last 10,000 lines again, as when a
    completion goes to two partners, a webhook is re-sent, or a grade change completes the course again.
Deterministic for a given seed, so every run measures the same bytes.
"""
import argparse
import json
import random
import sys

ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises", "Hooli", "Vandelay"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("keys")
    ap.add_argument("lines", type=int)
    ap.add_argument("--repeat", type=float, default=0.4)
    ap.add_argument("--not-found", type=float, default=0.1)
    ap.add_argument("--enrollments", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=20260110)
    ap.add_argument("--skip-keys", type=int, default=0, help="start drawing fresh keys after this many (disjoint streams)")
    args = ap.parse_args()
    rnd = random.Random(args.seed)

    keys = []
    with open(args.keys) as f:
        for row in f:
            u, c, e = row.rstrip("\n").split("\t")
            keys.append((int(u), c, e))
    courses = sorted({k[1] for k in keys[:100000]})
    enterprises = sorted({k[2] for k in keys[:100000]})
    order = list(range(len(keys)))
    rnd.shuffle(order)
    order = order[args.skip_keys:] + order[:args.skip_keys]
    next_fresh = 0
    missing_user = 90_000_000
    recent = []
    seen = set()
    counts = {"lines": args.lines, "completions": 0, "enrollments": 0}
    out = sys.stdout
    write = out.write
    for i in range(args.lines):
        r = rnd.random()
        if recent and r < args.repeat:
            user, course, ent = recent[rnd.randrange(len(recent))]
        else:
            if rnd.random() < args.not_found:
                missing_user += 1
                user, course, ent = missing_user, rnd.choice(courses), rnd.choice(enterprises)
            else:
                user, course, ent = keys[order[next_fresh % len(order)]]
                next_fresh += 1
            recent.append((user, course, ent))
            if len(recent) > 10000:
                recent[rnd.randrange(10000)] = recent.pop()
        day = 1 + i * 28 // max(1, args.lines)
        head = ('{"user": {"id": %d, "email": "learner%d@example.com", "username": "learner_%d"}, '
                '"course": {"course_id": "%s", "course_name": "Course %s"}, ' % (user, user, user, course, course.split("+")[1]))
        seen.add((user, course, ent))
        if rnd.random() < args.enrollments:
            counts["enrollments"] += 1
            event = '"enrollment": {"enrollment_date": "2026-02-%02dT08:00:00Z", "mode": "verified"}, ' % day
        else:
            counts["completions"] += 1
            grade = rnd.randint(60, 100)
            event = ('"completion": {"completion_date": "2026-02-%02dT%02d:%02d:00Z", "percent_grade": %.2f, '
                     '"letter_grade": "%s", "is_passing": true}, ' % (day, rnd.randrange(24), rnd.randrange(60), grade / 100,
                                                                    "A" if grade >= 90 else "B" if grade >= 80 else "C"))
        tail = ('"enterprise": {"enterprise_customer_uuid": "%s", "enterprise_customer_name": "%s"}}\n'
                % (ent, ORGS[int(ent[:2], 16) % len(ORGS)]))
        write(head + event + tail)
    counts["distinct_keys"] = len(seen)
    sys.stderr.write(json.dumps(counts) + "\n")


if __name__ == "__main__":
    main()
