#!/usr/bin/env python3
"""Feeds a tool an input that never ends and reports its memory as the output flows.

    endless-stream.py --template LINE --checkpoints 50000,300000 -- TOOL [ARGS…]

LINE is one input line in which `{n}` becomes the line number, so every line can carry a new key.
The tool's standard input stays open the whole time, as with `tail -f`; at each checkpoint (a
count of output lines read) the tool's resident memory (VmRSS from /proc) is sampled. After the
last checkpoint the tool is killed. Prints one JSON object: the checkpoints, the samples in KiB,
the tool's peak (VmHWM), and how many output lines came. Exits 1 if the tool ended by itself.
"""
import argparse
import json
import subprocess
import sys
import threading


def memory(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--checkpoints", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    tool = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def feed():
        n = 0
        try:
            while True:
                chunk = "".join(args.template.replace("{n}", str(n + i + 1)) + "\n" for i in range(1000))
                tool.stdin.write(chunk.encode())
                n += 1000
        except (BrokenPipeError, ValueError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    lines, samples = 0, []
    for checkpoint in checkpoints:
        while lines < checkpoint:
            chunk = tool.stdout.read1(1 << 16)
            if not chunk:
                print(json.dumps({"error": f"the tool ended after {lines} lines", "status": tool.wait()}))
                return 1
            lines += chunk.count(b"\n")
        samples.append(memory(tool.pid, "VmRSS"))
    peak = memory(tool.pid, "VmHWM")
    tool.kill()
    tool.wait()
    print(json.dumps({"checkpoints": checkpoints, "rss_kib": samples, "peak_kib": peak, "lines": lines}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
