"""The hostile portal matrix: the real binary against a scripted tus portal (scripted_portal.py)
that sends uploads elsewhere, lies about offsets, refuses or resets large bodies, and answers
with malformed or endless HTTP.

The portal listens on 127.0.0.1 and wants the centre's Basic credential. Beside it run two
honest tus stores that record everything: "foreign" on 127.0.0.2 (another host) and "other" on
another port of 127.0.0.1. Each evidence file carries a unique random marker, searched for in
what those servers received. Every case asserts:
- no crash (no signal death, no Swift "Fatal error") and a bounded run (or a prompt SIGTERM stop);
- what the operator sees (a specific log line);
- what the exams officer sees: the file in uploaded/ with its receipt, or still in drop/ and not
  in rejected/;
- 0 requests with credentials and 0 evidence bytes to any origin other than the portal's (or the
  allowed upload origin).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import CENTRE_NUMBER, Centre, make_centre, sha256_file
from hostile_support import CANDIDATE, MB, UNIT, RunningDaemon, assert_no_crash, wait_until, write_marked_mp4
from scripted_portal import Script, TusServer, endless

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MiB = 1 << 20
PASSWORD = "s3cret-portal-password"
CREDENTIAL = f"{CENTRE_NUMBER}:{PASSWORD}"
ONCE_TIMEOUT = 90
HERE = f"{UNIT}/{CANDIDATE}"
FAST = 'low_speed_time = "3s"\n'
UNTRUSTED = "the portal sent the upload to an origin that is not trusted"


# --------------------------------------------------------------------------- scenario scripting

class Scenario(Script):
    """location: fn(server, uid) -> Location header; hooks: method -> fn(server, handler, n) -> bool
    (n counts that method's requests from 1; True = handled); offset: fn(upload, before) -> str."""

    def __init__(self, location=None, hooks=None, offset=None):
        self._location = location
        self.hooks = hooks or {}
        self._offset = offset
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def location(self, server, handler, uid):
        return self._location(server, uid) if self._location else super().location(server, handler, uid)

    def fault(self, server, handler, method):
        with self.lock:
            n = self.counts[method] = self.counts.get(method, 0) + 1
        hook = self.hooks.get(method)
        return bool(hook and hook(server, handler, n))

    def patch_offset_header(self, server, upload, before):
        return self._offset(upload, before) if self._offset else super().patch_offset_header(server, upload, before)


class World:
    """The scripted portal, the foreign servers, a centre and one marked evidence file."""

    def __init__(self, workdir: Path, scenario: Scenario, *, portal_extra: str = "", extra: str = FAST,
                 chunk: str = "256KiB", max_chunk: str | None = None, size: int = 1 * MB, tls=None,
                 foreign_tls: bool = False):
        self.scenario = scenario
        context = None
        if tls is not None:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls.cert), str(tls.key))
        self.foreign = TusServer("127.0.0.2", ssl_context=context if foreign_tls else None).start()
        self.other = TusServer("127.0.0.1").start()
        self.portal = TusServer("127.0.0.1", script=scenario, credential=CREDENTIAL, ssl_context=context,
                                plain_too=tls is not None).start()
        pw = workdir / "password"
        pw.write_text(PASSWORD + "\n")
        pw.chmod(0o600)
        extra_portal = f'password_file = "{pw}"\n' + (f'ca_file = "{tls.ca}"\n' if tls is not None else "") + portal_extra
        transfer = f'max_chunk_size = "{max_chunk or chunk}"\n' + extra
        self.centre: Centre = make_centre(workdir, self.portal, chunk_size=chunk, extra=transfer,
                                          portal_extra=extra_portal)
        self.marker = b"EVIDENCE-MARKER-" + uuid.uuid4().hex.encode()
        self.rel = f"{HERE}/practical-wall.mp4"
        path = self.centre.drop / self.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.data = write_marked_mp4(path, self.marker, size)
        self.sha = hashlib.sha256(self.data).hexdigest()
        self.workdir = workdir

    def stop(self):
        self.scenario.stop.set()
        for s in (self.portal, self.foreign, self.other):
            s.stop()

    def describe(self) -> str:
        return "\n".join(f"--- {name} {s.origin} ---\n{s.summary()}"
                         for name, s in (("portal", self.portal), ("foreign", self.foreign), ("other", self.other)))

    # -------------------------------------------------------------- assertions

    def assert_nothing_elsewhere(self, allowed: TusServer | None = None, creds_allowed: bool = False) -> None:
        """No request at all, so no credentials and no evidence bytes, to any origin but the
        portal's; an allowed upload origin may get the upload, with credentials only if allowed."""
        for name, s in (("foreign", self.foreign), ("other", self.other)):
            if s is allowed:
                if not creds_allowed:
                    assert s.with_credentials() == [], f"credentials sent to {s.origin}\n{self.describe()}"
                continue
            assert s.snapshot() == [], f"requests reached {name} {s.origin}\n{self.describe()}"
            assert s.body_bytes() == 0 and not s.received_marker(self.marker)

    def assert_delivered(self, where: TusServer | None = None, log: str = "") -> None:
        where = where or self.portal
        moved = self.centre.uploaded / self.rel
        assert moved.is_file(), f"not in uploaded/\n{log[-4000:]}\n{self.describe()}"
        assert sha256_file(moved) == self.sha
        receipt = moved.with_name(moved.name + ".receipt.txt")
        assert receipt.is_file() and self.sha in receipt.read_text().lower(), "no receipt with the SHA-256"
        assert not (self.centre.drop / self.rel).exists()
        complete = [u for u in where.complete_uploads() if hashlib.sha256(bytes(u.data)).hexdigest() == self.sha]
        assert len(complete) == 1, (f"{where.origin} holds no single complete identical copy: "
                                    f"{[(u.offset, u.length) for u in where.uploads.values()]}\n{log[-3000:]}")
        self.assert_not_rejected()

    def assert_waits_in_drop(self, log: str = "") -> None:
        assert (self.centre.drop / self.rel).is_file(), f"the file left the drop folder\n{log[-3000:]}"
        assert sha256_file(self.centre.drop / self.rel) == self.sha
        assert not (self.centre.uploaded / self.rel).exists(), f"moved to uploaded/ wrongly\n{log[-3000:]}"
        self.assert_not_rejected(log)

    def assert_not_rejected(self, log: str = "") -> None:
        inside = [str(p.relative_to(self.centre.rejected)) for p in self.centre.rejected.rglob("*") if p.is_file()]
        assert inside == [], f"a portal fault is not the file's fault; rejected/ holds {inside}\n{log[-3000:]}"


