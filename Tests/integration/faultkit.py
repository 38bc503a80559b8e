"""Shared helpers for the fault-injection tests (kill loop, torn journals, fault matrix):
a centre whose config points at the fault proxy, the daemon as a managed process, and what the
server's store says about offsets without hashing every data file."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Centre, Portal, write_config, samples, sha256_file, UID
from faultproxy import FaultProxy

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
UNIT = "8711-305"
MB = 1_000_000
MiB = 1 << 20


@pytest.fixture
def proxy(portal):
    """A FaultProxy in front of the fixture portal, no faults until configured."""
    p = FaultProxy("127.0.0.1", portal.port).start()
    yield p
    p.stop()


@pytest.fixture
def procs():
    """Every process a test starts goes in here; all are killed at teardown, even on failure."""
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        if p.poll() is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass


def proxied_centre(workdir: Path, portal: Portal, proxy_url: str, **config_kwargs) -> Centre:
    root = workdir / "centre"
    dirs = {name: root / name for name in ("drop", "uploaded", "rejected", "state")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    config = write_config(root / "config.toml", portal_url=proxy_url, **dirs, **config_kwargs)
    # Fixed chunks: these tests count chunks and bound what a fault or a kill costs in chunks.
    chunk = config_kwargs.get("chunk_size", "8MiB")
    config.write_text(config.read_text().replace(f'chunk_size = "{chunk}"\n',
                                                 f'chunk_size = "{chunk}"\nmax_chunk_size = "{chunk}"\n', 1))
    return Centre(root, dirs["drop"], dirs["uploaded"], dirs["rejected"], dirs["state"], config, portal)


def make_videos(centre: Centre, count: int, size: int, candidate: str = "1234", prefix: str = "clip") -> dict:
    """count MP4-looking files of size bytes under drop/<unit>/<candidate>/; rel -> (sha256, size)."""
    out = {}
    for i in range(count):
        rel = f"{UNIT}/{candidate}/{prefix}-{i}.mp4"
        samples.write_mp4(str(centre.drop / rel), size, seed=f"{prefix}-{i}-{size}")
        out[rel] = (sha256_file(centre.drop / rel), size)
    return out


def store_offsets(store: Path) -> dict:
    """uid -> {"offset", "size", "filename"} from tuspyserver's .info files (cheap: no hashing)."""
    out = {}
    if not store.is_dir():
        return out
    for info in store.glob("*.info"):
        uid = info.name[:-5]
        if not UID.match(uid):
            continue
        try:
            data = json.loads(info.read_text())
        except (OSError, ValueError):
            continue
        out[uid] = {"offset": data.get("offset") or 0, "size": data.get("size"),
                    "filename": (data.get("metadata") or {}).get("filename")}
    return out


def assert_delivered_once(centre: Centre, originals: dict, log: str = "") -> None:
    """Each original: exactly one upload on the server, complete and SHA-256 identical; in uploaded/
    with a receipt naming its SHA-256; gone from drop/."""
    stored = centre.portal.uploads()
    for rel, (sha, size) in originals.items():
        name = Path(rel).name
        matches = [u for u in stored if u.metadata.get("filename") == name]
        complete = [u for u in matches if u.complete]
        assert len(complete) == 1, (f"{rel}: expected exactly one complete upload, server has "
                                    f"{[(u.uid, u.size, u.info.get('offset')) for u in matches]}\n{log[-3000:]}")
        u = complete[0]
        assert u.size == size and u.sha256 == sha, f"{rel}: stored bytes differ from the original"
        moved = centre.uploaded / rel
        assert moved.is_file(), f"{rel}: not in uploaded/\n{log[-3000:]}"
        receipt = moved.with_name(moved.name + ".receipt.txt")
        assert receipt.is_file(), f"{rel}: no receipt"
        assert sha in receipt.read_text().lower(), f"{rel}: receipt lacks the SHA-256"
        assert not (centre.drop / rel).exists(), f"{rel}: still in the drop folder"
    left = [str(p.relative_to(centre.drop)) for p in centre.drop.rglob("*")
            if p.is_file() and p.name not in ("UPLOAD-STATUS.html", "UPLOAD-STATUS.txt")]
    assert left == [], f"drop folder not empty: {left}"


@dataclasses.dataclass
class Daemon:
    """`evidence-uploader run` (the daemon) with its output in a log file."""
    binary: Path
    config: Path
    log: Path
    procs: list
    args: tuple = ("run",)
    process: subprocess.Popen | None = None

    def start(self, extra_env: dict | None = None, argv_prefix: list | None = None) -> "Daemon":
        logf = open(self.log, "ab")
        argv = [*(argv_prefix or []), str(self.binary), *self.args, "--config", str(self.config)]
        self.process = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env={**os.environ, **(extra_env or {})})
        logf.close()
        self.procs.append(self.process)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self, timeout: float = 20) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def wait_until(predicate, timeout: float, interval: float = 0.2, why: str = "") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
