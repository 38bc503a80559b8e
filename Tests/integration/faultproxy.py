"""A fault-injecting HTTP/1.1 proxy for the integration tests, on loopback in front of the real tus server.

    proxy = FaultProxy("127.0.0.1", portal.port).start()      # asyncio loop in a daemon thread
    proxy.url_for(portal.url)                                  # -> http://127.0.0.1:<proxy port>/files/
    proxy.configure(reset_after_bytes=1_000_000, reset_every=3)   # at runtime, from the test thread
    proxy.stats.patch_bytes                                    # body bytes the client sent in PATCHes
    proxy.stop()

or as a process (used inside a network namespace):

    python faultproxy.py --listen 127.0.0.1:PORT --upstream 10.231.0.1:8000 [--rate BYTES_PER_S]

It parses HTTP just enough to find request boundaries (Content-Length bodies; the client never
sends chunked bodies) and response boundaries (Content-Length, chunked, or none for HEAD/204/304),
so it can count, delay, reset, stall, refuse, verify and corrupt per request. Faults:

- ``rate``: bandwidth cap on request bodies, bytes/s (shared by all connections)
- ``latency``: seconds added before each request is forwarded
- ``reset_after_bytes`` + ``reset_every`` / ``reset_times``: close the connection with a TCP RST
  after N body bytes of every K-th PATCH (``reset_times`` limits how often; 1 = once)
- ``stall_seconds`` + ``stall_after_bytes`` + ``stall_every`` / ``stall_times``: hold the
  connection silent (read nothing, answer nothing) for S seconds part-way through a PATCH body;
  new requests on other connections wait until the stall is over (the link is down)
- ``fail_status`` + ``fail_every`` + ``fail_method`` (+ ``retry_after``): answer e.g. 503 or 429
  instead of forwarding every K-th request of that method (the body is read and dropped)
- ``checksum``: advertise the checksum extension (``Tus-Checksum-Algorithm: sha1,sha256``) on
  OPTIONS answers and verify each PATCH's ``Upload-Checksum`` here, answering 460 on a mismatch
  (and 400 for an unsupported algorithm) without forwarding
- ``corrupt_every`` / ``corrupt_times`` (+ ``corrupt_method``, default PATCH; PUT for S3 parts):
  flip one byte of every K-th such request body in transit
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import dataclasses
import hashlib
import socket
import struct
import threading
import time
from typing import Callable

CHECKSUM_ALGORITHMS = ("sha1", "sha256")


@dataclasses.dataclass
class Faults:
    rate: float = 0                      # bytes/s for request bodies; 0 = unlimited
    latency: float = 0                   # seconds before each request is forwarded
    reset_after_bytes: int | None = None
    reset_every: int = 1                 # every K-th PATCH
    reset_times: int | None = None       # None = unlimited
    # After a reset the link stays down this long: requests wait before they are forwarded. Besides
    # being realistic, it keeps tuspyserver alive: its upload lock is waited for with time.sleep()
    # inside the event loop, so libcurl's immediate retry of the reset PATCH on a fresh connection
    # freezes the whole server for its 30 s lock timeout before it has seen the first one end.
    reset_pause: float = 0.3
    stall_seconds: float = 0
    stall_after_bytes: int = 0
    stall_every: int = 1
    stall_times: int | None = None
    fail_status: int | None = None       # e.g. 503, 429
    fail_every: int = 1
    fail_method: str = "PATCH"
    fail_times: int | None = None
    retry_after: int | None = None
    checksum: bool = False
    corrupt_every: int = 0               # 0 = never
    corrupt_times: int | None = None
    corrupt_method: str = "PATCH"


@dataclasses.dataclass
class Event:
    t: float                             # time.monotonic()
    kind: str                            # request, first-body-byte, response, reset, stall, refused, 460, closed
    method: str = ""
    path: str = ""
    status: int = 0
    offset: str = ""
    detail: str = ""


class Stats:
    """Counters, updated on the proxy thread, read from the test thread under ``lock``."""

    def __init__(self):
        self.lock = threading.Condition()
        self.body_bytes = collections.Counter()          # method -> request-body bytes received from the client
        self.patch_bytes_by_path = collections.Counter() # upload path -> PATCH body bytes received
        self.requests = collections.Counter()            # method -> requests seen
        self.responses = collections.Counter()           # (method, status) -> count
        self.faults = collections.Counter()              # fault name -> times injected
        self.events: list[Event] = []
        self.connections = 0
        self.open_connections = 0

    @property
    def patch_bytes(self) -> int:
        with self.lock:
            return self.body_bytes["PATCH"]

    def snapshot(self) -> dict:
        with self.lock:
            return {"body_bytes": dict(self.body_bytes), "patch_bytes": self.body_bytes["PATCH"],
                    "patch_bytes_by_path": dict(self.patch_bytes_by_path), "requests": dict(self.requests),
                    "responses": {f"{m} {s}": n for (m, s), n in self.responses.items()},
                    "faults": dict(self.faults), "events": len(self.events), "connections": self.connections,
                    "open_connections": self.open_connections}

    def add_event(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)
            self.lock.notify_all()

    def wait_for(self, predicate: Callable[[Event], bool], since: int = 0, timeout: float = 30) -> Event | None:
        """The first event at index >= since matching predicate, waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            index = since
            while True:
                while index < len(self.events):
                    if predicate(self.events[index]):
                        return self.events[index]
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.lock.wait(remaining)


