#!/usr/bin/env python3
"""A webhook receiver for tests and the demo: a real HTTP server on 127.0.0.1.

It records every request as one JSON line (path, headers, body) in --record, and answers
according to --mode, or per path with a prefix: /status/410/..., /status/500/..., /slow/2/...,
/retry-after/1/..., /close/..., /flaky/N/... (N failures with 500 before a 200 per webhook-id).
Once listening it writes its port to --port-file, so callers wait on that file, not on a sleep.
"""
import argparse
import json
import os
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
attempts = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        record = {
            "time": time.time(),
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with lock:
            with open(self.server.record_path, "a") as f:
                f.write(json.dumps(record) + "\n")
        parts = [p for p in self.path.split("/") if p]
        mode = self.server.mode
        if parts and parts[0] in ("status", "slow", "retry-after", "close", "flaky", "ok"):
            mode = parts[0]
        if mode == "status":
            self.answer(int(parts[1]))
        elif mode == "slow":
            time.sleep(float(parts[1]))
            self.answer(200)
        elif mode == "retry-after":
            key = self.headers.get("webhook-id", "")
            with lock:
                n = attempts.get(key, 0)
                attempts[key] = n + 1
            if n == 0:
                self.answer(429, {"Retry-After": parts[1]})
            else:
                self.answer(200)
        elif mode == "flaky":
            key = self.headers.get("webhook-id", "")
            with lock:
                n = attempts.get(key, 0)
                attempts[key] = n + 1
            self.answer(500 if n < int(parts[1]) else 200)
        elif mode == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.answer(self.server.status)

    def answer(self, status, headers=None):
        payload = b'{"ok": true}' if status < 300 else b'{"error": "test receiver"}'
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    # The test runner may hand down a signal mask that blocks these; stopping must still work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--mode", default="ok")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.record_path = args.record
    server.status = args.status
    server.mode = args.mode
    open(args.record, "a").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
