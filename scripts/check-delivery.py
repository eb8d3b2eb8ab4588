#!/usr/bin/env python3
"""Checks the invariant of a delivery run: nothing lost, nothing sent twice but what a kill caught.

    check-delivery.py --input IN --results R1 [R2 …] --dead-letter DL --received REC [--kills N]
                      [--journal J] [--unjournaled N]

IN is what lt-send read (one line per webhook), R1… the result files of each run in order (a run
killed part-way leaves a partial one; the last run must be whole), DL the dead-letter file shared by
the runs, REC the receiver's record of requests (JSON lines with headers). It checks that:
  - the last run wrote exactly one result per input line;
  - every line is delivered (delivered, or skipped as delivered earlier) or dead-lettered;
  - every delivered line's webhook id reached the receiver;
  - an id received more than once was in flight at a kill: there were kills, and no two runs
    reported it delivered (lt-send syncs its journal before writing a result, so a run after the
    one that reported it must skip it). Those are counted as re-sent at kills; any other repeat
    is a duplicate and breaks the invariant;
  - every webhook id that reached the receiver follows the id rule of docs/contract.md (1 to 256
    visible ASCII characters), so no forged id went on the wire.
With --journal J (lt-send's SQLite journal), also that:
  - every line reported delivered or skipped has its id in the journal;
  - every id the receiver accepted is in the journal (no delivery lost track of), but for up to N
    deliveries a run reported it could not journal (--unjournaled N, a full disk), which a re-run
    may send again;
  - no line whose id breaks the rule is in the journal.
It prints a JSON summary and exits 1 when the invariant is broken.
"""
import argparse
import collections
import json
import re
import sqlite3
import sys

ID_RULE = re.compile(r"[\x21-\x7e]{1,256}")


def read_json_lines(path, partial=False):
    """The JSON lines of a file; with partial, a last line cut short by a kill is left out."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if partial and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--results", nargs="+", required=True)
    ap.add_argument("--dead-letter", required=True)
    ap.add_argument("--received", nargs="+", required=True)
    ap.add_argument("--kills", type=int, default=0)
    ap.add_argument("--journal")
    ap.add_argument("--unjournaled", type=int, default=0)
    args = ap.parse_args()

    with open(args.input, encoding="utf-8", errors="replace") as f:
        lines_in = sum(1 for _ in f)
    runs = [read_json_lines(p, partial=i < len(args.results) - 1) for i, p in enumerate(args.results)]
    last = runs[-1]
    problems = []
    by_line = collections.Counter(r["line"] for r in last)
    if sorted(by_line) != list(range(1, lines_in + 1)) or any(c != 1 for c in by_line.values()):
        problems.append(f"last run: {len(last)} results for {lines_in} lines, or a line reported twice")
    try:
        with open(args.dead_letter, encoding="utf-8", errors="replace") as f:
            dead = [l.rstrip("\n") for l in f if l.strip()]
    except FileNotFoundError:
        dead = []
    with open(args.input, encoding="utf-8", errors="replace") as f:
        inputs = [l.rstrip("\n") for l in f]
    dead_set = set(dead)
    received = []
    for path in args.received:
        received += read_json_lines(path)
    # Only requests the receiver accepted count as received (a 500 before a success is a retry).
    ids = collections.Counter(r["headers"].get("webhook-id") for r in received if 200 <= r.get("answered", 200) < 300)

    delivered = 0
    undelivered = 0
    for r in last:
        if r["status"] == "delivered" or r["status"] == "skipped":
            delivered += 1
            if ids[r["id"]] == 0:
                problems.append(f"line {r['line']}: reported {r['status']} but id {r['id']} never reached the receiver")
        else:
            undelivered += 1
            if inputs[r["line"] - 1] not in dead_set:
                problems.append(f"line {r['line']}: {r['status']} but not in the dead-letter file")
    for webhook_id in ids:
        if webhook_id is None or not ID_RULE.fullmatch(webhook_id):
            problems.append(f"a request went out with webhook-id {webhook_id!r}, which breaks the id rule")
    journaled = set()
    resent_unjournaled = 0
    if args.journal:
        db = sqlite3.connect(f"file:{args.journal}?mode=ro", uri=True)
        journaled = {row[0] for row in db.execute("SELECT id FROM delivered")}
        db.close()
        for r in last:
            if r["status"] in ("delivered", "skipped") and r["id"] not in journaled:
                problems.append(f"line {r['line']}: {r['status']} but id {r['id']} is not in the journal")
        untracked = [i for i in ids if i not in journaled]
        if len(untracked) > args.unjournaled:
            problems.append(f"{len(untracked)} ids reached the receiver but are not in the journal: {untracked[:5]}")
        for line in inputs:
            try:
                webhook_id = json.loads(line).get("id")
            except (ValueError, AttributeError):
                continue
            if isinstance(webhook_id, str) and webhook_id and not ID_RULE.fullmatch(webhook_id) and webhook_id in journaled:
                problems.append(f"forged id {webhook_id!r} is in the journal")
    reports = collections.Counter(r["id"] for run in runs for r in run if r["status"] == "delivered")
    resent = duplicates = 0
    for webhook_id, count in ids.items():
        if count < 2:
            continue
        if args.kills > 0 and reports[webhook_id] <= 1:
            resent += count - 1
        elif resent_unjournaled + count - 1 <= args.unjournaled:
            resent_unjournaled += count - 1
        else:
            duplicates += count - 1
            why = f"reported delivered by {reports[webhook_id]} runs" if args.kills else "without any kill"
            problems.append(f"webhook {webhook_id} received {count} times, {why}")
    summary = {"lines_in": lines_in, "delivered": delivered, "dead_lettered": len(dead), "undelivered": undelivered,
               "received": len(received), "duplicates": duplicates, "resent_at_kills": resent, "kills": args.kills,
               "journaled": len(journaled), "resent_unjournaled": resent_unjournaled,
               "runs": len(runs), "problems": problems[:20]}
    print(json.dumps(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
