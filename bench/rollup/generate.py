#!/usr/bin/env python3
"""Writes a synthetic Open edX tracking log for bench/rollup: EVENTS events of LEARNERS learners
over DAYS days, split between two LMS hosts' files whose lines interleave in time, and the
enterprise enrollment CSV.

    generate.py OUT_DIR [EVENTS] [LEARNERS] [DAYS]     (defaults: 2000000 20000 3)

Writes OUT_DIR/lms1.log, OUT_DIR/lms2.log (each in time order, as a host writes it) and
OUT_DIR/enterprises.csv. The shapes are the real ones (docs/rollup.md): classic server events,
browser events behind Tutor's logging prefix with a string `event`, user ids as integers and digit
strings, task events with the user in `event`, grading events, anonymous requests, events with no
course, old slash course keys, exact duplicate lines (shipping retries) and a few broken lines.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

out = sys.argv[1]
EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
LEARNERS = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
DAYS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
rng = random.Random(29)

COURSES = [f"course-v1:Org{i % 7}+C{i:03d}+2026_T{1 + i % 3}" for i in range(60)]
COURSES += [f"Org{i}/Legacy{i}/2014_Fall" for i in range(6)]
ENTERPRISES = ["%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                              rng.getrandbits(16), rng.getrandbits(48)) for _ in range(40)]
START = datetime(2026, 1, 10, tzinfo=timezone.utc)
NAMES = ["problem_check", "play_video", "pause_video", "seq_goto", "edx.ui.lms.sequence.next_selected",
         "page_close", "edx.course.completed", "edx.video.played", "showanswer"]

enrolled = {u: rng.sample(COURSES, rng.choice((1, 1, 2, 3))) for u in range(1, LEARNERS + 1)}
with open(f"{out}/enterprises.csv", "w") as f:
    f.write("user_id,course_key,enterprise_customer_uuid\n")
    for u, courses in enrolled.items():
        for c in courses:
            if rng.random() < 0.8:
                owners = rng.sample(ENTERPRISES, 2 if rng.random() < 0.03 else 1)
                for e in owners:
                    # The LMS's MySQL keeps UUIDs as 32 hex digits; some exports add the dashes.
                    f.write(f"{u},{c},{e if rng.random() < 0.5 else e.replace('-', '')}\n")


def iso(t):
    return t.isoformat(timespec="microseconds")


def line(t, user, course, kind):
    ctx = {"user_id": user, "course_id": course, "org_id": "Org", "path": f"/courses/{course}/xblock/handler",
           "enterprise_uuid": ""}
    if kind == "browser":
        ev = {"name": rng.choice(NAMES[1:3]), "event_type": "play_video", "event_source": "browser",
              "time": iso(t), "username": f"learner{user}", "ip": "10.0.0.1", "agent": "Mozilla/5.0",
              "host": "lms.example.com", "page": f"https://lms.example.com/courses/{course}/courseware/",
              "context": dict(ctx, user_id=str(user)),
              "event": json.dumps({"id": "block-v1:Org+C+R+type@video+block@abc", "currentTime": rng.randint(0, 900)})}
        return f"{iso(t)[:19].replace('T', ' ')},308 INFO 7 [tracking] [user {user}] [ip 10.0.0.1] logger.py:41 - " + \
            json.dumps(ev)
    name = rng.choice(NAMES)
    ev = {"name": name, "event_type": name, "event_source": "server", "time": iso(t),
          "username": f"learner{user}", "ip": "10.0.0.1", "agent": "python-requests/2.31",
          "host": "lms.example.com", "page": None, "context": ctx,
          "event": {"problem_id": "block-v1:Org+C+R+type@problem+block@p1", "attempts": 1, "success": "correct"}}
    if kind == "task":
        ev.update(name="edx.grades.subsection.grade_calculated", event_type="edx.grades.subsection.grade_calculated",
                  event_source="task", context={"user_id": "", "course_id": course}, event={"user_id": str(user)})
    elif kind == "grade":
        ev.update(name="edx.course.grade.now_passed", event_type="edx.course.grade.now_passed")
    elif kind == "anonymous":
        ev["context"] = dict(ctx, user_id="")
    elif kind == "nocourse":
        ev["context"] = dict(ctx, course_id="")
    return json.dumps(ev)


events = []
# Sessions: bursts of events a few seconds to minutes apart, separated by idle hours.
per_learner = EVENTS // LEARNERS
for user in range(1, LEARNERS + 1):
    n = per_learner + (1 if user <= EVENTS % LEARNERS else 0)
    t = START + timedelta(seconds=rng.uniform(0, DAYS * 86400 * 0.9))
    course = rng.choice(enrolled[user])
    for _ in range(n):
        r = rng.random()
        if r < 0.02:
            t += timedelta(seconds=rng.uniform(1800, 6 * 3600))
            course = rng.choice(enrolled[user])
        elif r < 0.10:
            t += timedelta(seconds=rng.uniform(600, 2400))
        else:
            t += timedelta(microseconds=rng.randint(1_000_000, 240_000_000))
        k = rng.random()
        kind = ("browser" if k < 0.35 else "task" if k < 0.37 else "grade" if k < 0.38 else
                "anonymous" if k < 0.39 else "nocourse" if k < 0.40 else "server")
        events.append((t, line(t, int(user), course, kind)))

events.sort(key=lambda e: e[0])
files = [open(f"{out}/lms1.log", "w"), open(f"{out}/lms2.log", "w")]
for i, (t, text) in enumerate(events):
    f = files[rng.getrandbits(1)]
    f.write(text + "\n")
    if i % 500 == 0:
        f.write(text + "\n")  # a shipping retry
    if i % 100_000 == 7:
        f.write(text[: len(text) // 2] + "\n")  # a line cut short
files[0].close()
files[1].close()