class _Bucket:
    """Token bucket shared by all connections; reconfigurable (rate 0 = unlimited)."""

    def __init__(self, proxy: "FaultProxy"):
        self.proxy = proxy
        self.tokens = 0.0
        self.last = time.monotonic()

    async def take(self, n: int) -> None:
        while True:
            rate = self.proxy.faults.rate
            if not rate:
                return
            now = time.monotonic()
            burst = max(rate / 20, 16384)
            self.tokens = min(burst, self.tokens + (now - self.last) * rate)
            self.last = now
            if self.tokens >= n or (self.tokens > 0 and n > burst):
                self.tokens -= n
                return
            await asyncio.sleep(max((n - self.tokens) / rate, 0.001) if n <= burst else 0.01)


class _Closed(Exception):
    pass


def _parse_head(raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _header(headers, name: str) -> str | None:
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _build_head(start: str, headers) -> bytes:
    return ("\r\n".join([start] + [f"{k}: {v}" for k, v in headers]) + "\r\n\r\n").encode("latin-1")


class FaultProxy:
    READ = 64 * 1024

    def __init__(self, upstream_host: str, upstream_port: int, listen_host: str = "127.0.0.1", listen_port: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self.listen = (listen_host, listen_port)
        self.faults = Faults()
        self.stats = Stats()
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None
        self._counters = collections.Counter()   # per method request counter, for every-K-th faults
        self._writers: set = set()
        self._bucket = _Bucket(self)
        self._link_down_until = 0.0

    # ------------------------------------------------------------------ control (test thread)

    def configure(self, **changes) -> "FaultProxy":
        """Replace the fault settings: configure() clears every fault; configure(rate=...) sets one."""
        faults = Faults(**changes)
        self.faults = faults
        self._counters.clear()
        return self

    def url_for(self, portal_url: str) -> str:
        host, port = self.upstream
        return portal_url.replace(f"{host}:{port}", f"{self.listen[0]}:{self.port}")

    def start(self) -> "FaultProxy":
        ready = threading.Event()

        def main():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._client, self.listen[0], self.listen[1], reuse_address=True))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=main, name="faultproxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def stop(self) -> None:
        if not self._loop or not self._thread:
            return

        async def shutdown():
            self._server.close()
            for w in list(self._writers):
                _abort(w)
            await asyncio.sleep(0)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._thread = None

    def wait_idle(self, timeout: float = 30) -> bool:
        """Wait until no connection is open (e.g. after the client was killed, what sat in the
        socket buffers has been passed on or dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.stats.lock:
                if self.stats.open_connections == 0:
                    return True
            time.sleep(0.02)
        return False

    def drop_connections(self) -> None:
        """Close every open connection at once (RST), e.g. to simulate a link flap."""
        if self._loop:
            self._loop.call_soon_threadsafe(lambda: [_abort(w) for w in list(self._writers)])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ proxy thread

    def _nth(self, method: str, every: int, times_key: str, times: int | None) -> bool:
        if every <= 0:
            return False
        if self._counters[method] % every != 0:
            return False
        if times is not None and self.stats.faults[times_key] >= times:
            return False
        return True

    def _event(self, kind, method="", path="", **kw):
        self.stats.add_event(Event(time.monotonic(), kind, method, path, **kw))

    def _fault(self, name: str) -> None:
        with self.stats.lock:
            self.stats.faults[name] += 1

    async def _client(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter):
        with self.stats.lock:
            self.stats.connections += 1
            self.stats.open_connections += 1
        self._writers.add(cwriter)
        uwriter = None
        try:
            ureader, uwriter = await asyncio.open_connection(*self.upstream)
            self._writers.add(uwriter)
            while True:
                try:
                    head = await creader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                if not await self._request(head, creader, cwriter, ureader, uwriter):
                    return
        except (_Closed, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            for w in (cwriter, uwriter):
                if w is not None:
                    self._writers.discard(w)
                    try:
                        w.close()
                    except Exception:
                        pass
            with self.stats.lock:
                self.stats.open_connections -= 1
            self._event("closed")

    async def _request(self, head, creader, cwriter, ureader, uwriter) -> bool:
        """Handles one request/response exchange; False = the connection is finished."""
        faults = self.faults
        start, headers = _parse_head(head)
        method, path = start.split(" ")[0].upper(), start.split(" ")[1] if " " in start else ""
        length = int(_header(headers, "content-length") or 0)
        if (_header(headers, "transfer-encoding") or "").lower() == "chunked":
            raise _Closed("chunked request bodies are not supported")
        self._counters[method] += 1
        with self.stats.lock:
            self.stats.requests[method] += 1
        self._event("request", method, path, offset=_header(headers, "upload-offset") or "")
        down = self._link_down_until - time.monotonic()
        if down > 0:
            await asyncio.sleep(down)
        if faults.latency:
            await asyncio.sleep(faults.latency)

        is_patch = method == "PATCH"
        reset_at = stall_at = None
        if is_patch and faults.reset_after_bytes is not None and self._nth("PATCH", faults.reset_every, "reset", faults.reset_times):
            reset_at = faults.reset_after_bytes
        if is_patch and faults.stall_seconds and self._nth("PATCH", faults.stall_every, "stall", faults.stall_times):
            stall_at = faults.stall_after_bytes
        refuse = (faults.fail_status is not None and method == faults.fail_method.upper()
                  and self._nth(method, faults.fail_every, "refused", faults.fail_times))
        corrupt = (method == faults.corrupt_method.upper() and faults.corrupt_every
                   and self._nth(method, faults.corrupt_every, "corrupt", faults.corrupt_times))
        verify = is_patch and faults.checksum
        buffer_body = refuse or verify or corrupt

        if not buffer_body:
            uwriter.write(head)
        body = bytearray() if buffer_body else None
        received = 0
        first = True
        while received < length:
            want = min(self.READ, length - received)
            if reset_at is not None:
                want = min(want, max(reset_at - received, 0))
                if want == 0:
                    self._fault("reset")
                    self._event("reset", method, path, detail=f"after {received} body bytes")
                    self._link_down_until = time.monotonic() + faults.reset_pause
                    _abort(cwriter)
                    # the server side sees the link end after what got through
                    await uwriter.drain()
                    uwriter.close()
                    return False
            if stall_at is not None:
                want = min(want, max(stall_at - received, 0))
                if want == 0:
                    self._fault("stall")
                    self._event("stall", method, path, detail=f"{faults.stall_seconds}s after {received} body bytes")
                    # the whole link is silent: other requests wait too (and tuspyserver is not
                    # handed a second PATCH while this one still holds its upload lock)
                    self._link_down_until = max(self._link_down_until,
                                                time.monotonic() + faults.stall_seconds + faults.reset_pause)
                    await asyncio.sleep(faults.stall_seconds)
                    stall_at = None
                    if cwriter.is_closing() or creader.at_eof():
                        return False
                    continue
            await self._bucket.take(want)
            chunk = await creader.read(want)
            if not chunk:
                raise _Closed("client closed mid-body")
            if first:
                self._event("first-body-byte", method, path)
                first = False
            received += len(chunk)
            with self.stats.lock:
                self.stats.body_bytes[method] += len(chunk)
                if is_patch:
                    self.stats.patch_bytes_by_path[path] += len(chunk)
            if body is not None:
                body += chunk
            else:
                uwriter.write(chunk)
                await uwriter.drain()

        if refuse:
            self._fault("refused")
            status = faults.fail_status
            extra = [("Retry-After", str(faults.retry_after))] if faults.retry_after is not None else []
            self._event("refused", method, path, status=status)
            await self._answer(cwriter, method, status, extra)
            return True
        if corrupt and body:
            self._fault("corrupt")
            i = len(body) // 2
            body[i] ^= 0x01
            self._event("corrupt", method, path, detail=f"byte {i}")
        if verify:
            value = _header(headers, "upload-checksum")
            if value is not None:
                self._fault("checksum-checked")
            problem = _checksum_problem(value, bytes(body))
            if problem is not None:
                status, why = problem
                self._fault("checksum-%d" % status)
                self._event(str(status), method, path, status=status, detail=why)
                await self._answer(cwriter, method, status, [], why)
                return True
            headers = [(k, v) for k, v in headers if k.lower() != "upload-checksum"]
            head = _build_head(start, headers)
        if buffer_body:
            uwriter.write(head)
            uwriter.write(bytes(body))
        await uwriter.drain()
        return await self._response(method, path, cwriter, ureader)

    async def _answer(self, cwriter, method, status, extra, text="") -> None:
        reason = {429: "Too Many Requests", 460: "Checksum Mismatch", 503: "Service Unavailable",
                  500: "Internal Server Error", 502: "Bad Gateway", 400: "Bad Request"}.get(status, "Error")
        body = text.encode()
        headers = [("Tus-Resumable", "1.0.0"), ("Content-Length", str(len(body))), *extra]
        cwriter.write(_build_head(f"HTTP/1.1 {status} {reason}", headers) + body)
        await cwriter.drain()
        with self.stats.lock:
            self.stats.responses[(method, status)] += 1

    async def _response(self, method, path, cwriter, ureader) -> bool:
        while True:
            head = await ureader.readuntil(b"\r\n\r\n")
            start, headers = _parse_head(head)
            status = int(start.split(" ")[1])
            if 100 <= status < 200 and status != 101:
                cwriter.write(head)   # interim answer: the real one follows
                continue
            break
        if method == "OPTIONS" and self.faults.checksum:
            ext = [e.strip() for e in (_header(headers, "tus-extension") or "").split(",") if e.strip()]
            if "checksum" not in ext:
                ext.append("checksum")
            headers = [(k, v) for k, v in headers if k.lower() not in ("tus-extension", "tus-checksum-algorithm")]
            headers += [("Tus-Extension", ",".join(ext)), ("Tus-Checksum-Algorithm", ",".join(CHECKSUM_ALGORITHMS))]
        location = _header(headers, "location")
        if location:
            host, port = self.upstream
            headers = [(k, v.replace(f"{host}:{port}", f"{self.listen[0]}:{self.port}") if k.lower() == "location" else v)
                       for k, v in headers]
        cwriter.write(_build_head(start, headers))
        close = (_header(headers, "connection") or "").lower() == "close"
        if method == "HEAD" or status in (204, 304):
            pass
        elif (_header(headers, "transfer-encoding") or "").lower() == "chunked":
            while True:
                line = await ureader.readuntil(b"\r\n")
                cwriter.write(line)
                size = int(line.split(b";")[0].strip(), 16)
                data = await ureader.readexactly(size + 2)
                cwriter.write(data)
                if size == 0:
                    break
        elif _header(headers, "content-length") is not None:
            n = int(_header(headers, "content-length"))
            if n:
                cwriter.write(await ureader.readexactly(n))
        else:
            cwriter.write(await ureader.read())
            close = True
        await cwriter.drain()
        with self.stats.lock:
            self.stats.responses[(method, status)] += 1
        self._event("response", method, path, status=status, offset=_header(headers, "upload-offset") or "")
        return not close


def _checksum_problem(value: str | None, body: bytes) -> tuple[int, str] | None:
    if value is None:
        return None   # the extension makes the header optional
    algorithm, _, digest = value.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        return 400, f"unsupported checksum algorithm {algorithm!r}"
    try:
        expected = base64.b64decode(digest.strip(), validate=True)
    except Exception:
        return 400, "Upload-Checksum is not base64"
    if hashlib.new(algorithm, body).digest() != expected:
        return 460, "checksum mismatch"
    return None


def _abort(writer) -> None:
    """Close with a TCP RST (SO_LINGER 0), not a polite FIN."""
    if writer is None:
        return
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    except Exception:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--upstream", required=True, help="HOST:PORT")
    parser.add_argument("--rate", type=float, default=0)
    args = parser.parse_args()
    lh, lp = args.listen.rsplit(":", 1)
    uh, up = args.upstream.rsplit(":", 1)
    proxy = FaultProxy(uh, int(up), lh, int(lp)).start()
    proxy.configure(rate=args.rate)
    print(f"listening {lh}:{proxy.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()


if __name__ == "__main__":
    main()
