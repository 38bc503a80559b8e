"""Helpers for the daemon tests (test_daemon.py): the real `run` (no --once) as a subprocess whose
stderr is read line by line on a thread (each line with the wall-clock time it arrived), a centre
tree with a daemon-shaped config, and waiting for deliveries.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import CENTRE_NUMBER, Centre, Portal, read_store, sha256_file

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
UNIT = "8711-305"
CANDIDATE = "1234"


# --------------------------------------------------------------------------- config + centre

def write_daemon_config(path: Path, *, portal: Portal, drop: Path, uploaded: Path, rejected: Path, state: Path,
                        settle_time: str = "500ms", watch: str = "inotify", poll_interval: str = "30s",
                        chunk_size: str = "8MiB", parallel_uploads: int = 2, max_rate: str = "",
                        password_file: Path | None = None, low_speed_time: str = "60s",
                        url: str | None = None, extra: str = "") -> Path:
    text = f"""[centre]
number = "{CENTRE_NUMBER}"

[portal]
url = "{url or portal.url}"
password_file = "{password_file or ''}"

[folders]
drop = "{drop}"
uploaded = "{uploaded}"
rejected = "{rejected}"
state = "{state}"
watch = "{watch}"
poll_interval = "{poll_interval}"

[policy]
settle_time = "{settle_time}"

