"""TLS against a real HTTPS tus portal on loopback (uvicorn with a certificate signed by a test CA
that this test makes with the `openssl` command).

- The portal's certificate is not trusted (no ca_file): refused with one clear line that names
  the host and the reason; nothing reaches the portal, nothing falls back to plain HTTP or to
  no verification, the file stays in the drop folder. The daemon keeps it waiting (still running).
- Trusted through `ca_file`: delivered.
- A `pinned_public_key` that is not the server's: refused; the right pin: delivered.
"""

from __future__ import annotations

import base64
import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import (PORTAL_PY, _stop, free_port, make_centre, portal_python, samples)

UNIT = "8711-305"
MB = 1_000_000


# --------------------------------------------------------------------------- a test CA

def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class CertAuthority:
    """ca.pem/ca.key, and server.pem/server.key for 127.0.0.1 and localhost signed by it."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Evidence Test CA",
                "-keyout", "ca.key", "-out", "ca.pem",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                cwd=root)
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                "-keyout", "server.key", "-out", "server.csr", cwd=root)
        (root / "server.ext").write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "server.ext", "-out", "server.pem", cwd=root)
        self.ca = root / "ca.pem"
        self.cert = root / "server.pem"
        self.key = root / "server.key"

    def server_pin(self) -> str:
        """libcurl's sha256//<base64 of the SHA-256 of the DER SubjectPublicKeyInfo>."""
        pub = subprocess.run(["openssl", "x509", "-in", str(self.cert), "-pubkey", "-noout"],
                             check=True, capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                             check=True, capture_output=True).stdout
        import hashlib
        return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class TLSPortal:
    def __init__(self, workdir: Path, ca: CertAuthority):
        self.store = workdir / "portal-store"
        self.store.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "portal.log"
        context = ssl.create_default_context(cafile=str(ca.ca))
        for _attempt in range(3):
            self.port = free_port()
            with open(self.log, "ab") as logf:
                self.process = subprocess.Popen(
                    [portal_python(), str(PORTAL_PY), "--host", "127.0.0.1", "--port", str(self.port),
                     "--store", str(self.store), "--certfile", str(ca.cert), "--keyfile", str(ca.key)],
                    stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.url = f"https://127.0.0.1:{self.port}/files/"
            if self._ready(context):
                # the readiness probe's own OPTIONS: its log line is written after the response
                deadline = time.monotonic() + 5
                while not self._request_lines() and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.baseline = len(self._request_lines())
                return
            _stop(self.process)
        raise RuntimeError("TLS portal did not start:\n" + self.log.read_text(errors="replace")[-3000:])

    def _ready(self, context) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                req = urllib.request.Request(self.url, method="OPTIONS", headers={"Tus-Resumable": "1.0.0"})
                with urllib.request.urlopen(req, timeout=2, context=context) as r:
                    if r.headers.get("Tus-Version"):
                        return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        return False

    def uploads(self):
        from conftest import read_store
        return read_store(self.store)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _request_lines(self) -> list[str]:
        return [l for l in self.log_text().splitlines()
                if l.startswith("portal: ") and not l.startswith("portal: serving")]

    def requests(self) -> list[str]:
        """The portal's per-request lines since it became ready (a failed TLS handshake makes none)."""
        return self._request_lines()[self.baseline:]


@pytest.fixture
def ca(workdir) -> CertAuthority:
    return CertAuthority(workdir / "ca")


@pytest.fixture
def tls_portal(workdir, ca):
    p = TLSPortal(workdir, ca)
    yield p
    _stop(p.process)


def tls_centre(workdir: Path, portal: TLSPortal, portal_extra: str = ""):
    return make_centre(workdir, portal, portal_extra=portal_extra)


def drop_one(centre, name: str = "bricklaying-wall.mp4") -> Path:
    path = centre.drop / UNIT / "1234" / name
    samples.write_mp4(str(path), 2 * MB)
    return path


def tls_lines(output: str) -> list[str]:
    return [l for l in output.splitlines() if "certificate" in l.lower() or "public key" in l.lower()
            or "pinned" in l.lower()]


# --------------------------------------------------------------------------- tests

def test_untrusted_certificate_is_refused_with_one_clear_line(uploader, workdir, tls_portal):
    centre = tls_centre(workdir, tls_portal)
    dropped = drop_one(centre)

    result = uploader("run", "--config", centre.config, "--once", timeout=120)
    assert result.returncode != 0, "an unverifiable certificate must not count as delivered\n" + result.describe()
    lines = tls_lines(result.output)
    assert len(lines) == 1, "want exactly one line about the certificate\n" + result.describe()
    line = lines[0]
    assert "127.0.0.1" in line, "the line must name the host\n" + result.describe()
    assert "verif" in line.lower() or "issuer" in line.lower(), "the line must give the reason\n" + result.describe()
    assert dropped.is_file(), "the file must stay in the drop folder"
    assert tls_portal.uploads() == []
    assert tls_portal.requests() == [], "nothing may reach the portal:\n" + tls_portal.log_text()
    # Never a plain-HTTP retry: an http:// request to the TLS port shows as an invalid request in uvicorn's log.
    assert "Invalid HTTP request" not in tls_portal.log_text()


def test_untrusted_certificate_keeps_the_daemon_waiting(binary, workdir, tls_portal):
    """The daemon does not give up on the file or exit: the upload waits for a fixed trust store."""
    centre = tls_centre(workdir, tls_portal)
    dropped = drop_one(centre)
    log = workdir / "daemon.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen([str(binary), "run", "--config", str(centre.config)], stdout=logf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not tls_lines(log.read_text(errors="replace")):
            assert proc.poll() is None, "the daemon exited:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        text = log.read_text(errors="replace")
        assert tls_lines(text), "no certificate line from the daemon:\n" + text
        time.sleep(2)
        assert proc.poll() is None, "the daemon must keep running:\n" + log.read_text(errors="replace")
        assert dropped.is_file(), "the file must wait in the drop folder"
        assert not any(centre.rejected.rglob("*.mp4")), "a TLS failure is not the file's fault: never rejected"
        assert tls_portal.uploads() == [] and tls_portal.requests() == []
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_ca_file_trusts_a_private_ca_and_uploads(uploader, workdir, tls_portal, ca):
    centre = tls_centre(workdir, tls_portal, portal_extra=f'ca_file = "{ca.ca}"\n')
    dropped = drop_one(centre)
    result = uploader("run", "--config", centre.config, "--once", timeout=120)
    assert result.returncode == 0, result.describe() + "\n--- portal ---\n" + tls_portal.log_text()[-3000:]
    assert not dropped.exists()
    stored = tls_portal.uploads()
    assert len(stored) == 1 and stored[0].complete, stored


def test_wrong_pinned_public_key_is_refused_and_the_right_one_uploads(uploader, workdir, tls_portal, ca):
    wrong = "sha256//" + base64.b64encode(os.urandom(32)).decode()
    centre = tls_centre(workdir, tls_portal,
                        portal_extra=f'ca_file = "{ca.ca}"\npinned_public_key = "{wrong}"\n')
    dropped = drop_one(centre)
    refused = uploader("run", "--config", centre.config, "--once", timeout=120)
    assert refused.returncode != 0, refused.describe()
    lines = tls_lines(refused.output)
    assert len(lines) == 1 and "127.0.0.1" in lines[0], refused.describe()
    assert "pin" in lines[0].lower() or "public key" in lines[0].lower(), refused.describe()
    assert dropped.is_file() and tls_portal.uploads() == []

    right = ca.server_pin()
    text = centre.config.read_text().replace(wrong, right)
    centre.config.write_text(text)
    ok = uploader("run", "--config", centre.config, "--once", timeout=120)
    assert ok.returncode == 0, ok.describe()
    assert not dropped.exists() and len(tls_portal.uploads()) == 1
