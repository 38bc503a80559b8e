"""Issue 6 item 2: the fault matrix. The DAEMON (`run`, which never gives up) uploads one large
file (250 MB; CI=true: 64 MB) through the fault proxy with each fault alone and some mixed. Each
must end with the file on the portal exactly once, complete and SHA-256 identical, in uploaded/
with its receipt, the retries visible in the log ("retrying") where the fault makes the client
retry, and the daemon still running. Plus a bandwidth-capped link (tc tbf) between two network
namespaces, as root.

Figures are printed with -s and written to $FAULT_FIGURES_DIR/fault-<name>.json if set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import PORTAL_PY, portal_python, samples, sha256_file
from faultkit import (CI, MB, MiB, UNIT, Daemon, assert_delivered_once, procs, proxied_centre,  # noqa: F401
                      proxy, store_offsets, wait_until)

SIZE = 64 * MB if CI else 250 * MB
REL = f"{UNIT}/1234/practical-assessment.mp4"
CONFIG_EXTRA = 'low_speed_time = "3s"\n'


@pytest.fixture(scope="session")
def big_video():
    """One MP4-looking file of SIZE bytes, made once per session: (path, sha256)."""
    d = Path(tempfile.mkdtemp(prefix="evidence-fault-src-"))
    path = d / "source.mp4"
    samples.write_mp4(str(path), SIZE, seed="fault-matrix")
    yield path, sha256_file(path)
    shutil.rmtree(d, ignore_errors=True)


def _figures(name: str, data: dict) -> None:
    print(f"\nFIGURES {name}: {json.dumps(data)}")
    out = os.environ.get("FAULT_FIGURES_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"fault-{name}.json").write_text(json.dumps(data, indent=1))


# name -> (proxy faults, retries expected in the log, what the proxy must have injected)
SCENARIOS = {
    "reset-every-3rd-patch": (dict(reset_after_bytes=1_500_000, reset_every=3), True, "reset"),
    "reset-at-first-byte-5-times": (dict(reset_after_bytes=0, reset_every=1, reset_times=5), True, "reset"),
    "stall-1s-under-low-speed-time": (dict(stall_seconds=1, stall_after_bytes=1_000_000, stall_every=2), False, "stall"),
    # libcurl's low-speed check uses a ~5 s moving average: the effective timeout is low_speed_time + ~5 s
    # (see test_a_6s_stall_trips_a_3s_low_speed_time), so the stall that must trip 3 s lasts 10 s here
    "stall-10s-over-low-speed-time": (dict(stall_seconds=10, stall_after_bytes=1_000_000, stall_every=3, stall_times=2), True, "stall"),
    "bandwidth-cap-25MBps": (dict(rate=25 * MB), False, None),
    "latency-150ms": (dict(latency=0.15), False, None),
    "503-retry-after-1-every-4th-patch": (dict(fail_status=503, fail_every=4, retry_after=1), True, "refused"),
    "429-retry-after-1-every-3rd-patch": (dict(fail_status=429, fail_every=3, retry_after=1, fail_times=6), True, "refused"),
    "503-on-creation-twice": (dict(fail_status=503, fail_method="POST", fail_every=1, fail_times=2, retry_after=1), True, "refused"),
    "503-on-head-after-reset": (dict(fail_status=503, fail_method="HEAD", fail_every=1, fail_times=2,
                                     reset_after_bytes=2_000_000, reset_every=4, reset_times=2), True, "refused"),
    "checksum-verified": (dict(checksum=True), False, "checksum-checked"),
    "checksum-with-corruption": (dict(checksum=True, corrupt_every=4), True, "checksum-460"),
    "mixed-reset-503-latency-cap-corruption": (dict(reset_after_bytes=3_000_000, reset_every=5, fail_status=503,
                                                    fail_every=7, retry_after=1, latency=0.03, rate=60 * MB,
                                                    checksum=True, corrupt_every=6), True, "reset"),
    "mixed-stall-10s-and-429": (dict(stall_seconds=10, stall_after_bytes=500_000, stall_every=5, stall_times=1,
                                    fail_status=429, fail_every=5, retry_after=1, fail_times=3), True, "stall"),
}
if CI:  # keep CI short: the mixed ones cover the single faults they combine
    for name in ("reset-at-first-byte-5-times", "503-on-head-after-reset", "429-retry-after-1-every-3rd-patch"):
        SCENARIOS.pop(name)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_daemon_survives_fault(name, binary, workdir, portal, proxy, procs, big_video):
    faults, expect_retries, injected = SCENARIOS[name]
    _scenario(name, faults, expect_retries, injected, binary, workdir, portal, proxy, procs, big_video)


def test_a_6s_stall_trips_a_3s_low_speed_time(binary, workdir, portal, proxy, procs, big_video):
    _scenario("stall-6s-vs-low-speed-time-3s", dict(stall_seconds=6, stall_after_bytes=1_000_000, stall_every=3,
                                                    stall_times=1), True, "stall",
              binary, workdir, portal, proxy, procs, big_video)


def test_every_connection_reset_is_visible_in_the_log(binary, workdir, portal, proxy, procs, big_video):
    log, stats = _scenario("resets-visible", dict(reset_after_bytes=1_500_000, reset_every=3), True, "reset",
                           binary, workdir, portal, proxy, procs, big_video)
    lines = len(re.findall(r"\bretrying\b", log)) + log.count("resuming upload from the portal's offset")
    assert lines >= stats["faults"]["reset"], f"{stats['faults']['reset']} resets, {lines} retry/resume log lines"


def _scenario(name, faults, expect_retries, injected, binary, workdir, portal, proxy, procs, big_video):
    source, sha = big_video
    centre = proxied_centre(workdir, portal, proxy.url_for(portal.url), chunk_size="4MiB", extra=CONFIG_EXTRA)
    (centre.drop / REL).parent.mkdir(parents=True)
    shutil.copyfile(source, centre.drop / REL)
    proxy.configure(**faults)
    daemon = Daemon(binary, centre.config, workdir / "daemon.log", procs).start()
    started = time.monotonic()
    receipt = centre.uploaded / (REL + ".receipt.txt")
    done = wait_until(lambda: receipt.is_file() or not daemon.running(), timeout=300 if not CI else 150)
    seconds = time.monotonic() - started
    time.sleep(1.0)  # the daemon must still be there a moment after the delivery
    alive = daemon.running()
    log = daemon.log_text()
    stats = proxy.stats.snapshot()
    rc = daemon.stop()
    if os.environ.get("FAULT_LOG_DIR"):
        Path(os.environ["FAULT_LOG_DIR"]).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(workdir / "daemon.log", Path(os.environ["FAULT_LOG_DIR"]) / f"{name}.log")
        shutil.copyfile(portal.log, Path(os.environ["FAULT_LOG_DIR"]) / f"{name}.portal.log")
    assert done and receipt.is_file(), f"{name}: not delivered in time (alive={alive})\n{stats}\n{log[-5000:]}"
    assert alive, f"{name}: the daemon exited (rc {daemon.process.returncode})\n{log[-5000:]}"
    assert_delivered_once(centre, {REL: (sha, SIZE)}, log)
    uploads = store_offsets(portal.store)
    assert len(uploads) == 1, f"{name}: more than one upload was created on the portal: {uploads}\n{log[-3000:]}"
    # libcurl itself resends a request once on a fresh connection when a reused one dies: the
    # resent PATCH meets 409 and the session asks the portal (HEAD) and resumes without a backoff,
    # so a reset shows as "resuming upload from the portal's offset" rather than "retrying".
    retries = len(re.findall(r"\bretrying\b", log)) + log.count("resuming upload from the portal's offset")
    if injected:
        assert stats["faults"].get(injected, 0) > 0, f"{name}: the proxy never injected {injected}: {stats}"
    if expect_retries:
        assert retries > 0, f"{name}: no retry in the log\n{log[-4000:]}"
    else:
        assert retries == 0, f"{name}: retried although the fault should be absorbed\n{log[-4000:]}"
    if faults.get("checksum"):
        assert stats["faults"].get("checksum-checked", 0) >= SIZE // (4 * MiB), \
            f"{name}: the client did not send Upload-Checksum on every PATCH: {stats}"
    if faults.get("corrupt_every"):
        assert "460" in log, f"{name}: the 460 is not in the log\n{log[-3000:]}"
    resent = stats["patch_bytes"] - SIZE
    _figures(name, {"seconds": round(seconds, 1), "retries_logged": retries, "patch_bytes": stats["patch_bytes"],
                    "resent_bytes": resent, "faults": stats["faults"], "requests": stats["requests"],
                    "responses": stats["responses"], "stop_exit_code": rc})
    return log, stats


# --------------------------------------------------------------------------- network namespace + tc tbf

NS_SIZE = 24 * MB if CI else 48 * MB


def _sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check)


@pytest.fixture
def netns_pair():
    """Two fresh namespaces joined by a veth pair, 10.231.0.1/30 (portal side) and 10.231.0.2/30
    (client side), the client's egress shaped by tbf 50mbit. Removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root for ip netns / tc (run the suite as root to include this test)")
    if not shutil.which("ip") or not shutil.which("tc"):
        pytest.skip("iproute2 (ip, tc) is not installed")
    tag = f"{os.getpid() % 100000}"
    srv, cli = f"evu-srv-{tag}", f"evu-cli-{tag}"
    vs, vc = f"evus{tag}", f"evuc{tag}"
    probe = _sh("ip", "netns", "add", srv, check=False)
    if probe.returncode != 0:
        pytest.skip(f"network namespaces unavailable here: {probe.stderr.strip()}")
    try:
        _sh("ip", "netns", "add", cli)
        _sh("ip", "link", "add", vc, "type", "veth", "peer", "name", vs)
        _sh("ip", "link", "set", vc, "netns", cli)
        _sh("ip", "link", "set", vs, "netns", srv)
        for ns, dev, addr in ((srv, vs, "10.231.0.1/30"), (cli, vc, "10.231.0.2/30")):
            _sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            _sh("ip", "-n", ns, "link", "set", dev, "up")
            _sh("ip", "-n", ns, "link", "set", "lo", "up")
        tc = _sh("ip", "netns", "exec", cli, "tc", "qdisc", "add", "dev", vc, "root", "tbf",
                 "rate", "50mbit", "burst", "32kbit", "latency", "400ms", check=False)
        if tc.returncode != 0:
            pytest.skip(f"tc tbf unavailable here: {tc.stderr.strip()}")
        yield srv, cli
    finally:
        for ns in (cli, srv):
            _sh("ip", "netns", "del", ns, check=False)


