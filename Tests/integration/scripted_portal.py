"""A small scripted tus 1.0.0 portal on loopback for the hostile-portal tests.

Every server (the portal, a "foreign" one on 127.0.0.2, one on another port of 127.0.0.1) is a
real, minimal tus store (OPTIONS, POST, HEAD, PATCH, DELETE) that RECORDS every request: method,
path, whether an Authorization header was present, and the body bytes it received. If the daemon
wrongly followed a hostile portal somewhere else, the bytes would arrive (and be counted) there.

A scenario hooks in through `Script`: it decides the Location of a created upload and may take
over any request (`fault`) to answer with raw bytes on the socket: endless 1xx, a header drip,
a HEAD whose body never ends, a connection reset, a redirect, a 413 ...

ThreadingHTTPServer, HTTP/1.1 with keep-alive and a correct Content-Length on every answer.
An https server (ssl_context=...) may also speak plain HTTP on the same port (`plain_too=True`),
which lets a test tell a scheme downgrade (http://same-host:same-port) apart from any other
change of origin.
"""

from __future__ import annotations

import base64
import dataclasses
import http.server
import socket
import socketserver
import ssl
import struct
import threading
import time
import uuid
from typing import Callable


@dataclasses.dataclass
class Request:
    method: str
    path: str
    authorized: bool          # an Authorization header was present
    body: bytes               # the body bytes received (possibly partial: a cut connection)
    headers: dict
    scheme: str = "http"


@dataclasses.dataclass
class Upload:
    length: int | None
    metadata: str
    data: bytearray = dataclasses.field(default_factory=bytearray)
    deleted: bool = False

    @property
    def offset(self) -> int:
        return len(self.data)

    def meta(self) -> dict:
        out = {}
        for pair in filter(None, (p.strip() for p in self.metadata.split(","))):
            key, _, value = pair.partition(" ")
            try:
                out[key] = base64.b64decode(value).decode("utf-8", "replace") if value else ""
            except ValueError:
                out[key] = value
        return out


