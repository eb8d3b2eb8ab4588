#!/usr/bin/env python3
"""A slow reader of a command's output, for tests and reliability scenarios.

    slow-reader.py SECONDS COMMAND [ARG...]

Runs COMMAND with its standard output on a one-page pipe (4 KiB, so it fills after a dozen
results instead of 64 KiB), takes nothing from it for SECONDS, then copies everything to its own
standard output and exits with COMMAND's status. Standard input and error are COMMAND's.
"""
import fcntl
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031

r, w = os.pipe()
fcntl.fcntl(r, F_SETPIPE_SZ, 4096)
p = subprocess.Popen(sys.argv[2:], stdout=w)
os.close(w)
time.sleep(float(sys.argv[1]))
with os.fdopen(r, "rb") as f:
    while True:
        chunk = f.read(65536)
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
sys.stdout.buffer.flush()
sys.exit(p.wait())