@pytest.fixture
def world(workdir):
    made: list[World] = []

    def make(scenario: Scenario | None = None, **kwargs) -> World:
        w = World(workdir, scenario or Scenario(), **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop()


def run_once(uploader, w: World, timeout: float = ONCE_TIMEOUT):
    started = time.monotonic()
    try:
        result = uploader("run", "--config", w.centre.config, "--once", timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"run --once hung (no exit within {timeout}s)\n{w.describe()}")
    result.seconds = time.monotonic() - started
    record(os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].split("::")[-1], w, result.output,
           result.returncode, result.seconds)
    assert_no_crash(result.returncode, result.output, "run --once")
    return result


FIGURES = os.environ.get("HOSTILE_PORTAL_FIGURES")  # a file: one JSON line per case (for RELIABILITY.md)


def record(name: str, w: World, log: str, returncode=None, seconds=None, status: str = "") -> None:
    if not FIGURES:
        return
    import json
    interesting = [l.split("+0000 ", 1)[-1][:400] for l in log.splitlines() if re.search(r" (WARN|WARNING|ERROR|CRITICAL) ", l)]
    row = {"case": name, "exit": returncode, "seconds": round(seconds, 1) if seconds is not None else None,
           "uploaded": (w.centre.uploaded / w.rel).exists(), "in_drop": (w.centre.drop / w.rel).exists(),
           "rejected": [str(p) for p in w.centre.rejected.rglob("*") if p.is_file()],
           "lines": interesting[:8], "status": [l for l in status.splitlines() if "takes at most" in l],
           "portal_complete": [(u.offset, u.length) for u in w.portal.uploads.values()],
           "elsewhere": {n: {"requests": len(s.snapshot()), "with_credentials": len(s.with_credentials()),
                             "body_bytes": s.body_bytes(), "marker": s.received_marker(w.marker)}
                         for n, s in (("foreign", w.foreign), ("other", w.other))}}
    with open(FIGURES, "a") as f:
        f.write(json.dumps(row) + "\n")


