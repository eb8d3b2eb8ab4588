#!/usr/bin/env python3
"""Writes N lines of lt-query output: enveloped, specification-shaped webhook payloads with lookups.

Usage: generate.py N > file.ndjson

About 80% are completions with a `found` lookup, 8% completions `not_found`, 2% with a total of 0,
10% enrollments (`skipped`). Deterministic (seeded), so every run measures the same bytes.
"""
import json
import random
import sys

def main():
    n = int(sys.argv[1])
    rnd = random.Random(20260110)
    enterprises = ["%08x-%04x-%04x-%04x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(16),
                                                    rnd.getrandbits(16), rnd.getrandbits(48)) for _ in range(50)]
    courses = ["course-v1:%sX+%s%d+2026_T%d" % (org, subj, num, term)
               for org in ("edX", "MIT", "Harvard", "Berkeley") for subj in ("CS", "DS", "MATH")
               for num in (101, 202) for term in (1, 2)]
    integrations = ["demo", "percipio", "degreed", "cornerstone"]
    out = sys.stdout
    for i in range(n):
        user = rnd.randint(1, 5_000_000)
        course = rnd.choice(courses)
        ent = rnd.choice(enterprises)
        payload = {
            "user": {"id": user, "email": "learner%d@example.com" % user, "username": "learner_%d" % user},
            "course": {"course_id": course, "course_name": "Course " + course.split("+")[1]},
        }
        kind = rnd.random()
        if kind < 0.90:
            payload["completion"] = {"completion_date": "2026-01-%02dT15:30:00Z" % rnd.randint(1, 28),
                                     "percent_grade": round(rnd.random(), 2), "letter_grade": "A", "is_passing": True}
        else:
            payload["enrollment"] = {"enrollment_date": "2026-02-01T08:00:00Z", "mode": "verified"}
        payload["enterprise"] = {"enterprise_customer_uuid": ent, "enterprise_customer_name": "Enterprise " + ent[:4]}
        if kind < 0.80:
            lookup = {"status": "found", "total_seconds": rnd.randint(1, 400_000), "last_updated": "2026-01-10T00:00:00Z",
                      "source": "warehouse"}
        elif kind < 0.82:
            lookup = {"status": "found", "total_seconds": 0, "last_updated": "2026-01-10T00:00:00Z", "source": "cache"}
        elif kind < 0.90:
            lookup = {"status": "not_found", "last_updated": "2026-01-10T00:00:00Z", "source": "warehouse"}
        else:
            lookup = {"status": "skipped", "reason": "not_completion"}
        members = [("id", "evt-%07d" % i), ("integration", rnd.choice(integrations)), ("payload", payload)]
        # As lt-query writes it: the producer's members copied as they came (here json.dumps' spacing),
        # joined by commas, then its own compact lookup.
        text = ",".join('"%s": %s' % (k, json.dumps(v)) for k, v in members)
        out.write("{" + text + ',"lookup":' + json.dumps(lookup, separators=(",", ":")) + "}\n")

if __name__ == "__main__":
    main()
