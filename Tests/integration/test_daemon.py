"""The daemon (`run` without --once), end to end: the real binary as a subprocess, real inotify on
temporary folders, the real tus server (tuspyserver) on 127.0.0.1.

CI=true shortens the slow cases (slow writer 8 s instead of 20 s, 300-file burst instead of 1,000,
1,000 queued items instead of 10,000 for the memory figure). Figures (latency, peak RSS) are
printed, not asserted: run with `-s` to see them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from conftest import Portal, samples, sha256_file
from daemon_support import daemons  # noqa: F401  (the fixture)
from daemon_support import (CANDIDATE, CI, UNIT, NotFoundServer, assert_on_server_once, cli, delivered, drop_file,
                            inotify_watch_count, make_daemon_centre, portal_posts, receipt, rel, rewrite_config,
                            start_portal_on_port, status_json, text_bytes, uploads_by_filename, wait_delivered,
                            wait_until)

MB = 1_000_000


def expected_of(centre, rels) -> dict:
    """file name -> (sha256, size), from the files as they are now (in drop/)."""
    out = {}
    for r in rels:
        p = centre.drop / r
        out[Path(r).name] = (sha256_file(p), p.stat().st_size)
    return out


def expect(data: bytes) -> tuple[str, int]:
    return hashlib.sha256(data).hexdigest(), len(data)


def assert_receipts(centre, rels) -> None:
    missing = [r for r in rels if not receipt(centre, r).exists()]
    assert not missing, f"no receipt for {missing[:10]}"
    left = [r for r in rels if (centre.drop / r).exists()]
    assert not left, f"still in drop/: {left[:10]}"


def report(label: str, text: str) -> None:
    print(f"\n[FIGURE] {label}: {text}", flush=True)


# --------------------------------------------------------------------------- basics

def test_files_dropped_while_running_are_delivered(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="1s")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    rels = [rel(f"note-{i}.txt") for i in range(3)] + [rel("clip.mp4", candidate="2001")]
    expected, mtimes = {}, {}
    for i, r in enumerate(rels[:3]):
        data = text_bytes(f"dropped-{i}", 5000 + i)
        mtimes[r] = drop_file(centre, r, data).stat().st_mtime
        expected[Path(r).name] = expect(data)
        time.sleep(0.3)
    (centre.drop / rels[3]).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / rels[3]), 3 * MB, seed="daemon-clip")
    mtimes[rels[3]] = (centre.drop / rels[3]).stat().st_mtime
    expected.update(expected_of(centre, rels[3:]))  # read at once: settle_time is 1 s

    wait_delivered(centre, rels, 60, daemon=d)
    assert_receipts(centre, rels)
    assert_on_server_once(portal, expected)

    # Figure: last write -> "upload started", beyond the settle time.
    settle = 1.0
    latencies = []
    for r in rels:
        line = d.wait_for(rf"upload started .*file={re.escape(r)}(\s|$)", 5)
        latencies.append(line.at - mtimes[r] - settle)
    report("latency last write -> upload started, minus settle_time (1 s), per file",
           ", ".join(f"{x:.2f} s" for x in latencies) + f"; max {max(latencies):.2f} s")
    life = [l.text for l in d.matching(re.escape(rels[3]))]
    print("\n[LIFE] one file's log lines:\n" + "\n".join(life), flush=True)
    assert d.alive()


def test_file_written_slowly_is_not_uploaded_until_settled(workdir, portal, daemons, binary):
    duration = 8 if CI else 20
    settle = 3.0
    centre = make_daemon_centre(workdir, portal, settle_time="3s")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    r = rel("slow.txt")
    path = centre.drop / r
    path.parent.mkdir(parents=True)
    seen_arriving = False
    # Appended and closed once a second (each close is an IN_CLOSE_WRITE), never quiet for 3 s.
    chunk_no = 0
    started = time.monotonic()
    while time.monotonic() - started < duration:
        with open(path, "ab") as f:
            f.write(text_bytes(f"slow-{chunk_no}", 64 * 1024))
        chunk_no += 1
        time.sleep(1.0)
        assert portal_posts(portal) == 0, f"POST while the file was still being written\n{portal.log_text()[-2000:]}"
        assert not uploads_by_filename(portal), "something reached the store while the file was being written"
        assert not d.matching(r"upload started|accepted"), f"taken while still being written\n{d.tail()}"
        if time.monotonic() - started > 3 and not seen_arriving:
            items = status_json(binary, centre).get("items", [])
            seen_arriving = any(i["path"] == r and i["state"] == "still being written" for i in items)
    last_write = path.stat().st_mtime
    expected = expected_of(centre, [r])
    assert seen_arriving, "status never showed the growing file as 'still being written'"

    wait_delivered(centre, [r], 60, daemon=d)
    assert_on_server_once(portal, expected)
    started_line = d.wait_for(rf"upload started .*file={re.escape(r)}", 5)
    waited = started_line.at - last_write
    assert waited >= settle - 0.5, f"upload started {waited:.2f} s after the last write (settle_time 3 s)"
    report("slow writer: last write -> upload started, minus settle_time (3 s)", f"{waited - settle:.2f} s")


def test_stalled_copy_holding_the_file_open_is_not_taken(workdir, portal, daemons):
    """A copy that stalls longer than settle_time with the file still open (an SMB client waiting
    on the network) is not taken half-written: the daemon sees it is open for writing."""
    stall = 5.0
    centre = make_daemon_centre(workdir, portal, settle_time="2s")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    r = rel("stalled.txt")
    path = centre.drop / r
    path.parent.mkdir(parents=True)
    first, second = text_bytes("stalled-first", 100_000), text_bytes("stalled-second", 100_000)
    with open(path, "wb") as f:
        f.write(first)
        f.flush()
        time.sleep(stall)                       # quiet for longer than settle_time, still open
        assert not d.matching(r"upload started|accepted"), f"taken while open for writing\n{d.tail()}"
        assert portal_posts(portal) == 0
        f.write(second)
    expected = {"stalled.txt": expect(first + second)}
    wait_delivered(centre, [r], 30, daemon=d)
    assert_on_server_once(portal, expected)
    assert d.matching(r"not taken yet.*still open for writing"), d.tail()


def test_burst_of_small_files_delivered_exactly_once(workdir, portal, daemons):
    n = 300 if CI else 1000
    centre = make_daemon_centre(workdir, portal, settle_time="1s", parallel_uploads=4)
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    rels = [rel(f"burst-{i:05d}.txt", candidate=f"{1000 + i % 10}") for i in range(n)]
    expected = {}
    t0 = time.monotonic()
    for i, r in enumerate(rels):
        data = text_bytes(f"burst-{i}", 100 + i % 50)
        drop_file(centre, r, data)
        expected[Path(r).name] = expect(data)
    wait_delivered(centre, rels, 240 if not CI else 120, daemon=d)
    elapsed = time.monotonic() - t0
    assert_receipts(centre, rels)
    assert_on_server_once(portal, expected)
    assert portal_posts(portal) == n, f"{portal_posts(portal)} POSTs for {n} files"
    report(f"burst of {n} small files", f"all delivered in {elapsed:.1f} s")


def test_folders_created_and_moved_in_are_picked_up(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)

    # A folder tree created while running, a file written into its deepest folder at once.
    created = rel("created.txt", candidate="3001", unit="8711-306")
    drop_file(centre, created, text_bytes("created-folder"))
    expected = {"created.txt": expect(text_bytes("created-folder"))}

    # A tree prepared outside the drop folder (same file system), then moved in with one rename.
    outside = workdir / "outside"
    moved = [rel("moved-a.txt", candidate="4001", unit="8711-307"),
             rel("moved-b.txt", candidate="4002", unit="8711-307")]
    for i, r in enumerate(moved):
        p = outside / r
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text_bytes(f"moved-{i}"))
        expected[p.name] = expect(text_bytes(f"moved-{i}"))
    os.rename(outside / "8711-307", centre.drop / "8711-307")
    # A candidate folder moved into an existing unit folder.
    (outside / "cand").mkdir()
    (outside / "cand" / "moved-c.txt").write_bytes(text_bytes("moved-c"))
    expected["moved-c.txt"] = expect(text_bytes("moved-c"))
    (centre.drop / UNIT).mkdir(exist_ok=True)
    os.rename(outside / "cand", centre.drop / UNIT / "4003")
    moved.append(rel("moved-c.txt", candidate="4003"))

    rels = [created] + moved
    wait_delivered(centre, rels, 60, daemon=d)

    # The moved-in folders are watched too: a file written into one afterwards is seen.
    later = rel("later.txt", candidate="4001", unit="8711-307")
    drop_file(centre, later, text_bytes("later-in-moved-folder"))
    expected["later.txt"] = expect(text_bytes("later-in-moved-folder"))
    wait_delivered(centre, [later], 30, daemon=d)
    assert_receipts(centre, rels + [later])
    assert_on_server_once(portal, expected)


@pytest.fixture
def small_inotify_queue():
    path = Path("/proc/sys/fs/inotify/max_queued_events")
    try:
        old = path.read_text().strip()
        path.write_text("16\n")
    except OSError as e:
        pytest.skip(f"cannot set fs.inotify.max_queued_events: {e}")
    try:
        yield 16
    finally:
        path.write_text(old + "\n")


def test_queue_overflow_leads_to_rescan_and_nothing_is_missed(workdir, portal, daemons, small_inotify_queue):
    n = 150 if CI else 400
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", parallel_uploads=4)
    (centre.drop / UNIT / CANDIDATE).mkdir(parents=True)
    d = daemons(centre)  # its inotify instance gets the 16-event queue
    d.wait_for(r"watching the drop folder", 30)
    rels = [rel(f"flood-{i:04d}.txt") for i in range(n)]
    expected = {}
    # The daemon is frozen while the files arrive, so the kernel's 16-event queue must overflow.
    d.signal(signal.SIGSTOP)
    try:
        for i, r in enumerate(rels):
            data = text_bytes(f"flood-{i}")
            drop_file(centre, r, data)
            expected[Path(r).name] = expect(data)
    finally:
        d.signal(signal.SIGCONT)
    wait_delivered(centre, rels, 180, daemon=d)
    assert d.matching(r"rescanning"), f"no 'rescanning' line after an overflow\n{d.tail()}"
    assert d.matching(r"rescanning.*overflow"), f"rescan not attributed to the overflow\n{d.tail()}"
    assert_on_server_once(portal, expected)


def test_polling_mode_picks_files_up(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", watch="poll", poll_interval="1s")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder.*mode=poll", 30)
    rels = [rel("poll-1.txt"), rel("poll-2.txt", candidate="5002", unit="8711-308")]
    expected = {}
    for i, r in enumerate(rels):
        drop_file(centre, r, text_bytes(f"poll-{i}"))
        expected[Path(r).name] = expect(text_bytes(f"poll-{i}"))
    wait_delivered(centre, rels, 30, daemon=d)
    assert_on_server_once(portal, expected)


def test_same_content_and_labels_dropped_twice_is_delivered_once(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    data = text_bytes("twice", 3000)
    first, second = rel("twice.txt"), rel("twice-again.txt")
    drop_file(centre, first, data)
    wait_delivered(centre, [first], 30, daemon=d)
    drop_file(centre, second, data)
    wait_delivered(centre, [second], 30, daemon=d)
    assert_on_server_once(portal, {"twice.txt": expect(data)})  # and nothing named twice-again.txt
    note = receipt(centre, second).read_text()
    assert "already been uploaded" in note, note


def test_files_that_arrived_while_down_are_taken_at_start(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms")
    rels = [rel("early-1.txt"), rel("early-2.txt", candidate="2222")]
    expected = {}
    for i, r in enumerate(rels):
        drop_file(centre, r, text_bytes(f"early-{i}"))
        expected[Path(r).name] = expect(text_bytes(f"early-{i}"))
    d = daemons(centre)
    wait_delivered(centre, rels, 30, daemon=d)
    assert_on_server_once(portal, expected)


@pytest.fixture
def tiny_watch_limit():
    """fs.inotify.max_user_watches at 1 (a per-user, system-wide limit: restored at once)."""
    path = Path("/proc/sys/fs/inotify/max_user_watches")
    try:
        old = path.read_text().strip()
        path.write_text("1\n")
    except OSError as e:
        pytest.skip(f"cannot set fs.inotify.max_user_watches: {e}")
    restored = False

    def restore():
        nonlocal restored
        if not restored:
            path.write_text(old + "\n")
            restored = True

    try:
        yield restore
    finally:
        restore()


def test_watch_limit_falls_back_to_scanning(workdir, portal, daemons, tiny_watch_limit):
    """With no inotify watch to be had, files in new folders are still found (by scanning every
    poll_interval)."""
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", poll_interval="1s")
    (centre.drop / UNIT / CANDIDATE).mkdir(parents=True)
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    time.sleep(1)
    held = inotify_watch_count(d.pid)
    tiny_watch_limit()   # the daemon has met the limit; other processes get their watches back
    assert held < 3, f"the daemon holds {held} watches for 3 folders: the limit was not met"
    rels = [rel("limit-1.txt"), rel("limit-2.txt", candidate="9001", unit="8711-309")]
    expected = {}
    for i, r in enumerate(rels):
        drop_file(centre, r, text_bytes(f"limit-{i}"))
        expected[Path(r).name] = expect(text_bytes(f"limit-{i}"))
    wait_delivered(centre, rels, 30, daemon=d)
    assert_on_server_once(portal, expected)




def test_file_replaced_during_its_upload_delivers_the_new_version(workdir, portal, daemons, binary):
    """An exams officer copies a corrected version over a file whose upload is under way (copy to
    a temp name, rename over). The new version is what ends in uploaded/ and on the portal."""
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s", chunk_size="1MiB")
    r = rel("replaced.mp4")
    (centre.drop / r).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / r), 15 * MB, seed="old-version")
    old_sha = sha256_file(centre.drop / r)
    d = daemons(centre)
    wait_progress(binary, centre, r, 2 * MB, 30, d)
    tmp = workdir / "new-version.mp4"
    samples.write_mp4(str(tmp), 4 * MB, seed="new-version")
    new_sha = sha256_file(tmp)
    os.rename(tmp, centre.drop / r)
    wait_until(lambda: delivered(centre, r) and sha256_file(centre.uploaded / r) == new_sha, 15,
               what="the new version delivered", daemon=d)
    assert new_sha in receipt(centre, r).read_text()
    complete = [u for u in portal.uploads() if u.complete]
    assert [u.sha256 for u in complete if u.metadata.get("filename") == "replaced.mp4"].count(new_sha) == 1, \
        [(u.uid, u.size, u.complete) for u in portal.uploads()]
    leftovers = [u for u in complete if u.sha256 == old_sha]
    print(f"\n[NOTE] replaced mid-upload: old version complete on the portal: {len(leftovers)}; "
          f"uploads on the portal: {[(u.size, u.complete) for u in portal.uploads()]}")


def test_file_replaced_while_queued_delivers_the_new_version(workdir, portal, daemons, binary):
    # One stream and no small-file lane: the small file must wait its turn behind the big one.
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s", chunk_size="1MiB",
                                parallel_uploads=1, extra="small_file_uploads = 0\n")
    big = rel("first-in-line.mp4")
    (centre.drop / big).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / big), 10 * MB, seed="first-in-line")
    d = daemons(centre)
    wait_progress(binary, centre, big, 1, 30, d)
    r = rel("queued.txt")
    drop_file(centre, r, text_bytes("queued-old"))
    d.wait_for(r"accepted .*file=" + re.escape(r), 10)
    tmp = workdir / "queued-new.txt"
    tmp.write_bytes(text_bytes("queued-new", 500))
    os.rename(tmp, centre.drop / r)
    wait_until(lambda: delivered(centre, r), 15, what="the new version of the queued file delivered", daemon=d)
    assert (centre.uploaded / r).read_bytes() == text_bytes("queued-new", 500)
    assert [u.sha256 for u in portal.uploads() if u.metadata.get("filename") == "queued.txt"] == \
        [expect(text_bytes("queued-new", 500))[0]]


# --------------------------------------------------------------------------- signals

def wait_progress(binary, centre, r, at_least: int, timeout: float, daemon) -> dict:
    def probe():
        try:
            s = status_json(binary, centre)
        except Exception:
            return None
        for item in s.get("items", []):
            if item["path"] == r and item["state"] == "uploading" and item["done"] >= at_least:
                return item
        return None
    return wait_until(probe, timeout, interval=0.3, what=f"{r} uploading with done >= {at_least}", daemon=daemon)


def test_sigterm_mid_transfer_then_restart_resumes(workdir, portal, daemons, binary):
    size = 60 * MB
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s", chunk_size="1MiB")
    r = rel("long.mp4")
    (centre.drop / r).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / r), size, seed="sigterm")
    expected = expected_of(centre, [r])

    d = daemons(centre)
    wait_progress(binary, centre, r, 10 * MB, 60, d)
    t = time.monotonic()
    d.signal(signal.SIGTERM)
    try:
        d.proc.wait(timeout=10)
    except Exception:
        pass
    elapsed = time.monotonic() - t
    assert d.proc.returncode is not None and elapsed < 5, f"took {elapsed:.1f} s to stop\n{d.tail()}"
    assert d.proc.returncode == 0, f"exit {d.proc.returncode}\n{d.tail()}"
    partial = portal.uploads()
    assert len(partial) == 1 and not partial[0].complete, [(u.uid, u.info) for u in partial]
    offset_at_stop = partial[0].info.get("offset")
    assert 0 < offset_at_stop < size
    assert (centre.drop / r).exists(), "the file left drop/ before it was delivered"
    verify = cli(binary, "journal", "verify", "--config", centre.config)
    assert verify.returncode == 0, f"journal verify after SIGTERM: exit {verify.returncode}\n{verify.stdout}{verify.stderr}"

    d2 = daemons(centre)
    d2.wait_for(r"resuming upload from the portal's offset|upload resumed", 30)
    wait_delivered(centre, [r], 60, daemon=d2)
    assert_on_server_once(portal, expected)
    done = d2.wait_for(r"delivered .*url=", 5)
    resumed_from = int(done.field("resumed_from") or 0)
    assert resumed_from >= offset_at_stop, f"delivered with resumed_from={resumed_from}, portal had {offset_at_stop}"
    report("SIGTERM mid-transfer", f"stopped in {elapsed:.2f} s at portal offset {offset_at_stop}; "
           f"restart resumed from {resumed_from}")


def rate_limit(centre):
    """From <state>/status.json directly: the `status` command would load the (bad) config."""
    try:
        return json.loads((centre.state / "status.json").read_text()).get("rateLimitBytesPerSecond")
    except (OSError, ValueError):
        return None


def test_sigterm_with_two_transfers_in_flight_and_while_paused(workdir, portal, portal_factory, daemons, binary):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s", chunk_size="1MiB")
    rels = [rel("a.mp4"), rel("b.mp4", candidate="1235")]
    for i, r in enumerate(rels):
        (centre.drop / r).parent.mkdir(parents=True, exist_ok=True)
        samples.write_mp4(str(centre.drop / r), 40 * MB, seed=f"two-{i}")
    d = daemons(centre)
    for r in rels:
        wait_progress(binary, centre, r, 1, 30, d)
    rc, took = d.stop()
    assert took < 5 and rc == 0, f"two transfers: exit {rc} after {took:.1f} s\n{d.tail()}"
    verify = cli(binary, "journal", "verify", "--config", centre.config)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # Paused on a refused password: stops at once too.
    p = portal_factory(password="right")
    pw = workdir / "password"
    pw.write_text("wrong\n")
    pw.chmod(0o600)
    root = workdir / "paused"
    root.mkdir()
    c2 = make_daemon_centre(root, p, settle_time="500ms", password_file=pw)
    drop_file(c2, rel("p.txt"), text_bytes("paused-stop"))
    d2 = daemons(c2)
    d2.wait_for(r"paused", 30)
    rc, took = d2.stop()
    assert took < 5 and rc == 0, f"paused: exit {rc} after {took:.1f} s\n{d2.tail()}"


def test_sighup_good_config_reloads_and_bad_config_is_refused(workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s")
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    wait_until(lambda: rate_limit(centre) == 5_000_000, 10,
               what="status with the 5 MB/s limit", daemon=d)

    # Good: a new rate.
    mark = d.mark()
    rewrite_config(centre, settle_time="500ms", max_rate="7MB/s")
    d.signal(signal.SIGHUP)
    d.wait_for(r"reloading", 10, after=mark)
    wait_until(lambda: rate_limit(centre) == 7_000_000, 10,
               what="status with the new 7 MB/s limit", daemon=d)
    assert not d.matching(r"refused"), d.tail()

    # Bad: an invalid value; the old config stays, the daemon keeps delivering.
    mark = d.mark()
    rewrite_config(centre, settle_time="500ms", max_rate="7MB/s", chunk_size="1KiB")
    d.signal(signal.SIGHUP)
    refused = d.wait_for(r"refused", 10, after=mark)
    assert "chunk_size" in refused.text, f"refusal does not name the key: {refused.text}"
    time.sleep(1)
    assert d.alive()
    r = rel("after-bad-reload.txt")
    drop_file(centre, r, text_bytes("after-bad-reload"))
    expected = {Path(r).name: expect(text_bytes("after-bad-reload"))}
    wait_delivered(centre, [r], 30, daemon=d)
    assert_on_server_once(portal, expected)
    assert rate_limit(centre) == 7_000_000, "the refused config's values were applied"
    assert d.alive()


# --------------------------------------------------------------------------- credentials

def test_refused_password_pauses_then_fixed_password_resumes(workdir, portal_factory, daemons, binary):
    p = portal_factory(password="right-horse-battery")
    pw = workdir / "password"
    pw.write_text("wrong-password\n")
    pw.chmod(0o600)
    centre = make_daemon_centre(workdir, p, settle_time="500ms", password_file=pw)
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    r = rel("auth.txt")
    drop_file(centre, r, text_bytes("auth"))
    expected = expected_of(centre, [r])
    d.wait_for(r"paused", 30)
    s = wait_until(lambda: (lambda s: s if s.get("paused") else None)(status_json(binary, centre)), 10,
                   what="status --json paused", daemon=d)
    assert "paused" in [i["state"] for i in s["items"] if i["path"] == r], s["items"]
    assert "wrong-password" not in d.text() and "right-horse-battery" not in d.text()
    assert not delivered(centre, r)

    with open(pw, "w") as f:           # rewritten in place: the mode stays 0600
        f.write("right-horse-battery\n")
    assert (pw.stat().st_mode & 0o777) == 0o600
    fixed = time.monotonic()
    wait_delivered(centre, [r], 15, daemon=d)
    report("401 then fixed password", f"delivered {time.monotonic() - fixed:.1f} s after the password file was fixed")
    assert_on_server_once(p, expected)
    wait_until(lambda: status_json(binary, centre).get("paused") is None, 5,
               what="status --json no longer paused", daemon=d)
    assert "right-horse-battery" not in d.text()


# --------------------------------------------------------------------------- status, retry

def test_status_during_a_transfer_and_retry_failed(workdir, portal, daemons, binary):
    size = 30 * MB
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", max_rate="5MB/s", chunk_size="1MiB")
    r = rel("status.mp4", candidate="6001")
    (centre.drop / r).parent.mkdir(parents=True)
    samples.write_mp4(str(centre.drop / r), size, seed="status")
    expected = expected_of(centre, [r])
    d = daemons(centre)

    item = wait_progress(binary, centre, r, 1, 60, d)
    assert item["size"] == size and 0 < item["done"] <= size, item
    assert item["candidate"] == "6001" and item["unit"] == UNIT, item
    assert isinstance(item.get("id"), int), item

    text = cli(binary, "status", "--config", centre.config)
    assert text.returncode == 0, text.stderr
    assert re.search(r"uploading\s+\[[#.]{20}\]\s+\d+%", text.stdout), text.stdout
    assert r in text.stdout and "candidate 6001" in text.stdout, text.stdout

    # Nothing has failed: `retry --failed` says so and exits non-zero (it did nothing).
    retry = cli(binary, "retry", "--failed", "--config", centre.config)
    assert retry.returncode != 0 and "nothing to retry" in retry.stderr, retry.stdout + retry.stderr

    wait_delivered(centre, [r], 60, daemon=d)
    assert_on_server_once(portal, expected)
    # status.json is rewritten about once a second
    wait_until(lambda: any(i["path"] == r and i["state"] == "delivered" for i in status_json(binary, centre)["items"]),
               5, what="status --json showing the item delivered", daemon=d)


def test_retry_failed_requeues_a_permanently_failed_item(workdir, daemons, binary):
    """The portal answers 404 (a permanent failure): the item waits as failed and is not tried
    again on its own; once the portal is there, `retry --failed` delivers it."""
    fake = NotFoundServer()
    real = None
    try:
        stand_in = Portal(f"http://127.0.0.1:{fake.port}/files/", fake.port, workdir / "none", workdir / "none.log", None)
        centre = make_daemon_centre(workdir, stand_in, settle_time="500ms")
        d = daemons(centre)
        d.wait_for(r"watching the drop folder", 30)
        r = rel("retry-me.txt")
        drop_file(centre, r, text_bytes("retry-me"))
        expected = expected_of(centre, [r])
        d.wait_for(r"upload failed; the file stays in the drop folder", 30)
        item = wait_until(lambda: next((i for i in status_json(binary, centre)["items"]
                                        if i["path"] == r and i["state"] == "failed"), None), 5,
                          what="status --json showing the item failed", daemon=d)
        assert "retry" in (item.get("message") or ""), item

        fake.close()
        fake = None
        real = start_portal_on_port(workdir / "real-portal", stand_in.port)
        time.sleep(3)
        assert not delivered(centre, r), "a permanently failed item was sent again without `retry`"
        assert not real.uploads()

        mark = d.mark()
        retry = cli(binary, "retry", "--failed", "--config", centre.config)
        assert retry.returncode == 0, retry.stdout + retry.stderr
        d.wait_for(r"queued again on request", 10, after=mark)
        wait_delivered(centre, [r], 30, daemon=d)
        assert_on_server_once(real, expected)
    finally:
        if fake:
            fake.close()
        if real:
            real.process.terminate()
            real.process.wait(timeout=10)


def test_fixed_portal_url_applies_to_a_failed_item_on_retry(workdir, portal, daemons, binary):
    wrong = portal.url.replace("/files/", "/no-such-endpoint/")
    centre = make_daemon_centre(workdir, portal, settle_time="500ms", url=wrong)
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    r = rel("retry-me.txt")
    drop_file(centre, r, text_bytes("retry-me"))
    expected = expected_of(centre, [r])
    d.wait_for(r"upload failed; the file stays in the drop folder", 30)

    mark = d.mark()
    rewrite_config(centre, settle_time="500ms")       # the right URL
    d.signal(signal.SIGHUP)
    d.wait_for(r"reloading", 10, after=mark)
    retry = cli(binary, "retry", "--failed", "--config", centre.config)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    d.wait_for(r"queued again on request", 10, after=mark)
    wait_delivered(centre, [r], 10, daemon=d)
    assert_on_server_once(portal, expected)


# --------------------------------------------------------------------------- figures

def test_memory_with_many_queued_items(workdir, portal_factory, daemons, binary):
    """Peak RSS while N tiny files sit in the queue (a refused password keeps them queued)."""
    n = 1000 if CI else 10_000
    p = portal_factory(password="right")
    pw = workdir / "password"
    pw.write_text("wrong\n")
    pw.chmod(0o600)
    centre = make_daemon_centre(workdir, p, settle_time="500ms", password_file=pw)
    for i in range(n):
        drop_file(centre, rel(f"q-{i:05d}.txt", candidate=f"{7000 + i % 100}"), text_bytes(f"q-{i}", 64))
    t0 = time.monotonic()
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 60)
    wait_until(lambda: len(d.matching(r"\baccepted\b")) >= n, 300 if not CI else 120, interval=0.5,
               what=f"{n} accepted", daemon=d)
    admitted = time.monotonic() - t0
    time.sleep(2)
    s = status_json(binary, centre)
    queued = s["totals"]["queued"]
    hwm, rss = d.vm("VmHWM"), d.vm("VmRSS")
    report(f"memory with {n} queued items", f"peak RSS (VmHWM) {hwm / 1024:.1f} MiB, RSS now {rss / 1024:.1f} MiB; "
           f"admitted in {admitted:.1f} s; status queued={queued}")
    assert queued >= n - 2, s["totals"]  # at most the items that hit the 401 are 'paused' (counted too)
