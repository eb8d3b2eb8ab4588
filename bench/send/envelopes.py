#!/usr/bin/env python3
"""Realistic enriched course-completion envelopes for the lt-send benchmarks, about 600 bytes each.

    bench/send/envelopes.py LINES > in.ndjson
"""
import json
import sys

for i in range(int(sys.argv[1])):
    payload = {"user": {"id": 10000 + i, "email": "learner%d@example.com" % i, "username": "learner_%d" % i},
               "course": {"course_id": "course-v1:edX+DemoX+Demo_Course", "course_name": "edX Demo Course"},
               "completion": {"completion_date": "2026-01-10T15:30:00Z", "percent_grade": 0.92, "letter_grade": "A", "is_passing": True},
               "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "enterprise_customer_name": "Demo Corp"},
               "learning_time": {"total_seconds": 18540, "total_hours": 5.15, "last_updated": "2026-01-10T00:00:00Z"}}
    print(json.dumps({"id": "msg_bench_%d" % i, "integration": "partner", "payload": payload}, separators=(",", ":")))
