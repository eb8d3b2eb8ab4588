#!/usr/bin/env python3
"""A Snowflake SQL API stand-in on 127.0.0.1 for tests: snowduck's /api/v2/statements (DuckDB
underneath) behind a check of the key-pair JWT that Snowflake itself would make.

Every request's bearer token is verified with PyJWT against --public-key (RS256, the expected
iss and sub, expiry) and recorded, with the path and the X-Snowflake-Authorization-Token-Type
header, as one JSON line in --record. A bad token gets 401 as Snowflake answers. Once listening,
the port is written to --port-file. --seed runs a SQL file first (in --database.--schema).
--partition-size makes small result partitions so that tests see several.

For several statements in flight: --latency holds every statement submission that long before it
runs (without blocking the others), and each record says how many submissions were in the
stand-in at once ("concurrent"). --fail-every K answers 503 to every K-th first submission (the
client resubmits it with retry=true). --defect no-data|row-count spoils every statement's answer
(a 200 without "data", or a numRows that does not match the rows) to test the client's checks.
"""
import argparse
import asyncio
import importlib
import json
import os
import signal
import socket
import threading

import jwt
import uvicorn
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

from snowduck.server import server as snowduck_server

lock = threading.Lock()


def main():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--public-key", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--subject", required=True)
    ap.add_argument("--partition-size", type=int, default=10000)
    ap.add_argument("--seed", help="SQL file run before serving, statements separated by ';' on their own line")
    ap.add_argument("--database", default="PROD")
    ap.add_argument("--schema", default="BUSINESS_INTELLIGENCE")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds each statement submission is held")
    ap.add_argument("--fail-every", type=int, default=0, help="answer 503 to every K-th first submission")
    ap.add_argument("--defect", choices=["no-data", "row-count"], help="spoil every statement's answer")
    args = ap.parse_args()

    # The package exports an instance under the module's name, so import the module by path.
    sm = importlib.import_module("snowduck.server.sql_api.statement_manager")
    for cls in list(vars(sm).values()):
        if isinstance(cls, type) and "partition_size" in getattr(cls, "__dataclass_fields__", {}):
            original_init = cls.__init__

            def init(self, *a, _orig=original_init, **k):
                _orig(self, *a, **k)
                self.partition_size = args.partition_size

            cls.__init__ = init
    public_key = open(args.public_key).read()
    state = {"in_flight": 0, "first_submissions": 0}

    class CheckJWT(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            auth = request.headers.get("authorization", "")
            entry = {"path": request.url.path, "query": str(request.url.query),
                     "token_type": request.headers.get("x-snowflake-authorization-token-type"),
                     "user_agent": request.headers.get("user-agent")}
            try:
                token = auth.removeprefix("Bearer ")
                claims = jwt.decode(token, public_key, algorithms=["RS256"], issuer=args.issuer,
                                    options={"require": ["iss", "sub", "iat", "exp"]})
                if claims["sub"] != args.subject:
                    raise jwt.InvalidTokenError("wrong sub " + claims["sub"])
                if claims["exp"] - claims["iat"] > 3600:
                    raise jwt.InvalidTokenError("lifetime over one hour")
                entry["jwt"] = "valid"
                entry["claims"] = claims
            except Exception as e:  # noqa: BLE001 - any failure is a 401, and recorded
                entry["jwt"] = "invalid: " + str(e)
            submission = request.method == "POST" and request.url.path == "/api/v2/statements"
            if submission:
                body = await request.body()
                entry["body"] = json.loads(body or b"{}")
                state["in_flight"] += 1
                entry["concurrent"] = state["in_flight"]
                if "retry=true" not in entry["query"]:
                    state["first_submissions"] += 1
                    entry["injected"] = args.fail_every > 0 and state["first_submissions"] % args.fail_every == 0
            with lock, open(args.record, "a") as f:
                f.write(json.dumps(entry) + "\n")
            try:
                if entry["jwt"] != "valid":
                    return JSONResponse({"code": "390144", "message": "JWT token is invalid."}, status_code=401)
                if submission and args.latency > 0:
                    await asyncio.sleep(args.latency)
                if entry.get("injected"):
                    return JSONResponse({"code": "000000", "message": "injected: service unavailable"}, status_code=503)
                response = await call_next(request)
                if not submission or not args.defect or response.status_code != 200:
                    return response
                raw = b"".join([chunk async for chunk in response.body_iterator])
                answer = json.loads(raw)
                if args.defect == "no-data":
                    answer.pop("data", None)
                else:
                    answer.setdefault("resultSetMetaData", {})["numRows"] = len(answer.get("data", [])) + 1
                return JSONResponse(answer, status_code=200)
            finally:
                if submission:
                    state["in_flight"] -= 1

    if args.seed:
        from snowduck.server.shared import shared_connector
        cur = shared_connector.connect(args.database, args.schema).cursor()
        for statement in open(args.seed).read().split(";\n"):
            if statement.strip():
                cur.execute(statement)

    app = snowduck_server.create_app()
    app.add_middleware(CheckJWT)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning")
    srv = uvicorn.Server(config)
    open(args.record, "a").close()

    def announce():
        while not srv.started:
            threading.Event().wait(0.02)
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)

    threading.Thread(target=announce, daemon=True).start()
    srv.run(sockets=[sock])


if __name__ == "__main__":
    main()