def lines_with(text: str, *words: str) -> list[str]:
    return [l for l in text.splitlines() if all(w in l for w in words)]


def start_daemon(binary, w: World) -> RunningDaemon:
    return RunningDaemon(binary, w.centre.config, w.workdir / "daemon.log")


def stop_daemon(d: RunningDaemon, timeout: float = 15) -> str:
    started = time.monotonic()
    code = d.stop(timeout=timeout)
    assert time.monotonic() - started < timeout
    assert_no_crash(code, d.text(), "daemon after SIGTERM")
    return d.text()


# --------------------------------------------------------------------------- uploads sent elsewhere

def assert_refused(result, w: World, target_origin: str, fix: str = "upload_origins") -> None:
    assert result.returncode != 0, "a refused Location must not count as delivered\n" + result.describe()
    lines = lines_with(result.output, UNTRUSTED)
    assert lines, result.describe()
    line = lines[0]
    assert " ERROR " in f" {line} " or "error" in line.lower(), line
    assert target_origin in line and w.portal.origin in line, f"the line must name both origins: {line}"
    assert fix in line, f"the line must name the fix ({fix}): {line}"
    w.assert_waits_in_drop(result.output)
    w.assert_nothing_elsewhere()
    assert [r for r in w.portal.snapshot() if r.method == "PATCH"] == [], w.describe()
    assert result.seconds < 30, f"took {result.seconds:.1f}s"


def test_location_on_another_host_is_refused(uploader, world):
    w = world(Scenario(location=lambda s, uid: f"{w.foreign.origin}/files/{uid}"))
    result = run_once(uploader, w)
    assert_refused(result, w, w.foreign.origin)


def test_location_on_another_port_is_refused(uploader, world):
    w = world(Scenario(location=lambda s, uid: f"{w.other.origin}/files/{uid}"))
    result = run_once(uploader, w)
    assert_refused(result, w, w.other.origin)


def test_protocol_relative_location_to_another_host_is_refused(uploader, world):
    w = world(Scenario(location=lambda s, uid: f"//{w.foreign.host}:{w.foreign.port}/files/{uid}"))
    result = run_once(uploader, w)
    assert_refused(result, w, w.foreign.origin)


def test_location_with_userinfo_is_refused(uploader, world):
    w = world(Scenario(location=lambda s, uid: f"http://u:p@{s.host}:{s.port}/files/{uid}"))
    result = run_once(uploader, w)
    assert result.returncode != 0, result.describe()
    lines = lines_with(result.output, UNTRUSTED)
    assert lines and "user name or password" in lines[0] and w.portal.origin in lines[0], result.describe()
    assert "u:p@" not in result.output, "the userinfo must not be logged"
    w.assert_waits_in_drop(result.output)
    w.assert_nothing_elsewhere()
    assert [r for r in w.portal.snapshot() if r.method == "PATCH"] == [], w.describe()


def test_https_to_http_downgrade_is_refused(uploader, world, workdir):
    from test_tls import CertAuthority
    ca = CertAuthority(workdir / "ca")
    # The same host and port, plain http: the portal's port also answers plain HTTP (and counts it).
    w = world(Scenario(location=lambda s, uid: f"http://{s.host}:{s.port}/files/{uid}"), tls=ca)
    result = run_once(uploader, w)
    # Not an upload_origins matter: evidence is never sent unencrypted, whatever is configured.
    assert_refused(result, w, f"http://127.0.0.1:{w.portal.port}", fix="never sent unencrypted")
    plain = [r for r in w.portal.snapshot() if r.scheme == "http"]
    assert plain == [], f"plain-HTTP requests reached the portal's port: {w.describe()}"


