"""Issue 14: an oversize video is compressed with ffmpeg to fit, the original kept beside it.

Real videos made by ffmpeg itself (testsrc2 + a sine tone, short and at a high bitrate) against a
small max_video_size: the compressed copy is under the limit, the portal's copy plays for the same
time (ffprobe), the original is byte-identical in uploaded/ beside its receipt and
`<name>.compressed.mp4`; a video too long even at 360p, a corrupt one, a CPU limit hit and a kill
mid-way each end as they should. Without oversize_video = "compress" the old rejection stands.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import make_centre, read_store, sha256_file
from daemon_support import daemons, make_daemon_centre, wait_until  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed (apt install ffmpeg)")

UNIT, CANDIDATE = "8711-305", "1234"
LIMIT = 8_000_000
SECONDS = 15


def run(*argv):
    subprocess.run([str(a) for a in argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def source_video(tmp_path_factory) -> Path:
    """15 s of 1080p at 20 Mbit/s with sound: about 37 MB, far over an 8 MB limit."""
    path = tmp_path_factory.mktemp("videos") / "source.mp4"
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
        "-i", "sine=frequency=440", "-t", str(SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M",
        "-pix_fmt", "yuv420p", "-c:a", "aac", path)
    assert path.stat().st_size > 3 * LIMIT
    return path


def policy(centre, text: str) -> None:
    """Adds keys to [policy] (and any tables after the config)."""
    config = centre.config.read_text()
    config = re.sub(r'(settle_time = "[^"]*")', lambda m: m.group(1) + "\n" + text, config, count=1)
    centre.config.write_text(config)


def compress_policy(limit: int = LIMIT) -> str:
    return f'max_video_size = "{limit}B"\nstandard_upload_limit = "{limit}B"\noversize_video = "compress"'


def drop(centre, source: Path, name: str = "wall.mp4") -> Path:
    target = centre.drop / UNIT / CANDIDATE / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def test_oversize_video_is_compressed_to_fit_and_both_are_kept(uploader, workdir, portal, source_video):
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy())
    dropped = drop(centre, source_video)
    original_sha = sha256_file(source_video)

    check = uploader("check", dropped, "--config", centre.config, timeout=60)
    assert check.returncode == 0, check.describe()
    assert "would be compressed" in check.stdout and "1080p" in check.stdout, check.describe()

    result = uploader("run", "--once", "--config", centre.config, timeout=600)
    assert result.returncode == 0, result.describe()
    assert "rung=1080p" in result.output or "rung: 1080p" in result.output or "1080p" in result.output, result.describe()

    folder = centre.uploaded / UNIT / CANDIDATE
    original = folder / "wall.mp4"
    copy = folder / "wall.mp4.compressed.mp4"
    receipt = folder / "wall.mp4.receipt.txt"
    assert sha256_file(original) == original_sha, "the original must be byte-identical"
    assert copy.is_file() and receipt.is_file()
    assert copy.stat().st_size <= LIMIT
    assert not (centre.drop / UNIT / CANDIDATE / "wall.mp4").exists()

    stored = read_store(portal.store)
    assert len(stored) == 1 and stored[0].complete, stored
    assert stored[0].sha256 == sha256_file(copy)
    assert stored[0].size <= LIMIT
    facts = probe(portal.store / stored[0].uid)
    assert abs(float(facts["format"]["duration"]) - SECONDS) < 1.0, facts["format"]
    kinds = {s["codec_type"] for s in facts["streams"]}
    assert kinds == {"video", "audio"}, kinds
    video = next(s for s in facts["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1920, 1080)

    text = receipt.read_text()
    assert "COMPRESSED TO FIT" in text
    assert f"({source_video.stat().st_size} bytes)" in text and f"({copy.stat().st_size} bytes)" in text
    assert "1920x1080" in text and original_sha in text
    assert f"The portal holds: the compressed copy, SHA-256 {stored[0].sha256}" in text
    assert "wall.mp4.compressed.mp4" in text
    # The work folder is gone; the journal says what happened.
    assert not any((centre.state / "compress").glob("*/output.mp4"))
    dump = uploader("journal", "dump", "--config", centre.config).stdout
    assert "compression-started rung=\"1080p\"" in dump and " compressed file=" in dump


def test_without_compress_the_old_rejection_stands(uploader, workdir, portal, source_video):
    centre = make_centre(workdir, portal)
    policy(centre, f'max_video_size = "{LIMIT}B"\nstandard_upload_limit = "{LIMIT}B"')
    drop(centre, source_video)
    result = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert result.returncode == 1, result.describe()
    reason = (centre.rejected / UNIT / CANDIDATE / "wall.mp4.reason.txt").read_text()
    assert "video-too-large" in reason
    assert read_store(portal.store) == []


def test_missing_ffmpeg_rejects_as_usual(uploader, workdir, portal, source_video):
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy())
    centre.config.write_text(centre.config.read_text() + '\n[compress]\nffmpeg = "/nonexistent/ffmpeg"\n')
    drop(centre, source_video)
    result = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert result.returncode == 1, result.describe()
    assert "video-too-large" in (centre.rejected / UNIT / CANDIDATE / "wall.mp4.reason.txt").read_text()
    assert "/nonexistent/ffmpeg is not installed" in result.output, result.describe()


def test_too_long_even_at_360p_is_rejected_with_split_advice(uploader, workdir, portal):
    limit = 10_000_000
    seconds = 360
    long_video = workdir / "long.mp4"
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-f", "lavfi",
        "-i", "sine=frequency=440", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
        "-pix_fmt", "yuv420p", "-c:a", "aac", long_video)
    assert long_video.stat().st_size > limit
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy(limit))
    drop(centre, long_video, "long.mp4")
    started = time.monotonic()
    result = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert result.returncode == 1, result.describe()
    assert time.monotonic() - started < 30, "a video too long must be refused before any encoding"
    reason = (centre.rejected / UNIT / CANDIDATE / "long.mp4.reason.txt").read_text()
    minutes = int(limit * 8 * 0.96 / ((270 + 64) * 1000) / 60)
    assert "video-too-long" in reason
    assert f"Split the recording into parts under {minutes} minutes each" in reason.replace("\n", " "), reason
    assert read_store(portal.store) == []


def test_corrupt_video_gives_a_reason(uploader, workdir, portal):
    bad = workdir / "bad.mp4"
    ftyp = bytes.fromhex("00000020") + b"ftypisom" + bytes.fromhex("00000200") + b"isomiso2avc1mp41"
    bad.write_bytes(ftyp + os.urandom(9_000_000))
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy() + "\nreject_unplayable_video = false")
    drop(centre, bad, "bad.mp4")
    result = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert result.returncode == 1, result.describe()
    reason = (centre.rejected / UNIT / CANDIDATE / "bad.mp4.reason.txt").read_text()
    assert "video-unreadable" in reason and "could not be read as a video" in reason, reason
    assert read_store(portal.store) == []


def test_cpu_limit_is_honoured(uploader, workdir, portal, source_video):
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy())
    centre.config.write_text(centre.config.read_text() + '\n[compress]\ncpu_time = "2s"\n')
    drop(centre, source_video)
    started = time.monotonic()
    result = uploader("run", "--once", "--config", centre.config, timeout=120)
    assert result.returncode == 1, result.describe()
    assert time.monotonic() - started < 60
    assert "cpu_time" in result.output, result.describe()
    assert (centre.drop / UNIT / CANDIDATE / "wall.mp4").exists(), "the file stays in the drop folder"
    assert read_store(portal.store) == []


def ffmpeg_children(state: Path) -> list[int]:
    """ffmpeg processes writing into this centre's state folder."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"ffmpeg") and any(str(state).encode() in part for part in cmdline):
            found.append(int(proc.name))
    return found


