#!/usr/bin/env python3
"""Side-by-side benchmark of evidence-uploader (issue 7, section 1).

    .venv/bin/python bench/bench.py [--reps 3] [--quick] [--bin PATH] [--work DIR] [--out DIR]

In one run, interleaved, each measurement repeated --reps times (median reported):

  A. 1 GiB video to the local tuspyserver: `evidence-uploader run --once` vs tuspy (8 MiB chunks),
     fresh portal store each time; the floor: `curl -T` to an nginx location that discards the body
     plus `openssl dgst -sha256` (CPU summed). Client CPU and peak RSS from wait4() rusage.
  B. peak RSS of evidence-uploader uploading a 2.5 GB (real, not sparse) file.
  C. a 100 Mbit/s tbf link (veth between two network namespaces) with 40 ms added round-trip
     latency (bench/delay_proxy.py, 20 ms each way): evidence-uploader vs `curl -T` to nginx, and
     two files at once against that link's capacity.
  D. S3: the 1 GiB file to SeaweedFS, evidence-uploader vs `aws s3 cp` (awscli from PyPI).
  E. many small files through a delaying proxy vs tuspy: wall, round trips and sync calls per file
     (bench.py --only-small runs only this one).

Prints one table and writes bench-results/latest.md and bench-results/latest.json.
--quick uses small files (64 MiB / 256 MB / 100 MiB) for a smoke check; its ratios are noisy.
Needs root for C (ip netns, tc); without it, C is skipped and the table says why.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PY = sys.executable
GiB = 1 << 30
MiB = 1 << 20
CHUNK = 8 * MiB

NS_CLIENT = f"eub-c-{os.getpid()}"
NS_SERVER = f"eub-s-{os.getpid()}"
VETH_C = f"ebc{os.getpid()}"[:15]
VETH_S = f"ebs{os.getpid()}"[:15]
ADDR_C, ADDR_S = "10.200.0.1", "10.200.0.2"
NS_PORTAL_PORT, NS_NGINX_PORT = 18088, 18090        # inside the server namespace
NS_PROXY_PORTAL, NS_PROXY_NGINX = 18101, 18102      # inside the client namespace (loopback)


def log(msg: str) -> None:
    sys.stderr.write(f"bench: {msg}\n")
    sys.stderr.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ns_prefix(ns: str | None) -> list[str]:
    return ["ip", "netns", "exec", ns] if ns else []


# --------------------------------------------------------------------------- measuring a process

class Result(types.SimpleNamespace):
    pass


TIME = "/usr/bin/time"


def measure(argv: list[str], ns: str | None = None, stdout=subprocess.DEVNULL, stderr=None) -> Result:
    """Run argv (inside namespace ns if given) under GNU time: wall seconds, CPU seconds
    (user + system), peak RSS (KiB), exit code. GNU time, a small process, forks the client, so
    the client's peak RSS is its own (a child forked straight from this Python process would
    report this process's peak instead)."""
    fd, tf = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    try:
        t0 = time.monotonic()
        rc = subprocess.call(ns_prefix(ns) + [TIME, "-o", tf, "-f", "%e %U %S %M %x"] + argv,
                             stdout=stdout, stderr=stderr)
        wall = time.monotonic() - t0
        with open(tf) as f:
            last = f.read().strip().splitlines()[-1].split()
    finally:
        os.remove(tf)
    _, user, sys_, rss, code = last
    return Result(wall=wall, cpu=float(user) + float(sys_), user=float(user), sys=float(sys_),
                  maxrss_kib=int(rss), rc=int(code))


def run(argv: list[str], check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, **kw)


# --------------------------------------------------------------------------- test files

def load_sample_module():
    loader = importlib.machinery.SourceFileLoader("sample_evidence",
                                                  os.path.join(ROOT, "scripts", "sample-evidence"))
    mod = types.ModuleType(loader.name)
    loader.exec_module(mod)
    return mod


def write_video(path: str, size: int) -> None:
    """A real (not sparse) MP4-looking file: ftyp + mdat header, then a 64 MiB random block
    written over and over with a counter in front of each copy."""
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    sample = load_sample_module()
    header = sample.video_header(size)
    block = bytearray(os.urandom(64 * MiB))
    t0 = time.monotonic()
    with open(path + ".tmp", "wb") as f:
        f.write(header)
        left, n = size - len(header), 0
        while left > 0:
            block[:8] = n.to_bytes(8, "big")
            k = min(left, len(block))
            f.write(memoryview(block)[:k])
            left -= k
            n += 1
    os.rename(path + ".tmp", path)
    log(f"wrote {path} ({size:,} B) in {time.monotonic() - t0:.1f}s")


# --------------------------------------------------------------------------- servers

class Portal:
    """tuspyserver (scripts/portal.py) with a fresh store, optionally inside a namespace."""

    def __init__(self, work: str, host: str, port: int, ns: str | None = None):
        self.store = os.path.join(work, "store")
        shutil.rmtree(self.store, ignore_errors=True)
        os.makedirs(self.store)
        self.url = f"http://{host}:{port}/files/"
        self.ns = ns
        self.logf = open(os.path.join(work, "portal.log"), "ab")
        self.p = subprocess.Popen(ns_prefix(ns) + [PY, os.path.join(ROOT, "scripts", "portal.py"),
                                   "--host", host, "--port", str(port), "--store", self.store],
                                  stdout=self.logf, stderr=self.logf, start_new_session=True)
        wait_http(self.url, "OPTIONS", ns, self.p)

    def stored_sizes(self) -> list[int]:
        return [os.path.getsize(os.path.join(self.store, f)) for f in os.listdir(self.store)
                if re.fullmatch(r"[0-9a-f]{32}", f) and os.path.isfile(os.path.join(self.store, f))]

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()
        shutil.rmtree(self.store, ignore_errors=True)


