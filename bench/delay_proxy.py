#!/usr/bin/env python3
"""A TCP proxy that adds a fixed one-way delay in each direction (asyncio).

    delay_proxy.py --delay-ms 20 --map 127.0.0.1:18101=10.200.0.2:18088 [--map ...]

Every chunk read from one side is written to the other side DELAY ms after it was read,
so a request/response round trip through the proxy costs 2 x DELAY more. The queue in
each direction is bounded (--max-buffer bytes), so TCP back-pressure still reaches the
sender: the proxy adds latency, not a big buffer. Prints "ready" once listening.

With --stats FILE it counts, and writes as JSON to FILE when it stops: the connections it
carried and the round trips on them (a round trip = the server starting to answer after the
client sent something: a request and its response, however many packets each takes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

CHUNK = 256 * 1024

STATS = {"connections": 0, "round_trips": 0, "client_bytes": 0, "server_bytes": 0}


class Turns:
    """Who spoke last on one connection: each time the server speaks after the client, one
    round trip."""

    def __init__(self) -> None:
        self.last = None

    def saw(self, side: str, n: int) -> None:
        STATS[side + "_bytes"] += n
        if side == "server" and self.last == "client":
            STATS["round_trips"] += 1
        self.last = side


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               delay: float, max_buffer: int, turns: Turns, side: str) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    room = asyncio.Semaphore(max(1, max_buffer // CHUNK))

    async def read_side() -> None:
        try:
            while True:
                await room.acquire()
                data = await reader.read(CHUNK)
                if data:
                    turns.saw(side, len(data))
                queue.put_nowait((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time() + delay, b""))

    async def write_side() -> None:
        try:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    await writer.drain()
                    return
                writer.write(data)
                await writer.drain()
                room.release()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(read_side(), write_side())


async def handle(client_r, client_w, target, delay, max_buffer) -> None:
    try:
        server_r, server_w = await asyncio.open_connection(*target)
    except OSError as e:
        sys.stderr.write(f"delay_proxy: cannot reach {target}: {e}\n")
        client_w.close()
        return
    STATS["connections"] += 1
    turns = Turns()
    try:
        await asyncio.gather(pump(client_r, server_w, delay, max_buffer, turns, "client"),
                             pump(server_r, client_w, delay, max_buffer, turns, "server"))
    finally:
        for w in (client_w, server_w):
            try:
                w.close()
            except Exception:
                pass


def parse_hostport(s: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    return host, int(port)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=20.0, help="one-way delay per direction")
    ap.add_argument("--max-buffer", type=int, default=4 * 1024 * 1024,
                    help="bytes in flight inside the proxy per direction")
    ap.add_argument("--map", action="append", required=True, help="LISTEN_HOST:PORT=TARGET_HOST:PORT")
    ap.add_argument("--stats", help="write the connection and round-trip counts here (JSON) on exit")
    args = ap.parse_args()
    delay = args.delay_ms / 1000.0
    servers = []
    for m in args.map:
        listen, target = m.split("=")
        lh, lp = parse_hostport(listen)
        tgt = parse_hostport(target)
        servers.append(await asyncio.start_server(
            lambda r, w, t=tgt: handle(r, w, t, delay, args.max_buffer), lh, lp))
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(STATS, f)


if __name__ == "__main__":
    try:
        import uvloop  # same event loop as the portal, when available
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
