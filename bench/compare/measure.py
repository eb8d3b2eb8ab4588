#!/usr/bin/env python3
"""Runs the same workloads on two builds of lt, alternately, and prints how the second compares.

    measure.py --before DIR --after DIR --postgres URL --work DIR [--rounds N] [--doc FILE]

DIR holds lt-query, lt-enrich and lt-send (bench/compare/run.sh builds them). Every workload runs
ROUNDS times per build, the builds taking turns (before, after, then after, before) so that a
machine getting busier or quieter weighs on both alike; the table shows medians. Each run's output
is checked (one line out per line in, the same answers from both builds) before its time counts.
Traffic goes to 127.0.0.1 only: the PostgreSQL given and an nginx started here that answers 204.
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

E0 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
E1 = "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def say(msg):
    print(time.strftime("%H:%M:%S") + " compare: " + msg, file=sys.stderr, flush=True)


def run(argv, stdin_path, stdout_path, env=None, shell=False):
    """Runs one process to its end; returns (wall s, cpu s, peak RSS KiB, exit status)."""
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout:
        start = time.perf_counter()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE, env=env, shell=shell)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0,):
        say("%s exited %d: %s" % (argv if shell else argv[0], p.returncode, err.decode(errors="replace")[-400:]))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, p.returncode


def count(path, needle=None):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if needle is None or needle in line:
                n += 1
    return n


# --- inputs -------------------------------------------------------------------------------------

def warehouse_rows(keys):
    """Ten daily rows per key; key k is user k // 5 + 1, course C(k % 5), enterprise E0 or E1."""
    for k in range(keys):
        ent = E0 if (k // 5) % 2 == 0 else E1
        for day in range(10):
            yield (k // 5 + 1, "course-v1:edX+Bench+C%d" % (k % 5), ent, "2026-01-%02d" % (day + 1),
                   (k * 10 + day) * 7919 % 3600)


def lookup_lines(path, keys, lines):
    """Completions over the warehouse's keys in a scattered order; every tenth learner has no rows."""
    with open(path, "w") as f:
        for g in range(1, lines + 1):
            k = (g * 7919) % keys
            user = 1_000_000_000 + g if g % 10 == 0 else k // 5 + 1
            ent = E0 if (k // 5) % 2 == 0 else E1
            f.write('{"id":"c%d","payload":{"user":{"id":%d},"course":{"course_id":"course-v1:edX+Bench+C%d"},'
                    '"completion":{"is_passing":true},"enterprise":{"enterprise_customer_uuid":"%s"}}}\n'
                    % (g, user, k % 5, ent))


def load_postgres(url, keys):
    sql = f"""
SET maintenance_work_mem = '256MB';
DROP TABLE IF EXISTS learning_time;
CREATE UNLOGGED TABLE learning_time (user_id BIGINT NOT NULL, course_key VARCHAR(255) NOT NULL,
  enterprise_customer_uuid VARCHAR(36) NOT NULL, date DATE NOT NULL, learning_time_seconds INTEGER NOT NULL);
INSERT INTO learning_time
  SELECT k / 5 + 1, 'course-v1:edX+Bench+C' || (k % 5), CASE WHEN (k / 5) % 2 = 0 THEN '{E0}' ELSE '{E1}' END,
         DATE '2026-01-01' + d, ((k * 10 + d)::bigint * 7919 % 3600)::int
  FROM generate_series(0, {keys} - 1) AS k, generate_series(0, 9) AS d;
ALTER TABLE learning_time ADD PRIMARY KEY (user_id, course_key, enterprise_customer_uuid, date);
VACUUM ANALYZE learning_time;
"""
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt"], input=sql.encode(), check=True)


def load_sqlite(path, keys):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE learning_time (user_id INTEGER, course_key VARCHAR(255), "
               "enterprise_customer_uuid VARCHAR(36), date DATE, learning_time_seconds INTEGER, "
               "PRIMARY KEY (user_id, course_key, enterprise_customer_uuid, date))")
    db.executemany("INSERT INTO learning_time VALUES (?, ?, ?, ?, ?)", warehouse_rows(keys))
    db.commit()
    db.close()


def start_nginx(work):
    """nginx answering 204 on a free loopback port (bench/nginx-204.sh); returns the URL and its folder."""
    folder = os.path.join(work, "nginx")
    env = subprocess.run([os.path.join(ROOT, "bench/nginx-204.sh"), "start", folder],
                         check=True, capture_output=True, text=True).stdout
    port = dict(line.split("=", 1) for line in env.split())["NGINX_PORT"]
    return "http://127.0.0.1:%s/hook" % port, folder


# --- workloads ----------------------------------------------------------------------------------

class Workload:
    """One command, run on both builds with the same input; `needle` counts the answers to compare."""

    def __init__(self, name, what, argv, stdin, needle, shell=False, reset=None, warmups=0, per=None):
        self.name, self.what, self.argv, self.stdin = name, what, argv, stdin
        self.needle, self.shell, self.reset, self.warmups, self.per = needle, shell, reset, warmups, per


def workloads(a, w):
    sqlite_url = "sqlite:" + os.path.join(w, "warehouse.db")
    send_env = "--allow-http --allow-private --concurrency 16"

    def query(url, cache):
        def argv(b, tag):
            c = ["--cache-dir", os.path.join(w, "cache-" + tag)] if cache else ["--no-cache"]
            return [os.path.join(b, "lt-query"), "--warehouse", url, "--table", "learning_time", "--flag", "on"] + c
        return argv

    def enrich(b, tag):
        return [os.path.join(b, "lt-enrich"), "--flag", "on"]

    def send(b, tag):
        j = os.path.join(w, "journal-" + tag)
        return [os.path.join(b, "lt-send"), "--url", a.url] + send_env.split() + [
            "--journal", j, "--dead-letter", os.path.join(w, "dead-" + tag)]

    def send_bare(b, tag):
        return [os.path.join(b, "lt-send"), "--url", a.url] + send_env.split() + [
            "--dead-letter", os.path.join(w, "dead-" + tag)]

    def reset_send(tag):
        for suffix in ("", "-wal", "-shm", ".lock"):
            p = os.path.join(w, "journal-" + tag + suffix)
            if os.path.exists(p):
                os.remove(p)

    def pipeline(b, tag):
        return ("%s --warehouse %s --table learning_time --flag on --no-cache | %s --flag on | %s --url %s %s"
                % (os.path.join(b, "lt-query"), sqlite_url, os.path.join(b, "lt-enrich"),
                   os.path.join(b, "lt-send"), a.url, send_env))

    return [
        Workload("enrich", f"lt-enrich --flag on, {a.enrich_lines:,} lines", enrich,
                 os.path.join(w, "enrich.ndjson"), b'"enrichment":{"learning_time":true', per=a.enrich_lines),
        Workload("query-pg-cold", f"lt-query on PostgreSQL, --no-cache, {a.keys:,} keys", query(a.postgres, False),
                 os.path.join(w, "keys.ndjson"), b'"status":"found"', per=a.keys),
        Workload("query-pg-warm", f"lt-query, warm file cache, {4 * a.keys:,} lines", query(a.postgres, True),
                 os.path.join(w, "keys4.ndjson"), b'"status":"found"', warmups=1, per=4 * a.keys),
        Workload("query-sqlite", f"lt-query on SQLite, --no-cache, {a.keys:,} keys", query(sqlite_url, False),
                 os.path.join(w, "keys.ndjson"), b'"status":"found"', per=a.keys),
        Workload("send", f"lt-send to nginx (204), journal, concurrency 16, {a.send_lines:,} lines", send,
                 os.path.join(w, "send.ndjson"), b'"status":"delivered"', reset=reset_send, per=a.send_lines),
        Workload("send-bare", f"lt-send, the same without a journal", send_bare,
                 os.path.join(w, "send.ndjson"), b'"status":"delivered"', per=a.send_lines),
        Workload("startup", "lt-enrich start-up: one line, 1 process", enrich,
                 os.path.join(w, "one.ndjson"), b'"enrichment":{"learning_time":true'),
        Workload("one-completion", "one completion, lt-query (SQLite) \\| lt-enrich \\| lt-send", pipeline,
                 os.path.join(w, "one-key.ndjson"), b'"status":"delivered"', shell=True),
    ]


def measure(a, builds, wl, rounds):
    """Returns {tag: [(wall, cpu, rss)]} after checking every run's output."""
    samples = {tag: [] for tag, _ in builds}
    answers = {}
    for tag, b in builds:
        for _ in range(wl.warmups):
            run(wl.argv(b, tag), wl.stdin, os.path.join(a.work, "out-" + tag), shell=wl.shell)
    expected = count(wl.stdin)
    for r in range(rounds):
        order = builds if r % 2 == 0 else builds[::-1]
        for tag, b in order:
            if wl.reset:
                wl.reset(tag)
            out = os.path.join(a.work, "out-" + tag)
            wall, cpu, rss, rc = run(wl.argv(b, tag), wl.stdin, out, shell=wl.shell)
            lines = count(out)
            found = count(out, wl.needle)
            if rc != 0 or lines != expected:
                sys.exit(f"compare: {wl.name} on {tag}: exit {rc}, {lines} lines out for {expected} in")
            if answers.setdefault(tag, found) != found:
                sys.exit(f"compare: {wl.name} on {tag}: {found} answers, earlier {answers[tag]}")
            samples[tag].append((wall, cpu, rss))
    if len(set(answers.values())) != 1:
        sys.exit(f"compare: {wl.name}: the builds answer differently: {answers}")
    if not answers[builds[0][0]]:
        sys.exit(f"compare: {wl.name}: no line has {wl.needle!r}: the workload measures nothing")
    return samples


def tool_bytes(b):
    """Bytes on disk of the three tools (links to one binary count once)."""
    seen, total = set(), 0
    for t in ("lt-query", "lt-enrich", "lt-send"):
        st = os.stat(os.path.join(b, t))
        if st.st_ino not in seen:
            seen.add(st.st_ino)
            total += st.st_size
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--before-label", default="before")
    p.add_argument("--after-label", default="after")
    p.add_argument("--postgres", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--keys", type=int, default=50000)
    p.add_argument("--enrich-lines", type=int, default=200000)
    p.add_argument("--send-lines", type=int, default=20000)
    p.add_argument("--startup-rounds", type=int, default=40)
    p.add_argument("--doc", default="")
    a = p.parse_args()
    w = a.work

    say(f"loading {a.keys:,} keys ({10 * a.keys:,} daily rows) into PostgreSQL and SQLite")
    load_postgres(a.postgres, a.keys)
    load_sqlite(os.path.join(w, "warehouse.db"), a.keys)
    lookup_lines(os.path.join(w, "keys.ndjson"), a.keys, a.keys)
    with open(os.path.join(w, "keys4.ndjson"), "w") as f:
        for _ in range(4):
            with open(os.path.join(w, "keys.ndjson")) as k:
                shutil.copyfileobj(k, f)
    lookup_lines(os.path.join(w, "one-key.ndjson"), a.keys, 1)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/enrich/generate.py"), str(a.enrich_lines)],
                   stdout=open(os.path.join(w, "enrich.ndjson"), "w"), check=True)
    with open(os.path.join(w, "enrich.ndjson")) as f, open(os.path.join(w, "one.ndjson"), "w") as one:
        for line in f:
            if '"status":"found"' in line and '"completion"' in line:
                one.write(line)
                break
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/send/envelopes.py"), str(a.send_lines)],
                   stdout=open(os.path.join(w, "send.ndjson"), "w"), check=True)
    a.url, nginx = start_nginx(w)

    builds = [(a.before_label, a.before), (a.after_label, a.after)]
    rows = []
    try:
        for wl in workloads(a, w):
            rounds = a.startup_rounds if wl.per is None else a.rounds
            say(f"{wl.name}: {rounds} rounds per build")
            s = measure(a, builds, wl, rounds)
            rows.append((wl, s))
    finally:
        subprocess.run([os.path.join(ROOT, "bench/nginx-204.sh"), "stop", nginx], check=True)

    table = report(a, builds, rows)
    print(table)
    if a.doc:
        (bt, _), (at, _) = builds
        intro = (f"## Before and after a change\n\n"
                 f"`bench/compare/run.sh {bt} {at}` on {machine()}, {time.strftime('%Y-%m-%d')}: each workload ran "
                 f"{a.rounds} times per build ({a.startup_rounds} for the one-line ones), the builds taking turns; "
                 f"medians. A ratio below 1 means {at} is faster or smaller. On every run both builds wrote one "
                 f"line per line read and the same number of answers (found, enriched, delivered).\n\n")
        write_doc(a.doc, intro + table)


def report(a, builds, rows):
    (bt, bd), (at, ad) = builds
    med = lambda s, i: statistics.median(x[i] for x in s)
    out = [f"| workload | {bt} wall | {at} wall | {at} ÷ {bt} wall | {bt} CPU | {at} CPU | {at} ÷ {bt} CPU "
           f"| peak RSS {bt} → {at} |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for wl, s in rows:
        unit = "s" if wl.per else "ms"
        k = 1 if wl.per else 1000
        bw, aw, bc, ac = med(s[bt], 0), med(s[at], 0), med(s[bt], 1), med(s[at], 1)
        rss = "%.0f → %.0f MiB" % (max(x[2] for x in s[bt]) / 1024, max(x[2] for x in s[at]) / 1024)
        out.append(f"| {wl.what} | {bw * k:.2f} {unit} | {aw * k:.2f} {unit} | **{aw / bw:.2f}** "
                   f"| {bc * k:.2f} {unit} | {ac * k:.2f} {unit} | **{ac / max(bc, 1e-9):.2f}** | {rss} |")
    out.append(f"| bytes on disk, the three tools | {tool_bytes(bd) / 1e6:.1f} MB | {tool_bytes(ad) / 1e6:.1f} MB "
               f"| **{tool_bytes(ad) / tool_bytes(bd):.2f}** | | | | |")
    return "\n".join(out)


def machine():
    cpus = os.cpu_count()
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpus} cores ({model}), {mem:.0f} GiB"


def write_doc(path, table):
    section = ("<!-- compare:begin (written by bench/compare/run.sh; bench/pipeline/run.sh keeps it) -->\n"
               + table + "\n<!-- compare:end -->")
    text = open(path).read()
    pattern = re.compile(r"<!-- compare:begin.*?<!-- compare:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