class Nginx:
    """nginx taking `PUT /discard/NAME` into a store (tmpfs when /dev/shm has room), emptied
    after every request by clear()."""

    def __init__(self, work: str, listen: str, ns: str | None = None):
        tag = ns or "host"
        self.dir = os.path.join(work, "nginx-" + tag)
        os.makedirs(self.dir, exist_ok=True)
        shm = "/dev/shm"
        if os.path.isdir(shm) and shutil.disk_usage(shm).free > 4 * GiB:
            self.store = os.path.join(shm, f"eub-bench-{os.getpid()}-{tag}")
        else:
            self.store = os.path.join(self.dir, "store")
        os.makedirs(os.path.join(self.store, "body"), exist_ok=True)
        os.makedirs(os.path.join(self.store, "discard"), exist_ok=True)
        for d in (self.store, os.path.join(self.store, "body"), os.path.join(self.store, "discard")):
            os.chmod(d, 0o777)  # the worker runs as nobody when the master is root
        with open(os.path.join(BENCH, "nginx.conf.in")) as f:
            conf = (f.read().replace("@DIR@", self.dir).replace("@STORE@", self.store)
                    .replace("@LISTEN@", listen))
        cf = os.path.join(self.dir, "nginx.conf")
        with open(cf, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.p = subprocess.Popen(ns_prefix(ns) + [nginx, "-c", cf, "-e", os.path.join(self.dir, "error.log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        self.url = f"http://{listen}/discard/upload.bin"
        wait_http(f"http://{listen}/", "GET", ns, self.p)

    def clear(self) -> None:
        d = os.path.join(self.store, "discard")
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGQUIT)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        shutil.rmtree(self.store, ignore_errors=True)


def wait_http(url: str, method: str, ns: str | None, proc: subprocess.Popen, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server for {url} exited during start-up (rc {proc.returncode})")
        r = subprocess.run(ns_prefix(ns) + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                            "-X", method, "-H", "Tus-Resumable: 1.0.0", url],
                           capture_output=True, text=True)
        if r.stdout.strip() not in ("", "000"):
            return
        time.sleep(0.2)
    raise SystemExit(f"bench: {url} did not answer within {timeout}s")


# --------------------------------------------------------------------------- the clients

UNIT, CANDIDATE = "8711-305", "1234"
EU_CHUNK = "8MiB"  # evidence-uploader's [transfer] chunk_size (--eu-chunk-size)


class Uploader:
    """evidence-uploader run --once with its own drop/uploaded/rejected/state folders."""

    def __init__(self, binary: str, work: str, name: str, url: str):
        self.binary = binary
        self.dir = os.path.join(work, "eu-" + name)
        self.url = url
        self.config = os.path.join(self.dir, "config.toml")
        self.log = os.path.join(self.dir, "uploader.log")
        self.extra_portal = ""  # more [portal] keys (the S3 row)

    def prepare(self, src: str) -> str:
        """Fresh folders; move the test file into drop/<unit>/<candidate>/. Returns its path."""
        for sub in ("uploaded", "rejected", "state"):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        drop_dir = os.path.join(self.dir, "drop", UNIT, CANDIDATE)
        os.makedirs(drop_dir, exist_ok=True)
        for sub in ("uploaded", "rejected", "state"):
            os.makedirs(os.path.join(self.dir, sub))
        with open(self.config, "w") as f:
            f.write(f"""[centre]
number = "12345"

[portal]
url = "{self.url}"
{self.extra_portal}
[folders]
drop = "{self.dir}/drop"
uploaded = "{self.dir}/uploaded"
rejected = "{self.dir}/rejected"
state = "{self.dir}/state"

[policy]
settle_time = "0s"
max_video_size = "3GB"
max_file_size = "3GB"

[transfer]
chunk_size = "{EU_CHUNK}"
parallel_uploads = 1
""")
        dst = os.path.join(drop_dir, os.path.basename(src))
        os.rename(src, dst)
        return dst

    def restore(self, src: str) -> None:
        """Move the file back to where it came from, wherever the run left it."""
        name = os.path.basename(src)
        for sub in ("uploaded", "drop", "rejected"):
            p = os.path.join(self.dir, sub, UNIT, CANDIDATE, name)
            if os.path.exists(p):
                os.rename(p, src)
                return
        raise SystemExit(f"bench: lost {name} after an evidence-uploader run (see {self.log})")

    def upload(self, src: str, ns: str | None = None, also: tuple[str, ...] = ()) -> Result:
        """Uploads src (and the files in `also`, all at once: parallel_uploads = their number)."""
        dst = self.prepare(src)
        for extra in also:
            os.rename(extra, os.path.join(os.path.dirname(dst), os.path.basename(extra)))
        if also:
            with open(self.config) as f:
                text = f.read().replace("parallel_uploads = 1\n", f"parallel_uploads = {1 + len(also)}\n")
            with open(self.config, "w") as f:
                f.write(text)
        try:
            with open(self.log, "ab") as lf:
                r = measure([self.binary, "run", "--once", "--config", self.config], ns, stderr=lf)
            r.delivered = all(os.path.exists(os.path.join(self.dir, "uploaded", UNIT, CANDIDATE, os.path.basename(f)))
                              for f in (src, *also))
        finally:
            for f in (src, *also):
                self.restore(f)
        if r.rc != 0 or not r.delivered:
            raise SystemExit(f"bench: evidence-uploader failed (rc {r.rc}); see {self.log}")
        return r


def curl_put(path: str, server: "Nginx", url: str, ns: str | None = None) -> Result:
    out = os.path.join(os.path.dirname(path), ".curl-out")
    server.clear()
    with open(out, "w") as f:
        r = measure(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_upload}",
                     "-T", path, url], ns, stdout=f)
    server.clear()
    with open(out) as f:
        code, sent = f.read().split()
    size = os.path.getsize(path)
    if r.rc != 0 or code not in ("201", "204") or int(float(sent)) != size:
        raise SystemExit(f"bench: curl -T {url}: rc {r.rc}, HTTP {code}, sent {sent} of {size} bytes")
    return r


def floor(path: str, server: "Nginx") -> Result:
    c = curl_put(path, server, server.url)
    o = measure(["openssl", "dgst", "-sha256", path])
    if o.rc != 0:
        raise SystemExit("bench: openssl dgst failed")
    return Result(wall=c.wall + o.wall, cpu=c.cpu + o.cpu, maxrss_kib=max(c.maxrss_kib, o.maxrss_kib),
                  curl=c, openssl=o, rc=0)


def tuspy(path: str, url: str, log_path: str) -> Result:
    with open(log_path, "ab") as lf:
        r = measure([PY, os.path.join(BENCH, "tus_upload.py"), url, path, str(CHUNK)], stderr=lf)
    if r.rc != 0:
        raise SystemExit(f"bench: tuspy failed (rc {r.rc}); see {log_path}")
    return r


# --------------------------------------------------------------------------- the capped link

class Link:
    """Two namespaces joined by a veth pair, tbf 100 Mbit/s both ways; in the server namespace
    the portal and nginx, in the client namespace the delaying proxy on loopback."""

    def __init__(self, work: str, delay_ms: float, rate: str):
        self.work = work
        self.up = False
        self.procs: list = []
        self.proxy = None
        try:
            self._build(delay_ms, rate)
        except BaseException:
            self.close()  # no half-built namespaces or servers left behind
            raise

    def _build(self, delay_ms: float, rate: str) -> None:
        work = self.work
        cmds = [
            ["ip", "netns", "add", NS_CLIENT],
            ["ip", "netns", "add", NS_SERVER],
            ["ip", "link", "add", VETH_C, "netns", NS_CLIENT, "mtu", "1500",
             "type", "veth", "peer", "name", VETH_S, "netns", NS_SERVER, "mtu", "1500"],
            ["ip", "-n", NS_CLIENT, "addr", "add", f"{ADDR_C}/30", "dev", VETH_C],
            ["ip", "-n", NS_SERVER, "addr", "add", f"{ADDR_S}/30", "dev", VETH_S],
            ["ip", "-n", NS_CLIENT, "link", "set", "lo", "up"],
            ["ip", "-n", NS_SERVER, "link", "set", "lo", "up"],
            ["ip", "-n", NS_CLIENT, "link", "set", VETH_C, "up"],
            ["ip", "-n", NS_SERVER, "link", "set", VETH_S, "up"],
            ["tc", "-n", NS_CLIENT, "qdisc", "add", "dev", VETH_C, "root", "tbf",
             "rate", rate, "burst", "32kbit", "latency", "400ms"],
            ["tc", "-n", NS_SERVER, "qdisc", "add", "dev", VETH_S, "root", "tbf",
             "rate", rate, "burst", "32kbit", "latency", "400ms"],
        ]
        self.up = True
        for c in cmds:
            r = subprocess.run(c, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(c)}: {r.stderr.strip()}")
        self.nginx = Nginx(work, f"{ADDR_S}:{NS_NGINX_PORT}", NS_SERVER)
        self.procs.append(self.nginx)
        self.proxy = subprocess.Popen(
            ns_prefix(NS_CLIENT) + [PY, os.path.join(BENCH, "delay_proxy.py"), "--delay-ms", str(delay_ms),
                                    "--map", f"127.0.0.1:{NS_PROXY_PORTAL}={ADDR_S}:{NS_PORTAL_PORT}",
                                    "--map", f"127.0.0.1:{NS_PROXY_NGINX}={ADDR_S}:{NS_NGINX_PORT}"],
            stdout=subprocess.PIPE, stderr=open(os.path.join(work, "proxy.log"), "ab"),
            start_new_session=True)
        if self.proxy.stdout.readline().strip() != b"ready":
            raise RuntimeError("delay proxy did not start")
        self.portal_url = f"http://127.0.0.1:{NS_PROXY_PORTAL}/files/"
        self.nginx_url = f"http://127.0.0.1:{NS_PROXY_NGINX}/discard/upload.bin"

    def tx_bytes(self) -> int:
        r = run(["ip", "netns", "exec", NS_CLIENT, "cat", f"/sys/class/net/{VETH_C}/statistics/tx_bytes"],
                capture_output=True, text=True)
        return int(r.stdout)

    def close(self) -> None:
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.terminate()
            self.proxy.wait()
        for p in self.procs:
            p.stop()
        if self.up:
            for ns in (NS_CLIENT, NS_SERVER):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def link_probe() -> str | None:
    """None if network namespaces and tbf can be used here, else why not."""
    if os.geteuid() != 0:
        return "not root (ip netns and tc need root)"
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            return f"`{tool}` is missing (apt-get install iproute2)"
    name = f"eub-probe-{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns add failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


# --------------------------------------------------------------------------- the run

def med(xs):
    return statistics.median(xs) if xs else None


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB, 1),
            "loadavg_at_start": [round(x, 2) for x in load]}



