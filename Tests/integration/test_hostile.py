"""The hostile folder matrix (issue 6, item 3): the real binary against odd, broken and hostile
things in the drop folder. Each case asserts a specific outcome and message, that nothing
outside the drop folder reaches the portal, that nothing hangs (timeouts) and that nothing
crashes (exit >= 128, a signal, or a Swift 'Fatal error' fails the test).

Outcomes, as designed (Intake/SafeOpen.swift, Intake/DropFolder.swift, Run/*.swift):
- symlinks (to files or folders), hard links, FIFOs, sockets, devices: moved to rejected/
  with a reason note; their target is never opened;
- zero-byte: rejected "empty"; sparse videos: uploaded byte for byte;
- odd names: delivered with the exact name (newlines, control characters, leading dashes);
- deeper than 32 folders: not looked into, reported as a drop folder problem (exit 1);
- unreadable file (as an unprivileged user): rejected "not allowed to read".
Daemon cases (`run`, throttled with [transfer] max_rate) cover changes during an upload and
the drop folder being replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Centre, make_centre, samples, sha256_file
from hostile_support import (CANDIDATE, MB, UNIT, RunningDaemon, assert_no_crash, marker_in_store,
                             reason_of, wait_until, write_marked_mp4)

HERE = f"{UNIT}/{CANDIDATE}"
ONCE_TIMEOUT = 120


def run_once(uploader, centre: Centre, timeout: float = ONCE_TIMEOUT, what: str = "run --once"):
    try:
        result = uploader("run", "--config", centre.config, "--once", timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what}: hung (no exit within {timeout}s)")
    assert_no_crash(result.returncode, result.output, what)
    return result


def good_file(centre: Centre, name: str = "good-wall.mp4", size: int = 1 * MB) -> tuple[str, str]:
    rel = f"{HERE}/{name}"
    samples.write_mp4(str(centre.drop / rel), size)
    return rel, sha256_file(centre.drop / rel)


def assert_good_delivered(centre: Centre, rel: str, sha: str) -> None:
    assert (centre.uploaded / rel).is_file(), f"{rel} not in uploaded/"
    assert sha256_file(centre.uploaded / rel) == sha
    assert (centre.uploaded / (rel + ".receipt.txt")).is_file()
    stored = [u for u in centre.portal.uploads() if u.metadata.get("filename") == Path(rel).name]
    assert len(stored) == 1 and stored[0].complete and stored[0].sha256 == sha, [u.info for u in stored]


def assert_no_wrong_complete_upload(centre: Centre, allowed_shas: set[str]) -> None:
    """The portal never holds a complete upload whose bytes are not one of the allowed versions,
    nor one whose bytes disagree with the sha256 it was announced with."""
    for u in centre.portal.uploads():
        if not u.complete:
            continue
        assert u.sha256 in allowed_shas, f"complete upload {u.uid} holds bytes of no real version: {u.info}"
        announced = (u.metadata.get("sha256") or "").lower()
        assert announced == u.sha256, f"complete upload {u.uid}: bytes differ from its announced sha256 {u.info}"


@pytest.fixture
def outside(workdir) -> Path:
    """A folder beside the centre tree (same file system), outside the drop folder."""
    p = workdir / "outside"
    p.mkdir()
    return p


# --------------------------------------------------------------------------- symlinks

def test_symlinks_to_files_and_folders_outside_are_rejected_and_never_followed(uploader, centre, outside):
    marker = b"OUTSIDE-MARKER-symlink-7f3a9c"
    secret = outside / "secret.mp4"
    secret_bytes = write_marked_mp4(secret, marker)
    (outside / "dir").mkdir()
    write_marked_mp4(outside / "dir" / "inner.mp4", marker)
    (centre.drop / HERE).mkdir(parents=True)
    (centre.drop / HERE / "abs-link.mp4").symlink_to(secret)
    (centre.drop / HERE / "rel-link.mp4").symlink_to(os.path.relpath(secret, centre.drop / HERE))
    (centre.drop / HERE / "dangling.mp4").symlink_to(outside / "does-not-exist.mp4")
    (centre.drop / UNIT / "5678").symlink_to(outside / "dir")          # a candidate folder that is a link
    (centre.drop / "8711-306").symlink_to(outside)                      # a unit folder that is a link
    good, good_sha = good_file(centre)

    result = run_once(uploader, centre)
    assert result.returncode == 1, result.describe()

    links = [f"{HERE}/abs-link.mp4", f"{HERE}/rel-link.mp4", f"{HERE}/dangling.mp4", f"{UNIT}/5678", "8711-306"]
    for rel in links:
        moved = centre.rejected / rel
        assert moved.is_symlink(), f"{rel}: not moved to rejected/ as the link itself\n{result.describe()}"
        assert not os.path.lexists(centre.drop / rel), f"{rel}: still in the drop folder"
        text = reason_of(centre.rejected, rel)
        assert "shortcut (symbolic link)" in text, f"{rel}: {text}"
        assert "rejected" in result.stderr and "reason=symlink" in result.stderr, result.describe()

    # The targets were neither read nor moved nor changed.
    assert secret.read_bytes() == secret_bytes
    assert (outside / "dir" / "inner.mp4").is_file()
    assert marker_in_store(centre.portal.store, marker) == [], "content from outside the drop folder reached the portal"
    assert marker_in_store(centre.uploaded, marker) == [], "content from outside ended up in uploaded/"
    assert_good_delivered(centre, good, good_sha)
    assert len(centre.portal.uploads()) == 1


# --------------------------------------------------------------------------- hard links

def test_hard_link_to_a_file_outside_is_rejected_and_not_read(uploader, centre, outside):
    marker = b"OUTSIDE-MARKER-hardlink-41be07"
    original = outside / "payroll.mp4"
    original_bytes = write_marked_mp4(original, marker)
    (centre.drop / HERE).mkdir(parents=True)
    os.link(original, centre.drop / HERE / "linked.mp4")

    result = run_once(uploader, centre)
    assert result.returncode == 1, result.describe()
    rel = f"{HERE}/linked.mp4"
    assert (centre.rejected / rel).is_file()
    text = reason_of(centre.rejected, rel)
    assert "2 names (hard links)" in text, text
    assert "reason=hard-link" in result.stderr, result.describe()
    assert original.read_bytes() == original_bytes and original.stat().st_nlink == 2
    assert marker_in_store(centre.portal.store, marker) == []
    assert centre.portal.uploads() == []


# --------------------------------------------------------------------------- FIFOs, sockets, devices

def test_fifo_socket_and_device_nodes_are_rejected_without_blocking(uploader, centre):
    d = centre.drop / HERE
    d.mkdir(parents=True)
    os.mkfifo(d / "pipe.mp4")
    os.mkfifo(d / "pipe-no-ext")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(d / "sock.mp4"))
    sock.listen(1)
    devices = {}
    try:
        os.mknod(d / "zero.mp4", 0o600 | stat.S_IFCHR, os.makedev(1, 5))      # /dev/zero: endless bytes
        os.mknod(d / "null.pdf", 0o600 | stat.S_IFCHR, os.makedev(1, 3))      # /dev/null
        os.mknod(d / "loop.mp4", 0o600 | stat.S_IFBLK, os.makedev(7, 0))      # a block device
        devices = {"zero.mp4": stat.S_ISCHR, "null.pdf": stat.S_ISCHR, "loop.mp4": stat.S_ISBLK}
    except PermissionError:
        pass  # not root: the FIFO and socket cases still run
    good, good_sha = good_file(centre)
    started = time.monotonic()
    try:
        result = run_once(uploader, centre, timeout=60)
    finally:
        sock.close()
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.describe()

    expect = {"pipe.mp4": (stat.S_ISFIFO, "pipe (FIFO)"), "pipe-no-ext": (stat.S_ISFIFO, "pipe (FIFO)"),
              "sock.mp4": (stat.S_ISSOCK, "socket")}
    expect.update({name: (check, "a device, not a file") for name, check in devices.items()})
    for name, (is_kind, words) in expect.items():
        rel = f"{HERE}/{name}"
        moved = centre.rejected / rel
        assert is_kind(os.lstat(moved).st_mode), f"{rel}: not moved to rejected/ as itself\n{result.describe()}"
        assert not os.path.lexists(centre.drop / rel)
        assert words in reason_of(centre.rejected, rel)
    assert result.stderr.count("reason=not-a-regular-file") == len(expect), result.describe()
    assert_good_delivered(centre, good, good_sha)
    assert len(centre.portal.uploads()) == 1


# --------------------------------------------------------------------------- empty and sparse

def test_zero_byte_is_rejected_and_a_sparse_video_is_uploaded_intact(uploader, centre):
    empty = f"{HERE}/empty.mp4"
    (centre.drop / HERE).mkdir(parents=True)
    (centre.drop / empty).write_bytes(b"")
    sparse = f"{HERE}/sparse-200MB.mp4"
    samples.write_sparse_video(str(centre.drop / sparse), 200 * MB)
    with open(centre.drop / sparse, "r+b") as f:   # a little data in the middle and at the end
        f.seek(100 * MB)
        f.write(b"middle-of-the-hole")
        f.seek(200 * MB - 5)
        f.write(b"tail!")
    assert os.stat(centre.drop / sparse).st_blocks * 512 < 10 * MB, "the file system did not keep it sparse"
    sha = sha256_file(centre.drop / sparse)

    result = run_once(uploader, centre, timeout=180)
    assert result.returncode == 1, result.describe()
    assert "empty" in reason_of(centre.rejected, empty).lower()
    assert (centre.rejected / empty).stat().st_size == 0
    stored = [u for u in centre.portal.uploads() if u.metadata.get("filename") == "sparse-200MB.mp4"]
    assert len(stored) == 1 and stored[0].complete and stored[0].size == 200 * MB and stored[0].sha256 == sha
    assert stored[0].metadata.get("sha256") == sha
    assert sha256_file(centre.uploaded / sparse) == sha
    assert len(centre.portal.uploads()) == 1


# --------------------------------------------------------------------------- names

ODD_NAMES = {
    "newline": "two\nlines.mp4",
    "control": "ctl\x01\x07\x1b[31mred\x7f.mp4",
    "dash": "-rf --help.mp4",
    "dashes-only": "--.mp4",
    "quotes": "it's \"quoted\" $(id) `id`;.mp4",
    "long-200": "a" * 196 + ".mp4",   # long, but '<name>.receipt.txt.tmp-<pid>' still fits in 255 bytes
}


def test_odd_names_are_delivered_with_the_exact_name(uploader, centre):
    rels = {}
    for key, name in ODD_NAMES.items():
        rel = f"{HERE}/{name}"
        samples.write_mp4(str(centre.drop / rel), 1 * MB + len(key), seed=key)
        rels[rel] = sha256_file(centre.drop / rel)

    result = run_once(uploader, centre)
    assert result.returncode == 0, result.describe()
    stored = {u.metadata.get("filename"): u for u in centre.portal.uploads()}
    for rel, sha in rels.items():
        name = Path(rel).name
        assert name in stored, f"{name!r} not on the portal: {list(stored)}"
        assert stored[name].complete and stored[name].sha256 == sha
        assert stored[name].metadata.get("candidate") == CANDIDATE and stored[name].metadata.get("unit") == UNIT
        assert sha256_file(centre.uploaded / rel) == sha
        assert (centre.uploaded / (rel + ".receipt.txt")).is_file()
    assert len(stored) == len(rels)
    # A name with a newline must not forge a log line.
    assert not any(line.startswith("lines.mp4") for line in result.stderr.splitlines()), result.stderr


def test_invalid_utf8_name_gets_a_specific_outcome(uploader, centre):
    d = bytes(centre.drop / HERE)
    os.makedirs(d)
    name = b"clip-\xff\xfe-caf\xe9.mp4"
    path = os.path.join(d, name)
    samples.write_mp4(path.decode("utf-8", "surrogateescape"), 1 * MB, seed="bad-utf8")
    result = run_once(uploader, centre)
    still_there = os.path.exists(path)
    delivered = any(u.complete for u in centre.portal.uploads())
    rejected_notes = [p for p in os.listdir(os.path.join(bytes(centre.rejected), UNIT.encode(), CANDIDATE.encode()))
                      if p.endswith(b".reason.txt")] if os.path.isdir(os.path.join(bytes(centre.rejected), UNIT.encode(), CANDIDATE.encode())) else []
    assert "Fatal error" not in result.output
    assert not still_there and (delivered or rejected_notes), \
        f"left in the drop folder with no note\n{result.describe()}"


def test_255_byte_name_is_delivered_with_its_receipt(uploader, centre):
    name = "b" * 251 + ".mp4"
    rel, sha = good_file(centre, name)
    result = run_once(uploader, centre)
    assert (centre.uploaded / rel).is_file() or (centre.drop / rel).is_file(), "the file was lost"
    receipts = list((centre.uploaded / HERE).glob("*.txt")) if (centre.uploaded / HERE).is_dir() else []
    assert result.returncode == 0 and receipts, f"no receipt beside the uploaded file\n{result.describe()}"


def test_255_byte_name_of_a_rejected_file_is_not_lost(uploader, centre):
    """The reason note cannot be written beside a 255-byte name: the file must stay where it was,
    with an error saying so, and the run must say it did not finish."""
    rel = f"{HERE}/" + "c" * 251 + ".mp4"
    (centre.drop / HERE).mkdir(parents=True)
    (centre.drop / rel).write_bytes(b"not a video at all, but the name says so")
    result = run_once(uploader, centre)
    assert result.returncode == 1, result.describe()
    where = [p for p in (centre.drop / rel, centre.rejected / rel) if p.is_file()]
    assert where, f"the file was lost\n{result.describe()}"


# --------------------------------------------------------------------------- deep trees

def test_a_40_level_tree_is_reported_and_not_crashed_on(uploader, centre):
    deep = centre.drop / UNIT / CANDIDATE
    for i in range(38):  # 2 + 38 = 40 folders below the drop folder
        deep = deep / f"d{i:02d}"
    deep.mkdir(parents=True)
    samples.write_mp4(str(deep / "deep.mp4"), 1 * MB)
    good, good_sha = good_file(centre)

    result = run_once(uploader, centre)
    assert result.returncode == 1, result.describe()
    assert "nested more than 32 folders deep; not looked into" in result.stderr, result.describe()
    assert "drop folder problem" in result.stderr
    assert (deep / "deep.mp4").is_file(), "the deep file must stay where it is"
    assert_good_delivered(centre, good, good_sha)
    assert len(centre.portal.uploads()) == 1


# --------------------------------------------------------------------------- unreadable (unprivileged)

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), uid, gid, follow_symlinks=False)


def test_unreadable_file_and_folder_as_an_unprivileged_user(binary, centre, workdir):
    import grp
    import pwd
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run the binary as nobody (root can read mode 000 files)")
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    locked = f"{HERE}/locked.mp4"
    samples.write_mp4(str(centre.drop / locked), 1 * MB)
    closed = centre.drop / UNIT / "9999"
    samples.write_mp4(str(closed / "inside.mp4"), 1 * MB)
    good, good_sha = good_file(centre)
    _chown_tree(centre.root, uid, gid)
    os.chmod(centre.drop / locked, 0)
    os.chmod(closed, 0)
    os.chmod(workdir, 0o755)
    probe = subprocess.run([*NOBODY, str(binary), "--help"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run {binary}: {probe.stderr[-300:]!r}")

    proc = subprocess.run([*NOBODY, str(binary), "run", "--config", str(centre.config), "--once"],
                          capture_output=True, text=True, timeout=ONCE_TIMEOUT, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert_no_crash(proc.returncode, out, "run --once as nobody")
    assert proc.returncode == 1, out
    assert (centre.rejected / locked).is_file(), out
    text = reason_of(centre.rejected, locked)
    assert "not allowed to read this file" in text and "Permission denied" in text, text
    assert "reason=unreadable" in out, out
    assert "cannot open folder" in out and "9999" in out and "Permission denied" in out, out
    os.chmod(closed, 0o755)
    assert (closed / "inside.mp4").is_file(), "the unreadable folder's content must be left alone"
    assert_good_delivered(centre, good, good_sha)


# --------------------------------------------------------------------------- full state disk

@pytest.fixture
def small_state(workdir):
    """A 1 MiB tmpfs as the state folder (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = workdir / "state-tmpfs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the file system to the last byte (unbuffered writes, so closing cannot fail)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
    return filler


def test_full_state_disk_run_once_loses_nothing_and_says_so(uploader, workdir, portal, small_state):
    centre = make_centre(workdir, portal)
    centre.config.write_text(centre.config.read_text().replace(f'state = "{centre.state}"',
                                                                f'state = "{small_state}"'))
    first = run_once(uploader, centre, what="first run on an empty drop folder")
    assert first.returncode == 0, first.describe()
    # Enough files that the journal outgrows the page it already has (tmpfs allocates 4 KiB pages).
    rels = [f"{HERE}/wall-{i:02d}.mp4" for i in range(40)]
    for rel in rels:
        samples.write_mp4(str(centre.drop / rel), 100_000)
    originals = {rel: sha256_file(centre.drop / rel) for rel in rels}
    filler = fill(small_state)

    full = run_once(uploader, centre, what="run --once with a full state disk")
    assert full.returncode != 0, full.describe()
    assert "No space left on device" in full.output, full.describe()
    assert "is full: no new work can start until space is freed (everything already recorded is intact)" in full.stderr
    for rel, sha in originals.items():  # nothing lost: each file is either still waiting or delivered intact
        here = [p for p in (centre.drop / rel, centre.uploaded / rel) if p.is_file()]
        assert len(here) == 1 and sha256_file(here[0]) == sha, f"{rel} lost or damaged\n{full.describe()}"
    assert_no_wrong_complete_upload(centre, set(originals.values()))

    filler.unlink()
    again = run_once(uploader, centre, what="run --once after space was freed")
    assert again.returncode == 0, again.describe()
    for rel, sha in originals.items():
        assert sha256_file(centre.uploaded / rel) == sha
        assert (centre.uploaded / (rel + ".receipt.txt")).is_file()
    complete = [u for u in centre.portal.uploads() if u.complete]
    assert sorted(u.sha256 for u in complete) == sorted(originals.values()), "sent twice or not at all"


def test_full_state_disk_daemon_keeps_running_loses_nothing_and_resumes_when_space_is_back(binary, workdir, portal, small_state):
    """Designed (Admission `.stateFull`, Daemon.admitSettled): a full state folder stops new work
    with one CRITICAL line and PAUSED in status; the daemon keeps running, loses and damages
    nothing, and takes the waiting files once space is freed, each delivered exactly once."""
    centre = make_centre(workdir, portal)
    centre.config.write_text(centre.config.read_text().replace(f'state = "{centre.state}"',
                                                                f'state = "{small_state}"'))
    d = RunningDaemon(binary, centre.config, workdir / "daemon.log")
    try:
        assert d.wait_for("watching the drop folder", 30), d.text()
        filler = fill(small_state)
        rels = [f"{HERE}/wall-{i:02d}.mp4" for i in range(40)]
        originals = {}
        for rel in rels:
            samples.write_mp4(str(centre.drop / rel), 100_000)
            originals[rel] = sha256_file(centre.drop / rel)
        assert d.wait_for(r"CRITICAL the state folder is full: new files wait in the drop folder", 30), d.text()[-3000:]
        time.sleep(2)
        assert d.proc.poll() is None, "the daemon exited on a full state folder\n" + d.text()[-3000:]
        assert d.text().count("the state folder is full: new files wait") == 1, "said more than once"
        for rel, sha in originals.items():
            here = [p for p in (centre.drop / rel, centre.uploaded / rel) if p.is_file()]
            assert len(here) == 1 and sha256_file(here[0]) == sha, f"{rel} lost or damaged"
        assert_no_wrong_complete_upload(centre, set(originals.values()))
        filler.unlink()
        assert wait_until(lambda: all((centre.uploaded / (r + ".receipt.txt")).is_file() for r in rels), 90), \
            "not all delivered once space was back\n" + d.text()[-3000:]
        assert "the state folder has room again" in d.text()
        for rel, sha in originals.items():
            assert sha256_file(centre.uploaded / rel) == sha
        complete = [u for u in centre.portal.uploads() if u.complete]
        assert sorted(u.sha256 for u in complete) == sorted(originals.values()), "sent twice or not at all"
        rc = d.stop()
        assert_no_crash(rc, d.text(), "daemon after a full state disk")
        assert rc == 0, d.text()[-3000:]
    finally:
        d.kill()


# --------------------------------------------------------------------------- the daemon: changes during an upload

RATE = "2MB/s"        # throttled, so a 10 MB upload takes about 5 s
SLOW_SIZE = 10 * MB


def throttled_centre(workdir: Path, portal) -> Centre:
    return make_centre(workdir, portal, chunk_size="1MiB", extra=f'max_rate = "{RATE}"\n')


def start_daemon(binary, centre: Centre, workdir: Path, name: str = "daemon.log") -> RunningDaemon:
    d = RunningDaemon(binary, centre.config, workdir / name)
    assert d.wait_for("watching the drop folder", 30), "daemon did not start\n" + d.text()
    return d


def stop_daemon(d: RunningDaemon, what: str = "daemon") -> str:
    assert d.alive(), f"{what} exited on its own\n{d.text()[-4000:]}"
    rc = d.stop()
    assert_no_crash(rc, d.text(), what)
    assert rc == 0, d.text()[-4000:]
    return d.text()


def wait_upload_underway(d: RunningDaemon, rel_name: str) -> None:
    m = d.wait_for(r"progress file=\S*" + rel_name, 30)
    assert m, "the upload did not get under way\n" + d.text()[-3000:]


def _swap_candidate_folder_for_symlink(centre: Centre, outside: Path) -> None:
    """The real candidate folder goes away (kept outside), a symlink to a folder outside that
    holds a same-named file takes its place."""
    os.rename(centre.drop / HERE, outside / "real-candidate-folder")
    os.symlink(outside / "evil", centre.drop / HERE)


def _toctou_setup(centre: Centre, outside: Path, marker: bytes):
    rel = f"{HERE}/evidence.mp4"
    samples.write_mp4(str(centre.drop / rel), SLOW_SIZE)
    sha = sha256_file(centre.drop / rel)
    (outside / "evil").mkdir()
    evil = outside / "evil" / "evidence.mp4"
    evil_bytes = write_marked_mp4(evil, marker, size=SLOW_SIZE)
    return rel, sha, evil, evil_bytes


def test_daemon_folder_swapped_for_a_symlink_during_upload_reads_and_moves_nothing_outside(binary, workdir, portal, outside):
    """The daemon sees the swapped-in symlink (inotify), rejects it as a shortcut (the link itself
    goes to rejected/), and the upload in flight keeps reading its own descriptor."""
    centre = throttled_centre(workdir, portal)
    marker = b"OUTSIDE-MARKER-toctou-d-c81d22"
    rel, sha, evil, evil_bytes = _toctou_setup(centre, outside, marker)
    d = start_daemon(binary, centre, workdir)
    try:
        wait_upload_underway(d, "8711-305/1234/evidence.mp4")
        _swap_candidate_folder_for_symlink(centre, outside)
        assert d.wait_for(r"rejected detail=\"This is a shortcut \(symbolic link\)[^\n]*file=8711-305/1234 reason=symlink", 20), \
            d.text()[-3000:]
        assert d.wait_for(r"delivered file=8711-305/1234/evidence.mp4", 60), d.text()[-3000:]
        time.sleep(2)
        log = stop_daemon(d)
    finally:
        d.kill()
    assert (centre.rejected / HERE).is_symlink()
    assert marker_in_store(centre.portal.store, marker) == [], "content outside the drop folder reached the portal"
    assert marker_in_store(centre.uploaded, marker) == [], log[-2500:]
    assert_no_wrong_complete_upload(centre, {sha})
    assert evil.is_file() and evil.read_bytes() == evil_bytes, "the file outside the drop folder was moved or changed"


def test_once_folder_swapped_for_a_symlink_during_upload_moves_nothing_from_outside(binary, workdir, portal, outside):
    centre = throttled_centre(workdir, portal)
    marker = b"OUTSIDE-MARKER-toctou-o-5e0b71"
    rel, sha, evil, evil_bytes = _toctou_setup(centre, outside, marker)
    run = RunningDaemon(binary, centre.config, workdir / "once.log", extra_args=["--once"])
    try:
        wait_upload_underway(run, "8711-305/1234/evidence.mp4")
        _swap_candidate_folder_for_symlink(centre, outside)
        try:
            run.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("run --once hung\n" + run.text()[-3000:])
    finally:
        run.kill()
    log = run.text()
    assert_no_crash(run.proc.returncode, log, "run --once")
    assert marker_in_store(centre.portal.store, marker) == [], "content outside the drop folder reached the portal"
    assert_no_wrong_complete_upload(centre, {sha})
    assert evil.is_file() and evil.read_bytes() == evil_bytes, \
        f"the file outside the drop folder was moved or changed\n{log[-2500:]}"
    assert marker_in_store(centre.uploaded, marker) == [], "a file from outside was moved into uploaded/"


def test_file_swapped_for_a_symlink_during_upload_reads_nothing_outside(binary, workdir, portal, outside):
    """The file itself replaced by a symlink mid-upload: the upload reads only the descriptor it
    opened; the old file now has no name, so the upload is abandoned ('file changed while it was
    uploaded'), and the symlink is never followed."""
    centre = throttled_centre(workdir, portal)
    rel = f"{HERE}/evidence.mp4"
    samples.write_mp4(str(centre.drop / rel), SLOW_SIZE)
    sha = sha256_file(centre.drop / rel)
    marker = b"OUTSIDE-MARKER-fileswap-93ab10"
    secret = outside / "secret.mp4"
    secret_bytes = write_marked_mp4(secret, marker, size=SLOW_SIZE)
    d = start_daemon(binary, centre, workdir)
    try:
        wait_upload_underway(d, "8711-305/1234/evidence.mp4")
        tmp = centre.drop / HERE / ".swap"
        os.symlink(secret, tmp)
        os.rename(tmp, centre.drop / rel)
        assert d.wait_for(r"file changed while it was uploaded", 60), d.text()[-3000:]
        time.sleep(2)
        log = stop_daemon(d)
    finally:
        d.kill()
    assert marker_in_store(centre.portal.store, marker) == []
    assert_no_wrong_complete_upload(centre, {sha})
    assert not (centre.uploaded / rel).exists(), log[-2000:]
    assert secret.read_bytes() == secret_bytes
    assert (centre.drop / rel).is_symlink() or (centre.rejected / rel).is_symlink()


def test_file_deleted_during_upload_is_abandoned_not_delivered(binary, workdir, portal):
    centre = throttled_centre(workdir, portal)
    rel = f"{HERE}/deleted.mp4"
    samples.write_mp4(str(centre.drop / rel), SLOW_SIZE)
    sha = sha256_file(centre.drop / rel)
    d = start_daemon(binary, centre, workdir)
    try:
        wait_upload_underway(d, "8711-305/1234/deleted.mp4")
        os.unlink(centre.drop / rel)
        assert d.wait_for(r"file changed while it was uploaded; it will be sent again as a new upload", 60), \
            d.text()[-3000:]
        time.sleep(1)
        log = stop_daemon(d)
    finally:
        d.kill()
    assert not (centre.uploaded / rel).exists(), log[-2000:]
    assert_no_wrong_complete_upload(centre, {sha})
    assert "Fatal error" not in log


def test_file_truncated_during_upload_is_never_delivered_corrupt(binary, workdir, portal):
    centre = throttled_centre(workdir, portal)
    rel = f"{HERE}/truncated.mp4"
    samples.write_mp4(str(centre.drop / rel), SLOW_SIZE)
    sha = sha256_file(centre.drop / rel)
    d = start_daemon(binary, centre, workdir)
    try:
        wait_upload_underway(d, "8711-305/1234/truncated.mp4")
        os.truncate(centre.drop / rel, SLOW_SIZE // 2)
        short_sha = sha256_file(centre.drop / rel)
        # Either the upload notices (short read) or the final check does; the truncated file is a
        # new version and may then be delivered as such.
        assert d.wait_for(r'dropping a queued item[^\n]*reason="the file changed since it was queued"'
                          r'|file changed while it was uploaded', 60), d.text()[-3000:]
        wait_until(lambda: (centre.uploaded / (rel + ".receipt.txt")).is_file(), 5)
        time.sleep(1)
        log = stop_daemon(d)
    finally:
        d.kill()
    assert_no_wrong_complete_upload(centre, {sha, short_sha})
    if (centre.uploaded / rel).exists():
        assert sha256_file(centre.uploaded / rel) == short_sha
        assert short_sha in (centre.uploaded / (rel + ".receipt.txt")).read_text()
        assert any(u.complete and u.sha256 == short_sha for u in centre.portal.uploads())
    elif (centre.rejected / rel).exists():
        # The cut-short copy is a video whose last box runs past its end: refused as incomplete
        # (reject_unplayable_video), kept byte for byte with its reason.
        assert sha256_file(centre.rejected / rel) == short_sha
        assert "unplayable-video" in (centre.rejected / (rel + ".reason.txt")).read_text()
    else:
        assert (centre.drop / rel).is_file() and sha256_file(centre.drop / rel) == short_sha, log[-2000:]


def test_file_rewritten_during_upload_never_leaves_a_corrupt_copy_and_is_sent_again(binary, workdir, portal):
    centre = throttled_centre(workdir, portal)
    rel = f"{HERE}/rewritten.mp4"
    samples.write_mp4(str(centre.drop / rel), SLOW_SIZE)
    old_sha = sha256_file(centre.drop / rel)
    d = start_daemon(binary, centre, workdir)
    try:
        wait_upload_underway(d, "8711-305/1234/rewritten.mp4")
        with open(centre.drop / rel, "r+b") as f:   # same size, new bytes in the part not yet sent
            f.seek(SLOW_SIZE - 2 * MB)
            f.write(os.urandom(1 * MB))
        new_sha = sha256_file(centre.drop / rel)
        assert d.wait_for(r"file changed while it was uploaded; it will be sent again as a new upload", 60), \
            d.text()[-3000:]
        # The server got a mix of old and new bytes: that upload must not stay as a complete one.
        assert_no_wrong_complete_upload(centre, {old_sha, new_sha})
        delivered = wait_until(lambda: (centre.uploaded / (rel + ".receipt.txt")).is_file(), 30)
        log = stop_daemon(d)
    finally:
        d.kill()
    assert_no_wrong_complete_upload(centre, {old_sha, new_sha})
    assert delivered, "the rewritten file was not sent again within 30 s of the abandoned upload\n" + log[-2500:]
    assert sha256_file(centre.uploaded / rel) == new_sha
    assert any(u.complete and u.sha256 == new_sha for u in centre.portal.uploads())


# --------------------------------------------------------------------------- the daemon: drop folder replaced

def test_drop_folder_removed_and_recreated_while_running(binary, workdir, portal):
    centre = make_centre(workdir, portal)
    d = start_daemon(binary, centre, workdir)
    try:
        shutil.rmtree(centre.drop)
        time.sleep(1)
        assert d.alive(), "the daemon exited when the drop folder was removed\n" + d.text()
        centre.drop.mkdir()
        time.sleep(1)
        rel, sha = good_file(centre, "after-recreate.mp4")
        delivered = wait_until(lambda: (centre.uploaded / (rel + ".receipt.txt")).is_file(), 20)
        log = d.text()
        assert d.alive(), "the daemon exited after the drop folder was recreated\n" + log
        if not delivered:
            assert "restart" in log.lower() and "drop folder" in log.lower(), \
                "a file dropped into the recreated drop folder was silently ignored\n" + log[-2500:]
        else:
            assert sha256_file(centre.uploaded / rel) == sha
        stop_daemon(d)
    finally:
        d.kill()


def test_daemon_rejects_hostile_entries_dropped_while_it_runs(binary, workdir, portal, outside):
    """The daemon's own path (inotify hint -> settle -> admission): FIFO, symlink, hard link and a
    device dropped while it runs are rejected with their reasons; it never blocks on the FIFO."""
    centre = make_centre(workdir, portal)
    marker = b"OUTSIDE-MARKER-daemon-0d9e55"
    secret = outside / "secret.mp4"
    secret_bytes = write_marked_mp4(secret, marker)
    d = start_daemon(binary, centre, workdir)
    try:
        here = centre.drop / HERE
        here.mkdir(parents=True)
        os.mkfifo(here / "pipe.mp4")
        os.symlink(secret, here / "link.mp4")
        os.link(secret, here / "hard.mp4")
        kinds = {"pipe.mp4": "pipe (FIFO)", "link.mp4": "shortcut (symbolic link)", "hard.mp4": "2 names (hard links)"}
        try:
            os.mknod(here / "zero.mp4", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
            kinds["zero.mp4"] = "a device, not a file"
        except PermissionError:
            pass
        good, good_sha = good_file(centre, "good-while-running.mp4")
        ok = wait_until(lambda: all((centre.rejected / HERE / (n + ".reason.txt")).is_file() for n in kinds)
                        and (centre.uploaded / (good + ".receipt.txt")).is_file(), 20)
        assert ok, "not all handled within 20 s\n" + d.text()[-3000:]
        for name, words in kinds.items():
            assert words in reason_of(centre.rejected, f"{HERE}/{name}")
            assert not os.path.lexists(here / name)
        assert_good_delivered(centre, good, good_sha)
        stop_daemon(d)
    finally:
        d.kill()
    assert secret.read_bytes() == secret_bytes
    assert marker_in_store(centre.portal.store, marker) == []
