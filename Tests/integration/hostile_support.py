"""Shared helpers for the hostile-input tests: a running daemon, crash checks, marker search.

Kept out of conftest.py so the other suites are untouched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

MB = 1_000_000
UNIT = "8711-305"
CANDIDATE = "1234"


def assert_no_crash(returncode: int, output: str, what: str = "") -> None:
    """No signal death (negative, or >= 128 from a shell) and no Swift runtime trap."""
    assert returncode is not None, f"{what}: still running"
    assert 0 <= returncode < 128, f"{what}: crashed or killed (exit {returncode})\n{output[-4000:]}"
    assert "Fatal error" not in output, f"{what}: Swift runtime trap\n{output[-4000:]}"


def marker_in_store(store: Path, marker: bytes) -> list[str]:
    """Every file in the portal's store (data and .info) that contains marker."""
    hits = []
    if not store.is_dir():
        return hits
    for p in store.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                if marker in f.read():
                    hits.append(str(p))
    return hits


def write_marked_mp4(path: os.PathLike | str, marker: bytes, size: int = 2 * MB) -> bytes:
    """An MP4 that would be accepted if anyone followed the way to it, with marker inside."""
    from conftest import samples
    samples.write_mp4(str(path), size)
    with open(path, "r+b") as f:
        f.seek(4096)
        f.write(marker)
    with open(path, "rb") as f:
        return f.read()


def reason_of(rejected_root: Path, rel: str) -> str:
    p = rejected_root / (rel + ".reason.txt")
    assert p.is_file(), f"no reason note at {p}; rejected/ holds {sorted(map(str, rejected_root.rglob('*')))}"
    return p.read_text(errors="replace")


class RunningDaemon:
    """`evidence-uploader run --config CFG [--once]` in the background, stderr+stdout to a log file."""

    def __init__(self, binary: Path, config: Path, log: Path, extra_args: list[str] | None = None):
        self.log_path = log
        self._logf = open(log, "ab")
        self.proc = subprocess.Popen([str(binary), "run", "--config", str(config), *(extra_args or [])],
                                     stdout=self._logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match | None:
        """First match of regex pattern in the log (from character `start`), or None at timeout
        or when the daemon exits."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.text(), start)
            if m:
                return m
            if not self.alive():
                return rx.search(self.text(), start)
            time.sleep(0.1)
        return None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, wait; SIGKILL if it does not stop (reported as a hang by the caller)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._logf.close()
                raise AssertionError(f"daemon did not stop within {timeout}s of SIGTERM\n{self.text()[-4000:]}")
        self._logf.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._logf.closed:
            self._logf.close()


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