# --------------------------------------------------------------------------- many small files

def small_files_row(args, work: str, reps: int) -> dict:
    """N files of 100 kB through a proxy adding a delay each way: evidence-uploader run --once
    (its defaults: 2 parallel uploads plus the small-file lane) against tuspy sending them one
    after another; both through the same proxy to the same kind of portal, alternating which goes
    first. The proxy counts the round trips each made. Then one more evidence-uploader run of the
    same files straight to the portal under `strace -f -c`: its syscalls, and its sync calls, per
    file."""
    n = args.small_files
    src = os.path.join(work, "small-src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    samples_mod = load_sample_module()
    paths = []
    for i in range(n):
        path = os.path.join(src, f"record-{i:04d}.pdf")
        with open(path, "wb") as f:
            f.write(samples_mod.pdf_bytes(f"record {i}") + os.urandom(100_000 - 700))
        paths.append(path)

    def eu_run(url: str, wrap: list[str] | None = None) -> Result:
        up = Uploader(args.bin, work, "small", url)
        up.prepare(paths[0])
        drop_dir = os.path.join(up.dir, "drop", UNIT, CANDIDATE)
        for p in paths[1:]:
            shutil.copy(p, drop_dir)
        shutil.copy(os.path.join(drop_dir, os.path.basename(paths[0])), paths[0])
        with open(up.config) as f:
            text = f.read().replace("parallel_uploads = 1\n", "")
        with open(up.config, "w") as f:
            f.write(text)
        with open(up.log, "ab") as lf:
            r = measure((wrap or []) + [args.bin, "run", "--once", "--config", up.config], stderr=lf)
        if r.rc != 0:
            raise SystemExit(f"bench: small files: evidence-uploader failed (rc {r.rc}); see {up.log}")
        return r

    walls = {"eu": [], "tuspy": []}
    trips = {"eu": [], "tuspy": []}
    conns = {"eu": [], "tuspy": []}
    for rep in range(reps):
        for step in (["eu", "tuspy"] if rep % 2 == 0 else ["tuspy", "eu"]):
            portal_port, proxy_port = free_port(), free_port()
            portal = Portal(os.path.join(work, "portal-small"), "127.0.0.1", portal_port)
            stats_path = os.path.join(work, "proxy-stats.json")
            if os.path.exists(stats_path):
                os.remove(stats_path)
            proxy = subprocess.Popen([PY, os.path.join(BENCH, "delay_proxy.py"), "--delay-ms", str(args.small_delay_ms),
                                      "--map", f"127.0.0.1:{proxy_port}=127.0.0.1:{portal_port}", "--stats", stats_path],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                if proxy.stdout.readline().strip() != b"ready":
                    raise SystemExit("bench: the delay proxy did not start")
                url = f"http://127.0.0.1:{proxy_port}/files/"
                if step == "eu":
                    r = eu_run(url)
                else:
                    r = measure([PY, os.path.join(BENCH, "tus_upload_many.py"), url] + paths)
                    if r.rc != 0:
                        raise SystemExit(f"bench: small files: tuspy failed (rc {r.rc})")
                stored = len(portal.stored_sizes())
                if stored != n:
                    raise SystemExit(f"bench: small files: {step}: the portal stored {stored} of {n}")
            finally:
                proxy.terminate()
                proxy.wait()
                portal.stop()
            with open(stats_path) as f:
                stats = json.load(f)
            trips[step].append(stats["round_trips"] / n)
            conns[step].append(stats["connections"])
            log(f"small files {step} {n} x 100 kB, {args.small_delay_ms:.0f} ms each way: wall {r.wall:.2f}s cpu {r.cpu:.2f}s, "
                f"{stats['round_trips'] / n:.2f} round trips per file on {stats['connections']} connections")
            walls[step].append(r.wall)

    # Syscalls per file, straight to the portal (no proxy), under strace -f -c.
    calls = None
    if shutil.which("strace"):
        portal = Portal(os.path.join(work, "portal-small"), "127.0.0.1", free_port())
        counts = os.path.join(work, "strace-small.txt")
        try:
            eu_run(portal.url, ["strace", "-f", "-c", "-o", counts])
        finally:
            portal.stop()
        calls = {}
        with open(counts) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[-1].isidentifier() and parts[3].isdigit():
                    calls[parts[-1]] = int(parts[3])
                elif len(parts) >= 4 and parts[-1] == "total":
                    calls["total"] = int(parts[3])
        log(f"small files under strace: {calls}")
    else:
        log("strace missing: no syscall counts (apt-get install strace)")

    eu, tp = med(walls["eu"]), med(walls["tuspy"])
    row = {"files": n, "delay_ms": args.small_delay_ms, "eu_wall": eu, "tuspy_wall": tp, "ratio": tp / eu,
           "eu_round_trips_per_file": med(trips["eu"]), "tuspy_round_trips_per_file": med(trips["tuspy"]),
           "eu_connections": med(conns["eu"]), "tuspy_connections": med(conns["tuspy"]), "strace_counts": calls}
    lines = [f"| {n} x 100 kB, {args.small_delay_ms:.0f} ms each way, default config (wall, s; ref = tuspy sequential) "
             f"| {eu:.2f} | {tp:.2f} | **{tp / eu:.2f}x** | ≥ 5x | {'pass' if tp / eu >= 5 else 'FAIL'} |",
             f"| round trips per small file, counted at the proxy (ref = tuspy) | {med(trips['eu']):.2f} "
             f"| {med(trips['tuspy']):.2f} | — | ≤ 1.5 | {'pass' if med(trips['eu']) <= 1.5 else 'FAIL'} |"]
    if calls is not None:
        syncs = sum(calls.get(k, 0) for k in ("fsync", "fdatasync", "sync_file_range", "syncfs", "sync", "msync"))
        row["sync_calls_per_file"] = syncs / n
        row["syscalls_per_file"] = calls.get("total", 0) / n
        lines += [f"| sync calls per small file over {n} (fsync {calls.get('fsync', 0)}, fdatasync {calls.get('fdatasync', 0)}) "
                  f"| {syncs / n:.2f} | — | — | ≤ 2 | {'pass' if syncs / n <= 2 else 'FAIL'} |",
                  f"| syscalls per small file (strace -f -c; info) | {calls.get('total', 0) / n:.0f} | — | — | info | — |"]
    log("small files: " + json.dumps(row))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "small-files.md"), "w") as f:
        f.write(f"median of {reps}; " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()) + "\n\n"
                "| metric | evidence-uploader | reference | ratio | target | pass/fail |\n|---|---|---|---|---|---|\n"
                + "\n".join(lines) + "\n")
    with open(os.path.join(args.out, "small-files.json"), "w") as f:
        json.dump(row, f, indent=2)
    print("\n".join(lines))
    return row