[transfer]
chunk_size = "{chunk_size}"
parallel_uploads = {parallel_uploads}
max_rate = "{max_rate}"
low_speed_time = "{low_speed_time}"
{extra}"""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)  # the daemon may re-read it on SIGHUP: never show it half-written
    return path


def make_daemon_centre(workdir: Path, portal: Portal, **config) -> Centre:
    root = workdir / "centre"
    dirs = {name: root / name for name in ("drop", "uploaded", "rejected", "state")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    cfg = write_daemon_config(root / "config.toml", portal=portal, **dirs, **config)
    return Centre(root, dirs["drop"], dirs["uploaded"], dirs["rejected"], dirs["state"], cfg, portal)


def rewrite_config(centre: Centre, **config) -> None:
    write_daemon_config(centre.config, portal=centre.portal, drop=centre.drop, uploaded=centre.uploaded,
                        rejected=centre.rejected, state=centre.state, **config)


# --------------------------------------------------------------------------- files

def rel(name: str, candidate: str = CANDIDATE, unit: str = UNIT) -> str:
    return f"{unit}/{candidate}/{name}"


def text_bytes(tag: str, size: int = 200) -> bytes:
    """Unique plain-text content (the daemon delivers identical content+labels only once)."""
    line = f"evidence {tag} "
    return (line * (size // len(line) + 1))[:size].encode()


def drop_file(centre: Centre, relpath: str, data: bytes) -> Path:
    """Write a file straight into the drop folder (created, written, closed at once)."""
    p = centre.drop / relpath
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return p


def receipt(centre: Centre, relpath: str) -> Path:
    return centre.uploaded / (relpath + ".receipt.txt")


def delivered(centre: Centre, relpath: str) -> bool:
    return receipt(centre, relpath).exists() and (centre.uploaded / relpath).exists()


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition", daemon=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if daemon is not None and daemon.proc.poll() is not None:
            pytest.fail(f"daemon exited ({daemon.proc.returncode}) while waiting for {what}\n{daemon.tail()}")
        if time.monotonic() >= deadline:
            msg = f"timed out after {timeout:.0f}s waiting for {what() if callable(what) else what}"
            if daemon is not None:
                msg += "\n" + daemon.tail()
            pytest.fail(msg)
        time.sleep(interval)


def wait_delivered(centre: Centre, rels, timeout: float, daemon=None) -> None:
    rels = list(rels)
    wait_until(lambda: all(delivered(centre, r) for r in rels), timeout,
               what=lambda: f"{len(rels)} deliveries (have {sum(delivered(centre, r) for r in rels)}; missing "
                            f"{[r for r in rels if not delivered(centre, r)][:5]})", daemon=daemon)


def uploads_by_filename(portal: Portal) -> dict:
    result: dict = {}
    for u in read_store(portal.store):
        result.setdefault(u.metadata.get("filename"), []).append(u)
    return result


def assert_on_server_once(portal: Portal, expected: dict) -> None:
    """expected: file name -> (sha256, size). Exactly one complete upload per name, identical bytes,
    and nothing else on the server."""
    by_name = uploads_by_filename(portal)
    problems = []
    for name, (sha, size) in expected.items():
        got = by_name.get(name, [])
        if len(got) != 1:
            problems.append(f"{name}: {len(got)} uploads")
            continue
        u = got[0]
        if not u.complete or u.size != size or u.sha256 != sha:
            problems.append(f"{name}: complete={u.complete} size={u.size}/{size} sha ok={u.sha256 == sha}")
    extra = set(by_name) - set(expected)
    if extra:
        problems.append(f"unexpected uploads: {sorted(extra)[:10]}")
    assert not problems, "server store differs:\n" + "\n".join(problems[:30])


def portal_posts(portal: Portal) -> int:
    return len(re.findall(r"portal: POST /files/? \d+", portal.log_text()))


# --------------------------------------------------------------------------- the daemon

@dataclasses.dataclass
class LogLine:
    at: float       # time.time() when the line arrived
    text: str

    def field(self, key: str) -> str | None:
        m = re.search(rf"\s{re.escape(key)}=(\"(?:[^\"\\]|\\.)*\"|\S+)", self.text)
        if not m:
            return None
        v = m.group(1)
        return json.loads(v) if v.startswith('"') else v


class Daemon:
    """`evidence-uploader run --config CFG` with its stderr collected on a thread."""

    def __init__(self, binary: Path, config: Path, logfile: Path, env: dict | None = None):
        environment = {**os.environ, **(env or {})}
        environment.pop("JOURNAL_STREAM", None)      # plain text lines with timestamps
        environment.pop("NOTIFY_SOCKET", None)
        self.argv = [str(binary), "run", "--config", str(config)]
        self.binary = binary
        self.config = config
        self.lines: list[LogLine] = []
        self._lock = threading.Lock()
        self._logfile = open(logfile, "a", buffering=1)
        self.started_at = time.time()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=environment, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = LogLine(time.time(), raw.rstrip("\n"))
            with self._lock:
                self.lines.append(line)
            self._logfile.write(raw)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        with self._lock:
            return "\n".join(l.text for l in self.lines)

    def tail(self, n: int = 60) -> str:
        with self._lock:
            return "--- daemon log (tail) ---\n" + "\n".join(l.text for l in self.lines[-n:])

    def matching(self, pattern: str) -> list[LogLine]:
        rx = re.compile(pattern)
        with self._lock:
            return [l for l in self.lines if rx.search(l.text)]

    def wait_for(self, pattern: str, timeout: float, after: int = 0) -> LogLine:
        """The first line matching `pattern` (a regex) among lines[after:]."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for l in self.lines[after:]:
                    if rx.search(l.text):
                        return l
            if self.proc.poll() is not None:
                self._reader.join(timeout=2)
                with self._lock:
                    for l in self.lines[after:]:
                        if rx.search(l.text):
                            return l
                pytest.fail(f"daemon exited ({self.proc.returncode}) before logging /{pattern}/\n{self.tail()}")
            if time.monotonic() >= deadline:
                pytest.fail(f"no log line /{pattern}/ within {timeout:.0f}s\n{self.tail()}")
            time.sleep(0.1)

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def vm(self, key: str = "VmHWM") -> int | None:
        """kB from /proc/PID/status (VmHWM = peak RSS, VmRSS = now)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM, then SIGKILL after `timeout` s. Returns (exit code, seconds it took)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elapsed = time.monotonic() - started
        self._reader.join(timeout=5)
        self._logfile.close() if not self._logfile.closed else None
        return self.proc.returncode, elapsed


@pytest.fixture
def daemons(binary, workdir):
    """daemons(centre, env=None) -> a running Daemon; every one is stopped at teardown."""
    started: list[Daemon] = []

    def start(centre: Centre, env: dict | None = None) -> Daemon:
        d = Daemon(binary, centre.config, workdir / f"daemon-{len(started)}.log", env)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def cli(binary: Path, *args, timeout: float = 30) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def status_json(binary: Path, centre: Centre) -> dict:
    r = cli(binary, "status", "--json", "--config", centre.config)
    assert r.returncode == 0, f"status --json exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout)


# --------------------------------------------------------------------------- a portal that is not there yet

class NotFoundServer:
    """Answers 404 to every request on a loopback port (a wrong or missing portal path)."""

    def __init__(self):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def _404(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = b'{"detail":"Not Found"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_HEAD = do_OPTIONS = do_DELETE = _404

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_portal_on_port(workdir: Path, port: int) -> Portal:
    """scripts/portal.py on a given port (the one a NotFoundServer had)."""
    from conftest import PORTAL_PY, _wait_ready, portal_python
    store = workdir / "portal-store"
    store.mkdir(parents=True, exist_ok=True)
    log = workdir / "portal.log"
    url = f"http://127.0.0.1:{port}/files/"
    with open(log, "ab") as logf:
        proc = subprocess.Popen([portal_python(), str(PORTAL_PY), "--host", "127.0.0.1", "--port", str(port),
                                 "--store", str(store)], stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if not _wait_ready(url, proc, timeout=20):
        proc.kill()
        raise RuntimeError(f"portal did not start on {port}:\n{log.read_text(errors='replace')[-2000:]}")
    return Portal(url, port, store, log, proc)


def inotify_watch_count(pid: int) -> int:
    """Watches the process holds, from /proc/PID/fdinfo ("inotify wd:" lines)."""
    count = 0
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            count += info.read_text().count("inotify wd:")
        except OSError:
            pass
    return count