def test_kill_during_compression_recovers(uploader, workdir, portal, source_video, daemons):
    centre = make_daemon_centre(workdir, portal)
    policy(centre, compress_policy())
    daemon = daemons(centre)
    daemon.wait_for("watching|started|ready", timeout=30)
    drop(centre, source_video)
    daemon.wait_for(r"compressing", timeout=60)
    wait_until(lambda: ffmpeg_children(centre.state), timeout=30, what="ffmpeg running")
    time.sleep(2)
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.proc.wait(timeout=10)
    # The child dies with the daemon: nothing keeps writing into the state folder.
    wait_until(lambda: not ffmpeg_children(centre.state), timeout=10, what="ffmpeg gone after the kill")
    assert not list(centre.uploaded.rglob("*.mp4"))

    result = uploader("run", "--once", "--config", centre.config, timeout=600)
    assert result.returncode == 0, result.describe()
    folder = centre.uploaded / UNIT / CANDIDATE
    assert sha256_file(folder / "wall.mp4") == sha256_file(source_video)
    copy = folder / "wall.mp4.compressed.mp4"
    assert copy.stat().st_size <= LIMIT
    stored = [u for u in read_store(portal.store) if u.complete]
    assert len(stored) == 1 and stored[0].sha256 == sha256_file(copy)


def test_config_check_says_ffmpeg_is_missing(uploader, workdir, portal):
    centre = make_centre(workdir, portal)
    policy(centre, compress_policy())
    centre.config.write_text(centre.config.read_text() + '\n[compress]\nffmpeg = "/nonexistent/ffmpeg"\n')
    result = uploader("config", "check", "--config", centre.config, timeout=30)
    assert result.returncode == 0, result.describe()
    assert '/nonexistent/ffmpeg is not installed' in result.stdout, result.describe()