# --------------------------------------------------------------------------- S3

S3_KEY_ID, S3_SECRET, S3_BUCKET = "benchkey", "bench-secret-not-for-production", "evidence"


def awscli_binary(work: str) -> str | None:
    """awscli from PyPI in its own venv under --work (its defaults are the reference)."""
    venv = os.path.join(work, "awscli-venv")
    aws = os.path.join(venv, "bin", "aws")
    if not os.access(aws, os.X_OK):
        log("installing awscli from PyPI into " + venv)
        if subprocess.call([sys.executable, "-m", "venv", venv]) != 0 or \
                subprocess.call([os.path.join(venv, "bin", "pip"), "install", "-q", "awscli"]) != 0:
            return None
    return aws


def s3_row(args, work: str, reps: int, path: str, big: str | None) -> dict | None:
    """The same file to SeaweedFS (scripts/s3-server): evidence-uploader (protocol = "s3", its
    default part size, three parts at once) against `aws s3 cp` with awscli's defaults (8 MiB parts,
    10 at once), fresh store each time, alternating which goes first."""
    loader = importlib.machinery.SourceFileLoader("s3_server", os.path.join(ROOT, "scripts", "s3-server"))
    s3mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(s3mod)
    try:
        s3mod.weed_binary()
    except FileNotFoundError as e:
        log(f"S3 row SKIPPED: {e}")
        return {"skipped": str(e)}
    aws = awscli_binary(work)
    if aws is None:
        log("S3 row SKIPPED: awscli could not be installed")
        return {"skipped": "awscli could not be installed from PyPI"}
    size = os.path.getsize(path)
    samples_: dict[str, list] = {"eu": [], "aws": []}
    secret_file = os.path.join(work, "s3-secret")
    with open(secret_file, "w") as f:
        f.write(S3_SECRET + "\n")
    os.chmod(secret_file, 0o600)
    eu_portal = (f'protocol = "s3"\nbucket = "{S3_BUCKET}"\nregion = "us-east-1"\n'
                 f'access_key_id = "{S3_KEY_ID}"\nsecret_file = "{secret_file}"\n')
    for rep in range(reps):
        for step in (["eu", "aws"] if rep % 2 == 0 else ["aws", "eu"]):
            store = os.path.join(work, "s3-store")
            shutil.rmtree(store, ignore_errors=True)
            server = s3mod.start(store, S3_KEY_ID, S3_SECRET, [S3_BUCKET])
            try:
                if step == "eu":
                    up = Uploader(args.bin, work, "s3", server.endpoint)
                    up.extra_portal = eu_portal
                    r = up.upload(path)
                else:
                    env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_KEY_ID, "AWS_SECRET_ACCESS_KEY": S3_SECRET,
                           "AWS_DEFAULT_REGION": "us-east-1"}
                    with open(os.path.join(work, "awscli.log"), "ab") as lf:
                        t = tempfile.mkstemp(prefix="bench-time-")[1]
                        t0 = time.monotonic()
                        rc = subprocess.call([TIME, "-o", t, "-f", "%e %U %S %M %x", aws, "s3", "cp", "--only-show-errors",
                                              "--endpoint-url", server.endpoint, path, f"s3://{S3_BUCKET}/bench/{os.path.basename(path)}"],
                                             env=env, stdout=lf, stderr=lf)
                        wall = time.monotonic() - t0
                        with open(t) as f:
                            _, user, sys_, rss, code = f.read().strip().splitlines()[-1].split()
                        os.remove(t)
                    r = Result(wall=wall, cpu=float(user) + float(sys_), maxrss_kib=int(rss), rc=rc)
                    if rc != 0:
                        raise SystemExit(f"bench: aws s3 cp failed (rc {rc}); see {work}/awscli.log")
                stored = s3_object_sizes(server.endpoint)
                if stored != [size]:
                    raise SystemExit(f"bench: S3 {step}: the store holds {stored}, expected [{size}]")
            finally:
                server.stop()
                shutil.rmtree(store, ignore_errors=True)
            log(f"s3 {step} {size / MiB:.0f} MiB: wall {r.wall:.2f}s cpu {r.cpu:.2f}s rss {r.maxrss_kib / 1024:.1f} MiB")
            samples_[step].append(r)
    if big is not None:
        # Peak RSS of one large multipart upload (parts streamed from the descriptor).
        store = os.path.join(work, "s3-store")
        shutil.rmtree(store, ignore_errors=True)
        server = s3mod.start(store, S3_KEY_ID, S3_SECRET, [S3_BUCKET])
        try:
            up = Uploader(args.bin, work, "s3", server.endpoint)
            up.extra_portal = eu_portal
            r = up.upload(big)
            if s3_object_sizes(server.endpoint) != [os.path.getsize(big)]:
                raise SystemExit("bench: S3 big: the store does not hold the whole file")
        finally:
            server.stop()
            shutil.rmtree(store, ignore_errors=True)
        log(f"s3 eu {os.path.getsize(big) / 1e9:.2f} GB: wall {r.wall:.2f}s cpu {r.cpu:.2f}s rss {r.maxrss_kib / 1024:.1f} MiB")
        samples_["eu_big"] = [r]
    return samples_