class Script:
    """Default behaviour: an honest tus portal. Subclass or set attributes per scenario."""

    def location(self, server: "TusServer", handler: "Handler", uid: str) -> str:
        return f"{server.base_path}{uid}"

    def fault(self, server: "TusServer", handler: "Handler", method: str) -> bool:
        """Return True when the request was fully handled here (answer written or connection cut)."""
        return False

    def patch_offset_header(self, server: "TusServer", upload: Upload, before: int) -> str:
        """The Upload-Offset a PATCH answer reports (a lie, in some scenarios)."""
        return str(upload.offset)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "TusServer"

    def log_message(self, fmt, *args):  # quiet
        pass

    # ------------------------------------------------------------------ plumbing

    def _record(self, body: bytes = b"") -> Request:
        req = Request(self.command, self.path, "Authorization" in self.headers, body,
                      {k.lower(): v for k, v in self.headers.items()}, self.server.scheme_of(self.connection))
        with self.server.lock:
            self.server.requests.append(req)
        return req

    def read_body(self, record: Request | None = None, limit: int | None = None) -> bytes:
        """Read the request body (Content-Length), appending to record.body as it arrives."""
        length = int(self.headers.get("Content-Length") or 0)
        want = length if limit is None else min(length, limit)
        got = bytearray()
        while len(got) < want:
            piece = self.rfile.read1(min(65536, want - len(got)))
            if not piece:
                break
            got += piece
            if record is not None:
                with self.server.lock:
                    record.body = bytes(got)
        return bytes(got)

    def answer(self, status: int, headers: dict | None = None, body: bytes = b"", close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Tus-Resumable", "1.0.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def reset(self) -> None:
        """Close the connection with a TCP RST (SO_LINGER 0)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def authorized_ok(self) -> bool:
        expected = self.server.credential
        if expected is None:
            return True
        return self.headers.get("Authorization") == "Basic " + base64.b64encode(expected.encode()).decode()

    def upload_of(self) -> tuple[str, Upload | None]:
        path = self.path.split("?", 1)[0]
        uid = path.rstrip("/").rsplit("/", 1)[-1]
        with self.server.lock:
            return uid, self.server.uploads.get(uid)

    # ------------------------------------------------------------------ methods

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    def _dispatch(self):
        method = self.command
        if self.server.script.fault(self.server, self, method):
            return
        if not self.authorized_ok():
            self._record(self.read_body())
            self.answer(401, {"WWW-Authenticate": 'Basic realm="portal"'})
            return
        getattr(self, "tus_" + method.lower(), self.tus_unknown)()

    do_OPTIONS = do_POST = do_HEAD = do_PATCH = do_DELETE = do_GET = do_PUT = _dispatch

    def tus_unknown(self):
        self._record(self.read_body())
        self.answer(405)

    def tus_options(self):
        self._record(self.read_body())
        self.answer(204, {"Tus-Version": "1.0.0", "Tus-Extension": "creation,termination",
                          **({"Tus-Max-Size": str(self.server.max_size)} if self.server.max_size else {})})

    def tus_get(self):
        self._record()
        self.answer(404)

    def tus_put(self):
        self.tus_unknown()

    def tus_post(self):
        self._record(self.read_body())
        length = self.headers.get("Upload-Length")
        uid = uuid.uuid4().hex
        with self.server.lock:
            self.server.uploads[uid] = Upload(int(length) if length is not None else None,
                                              self.headers.get("Upload-Metadata", ""))
        loc = self.server.script.location(self.server, self, uid)
        self.answer(201, {"Location": loc, "Upload-Offset": "0"})

    def tus_head(self):
        self._record()
        uid, up = self.upload_of()
        if up is None or up.deleted:
            self.answer(404, {"Cache-Control": "no-store"})
            return
        headers = {"Upload-Offset": str(up.offset), "Cache-Control": "no-store"}
        if up.length is not None:
            headers["Upload-Length"] = str(up.length)
        if up.metadata:
            headers["Upload-Metadata"] = up.metadata
        self.answer(200, headers)

    def tus_patch(self):
        rec = self._record()
        uid, up = self.upload_of()
        if up is None or up.deleted:
            self.read_body(rec)
            self.answer(404)
            return
        claimed = int(self.headers.get("Upload-Offset", "-1"))
        if claimed != up.offset:
            self.read_body(rec)
            self.answer(409, {"Upload-Offset": str(up.offset)})
            return
        before = up.offset
        length = int(self.headers.get("Content-Length") or 0)
        done = 0
        while done < length:  # keep what arrives, even from a cut connection (like tuspyserver)
            piece = self.rfile.read1(min(65536, length - done))
            if not piece:
                break
            done += len(piece)
            with self.server.lock:
                up.data += piece
                rec.body += piece
        if done < length:
            self.close_connection = True
            return
        self.answer(204, {"Upload-Offset": self.server.script.patch_offset_header(self.server, up, before)})

    def tus_delete(self):
        self._record(self.read_body())
        uid, up = self.upload_of()
        if up is None:
            self.answer(404)
            return
        up.deleted = True
        self.answer(204)


class TusServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, script: Script | None = None,
                 credential: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 plain_too: bool = False, base_path: str = "/files/", max_size: int | None = None):
        self.script = script or Script()
        self.credential = credential   # "user:password" the portal requires, or None (records only)
        self.ssl_context = ssl_context
        self.plain_too = plain_too
        self.base_path = base_path
        self.max_size = max_size
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.uploads: dict[str, Upload] = {}
        self.stopping = threading.Event()
        self._plain: set[int] = set()
        super().__init__((host, port), Handler)
        self.host, self.port = self.server_address[:2]
        self.thread: threading.Thread | None = None

    # TLS on accept; with plain_too a connection whose first byte is not a TLS handshake stays plain.
    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is None:
            return sock, addr
        sock.settimeout(10)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            first = b""
        if self.plain_too and first and first != b"\x16":
            sock.settimeout(None)
            self._plain.add(id(sock))
            return sock, addr
        try:
            wrapped = self.ssl_context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            sock.close()
            raise OSError("TLS handshake failed")
        wrapped.settimeout(None)
        return wrapped, addr

    def scheme_of(self, sock) -> str:
        return "https" if isinstance(sock, ssl.SSLSocket) else "http"

    @property
    def origin(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    def start(self) -> "TusServer":
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    # ------------------------------------------------------------------ what was received

    def snapshot(self) -> list[Request]:
        with self.lock:
            return list(self.requests)

    def with_credentials(self) -> list[Request]:
        return [r for r in self.snapshot() if r.authorized]

    def body_bytes(self) -> int:
        return sum(len(r.body) for r in self.snapshot())

    def received_marker(self, marker: bytes) -> bool:
        if any(marker in r.body for r in self.snapshot()):
            return True
        with self.lock:
            return any(marker in bytes(u.data) for u in self.uploads.values())

    def complete_uploads(self) -> list[Upload]:
        with self.lock:
            return [u for u in self.uploads.values()
                    if not u.deleted and u.length is not None and u.offset == u.length]

    def summary(self) -> str:
        return "\n".join(f"  {r.scheme} {r.method} {r.path} auth={r.authorized} body={len(r.body)}"
                         for r in self.snapshot()[-60:])


# --------------------------------------------------------------------------- raw answers for faults

def drain(handler: Handler, record: bool = True) -> bytes:
    rec = handler._record() if record else None
    return handler.read_body(rec)


def endless(handler: Handler, piece: bytes, interval: float, stop: threading.Event, limit_s: float = 600) -> None:
    """Write piece every interval seconds until the client goes away (or stop / limit_s)."""
    deadline = time.monotonic() + limit_s
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            handler.raw(piece)
            if interval:
                time.sleep(interval)
    except (OSError, ValueError):
        pass
    handler.close_connection = True


Hook = Callable[[TusServer, Handler, str], bool]
