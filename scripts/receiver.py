#!/usr/bin/env python3
"""A webhook receiver for tests and the demo: a real HTTP server on 127.0.0.1.

It records every request as one JSON line (path, headers, body) in --record, and answers
according to --mode, or per path with a prefix: /status/410/..., /status/500/..., /slow/2/...,
/retry-after/1/..., /close/..., /flaky/N/... (N failures with 500 before a 200 per webhook-id),
/redirect/... (302 elsewhere), /down/S/... (503 with a body for S seconds from the first request to
that path, then 200: an outage), /auth/... (200 only with a bearer token issued by /token, else 401).
/token is an OAuth2 client-credentials endpoint: it checks grant_type and, when --client-id and
--client-secret are given, the credentials (401 invalid_client when wrong), and issues tokens tok-1,
tok-2, ... valid --token-ttl seconds; with --revoke-first-token, /auth/ refuses tok-1 as if it had
been revoked; with --token-value TEXT it issues TEXT instead (a hostile token endpoint).
/token/down/S/... answers 503 for S seconds from its first request (an identity provider's
outage), then issues tokens. /echo/... answers 500 with the request's headers in its body, as a
careless partner's error page does; /token/echo/... answers 401 with the client secret it was sent
as the OAuth2 error code; with --token-error TEXT, /token answers 401 with TEXT as the error code.
/random/P/D/... answers after D seconds, 503 with probability P and 200 otherwise (a flaky partner;
--seed makes the draws repeat). /hostile/... answers 500 with control characters, ESC sequences, a
forged log line, NUL and invalid UTF-8 in its body. /every/N/K/... answers 503 to the first K of
every N requests to that path, then 200 (a flaky partner failing K in a row: /every/20/6/ fails
30 %). /limit/S/... is a partner-wide rate limit: its first request gets 429 with Retry-After: S,
and so does every request in the S seconds after it; then 200. /cap/N/D/... answers after D
seconds, and 429 (no Retry-After) to a request that finds N others to that path in progress.
With --tls-cert and --tls-key it serves https; with --client-ca too, it requires a client certificate
signed by that CA (mutual TLS) and records its subject's common name as "client".
Once listening it writes its port to --port-file, so callers wait on that file, not on a sleep.
"""
import argparse
import json
import os
import random
import signal
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What /hostile/... answers: every byte a terminal, a log line or a JSON writer must not pass raw.
HOSTILE = (b"\x1b]0;pwned\x07\x1b[2J\r\nlt-send: error: forged line\n\x00\xff\xfe"
           + "\u2028\u009b31m".encode() + b'"quoted" \\ backslash')

lock = threading.Lock()
attempts = {}
first_seen = {}
in_progress = {}
tokens = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the second waits for the ACK of the
    # first, which the client delays by 40 ms on a kept-alive connection (244 ms answers for 200).
    disable_nagle_algorithm = True

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
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if peer:
            record["client"] = dict(x[0] for x in peer.get("subject", ())).get("commonName")
        # Written once the answer is known, with its status ("answered"; 0 for a dropped connection).
        self.record = record
        parts = [p for p in self.path.split("/") if p]
        mode = self.server.mode
        if parts and parts[0] in ("status", "slow", "retry-after", "close", "flaky", "ok", "redirect", "auth", "token", "down", "echo", "hostile", "random", "every", "limit", "cap"):
            mode = parts[0]
        if mode == "token" and len(parts) > 2 and parts[1] == "down":
            with lock:
                start = first_seen.setdefault(self.path, time.time())
            if time.time() - start < float(parts[2]):
                self.answer(503, body=b'{"error": "temporarily_unavailable"}')
            else:
                self.token(body)
        elif mode == "token" and len(parts) > 1 and parts[1] == "echo":
            from urllib.parse import parse_qs
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.answer(401, body=json.dumps({"error": form.get("client_secret", "")}).encode())
        elif mode == "token":
            self.token(body)
        elif mode == "auth":
            given = self.headers.get("Authorization", "")
            with lock:
                valid = [t for t in tokens if not (self.server.revoke_first and t == "tok-1")]
            self.answer(200 if given.startswith("Bearer ") and given[7:] in valid else 401)
        elif mode == "hostile":
            self.answer(500, body=HOSTILE)
        elif mode == "random":
            time.sleep(float(parts[2]))
            with lock:
                failed = self.server.random.random() < float(parts[1])
            self.answer(503 if failed else 200)
        elif mode == "echo":
            self.answer(500, body=("error; you sent: " + json.dumps(dict(self.headers.items()))).encode())
        elif mode == "redirect":
            self.answer(302, {"Location": "/ok/elsewhere"})
        elif mode == "status":
            self.answer(int(parts[1]))
        elif mode == "slow":
            # Recorded on arrival, so that tests can see a request that is still in flight.
            self.write_record(200)
            time.sleep(float(parts[1]))
            self.answer(200, recorded=True)
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
        elif mode == "limit":
            with lock:
                start = first_seen.setdefault(self.path, time.time())
            if time.time() - start < float(parts[1]):
                self.answer(429, {"Retry-After": parts[1]})
            else:
                self.answer(200)
        elif mode == "cap":
            with lock:
                busy = in_progress.get(self.path, 0)
                if busy < int(parts[1]):
                    in_progress[self.path] = busy + 1
            if busy >= int(parts[1]):
                self.answer(429)
            else:
                time.sleep(float(parts[2]))
                with lock:
                    in_progress[self.path] -= 1
                self.answer(200)
        elif mode == "every":
            with lock:
                n = attempts.get(self.path, 0)
                attempts[self.path] = n + 1
            self.answer(503 if n % int(parts[1]) < int(parts[2]) else 200)
        elif mode == "down":
            with lock:
                start = first_seen.setdefault(self.path, time.time())
            if time.time() - start < float(parts[1]):
                self.answer(503, body=b"receiver down for maintenance \xe2\x9c\x8b")
            else:
                self.answer(200)
        elif mode == "close":
            self.write_record(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.answer(self.server.status)

    def token(self, body):
        from urllib.parse import parse_qs
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            self.answer(400)
            return
        if self.server.token_error is not None:
            self.answer(401, body=json.dumps({"error": self.server.token_error}).encode())
            return
        if self.server.client_id and (form.get("client_id") != self.server.client_id
                                      or form.get("client_secret") != self.server.client_secret):
            self.answer(401, body=b'{"error": "invalid_client"}')
            return
        with lock:
            token = self.server.token_value or "tok-%d" % (len(tokens) + 1)
            tokens.append(token)
        payload = json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": self.server.token_ttl}).encode()
        self.write_record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def write_record(self, status):
        self.record["answered"] = status
        with lock:
            with open(self.server.record_path, "a") as f:
                f.write(json.dumps(self.record) + "\n")

    def answer(self, status, headers=None, recorded=False, body=None):
        if not recorded:
            self.write_record(status)
        payload = body if body is not None else (b'{"ok": true}' if status < 300 else b'{"error": "test receiver"}')
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
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--client-id")
    ap.add_argument("--client-secret")
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--revoke-first-token", action="store_true")
    ap.add_argument("--token-value")
    ap.add_argument("--token-error")
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    # A deep listen backlog: lt-send opens many connections at once, and the default 5 drops SYNs.
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.record_path = args.record
    server.status = args.status
    server.mode = args.mode
    server.client_id = args.client_id
    server.client_secret = args.client_secret
    server.token_ttl = args.token_ttl
    server.revoke_first = args.revoke_first_token
    server.token_value = args.token_value
    server.token_error = args.token_error
    server.random = random.Random(args.seed)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    open(args.record, "a").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