@pytest.mark.parametrize("kind", ["bare", "absolute-path", "protocol-relative-same-origin"])
def test_relative_locations_are_resolved_and_delivered(uploader, world, kind):
    forms = {"bare": lambda s, uid: uid,
             "absolute-path": lambda s, uid: f"/files/{uid}",
             "protocol-relative-same-origin": lambda s, uid: f"//{s.host}:{s.port}/files/{uid}"}
    w = world(Scenario(location=forms[kind]))
    result = run_once(uploader, w)
    assert result.returncode == 0, result.describe() + w.describe()
    assert lines_with(result.output, "delivered", w.portal.origin + "/files/"), result.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()
    assert all(r.authorized for r in w.portal.snapshot())


# --------------------------------------------------------------------------- upload_origins

class TwoHostCA:
    """A test CA and a server certificate for 127.0.0.1 and 127.0.0.2 (portal and upload host)."""

    def __init__(self, root: Path):
        from test_tls import openssl
        root.mkdir(parents=True, exist_ok=True)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Hostile Test CA",
                "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=root)
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
                "-out", "server.csr", cwd=root)
        (root / "server.ext").write_text("subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost\n"
                                         "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "server.ext", "-out", "server.pem", cwd=root)
        self.ca, self.cert, self.key = root / "ca.pem", root / "server.pem", root / "server.key"


@pytest.mark.parametrize("send_credentials", [False, True], ids=["no-credentials", "send-credentials"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_upload_origins_allows_the_foreign_host(uploader, world, workdir, scheme, send_credentials):
    """The portal creates uploads on 127.0.0.2 (plain http: loopback; https: the test CA)."""
    tls = TwoHostCA(workdir / "ca") if scheme == "https" else None
    w = world(Scenario(), tls=tls, foreign_tls=tls is not None)

    def location(server, uid):   # the foreign store holds what the portal created
        with w.foreign.lock:
            w.foreign.uploads[uid] = server.uploads[uid]
        return f"{w.foreign.origin}/files/{uid}"
    w.scenario._location = location
    text = w.centre.config.read_text().replace(
        "[folders]", f'upload_origins = ["{w.foreign.origin}"]\n'
                     f'send_credentials_to_upload_origins = {"true" if send_credentials else "false"}\n\n[folders]', 1)
    w.centre.config.write_text(text)

    result = run_once(uploader, w)
    assert result.returncode == 0, result.describe() + w.describe()
    w.assert_delivered(where=w.foreign, log=result.output)
    assert w.foreign.received_marker(w.marker)
    patches = [r for r in w.foreign.snapshot() if r.method == "PATCH"]
    assert patches, w.describe()
    if send_credentials:
        assert all(r.authorized for r in w.foreign.snapshot()), w.describe()
    else:
        assert w.foreign.with_credentials() == [], w.describe()
    w.assert_nothing_elsewhere(allowed=w.foreign, creds_allowed=send_credentials)
    assert [r for r in w.portal.snapshot() if r.method == "PATCH"] == []
    assert all(r.authorized for r in w.portal.snapshot())


# --------------------------------------------------------------------------- request size limits

def over_1mib(handler) -> bool:
    return int(handler.headers.get("Content-Length") or 0) > MiB


def test_413_on_large_patch_halves_the_chunk_and_delivers(binary, uploader, world):
    def patch(server, h, n):
        if not over_1mib(h):
            return False
        rec = h._record()
        h.read_body(rec)
        h.answer(413, {"Content-Type": "text/plain"}, b"Request Entity Too Large", close=True)
        return True

    w = world(Scenario(hooks={"PATCH": patch}), chunk="4MiB", size=5 * MB)
    d = start_daemon(binary, w)
    try:
        assert wait_until(lambda: (w.centre.uploaded / (w.rel + ".receipt.txt")).is_file(), 60), \
            d.text()[-4000:] + w.describe()
        status_text = ""

        def status_names_the_limit() -> bool:
            nonlocal status_text
            p = subprocess.run([str(binary), "status", "--config", str(w.centre.config)],
                               capture_output=True, text=True, timeout=30)
            status_text = p.stdout + p.stderr
            return f"portal {w.portal.origin} takes at most" in status_text
        status_names_the_limit_ok = wait_until(status_names_the_limit, 10, interval=0.5)
        assert d.alive()
    finally:
        log = stop_daemon(d)
    reduced = lines_with(log, "chunk size reduced")
    assert reduced and all(k in reduced[0] for k in ("from=", "to=", "because=")), log[-4000:]
    assert "WARN" in reduced[0].upper(), reduced[0]
    record("test_413_on_large_patch_halves_the_chunk_and_delivers", w, log, status=status_text)
    assert status_names_the_limit_ok, status_text
    w.assert_delivered(log=log)
    w.assert_nothing_elsewhere()
    assert not lines_with(log, "rejected") and not lines_with(log, "portal-too-large"), \
        "a 413 on a PATCH is not the file's size"
    sizes = [int(r.headers.get("content-length", 0)) for r in w.portal.snapshot() if r.method == "PATCH"]
    assert max(s for s in sizes if s) > MiB and sizes[-1] <= MiB, sizes


def test_reset_of_large_patch_bodies_halves_the_chunk_and_delivers(uploader, world):
    def patch(server, h, n):
        if not over_1mib(h):
            return False
        rec = h._record()
        h.read_body(rec, limit=64 * 1024)   # a proxy that cuts bodies over 1 MiB: read a little, RST
        h.reset()
        return True

    w = world(Scenario(hooks={"PATCH": patch}), chunk="2MiB", size=3 * MB)
    result = run_once(uploader, w)
    assert result.returncode == 0, result.describe() + w.describe()
    reduced = lines_with(result.output, "chunk size reduced")
    assert reduced and "same chunk failed repeatedly at the same offset" in reduced[0], result.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()


# --------------------------------------------------------------------------- lying Upload-Offset

OFFSET_LIES = {
    "beyond-length": lambda up, before: str(up.length + 1000),
    "backwards": lambda up, before: str(before // 2),
    "negative": lambda up, before: "-5",
    "non-numeric": lambda up, before: "12abc",
    "claims-complete-early": lambda up, before: str(up.length),
}


@pytest.mark.parametrize("lie", list(OFFSET_LIES))
def test_lying_upload_offset_in_patch_answers(uploader, world, lie):
    """Every PATCH answer lies; HEAD tells the truth. Never a receipt unless the portal holds the
    complete, identical bytes; never rejected (the portal's fault); a line about the offset."""
    w = world(Scenario(offset=OFFSET_LIES[lie]))
    result = run_once(uploader, w, timeout=150)
    assert result.returncode == 0, result.describe() + w.describe()
    # Each lie is caught ("outside the tus protocol"), the offset asked for (HEAD tells the truth)
    # and the upload goes on: delivered intact. A receipt for bytes the portal lacks would be the worst.
    w.assert_delivered(log=result.output)
    assert lines_with(result.output, "retrying", "the portal answered outside the tus protocol"), \
        "no line names the offset problem\n" + result.describe()
    w.assert_nothing_elsewhere()


# --------------------------------------------------------------------------- malformed HTTP

def first_times(count: int, fn):
    """A hook that faults on the first `count` requests of its method."""
    return lambda server, h, n: fn(server, h, n) if n <= count else False


def test_1mb_response_header_on_creation(uploader, world):
    def post(server, h, n):
        h._record(h.read_body())
        h.raw(b"HTTP/1.1 201 Created\r\nTus-Resumable: 1.0.0\r\nX-Huge: " + b"a" * MB + b"\r\n"
              b"Location: /files/nothing\r\nContent-Length: 0\r\n\r\n")
        h.close_connection = True
        return True

    w = world(Scenario(hooks={"POST": first_times(2, post)}))
    result = run_once(uploader, w)
    assert result.returncode == 0, result.describe()
    assert lines_with(result.output, "retrying") or lines_with(result.output, "tried again"), result.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()


def test_endless_1xx_responses_to_a_patch(uploader, world):
    def patch(server, h, n):
        rec = h._record()
        h.read_body(rec)   # the body is read (and dropped); then 1xx for ever
        endless(h, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                   b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n", 0.01, w.scenario.stop, 120)
        return True

    w = world(Scenario(hooks={"PATCH": first_times(1, patch)}))
    result = run_once(uploader, w, timeout=60)
    assert result.returncode == 0, result.describe()
    assert lines_with(result.output, "retrying"), result.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()
    assert result.seconds < 30, f"took {result.seconds:.1f}s"


def test_slow_drip_of_response_headers(uploader, world):
    def patch(server, h, n):
        rec = h._record()
        h.read_body(rec)
        h.raw(b"HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\nX-Drip: ")
        endless(h, b"a", 0.3, w.scenario.stop, 120)
        return True

    w = world(Scenario(hooks={"PATCH": first_times(1, patch)}))
    result = run_once(uploader, w, timeout=90)
    assert result.returncode == 0, result.describe()
    assert lines_with(result.output, "retrying"), result.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()
    assert result.seconds < 30, f"took {result.seconds:.1f}s"


def test_head_whose_body_never_ends(uploader, world):
    def patch(server, h, n):
        rec = h._record()
        h.read_body(rec, limit=1000)
        h.reset()       # forces the daemon to ask for the offset (HEAD)
        return True

    def head(server, h, n):
        h._record()
        _uid, up = h.upload_of()
        h.raw(f"HTTP/1.1 200 OK\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {up.offset}\r\n"
              f"Upload-Length: {up.length}\r\nCache-Control: no-store\r\n"
              f"Content-Length: 1000000000000\r\n\r\n".encode())
        endless(h, b"x" * 65536, 0.005, w.scenario.stop, 120)
        return True

    w = world(Scenario(hooks={"PATCH": first_times(1, patch), "HEAD": first_times(2, head)}))
    result = run_once(uploader, w, timeout=60)
    assert result.returncode == 0, result.describe()
    assert [r for r in w.portal.snapshot() if r.method == "HEAD"], w.describe()
    w.assert_delivered(log=result.output)
    w.assert_nothing_elsewhere()
    assert result.seconds < 30, f"took {result.seconds:.1f}s"


def test_redirect_on_patch_to_the_foreign_host_is_not_followed(uploader, world):
    def patch(server, h, n):
        rec = h._record()
        h.read_body(rec)
        _uid, up = h.upload_of()
        h.answer(307, {"Location": f"{w.foreign.origin}{h.path}"})
        return True

    w = world(Scenario(hooks={"PATCH": first_times(2, patch)}))
    result = run_once(uploader, w)
    w.assert_nothing_elsewhere()
    assert lines_with(result.output, "retrying", "(307)"), result.describe()
    assert result.returncode == 0, result.describe()
    w.assert_delivered(log=result.output)


# --------------------------------------------------------------------------- a portal that never gets better

def test_daemon_against_a_portal_that_always_drips_headers_stops_promptly(binary, world):
    """Every PATCH answer is a header drip: each attempt trips low_speed_time, the file waits in
    the drop folder, and SIGTERM in the middle of a drip stops the daemon within seconds."""
    def patch(server, h, n):
        rec = h._record()
        h.read_body(rec)
        h.raw(b"HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\nX-Drip: ")
        endless(h, b"a", 0.3, w.scenario.stop, 120)
        return True

    w = world(Scenario(hooks={"PATCH": patch}))
    d = start_daemon(binary, w)
    try:
        assert d.wait_for(r"retrying .*nothing moved for 3 s", 30), d.text()[-4000:]
        # SIGTERM while the next drip is under way
        assert wait_until(lambda: w.scenario.counts.get("PATCH", 0) >= 2, 20), w.describe()
        time.sleep(1)
        assert d.alive(), d.text()[-4000:]
        started = time.monotonic()
        log = stop_daemon(d, timeout=10)
        stopped_in = time.monotonic() - started
    finally:
        d.kill()
    record("test_daemon_against_a_portal_that_always_drips_headers_stops_promptly", w, log, d.proc.returncode,
           stopped_in)
    assert stopped_in < 5, f"SIGTERM took {stopped_in:.1f}s"
    w.assert_waits_in_drop(log)
    w.assert_nothing_elsewhere()
