"""sd_notify, as systemd would see it: a datagram listener on $NOTIFY_SOCKET (an abstract
"@name" socket and a path socket), the real daemon with WATCHDOG_USEC=2000000, a file delivered
meanwhile, then SIGTERM. The messages must come READY=1, STATUS=..., WATCHDOG=1, STOPPING=1, in
that order, and the daemon must exit 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import samples

UNIT = "8711-305"


class NotifyListener:
    def __init__(self, address: str, bind_to):
        self.address = address  # what goes into NOTIFY_SOCKET
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(bind_to)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, dict[str, str], str]] = []

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            text = data.decode()
            fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
            self.messages.append((time.monotonic(), fields, text))

    def wait_for(self, key: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(key in f for _, f, _ in self.messages):
                return True
            self.drain(0.2)
        return False

    def first(self, key: str) -> int:
        return next(i for i, (_, f, _) in enumerate(self.messages) if key in f)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(params=["abstract", "path"])
def listener(request, workdir):
    if request.param == "abstract":
        name = f"evidence-notify-test-{os.getpid()}-{time.monotonic_ns()}"
        l = NotifyListener("@" + name, "\0" + name)
    else:
        path = workdir / "notify.sock"
        l = NotifyListener(str(path), str(path))
    yield l
    l.close()


def test_ready_status_watchdog_stopping_in_order(binary, centre, listener, workdir):
    rel = f"{UNIT}/1234/bricklaying-wall.mp4"
    samples.write_mp4(str(centre.drop / rel), 2_000_000)
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(NOTIFY_SOCKET=listener.address, WATCHDOG_USEC="2000000")
    log = workdir / "daemon.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen([str(binary), "run", "--config", str(centre.config)], env=env,
                                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    # the daemon's own pid: WATCHDOG_PID, as systemd sets it, must be honoured too
    try:
        assert listener.wait_for("READY", 20), "no READY=1:\n" + log.read_text(errors="replace")
        delivered = centre.uploaded / (rel + ".receipt.txt")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not delivered.exists():
            listener.drain(0.2)
        assert delivered.exists(), "the file was not delivered:\n" + log.read_text(errors="replace")
        listener.drain(3.0)  # WatchdogSec=2s: keep-alives every second
        assert proc.poll() is None, log.read_text(errors="replace")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, log.read_text(errors="replace")
        listener.drain(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    keys = [list(f) for _, f, _ in listener.messages]
    texts = [t for _, _, t in listener.messages]
    ready = listener.first("READY")
    assert listener.messages[ready][1]["READY"] == "1"
    statuses = [i for i, (_, f, _) in enumerate(listener.messages) if "STATUS" in f]
    watchdogs = [i for i, (_, f, _) in enumerate(listener.messages) if "WATCHDOG" in f]
    stopping = listener.first("STOPPING")
    assert listener.messages[stopping][1]["STOPPING"] == "1"
    # READY comes first (nothing before it but, possibly, STATUS), STOPPING last of the three kinds
    assert all("READY" not in k and "STOPPING" not in k and "WATCHDOG" not in k for k in keys[:ready]), texts
    assert statuses and min(statuses) <= ready + 1, texts
    assert any(ready < i < stopping for i in statuses), "STATUS= while running\n" + "\n".join(texts)
    assert watchdogs and all(ready < i < stopping for i in watchdogs), texts
    assert all(listener.messages[i][1]["WATCHDOG"] == "1" for i in watchdogs)
    # every WatchdogSec/2 = 1 s: during ~3 s of running at least two keep-alives, never a gap near 2 s
    times = [listener.messages[i][0] for i in watchdogs]
    assert len(times) >= 2, texts
    assert max(b - a for a, b in zip(times, times[1:])) < 1.9, times
    assert all("WATCHDOG" not in k for k in keys[stopping + 1:]), "keep-alive after STOPPING=1"
    # an operator's line: the delivery shows in a STATUS= line
    assert any("1 delivered" in listener.messages[i][1]["STATUS"] for i in statuses), texts
    for t in texts:
        assert "\0" not in t


def test_silent_without_notify_socket_and_no_watchdog_for_another_pid(binary, centre, workdir):
    """WATCHDOG_PID naming another process: no keep-alives (sd_watchdog_enabled semantics)."""
    name = f"evidence-notify-other-{os.getpid()}-{time.monotonic_ns()}"
    l = NotifyListener("@" + name, "\0" + name)
    env = {**os.environ, "NOTIFY_SOCKET": l.address, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}
    proc = subprocess.Popen([str(binary), "run", "--config", str(centre.config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        assert l.wait_for("READY", 20)
        l.drain(2.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        l.drain(0.3)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        l.close()
    assert not any("WATCHDOG" in f for _, f, _ in l.messages), [t for _, _, t in l.messages]
    assert any("STOPPING" in f for _, f, _ in l.messages)
