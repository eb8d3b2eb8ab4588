#!/usr/bin/env python3
"""The default rule of docs/rollup.md written straightforwardly in Python: the measuring stick of
bench/rollup, and a second implementation whose rows must equal lt-rollup's.

    rollup.py [--gap-policy drop|truncate] [--idle-timeout SECONDS] [--enterprises CSV]
              [--keep-unattributed] FILE…          (writes NDJSON rows to standard output)
"""
import argparse
import csv
import gzip
import json
import re
import sys
from datetime import datetime, timezone

p = argparse.ArgumentParser()
p.add_argument("files", nargs="+")
p.add_argument("--gap-policy", default="drop", choices=["drop", "truncate"])
p.add_argument("--idle-timeout", type=float, default=1800)
p.add_argument("--enterprises")
p.add_argument("--keep-unattributed", action="store_true")
a = p.parse_args()

EXCLUDED = ("edx.grades.", "edx.course.grade.", "edx.certificate.", "edx.course.enrollment.")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY = 86_400_000_000
TIMEOUT = round(a.idle_timeout * 1_000_000)


def user_id(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v and v.isascii() and v.isdigit():
        return int(v)
    return None


def micros(t):
    d = datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return (d - EPOCH) // __import__("datetime").timedelta(microseconds=1)


streams = {}
for path in a.files:
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            s = line.lstrip(" \t")
            if not s or s.startswith("#"):
                continue
            i = line.find("{")
            if i < 0:
                continue
            try:
                ev = json.loads(line[i:])
            except ValueError:
                continue
            if not isinstance(ev, dict) or "time" not in ev:
                continue
            try:
                t = micros(ev["time"])
            except (TypeError, ValueError):
                continue
            if ev.get("event_source") == "task":
                continue
            name = ev.get("name")
            if not isinstance(name, str) or not name:
                name = ev.get("event_type")
            if isinstance(name, str) and name.startswith(EXCLUDED):
                continue
            ctx = ev.get("context") if isinstance(ev.get("context"), dict) else {}
            user = user_id(ctx.get("user_id"))
            if user is None and isinstance(ev.get("event"), dict):
                user = user_id(ev["event"].get("user_id"))
            if user is None:
                continue
            course = ctx.get("course_id")
            if not isinstance(course, str) or not course or len(course.encode()) > 255:
                continue
            streams.setdefault((user, course), []).append((t, line))

owners = {}
if a.enterprises:
    with open(a.enterprises, newline="") as f:
        for r in csv.DictReader(f):
            e = r["enterprise_customer_uuid"].strip().replace("-", "").lower()
            e = f"{e[:8]}-{e[8:12]}-{e[12:16]}-{e[16:20]}-{e[20:]}"
            owners.setdefault((int(r["user_id"]), r["course_key"].strip()), set()).add(e)

rows = []
for (user, course), events in streams.items():
    events.sort()
    days = {}
    previous = None
    for e in events:
        if e == previous:
            continue  # an exact duplicate line
        if previous is not None:
            gap = e[0] - previous[0]
            counted = 0 if gap <= 0 else gap if gap <= TIMEOUT else (0 if a.gap_policy == "drop" else TIMEOUT)
            at = previous[0]
            while counted > 0:
                day = at // DAY
                part = min(counted, (day + 1) * DAY - at)
                days[day] = days.get(day, 0) + part
                at += part
                counted -= part
        previous = e
    who = sorted(owners.get((user, course), ())) or ([""] if a.keep_unattributed else [])
    for ent in who:
        for day, total in days.items():
            seconds = (total + 500_000) // 1_000_000
            if seconds > 0:
                rows.append((user, course, ent, day, seconds))

rows.sort()
out = sys.stdout
for user, course, ent, day, seconds in rows:
    date = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%Y-%m-%d")
    out.write(json.dumps({"user_id": user, "course_key": course, "enterprise_customer_uuid": ent, "date": date,
                          "learning_time_seconds": seconds}, separators=(",", ":"), ensure_ascii=False) + "\n")
