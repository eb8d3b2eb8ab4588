#!/usr/bin/env python3
"""A light Snowflake SQL API stand-in on 127.0.0.1 for the benchmark: POST /api/v2/statements
answers lt-query's batch statement from its bindings, --latency seconds after the request arrived
(without blocking other statements; this stand-in's own parsing is inside that time, as Snowflake's
compilation is), in the SQL API's answer format. No SQL engine and no token check: the
tests' stand-in (scripts/snowflake-standin.py: snowduck behind a JWT check) spends seconds of CPU on
a 500-key statement, which would measure the stand-in instead of lt-query.

The table is a rule, so any key can be checked: user U (below 10**9) has, for course C and
enterprise E, the total (U * 7919) % 3600 + 1 seconds; users from 10**9 up have no rows.
Its warehouse runs --concurrency statements at once (8, Snowflake's default MAX_CONCURRENCY_LEVEL);
further statements queue for a free slot, as on Snowflake, so a client that sends more than that
pays for it. Every statement takes a slot, the start-up probe (SELECT … LIMIT 0) included.
Writes its port to --port-file and, at exit (SIGTERM), the most statements it held at once to
--stats, with each statement's size and arrival time (seconds after the first).
"""
import argparse
import asyncio
import json
import os
import re
import signal
import uuid


VALUE = re.compile(rb'"value":"((?:[^"\\]|\\.)*)"')


def binding_values(body):
    """The bindings' values in order. lt-query writes them in order, as `"N":{"type":…,"value":…}`;
    a regular expression reads them in a third of the time json.loads takes, time this one-thread
    stand-in would otherwise spend between statements (it runs beside lt-query on the same cores)."""
    if b'"bindings"' not in body:
        return []
    return [json.loads(b'"' + v + b'"') if b"\\" in v else v.decode() for v in VALUE.findall(body)]


def total(user):
    return None if user >= 10**9 else (user * 7919) % 3600 + 1


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--latency", type=float, default=1.5)
    ap.add_argument("--concurrency", type=int, default=8, help="statements the warehouse runs at once")
    ap.add_argument("--stats")
    args = ap.parse_args()
    state = {"in_flight": 0, "max_in_flight": 0, "statements": 0, "queued": 0, "sizes": [], "arrivals": []}
    loop = asyncio.get_running_loop()
    first = []
    slots = asyncio.Semaphore(args.concurrency)

    async def answer(body, received):
        """The statement's answer, given `received`, when its request had arrived: the hold of
        --latency runs from then (or from when a slot freed, if it queued), so that this
        stand-in's own work (parsing the request, writing the answer, one statement at a time in
        one Python thread) is inside the round trip, as Snowflake's compilation is, and not added
        to it."""
        values = binding_values(body)
        rows = []
        for i in range(0, len(values) - 2, 3):
            t = total(int(values[i]))
            if t is not None:
                rows.append([values[i], values[i + 1], values[i + 2], str(t)])
        state["statements"] += 1
        state["sizes"].append(len(values) // 3)
        # When each statement arrived, in seconds after the first (to see the waves).
        if not first:
            first.append(received)
        state["arrivals"].append(round(received - first[0], 3))
        doc = {"code": "090001", "sqlState": "00000", "message": "Statement executed successfully.",
               "statementHandle": str(uuid.uuid4()),
               "resultSetMetaData": {"numRows": len(rows), "format": "jsonv2",
                                     "partitionInfo": [{"rowCount": len(rows)}]},
               "data": rows}
        out = json.dumps(doc).encode()
        queued = slots.locked()
        if queued:
            state["queued"] += 1
        async with slots:
            # A statement that queued starts its hold when it gets a slot.
            start = loop.time() if queued else received
            state["in_flight"] += 1
            state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
            try:
                await asyncio.sleep(max(0.0, start + args.latency - loop.time()))
            finally:
                state["in_flight"] -= 1
        return out

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                received = loop.time()
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                if method == "POST" and target.startswith("/api/v2/statements?"):
                    status, out = 200, await answer(body, received)
                else:
                    status, out = 404, json.dumps({"code": "000404", "message": "not found"}).encode()
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                             % (status, len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(state, f)


if __name__ == "__main__":
    asyncio.run(main())
