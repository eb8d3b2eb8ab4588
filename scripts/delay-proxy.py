#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that delays every byte from the server by --delay seconds, so each
round trip to the server behind it takes that much longer (a warehouse across a network), without
limiting how much is in flight. The port it listens on is written to --port-file.

For PostgreSQL (--pg-stats FILE): it follows the protocol's messages and keeps, in FILE, the most
queries a client had in flight at once (Sync and Query messages sent and not yet answered by
ReadyForQuery).
Connect with sslmode=disable and gssencmode=disable so the messages are readable.
--drop-after-syncs N closes the first connection once N Syncs have been forwarded on it
(a connection lost mid-run, with queries in flight).

  delay-proxy.py --target 127.0.0.1:5432 --delay 0.05 --port-file FILE [--pg-stats FILE]
"""
import argparse
import asyncio
import json
import os
import socket
import struct


class PgCounter:
    """Counts what the client awaits a ReadyForQuery ('Z') for: the start-up, each simple Query ('Q')
    and each Sync ('S')."""

    def __init__(self, stats):
        self.stats = stats
        self.outstanding = 1

    def record(self):
        if self.outstanding > self.stats["max_in_flight"]:
            self.stats["max_in_flight"] = self.outstanding
            self.stats.flush()


class Stats(dict):
    def __init__(self, path):
        super().__init__(max_in_flight=0, syncs=0, connections=0)
        self.path = path

    def flush(self):
        if self.path:
            with open(self.path + ".tmp", "w") as f:
                json.dump(self, f)
            os.replace(self.path + ".tmp", self.path)


def messages(buffer, startup):
    """Splits whole protocol messages off the front of buffer: (types, rest, startup still pending)."""
    types = []
    while True:
        if startup:
            if len(buffer) < 4:
                break
            (n,) = struct.unpack("!I", buffer[:4])
            if len(buffer) < n:
                break
            buffer, startup = buffer[n:], False
            continue
        if len(buffer) < 5:
            break
        (n,) = struct.unpack("!I", buffer[1:5])
        if len(buffer) < 1 + n:
            break
        types.append(buffer[:1])
        buffer = buffer[1 + n:]
    return types, buffer, startup


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="HOST:PORT on loopback")
    ap.add_argument("--delay", type=float, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pg-stats")
    ap.add_argument("--drop-after-syncs", type=int, default=0)
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    assert host in ("127.0.0.1", "localhost", "::1"), "loopback targets only"
    stats = Stats(args.pg_stats)
    stats.flush()

    async def handle(client_r, client_w):
        server_r, server_w = await asyncio.open_connection(host, int(port))
        stats["connections"] += 1
        stats.flush()
        number = stats["connections"]
        counter = PgCounter(stats)
        queue = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def close():
            for w in (client_w, server_w):
                w.close()

        async def upstream():
            buffer, startup, syncs = b"", True, 0
            while data := await client_r.read(65536):
                server_w.write(data)
                await server_w.drain()
                if args.pg_stats:
                    buffer += data
                    types, buffer, startup = messages(buffer, startup)
                    for t in types:
                        if t in (b"S", b"Q"):
                            syncs += t == b"S"
                            stats["syncs"] += t == b"S"
                            counter.outstanding += 1
                            counter.record()
                    if args.drop_after_syncs and number == 1 and syncs >= args.drop_after_syncs:
                        close()
                        return
            server_w.close()

        async def downstream_read():
            while data := await server_r.read(65536):
                await queue.put((loop.time() + args.delay, data))
            await queue.put((loop.time() + args.delay, b""))

        async def downstream_write():
            buffer = b""
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not data:
                    client_w.close()
                    return
                client_w.write(data)
                await client_w.drain()
                if args.pg_stats:
                    # Answered once the client has it, after the delay.
                    buffer += data
                    types, buffer, _ = messages(buffer, False)
                    counter.outstanding -= sum(1 for t in types if t == b"Z")

        tasks = [asyncio.ensure_future(t()) for t in (upstream, downstream_read, downstream_write)]
        try:
            await asyncio.gather(*tasks)
        except (ConnectionError, OSError):
            pass
        finally:
            for t in tasks:
                t.cancel()
            close()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(handle, sock=sock)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
