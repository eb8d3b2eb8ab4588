#!/usr/bin/env python3
"""A slow reader of a command's output, for tests and reliability scenarios.

    slow-reader.py [--after LINES] SECONDS COMMAND [ARG...]

Runs COMMAND with its standard output on a one-page pipe (4 KiB, so it fills after a dozen
results instead of 64 KiB), takes nothing from it for SECONDS, then copies everything to its own
standard output and exits with COMMAND's status. With --after, it first copies LINES lines as they
come and pauses only then, in the middle of the stream. Standard input and error are COMMAND's.
"""
import fcntl
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031

args = sys.argv[1:]
after = 0
if args[0] == "--after":
    after, args = int(args[1]), args[2:]
r, w = os.pipe()
fcntl.fcntl(r, F_SETPIPE_SZ, 4096)
p = subprocess.Popen(args[1:], stdout=w)
os.close(w)
with os.fdopen(r, "rb") as f:
    for _ in range(after):
        line = f.readline()
        if not line:
            break
        sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
    time.sleep(float(args[0]))
    while True:
        chunk = f.read(65536)
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
sys.stdout.buffer.flush()
sys.exit(p.wait())