def s3_object_sizes(endpoint: str) -> list[int]:
    """The sizes of the objects in the bench bucket (a signed ListObjectsV2 with curl)."""
    out = subprocess.run(["curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{S3_KEY_ID}:{S3_SECRET}",
                          "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", f"{endpoint}/{S3_BUCKET}/?list-type=2"],
                         capture_output=True, text=True, timeout=60).stdout
    return [int(x) for x in re.findall(r"<Size>(\d+)</Size>", out)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every measurement (median)")
    ap.add_argument("--quick", action="store_true", help="small files: a smoke check, not a benchmark")
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build-static", "release", "evidence-uploader"),
                    help="the binary measured (default: make release-static's, the one the .deb ships)")
    ap.add_argument("--work", default=os.path.join(ROOT, ".work", "bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    ap.add_argument("--no-link", action="store_true", help="skip the capped-link measurement")
    ap.add_argument("--no-big", action="store_true", help="skip the 2.5 GB peak-RSS measurement")
    ap.add_argument("--rate", default="100mbit")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="added one-way delay (each direction)")
    ap.add_argument("--no-s3", action="store_true", help="skip the S3 row (SeaweedFS, awscli)")
    ap.add_argument("--no-local", action="store_true",
                    help="skip the local 1 GiB comparison (wall, CPU, RSS against tuspy and the floor)")
    ap.add_argument("--eu-chunk-size", default="8MiB",
                    help="evidence-uploader's [transfer] chunk_size for every run (tuspy stays at 8 MiB)")
    ap.add_argument("--keep-files", action="store_true", help="keep the test files in --work")
    ap.add_argument("--small-files", type=int, default=200,
                    help="the small-files row: this many 100 kB files through a proxy adding --small-delay-ms each way (0 = skip)")
    ap.add_argument("--small-delay-ms", type=float, default=20.0)
    ap.add_argument("--only-small", action="store_true", help="run only the small-files row")
    args = ap.parse_args()
    if args.only_small:
        small_files_row(args, os.path.abspath(args.work), args.reps)
        return 0

    global EU_CHUNK
    EU_CHUNK = args.eu_chunk_size
    main_size = 64 * MiB if args.quick else GiB
    big_size = 256_000_000 if args.quick else 2_500_000_000
    link_size = 100 * MiB if args.quick else 256 * MiB
    if not os.access(args.bin, os.X_OK):
        raise SystemExit(f"bench: {args.bin} not found; run `make release` first")
    for tool in ("curl", "openssl", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            raise SystemExit(f"bench: `{tool}` is missing (scripts/bench installs it)")

    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    files_dir = os.path.join(work, "files")
    os.makedirs(files_dir, exist_ok=True)
    f_main = os.path.join(files_dir, f"main-{main_size}.mp4")
    f_big = os.path.join(files_dir, f"big-{big_size}.mp4")
    f_link = os.path.join(files_dir, f"link-{link_size}.mp4")
    f_link2 = os.path.join(files_dir, f"link2-{link_size}.mp4")
    write_video(f_main, main_size)
    if not args.no_big:
        write_video(f_big, big_size)

    link_skip = "skipped (--no-link)" if args.no_link else link_probe()
    if link_skip is None:
        write_video(f_link, link_size)
        write_video(f_link2, link_size)
    else:
        log(f"capped-link measurement SKIPPED: {link_skip}")

    mach = machine()
    log(f"machine: {mach}")
    nginx = Nginx(work, f"127.0.0.1:{free_port()}")
    link = None
    samples: dict[str, list] = {k: [] for k in ("eu", "tuspy", "floor", "eu_big", "eu_link", "curl_link", "eu_link2")}
    s3 = None
    link_bytes: dict[str, list] = {"eu_link": [], "curl_link": [], "eu_link2": []}
    try:
        if link_skip is None:
            try:
                link = Link(work, args.delay_ms, args.rate)
            except (RuntimeError, OSError, SystemExit) as e:
                link_skip = f"could not build the namespaces/tbf link: {e}"
                log(f"capped-link measurement SKIPPED: {link_skip}")
                link = None
        eu_local = None
        for rep in range(args.reps):
            log(f"--- repetition {rep + 1}/{args.reps}")
            port = free_port()
            steps = ["eu", "tuspy", "floor"]
            if rep % 2:
                steps = ["tuspy", "eu", "floor"]
            if args.no_local:
                steps = []
            for step in steps:
                if step == "floor":
                    r = floor(f_main, nginx)
                    log(f"floor (curl+openssl) {main_size / MiB:.0f} MiB: wall {r.wall:.2f}s cpu {r.cpu:.2f}s "
                        f"(curl {r.curl.cpu:.2f} + openssl {r.openssl.cpu:.2f}) rss {r.maxrss_kib / 1024:.1f} MiB")
                else:
                    portal = Portal(os.path.join(work, "portal-host"), "127.0.0.1", port)
                    try:
                        if step == "eu":
                            eu_local = Uploader(args.bin, work, "local", portal.url)
                            r = eu_local.upload(f_main)
                        else:
                            r = tuspy(f_main, portal.url, os.path.join(work, "tuspy.log"))
                        sizes = portal.stored_sizes()
                        if sizes != [main_size]:
                            raise SystemExit(f"bench: {step}: the portal stored {sizes}, expected [{main_size}]")
                    finally:
                        portal.stop()
                    log(f"{step} {main_size / MiB:.0f} MiB: wall {r.wall:.2f}s cpu {r.cpu:.2f}s "
                        f"rss {r.maxrss_kib / 1024:.1f} MiB")
                samples[step].append(r)
            if link is not None:
                order = ["eu_link", "curl_link", "eu_link2"] if rep % 2 == 0 else ["eu_link2", "curl_link", "eu_link"]
                for step in order:
                    before = link.tx_bytes()
                    if step in ("eu_link", "eu_link2"):
                        # eu_link2: two files of the same size at once, on the same link.
                        also = (f_link2,) if step == "eu_link2" else ()
                        portal = Portal(os.path.join(work, "portal-ns"), ADDR_S, NS_PORTAL_PORT, NS_SERVER)
                        try:
                            r = Uploader(args.bin, work, "link", link.portal_url).upload(f_link, NS_CLIENT, also=also)
                            sizes = portal.stored_sizes()
                            if sizes != [link_size] * (1 + len(also)):
                                raise SystemExit(f"bench: link: the portal stored {sizes}")
                        finally:
                            portal.stop()
                    else:
                        r = curl_put(f_link, link.nginx, link.nginx_url, NS_CLIENT)
                    r.tx = link.tx_bytes() - before
                    link_bytes[step].append(r.tx)
                    files = 2 if step == "eu_link2" else 1
                    log(f"{step} {files} x {link_size / MiB:.0f} MiB: wall {r.wall:.2f}s "
                        f"{files * link_size * 8 / r.wall / 1e6:.1f} Mbit/s (veth sent {r.tx:,} B)")
                    samples[step].append(r)
            if not args.no_big:
                portal = Portal(os.path.join(work, "portal-host"), "127.0.0.1", free_port())
                try:
                    r = Uploader(args.bin, work, "big", portal.url).upload(f_big)
                    sizes = portal.stored_sizes()
                    if sizes != [big_size]:
                        raise SystemExit(f"bench: big: the portal stored {sizes}")
                finally:
                    portal.stop()
                log(f"eu {big_size / 1e9:.2f} GB: wall {r.wall:.2f}s cpu {r.cpu:.2f}s rss {r.maxrss_kib / 1024:.1f} MiB")
                samples["eu_big"].append(r)
        s3 = None if args.no_s3 else s3_row(args, work, args.reps, f_main, None if args.no_big else f_big)
    finally:
        nginx.stop()
        if link:
            link.close()
        if not args.keep_files:
            for f in (f_big, f_link, f_link2):
                if os.path.exists(f):
                    os.remove(f)
            if not args.quick and os.path.exists(f_main):
                os.remove(f_main)

    # ------------------------------------------------------------------ the table
    g = main_size / GiB
    rows = []

    def row(metric, eu, ref, ratio, target, ok, unit_fmt="{:.2f}"):
        fmt = lambda v: "—" if v is None else unit_fmt.format(v)
        rows.append({"metric": metric, "evidence_uploader": eu, "reference": ref, "ratio": ratio,
                     "target": target, "pass": ok,
                     "cells": [metric, fmt(eu), fmt(ref), "—" if ratio is None else f"{ratio:.2f}x",
                               target, "—" if ok is None else ("pass" if ok else "FAIL")]})

    if samples["eu"]:
        eu_wall = med([r.wall for r in samples["eu"]])
        tp_wall = med([r.wall for r in samples["tuspy"]])
        speedup = tp_wall / eu_wall
        row(f"wall time, {main_size / MiB:.0f} MiB video to tuspyserver (s; ref = tuspy)",
            eu_wall, tp_wall, speedup, "≥ 1.5x faster", speedup >= 1.5)
        eu_cpu = med([r.cpu / g for r in samples["eu"]])
        fl_cpu = med([r.cpu / g for r in samples["floor"]])
        row("client CPU s per GiB (ref = curl -T + openssl dgst)", eu_cpu, fl_cpu, eu_cpu / fl_cpu,
            "≤ 1.15x", eu_cpu / fl_cpu <= 1.15)
        tp_cpu = med([r.cpu / g for r in samples["tuspy"]])
        row("client CPU s per GiB (ref = tuspy; info)", eu_cpu, tp_cpu, eu_cpu / tp_cpu, "info", None)
        row(f"peak RSS, {main_size / MiB:.0f} MiB upload (MiB; ref = tuspy; info)",
            med([r.maxrss_kib / 1024 for r in samples["eu"]]), med([r.maxrss_kib / 1024 for r in samples["tuspy"]]),
            None, "info", None, "{:.1f}")
    else:
        rows.append({"metric": "local 1 GiB comparison", "skipped": "--no-local",
                     "cells": ["wall / CPU / RSS against tuspy and curl + openssl", "skipped (--no-local)",
                               "", "", "", "—"]})
    if samples["eu_big"]:
        rss = med([r.maxrss_kib / 1024 for r in samples["eu_big"]])
        row(f"peak RSS, {big_size / 1e9:.2f} GB upload (MiB)", rss, None, None, "≤ 48 MiB", rss <= 48, "{:.1f}")
        row(f"wall time, {big_size / 1e9:.2f} GB upload (s; info)",
            med([r.wall for r in samples["eu_big"]]), None, None, "info", None)
    else:
        rows.append({"metric": "peak RSS, 2.5 GB upload", "skipped": "--no-big",
                     "cells": ["peak RSS, 2.5 GB upload", "skipped (--no-big)", "", "", "≤ 48 MiB", "—"]})
    link_desc = f"{args.rate} tbf + {2 * args.delay_ms:.0f} ms RTT proxy"
    if samples["eu_link"]:
        eu_tp = med([link_size * 8 / r.wall / 1e6 for r in samples["eu_link"]])
        cu_tp = med([link_size * 8 / r.wall / 1e6 for r in samples["curl_link"]])
        row(f"throughput, {link_size / MiB:.0f} MiB over {link_desc} (Mbit/s; ref = curl -T)",
            eu_tp, cu_tp, eu_tp / cu_tp, "≥ 0.97x", eu_tp / cu_tp >= 0.97, "{:.1f}")
        two = med([2 * link_size * 8 / r.wall / 1e6 for r in samples["eu_link2"]])
        row(f"two {link_size / MiB:.0f} MiB files at once over the same link (Mbit/s; ref = curl -T of one: the link's capacity)",
            two, cu_tp, two / cu_tp, "≥ 0.95x", two / cu_tp >= 0.95, "{:.1f}")
    else:
        rows.append({"metric": "throughput on the capped link", "skipped": link_skip,
                     "cells": ["throughput on the capped link", f"SKIPPED: {link_skip}", "", "", "≥ 0.97x", "—"]})

    if s3 and "eu" in s3:
        eu_w, aws_w = med([r.wall for r in s3["eu"]]), med([r.wall for r in s3["aws"]])
        row(f"S3: wall time, {main_size / MiB:.0f} MiB to SeaweedFS (s; ref = aws s3 cp, its defaults)",
            eu_w, aws_w, aws_w / eu_w, "≥ 1.2x faster", aws_w / eu_w >= 1.2)
        eu_c, aws_c = med([r.cpu for r in s3["eu"]]), med([r.cpu for r in s3["aws"]])
        row("S3: client CPU s (ref = aws s3 cp)", eu_c, aws_c, eu_c / aws_c, "≤ 0.5x", eu_c / aws_c <= 0.5)
        if s3.get("eu_big"):
            rss = s3["eu_big"][0].maxrss_kib / 1024
            row(f"S3: peak RSS, {big_size / 1e9:.2f} GB multipart upload (MiB)", rss, None, None, "≤ 48 MiB", rss <= 48, "{:.1f}")
    else:
        why = "--no-s3" if s3 is None else s3["skipped"]
        rows.append({"metric": "S3 to SeaweedFS vs aws s3 cp", "skipped": why,
                     "cells": ["S3 to SeaweedFS vs aws s3 cp", f"skipped ({why})", "", "", "wall ≥ 1.2x, CPU ≤ 0.5x", "—"]})

    header = ["metric", "evidence-uploader", "reference", "ratio", "target", "pass/fail"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r["cells"]) + " |" for r in rows]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    md = [f"# evidence-uploader benchmark ({'QUICK smoke check, small files' if args.quick else 'full'})", "",
          f"{stamp}; median of {args.reps} interleaved repetitions; machine: {mach['nproc']} CPUs, "
          f"{mach['cpu']}, kernel {mach['kernel']}, {mach['mem_gib']} GiB RAM, "
          f"load average at start {mach['loadavg_at_start']}; evidence-uploader chunk_size {EU_CHUNK}.", "",
          *lines, "",
          "Client CPU and peak RSS from wait4() rusage of the client process (user + system).",
          "Floor = `curl -T FILE` to an nginx location that discards the body (204, size_upload checked) "
          "+ `openssl dgst -sha256 FILE`, CPU summed. Files are in the page cache (same for every tool).",
          ""]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write("\n".join(md))

    def dump(rs):
        return [{k: v for k, v in vars(r).items() if isinstance(v, (int, float, bool))} for r in rs]

    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"time": stamp, "quick": args.quick, "reps": args.reps, "machine": mach,
                   "sizes": {"main": main_size, "big": big_size, "link": link_size},
                   "link": {"rate": args.rate, "delay_ms_each_way": args.delay_ms, "skipped": link_skip,
                            "veth_tx_bytes": link_bytes},
                   "rows": [{k: v for k, v in r.items() if k != "cells"} for r in rows],
                   "samples": {k: dump(v) for k, v in samples.items()}}, f, indent=2)
    print("\n".join(lines))
    print(f"\nwritten: {os.path.join(args.out, 'latest.md')} and latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
