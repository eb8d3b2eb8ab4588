#!/usr/bin/env python3
"""Writes the figures of the last reliability run into docs/reliability.md, between its markers.

    python3 scripts/reliability-report.py REPORT_FILE

REPORT_FILE holds one JSON line per scenario, written by Tests/EndToEndTests/ReliabilityTests.swift
when LT_RELIABILITY_REPORT names it (scripts/test.sh does). Figures are never edited by hand.
"""
import datetime
import json
import os
import platform
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
doc = os.path.join(root, "docs", "reliability.md")
begin, end = "<!-- figures:begin -->", "<!-- figures:end -->"

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = [f"Last run: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
         f"({os.cpu_count()} cores), by `scripts/test.sh`.", "",
         "| scenario | lines in | delivered | dead-lettered | requests received | duplicates | kills | re-sent at kills | invariant |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in rows:
    s = r["summary"]
    ok = "holds" if not s.get("problems") else "BROKEN: " + "; ".join(s["problems"])
    lines.append(f"| {r['scenario'].replace('|', chr(92) + '|')} | {s.get('lines_in')} | {s.get('delivered')} | {s.get('dead_lettered')} | "
                 f"{s.get('received')} | {s.get('duplicates')} | {s.get('kills')} | {s.get('resent_at_kills')} | {ok} |")
text = open(doc).read()
a, b = text.index(begin) + len(begin), text.index(end)
open(doc, "w").write(text[:a] + "\n" + "\n".join(lines) + "\n" + text[b:])
print("\n".join(lines))