def test_daemon_over_a_tbf_shaped_link_in_a_network_namespace(binary, workdir, netns_pair, procs):
    srv, cli = netns_pair
    store = workdir / "portal-store"
    store.mkdir()
    portal_log = open(workdir / "portal.log", "wb")
    portal = subprocess.Popen(["ip", "netns", "exec", srv, portal_python(), str(PORTAL_PY), "--host", "10.231.0.1",
                               "--port", "8000", "--store", str(store)], stdout=portal_log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    procs.append(portal)
    # the client only talks plain http to loopback: a plain (fault-free) proxy inside the client namespace
    proxy_py = Path(__file__).with_name("faultproxy.py")
    relay = subprocess.Popen(["ip", "netns", "exec", cli, sys.executable, str(proxy_py), "--listen", "127.0.0.1:18080",
                              "--upstream", "10.231.0.1:8000"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True)
    procs.append(relay)
    assert "listening" in relay.stdout.readline()
    ready = "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:18080/files/', method='OPTIONS'), timeout=2)"
    assert wait_until(lambda: _sh("ip", "netns", "exec", cli, sys.executable, "-c", ready, check=False).returncode == 0,
                      timeout=30, interval=0.3), (workdir / "portal.log").read_text()

    class _P:  # what proxied_centre needs of a Portal
        pass
    p = _P()
    p.store = store
    p.uploads = lambda: __import__("conftest").read_store(store)
    centre = proxied_centre(workdir, p, "http://127.0.0.1:18080/files/", chunk_size="4MiB", extra=CONFIG_EXTRA)
    (centre.drop / REL).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / REL), NS_SIZE, seed="netns")
    sha = sha256_file(centre.drop / REL)
    daemon = Daemon(binary, centre.config, workdir / "daemon.log", procs).start(argv_prefix=["ip", "netns", "exec", cli])
    started = time.monotonic()
    receipt = centre.uploaded / (REL + ".receipt.txt")
    done = wait_until(lambda: receipt.is_file() or not daemon.running(), timeout=120)
    seconds = time.monotonic() - started
    alive = daemon.running()
    log = daemon.log_text()
    daemon.stop()
    assert done and receipt.is_file(), log[-4000:]
    assert alive, log[-4000:]
    assert_delivered_once(centre, {REL: (sha, NS_SIZE)}, log)
    rate = NS_SIZE / seconds
    _figures("netns-tbf-50mbit", {"bytes": NS_SIZE, "seconds": round(seconds, 1), "bytes_per_s": round(rate)})
    # 50 Mbit/s = 6.25 MB/s: the shaping must have been in force (a loopback link does > 100 MB/s)
    assert rate < 6.6 * MB, f"{rate / MB:.1f} MB/s: faster than the 50 Mbit/s link allows; the tbf was not in the path"
