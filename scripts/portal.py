#!/usr/bin/env python3
"""The local test portal: a real tus 1.0.0 server (tuspyserver) on loopback.

    python scripts/portal.py --host 127.0.0.1 --port 8088 --store DIR \
        [--username 12345 --password-file FILE] [--certfile CERT --keyfile KEY]

The tus creation URL is http://HOST:PORT/files/ . Uploads land in --store as
<uid> (the data, uid = 32 hex digits) and <uid>.info (JSON: metadata, size, offset, ...).

With --password-file every request must carry HTTP Basic credentials
(--username, default "12345", and the file's first line); anything else gets 401.
With --certfile/--keyfile (PEM) it serves HTTPS instead: https://HOST:PORT/files/ .
One line per request goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import sys
import time

import uvicorn
from fastapi import FastAPI
from tuspyserver import create_tus_router


def log(line: str) -> None:
    sys.stderr.write(f"portal: {line}\n")
    sys.stderr.flush()


class RequestLog:
    """Pure ASGI middleware (no body buffering): one stderr line per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.monotonic()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status = {"code": 0, "offset": ""}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"upload-offset":
                        status["offset"] = v.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            parts = [scope["method"], scope["path"], str(status["code"])]
            for name in ("upload-offset", "upload-length", "content-length"):
                if name in headers:
                    parts.append(f"req-{name}={headers[name]}")
            if status["offset"]:
                parts.append(f"resp-upload-offset={status['offset']}")
            parts.append(f"{(time.monotonic() - started) * 1000:.0f}ms")
            log(" ".join(parts))


class BasicAuth:
    """Pure ASGI middleware: HTTP Basic auth on every request, 401 otherwise."""

    def __init__(self, app, username: str, password: str):
        self.app = app
        self.expected = b"Basic " + base64.b64encode(f"{username}:{password}".encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = b""
        for k, v in scope["headers"]:
            if k.lower() == b"authorization":
                given = v
        if hmac.compare_digest(given, self.expected):
            return await self.app(scope, receive, send)
        body = b"authentication required\n"
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", b'Basic realm="evidence portal"'),
                (b"tus-resumable", b"1.0.0"),
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
            ],
        })
        await send({"type": "http.response.body", "body": body})


def create_app(store: str, username: str | None = None, password: str | None = None,
               max_size: int | None = None):
    os.makedirs(store, exist_ok=True)
    app = FastAPI(title="Evidence test portal")
    kwargs = {"prefix": "files", "files_dir": os.path.abspath(store)}
    if max_size is not None:
        kwargs["max_size"] = max_size
    app.include_router(create_tus_router(**kwargs))
    wrapped = app
    if password is not None:
        wrapped = BasicAuth(wrapped, username or "", password)
    return RequestLog(wrapped)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8088)
    p.add_argument("--store", required=True, help="directory where uploads are stored")
    p.add_argument("--username", default="12345", help="Basic auth user (only with --password-file)")
    p.add_argument("--password-file", help="require HTTP Basic auth; password = first line of this file")
    p.add_argument("--max-size", type=int, help="Tus-Max-Size in bytes (default tuspyserver's)")
    p.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain)")
    p.add_argument("--keyfile", help="the certificate's PEM private key (with --certfile)")
    args = p.parse_args(argv)

    password = None
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
        if not password:
            p.error(f"{args.password_file}: empty password")

    if bool(args.certfile) != bool(args.keyfile):
        p.error("--certfile and --keyfile go together")
    tls = {"ssl_certfile": args.certfile, "ssl_keyfile": args.keyfile} if args.certfile else {}
    scheme = "https" if tls else "http"

    app = create_app(args.store, args.username if password is not None else None, password, args.max_size)
    log(f"serving tus at {scheme}://{args.host}:{args.port}/files/ store={os.path.abspath(args.store)}"
        + (f" basic-auth user={args.username}" if password is not None else ""))
    uvicorn.run(app, host=args.host, port=args.port, http="httptools", loop="uvloop",
                access_log=False, log_level="warning", lifespan="off", **tls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
