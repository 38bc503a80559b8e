"""What the command line reports to exams officers and operators (issue 18, items 4-7): `status`
after the daemon stopped, `status --watch` into a pipe, `journal verify`'s counts, receipt timing,
and JSON without escaped slashes. The real binary, the real tus server, real files.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import make_centre, samples
from daemon_support import daemons  # noqa: F401  (the fixture)
from daemon_support import UNIT, cli, drop_file, make_daemon_centre, rel, status_json, text_bytes, wait_until

MB = 1_000_000


def _started(centre, daemon) -> None:
    daemon.wait_for(r"watching the drop folder", 30)
    wait_until(lambda: (centre.state / "status.json").exists(), 10, what="status.json", daemon=daemon)


def _uploading(binary, centre, r, daemon) -> dict:
    _started(centre, daemon)

    def item():
        for i in status_json(binary, centre).get("items", []):
            if i["path"] == r and i["state"] == "uploading" and i["done"] > 0 and i.get("etaSeconds"):
                return i
        return None
    return wait_until(item, 60, what=f"status showing {r} uploading", daemon=daemon)


def _watch(binary, centre, *extra) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    return subprocess.Popen([str(binary), "status", "--watch", *extra, "--config", str(centre.config)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


# --------------------------------------------------------------------------- item 4: a stopped daemon's status

def test_status_after_the_daemon_stopped_shows_waiting_without_rate_or_eta(workdir, portal, daemons, binary):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="2MB/s", chunk_size="1MiB")
    r = rel("long-take.mp4", candidate="4321")
    (centre.drop / r).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / r), 30 * MB, seed="stopped")
    d = daemons(centre)
    _uploading(binary, centre, r, d)
    running = cli(binary, "status", "--config", centre.config)
    assert "ETA" in running.stdout and "uploading" in running.stdout, running.stdout

    rc, _ = d.stop()
    assert rc == 0, d.tail()
    text = cli(binary, "status", "--config", centre.config)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "NOT RUNNING" in out, out
    assert "waiting (daemon stopped)" in out, out
    item_lines = [line for line in out.splitlines() if line.startswith("#")]
    assert item_lines, out
    for line in item_lines:
        assert "uploading" not in line and "ETA" not in line and "bit/s" not in line, out
    totals = next(line for line in out.splitlines() if line.startswith("totals:"))
    assert "1 waiting (daemon stopped)" in totals and "uploading" not in totals and "now" not in totals, out

    s = status_json(binary, centre)
    assert s["running"] is False, s
    item = next(i for i in s["items"] if i["path"] == r)
    assert item["state"] == "waiting (daemon stopped)" and item["stateWhenStopped"] == "uploading", item
    assert "bytesPerSecond" not in item and "etaSeconds" not in item, item
    assert 0 < item["done"] < item["size"], item
    assert s["totals"]["waiting"] == 1 and s["totals"]["uploading"] == 0 and s["totals"]["bytesPerSecond"] == 0, s


def test_status_json_does_not_escape_slashes(workdir, portal, daemons, binary):
    centre = make_daemon_centre(workdir, portal, settle_time="300ms")
    r = rel("plan.txt", candidate="4321")
    drop_file(centre, r, text_bytes("plan"))
    d = daemons(centre)
    _started(centre, d)
    wait_until(lambda: any(i["path"] == r and i["state"] == "delivered" for i in status_json(binary, centre)["items"]),
               30, what="the file delivered in status", daemon=d)
    out = cli(binary, "status", "--json", "--config", centre.config).stdout
    assert f'"{UNIT}/4321/plan.txt"' in out, out
    assert "\\/" not in out, out


# --------------------------------------------------------------------------- item 5: status --watch into a pipe

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_status_watch_into_a_pipe_prints_plain_snapshots_and_stops_on_a_signal(workdir, portal, daemons, binary, sig):
    centre = make_daemon_centre(workdir, portal, settle_time="300ms")
    d = daemons(centre)
    _started(centre, d)
    w = _watch(binary, centre)
    time.sleep(3.5)
    w.send_signal(sig)
    try:
        out, err = w.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        w.kill()
        pytest.fail(f"status --watch did not stop within 5 s of {sig.name}")
    text = out.decode()
    assert w.returncode == 0, f"exit {w.returncode}\n{text}\n{err.decode()}"
    assert "\x1b" not in text, repr(text[:200])
    snapshots = text.count("evidence-uploader: running")
    assert 3 <= snapshots <= 5, f"{snapshots} snapshots in 3.5 s\n{text}"
    assert text.count("totals:") == snapshots, text


def test_status_watch_json_into_a_pipe_prints_one_json_line_per_snapshot(workdir, portal, daemons, binary):
    centre = make_daemon_centre(workdir, portal, settle_time="300ms")
    d = daemons(centre)
    _started(centre, d)
    w = _watch(binary, centre, "--json")
    time.sleep(2.5)
    w.send_signal(signal.SIGINT)
    out, _ = w.communicate(timeout=5)
    lines = out.decode().splitlines()
    assert len(lines) >= 2, lines
    for line in lines:
        assert json.loads(line)["running"] is True, line


def test_status_watch_ends_when_the_reader_goes_away(workdir, portal, daemons, binary):
    centre = make_daemon_centre(workdir, portal, settle_time="300ms")
    d = daemons(centre)
    _started(centre, d)
    w = _watch(binary, centre)
    first = w.stdout.readline()
    assert first.startswith(b"evidence-uploader: running"), first
    w.stdout.close()          # like `status --watch | head -1`
    try:
        w.wait(timeout=5)
    except subprocess.TimeoutExpired:
        w.kill()
        pytest.fail("status --watch kept running after its reader closed the pipe")
    assert w.returncode == 0, (w.returncode, w.stderr.read())


# --------------------------------------------------------------------------- item 6: journal verify

def test_journal_verify_prints_no_rejected_count_that_is_always_zero(workdir, portal, uploader):
    centre = make_centre(workdir, portal)
    (centre.drop / UNIT / "4321").mkdir(parents=True)
    (centre.drop / UNIT / "4321" / "empty.mp4").write_bytes(b"")
    (centre.drop / "no-labels.txt").write_bytes(text_bytes("unlabelled"))
    (centre.drop / UNIT / "4321" / "notes.txt").write_bytes(text_bytes("notes"))
    run = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert run.returncode == 1, run.describe()
    assert len(list(centre.rejected.rglob("*.reason.txt"))) == 2, run.describe()
    verify = uploader("journal", "verify", "--config", centre.config)
    assert verify.returncode == 0, verify.describe()
    assert "rejected 0" not in verify.stdout, verify.stdout
    assert re.search(r"items: 1 \(moved 1\)", verify.stdout), verify.stdout
    assert "rejected when it is first checked is not recorded here" in verify.stdout, verify.stdout


# --------------------------------------------------------------------------- item 7: receipts and check

def test_a_quick_upload_receipt_shows_tenths_of_a_second(workdir, portal, uploader):
    centre = make_centre(workdir, portal)
    r = f"{UNIT}/4321/quick.txt"
    (centre.drop / r).parent.mkdir(parents=True)
    (centre.drop / r).write_bytes(text_bytes("quick", 5000))
    run = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert run.returncode == 0, run.describe()
    receipt = (centre.uploaded / (r + ".receipt.txt")).read_text()
    took = re.search(r"\(took ([^)]*)\)", receipt)
    assert took, receipt
    assert re.fullmatch(r"\d\.\d seconds|1 second|less than 0\.1 seconds", took.group(1)), receipt
    assert "took 0 seconds" not in receipt
    assert "Size:         5.00 kB (5000 bytes)" in receipt, receipt


def test_check_says_a_small_size_once(workdir, portal, uploader):
    centre = make_centre(workdir, portal)
    path = centre.drop / UNIT / "4321" / "tiny.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"hello")
    r = uploader("check", path, "--config", centre.config)
    assert "size: 5 bytes" in r.stdout and "(5 bytes)" not in r.stdout, r.stdout


def test_a_broken_manifest_is_named_in_status_and_waiting_files_point_at_it(binary, workdir, portal, daemons):
    from daemon_support import make_daemon_centre, drop_file, rel, text_bytes
    centre = make_daemon_centre(workdir, portal, settle_time="300ms")
    (centre.drop / "manifest.csv").write_text("file,candidate\nwall.mp4,1234\n")
    d = daemons(centre)
    d.wait_for(r"manifest.csv cannot be used; nothing is uploaded until it is fixed", 30)
    drop_file(centre, rel("notes.txt"), text_bytes("notes"))
    d.wait_for(r"discovered", 10)

    def status_text():
        return cli(binary, "status", "--config", centre.config).stdout
    deadline = time.monotonic() + 10
    while "a manifest must be fixed first" not in status_text() and time.monotonic() < deadline:
        time.sleep(0.3)
    text = status_text()
    assert "NEW FILES WAIT: a manifest cannot be used" in text and "manifest.csv line 1" in text, text
    assert "a manifest must be fixed first" in text, text

    # Fixed: the file is taken and the notice goes.
    (centre.drop / "manifest.csv").write_text("file,candidate,unit\nother.txt,1234,8711-305\n")
    deadline = time.monotonic() + 20
    while not (centre.uploaded / rel("notes.txt")).is_file() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert (centre.uploaded / rel("notes.txt")).is_file(), d.tail()
    time.sleep(1.5)
    assert "NEW FILES WAIT" not in status_text()
