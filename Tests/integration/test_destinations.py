"""Several awarding bodies in one daemon: two real tus portals on loopback with different rules and
centre numbers. Each file reaches only its body's portal with that body's centre number; a video
over one body's limit is rejected there while the same size goes to the other; a file at the drop
root is rejected naming the folders; a refused password pauses only its destination; kills across
both destinations lose and duplicate nothing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from conftest import Centre, samples, sha256_file, start_portal, _stop
from daemon_support import Daemon, cli, status_json, wait_until

MB = 1_000_000
UNIT = "8711-305"


def write_config(root: Path, cg, ocr, *, cg_password: Path | None = None, extra: str = "", settle: str = "0s") -> Centre:
    dirs = {name: root / name for name in ("drop", "uploaded", "rejected", "state")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    config = root / "config.toml"
    config.write_text(f"""[centre]
number = "11111"

[folders]
drop = "{dirs['drop']}"
uploaded = "{dirs['uploaded']}"
rejected = "{dirs['rejected']}"
state = "{dirs['state']}"

[policy]
settle_time = "{settle}"
max_video_size = "2.5GB"

[transfer]
chunk_size = "1MiB"
max_chunk_size = "1MiB"
{extra}
[destination.cityandguilds]
centre = "12345"
url = "{cg.url}"
max_video_size = "3MB"
standard_upload_limit = "1MB"
{f'password_file = "{cg_password}"' if cg_password else ''}

[destination.ocr]
folder = "ocr-evidence"
centre = "67890"
url = "{ocr.url}"
max_video_size = "10MB"
standard_upload_limit = "5MB"
""")
    return Centre(root, dirs["drop"], dirs["uploaded"], dirs["rejected"], dirs["state"], config, cg)


@pytest.fixture
def two_portals(workdir):
    cg = start_portal(workdir / "cg")
    ocr = start_portal(workdir / "ocr")
    yield cg, ocr
    _stop(cg.process)
    _stop(ocr.process)


def video(centre: Centre, rel: str, size: int) -> str:
    path = centre.drop / rel
    samples.write_mp4(str(path), size, seed=rel)
    return sha256_file(path)


def by_name(portal) -> dict:
    return {u.metadata.get("filename"): u for u in portal.uploads()}


def test_each_file_reaches_only_its_bodys_portal_under_its_rules(uploader, workdir, two_portals):
    cg, ocr = two_portals
    centre = write_config(workdir / "centre", cg, ocr)
    a = video(centre, f"cityandguilds/{UNIT}/1234/wall.mp4", 2 * MB)
    b = video(centre, "ocr-evidence/05838/5678/joinery.mp4", 2 * MB)
    big_cg = video(centre, f"cityandguilds/{UNIT}/1234/long-take.mp4", 5 * MB)
    big_ocr = video(centre, "ocr-evidence/05838/5678/long-take.mp4", 5 * MB)
    (centre.drop / "stray.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(1000))

    result = uploader("run", "--config", str(centre.config), "--once")
    assert result.returncode != 0, "two rejections: --once must not report success"
    log = result.output

    cg_got, ocr_got = by_name(cg), by_name(ocr)
    assert set(cg_got) == {"wall.mp4"}, f"{cg_got.keys()}\n{log[-4000:]}"
    assert set(ocr_got) == {"joinery.mp4", "long-take.mp4"}, ocr_got.keys()
    assert cg_got["wall.mp4"].sha256 == a and cg_got["wall.mp4"].complete
    assert cg_got["wall.mp4"].metadata.get("centre") == "12345"
    assert ocr_got["joinery.mp4"].sha256 == b and ocr_got["joinery.mp4"].metadata.get("centre") == "67890"
    assert ocr_got["long-take.mp4"].sha256 == big_ocr and ocr_got["long-take.mp4"].complete
    assert ocr_got["joinery.mp4"].metadata.get("unit") == "05838" and ocr_got["joinery.mp4"].metadata.get("candidate") == "5678"

    # uploaded/ and rejected/ mirror the destination folders.
    assert (centre.uploaded / f"cityandguilds/{UNIT}/1234/wall.mp4").is_file()
    assert (centre.uploaded / "ocr-evidence/05838/5678/long-take.mp4.receipt.txt").is_file()
    reason = (centre.rejected / f"cityandguilds/{UNIT}/1234/long-take.mp4.reason.txt").read_text()
    assert "3" in reason and "MB" in reason, reason
    assert sha256_file(centre.rejected / f"cityandguilds/{UNIT}/1234/long-take.mp4") == big_cg
    stray = (centre.rejected / "stray.pdf.reason.txt").read_text()
    assert '"cityandguilds/"' in stray and '"ocr-evidence/"' in stray, stray
    assert "destination=cityandguilds" in log and "destination=ocr" in log, log[-3000:]

    # The journal names the destination of each item; `check` says which destination a file is for.
    dump = uploader("journal", "dump", "--config", str(centre.config))
    assert 'destination="cityandguilds"' in dump.output and 'destination="ocr"' in dump.output, dump.output[-2000:]
    probe = centre.drop / "ocr-evidence/05838/5678/probe.mp4"
    samples.write_mp4(str(probe), 1 * MB, seed="probe")
    check = uploader("check", "--config", str(centre.config), str(probe))
    assert "ACCEPTED" in check.output and "destination: ocr" in check.output, check.output


def test_a_refused_password_pauses_only_its_destination(binary, workdir):
    cg = start_portal(workdir / "cg", password="right")
    ocr = start_portal(workdir / "ocr")
    d = None
    try:
        wrong = workdir / "cg-password"
        wrong.write_text("wrong\n")
        wrong.chmod(0o600)
        centre = write_config(workdir / "centre", cg, ocr, cg_password=wrong, settle="300ms")
        d = Daemon(binary, centre.config, workdir / "daemon.log")
        d.wait_for(r"watching the drop folder", 30)
        video(centre, f"cityandguilds/{UNIT}/1234/wall.mp4", 1 * MB)
        d.wait_for(r"uploads to this destination paused.*destination=cityandguilds", 30)
        started = time.monotonic()
        sha = video(centre, "ocr-evidence/05838/5678/joinery.mp4", 1 * MB)
        wait_until(lambda: (centre.uploaded / "ocr-evidence/05838/5678/joinery.mp4").is_file(), 30,
                   what="the other destination delivering while one is paused", daemon=d)
        assert by_name(ocr)["joinery.mp4"].sha256 == sha
        assert not cg.uploads(), "nothing may reach the paused portal"
        status = cli(binary, "status", "--config", centre.config)
        assert "cityandguilds" in status.stdout and "PAUSED" in status.stdout, status.stdout
        print(f"\nother destination delivered {time.monotonic() - started:.1f} s after the pause")

        # The right password: the paused destination resumes by itself.
        mark = d.mark()
        wrong.write_text("right\n")
        d.wait_for(r"the password changed; uploads resumed", 20, after=mark)
        wait_until(lambda: (centre.uploaded / f"cityandguilds/{UNIT}/1234/wall.mp4").is_file(), 30,
                   what="the paused destination delivering after the fix", daemon=d)
    finally:
        if d:
            d.stop()
        _stop(cg.process)
        _stop(ocr.process)


def test_kills_across_two_destinations_lose_and_duplicate_nothing(binary, uploader, workdir, two_portals):
    cg, ocr = two_portals
    # 0.8 MB/s in total, so each kill lands mid-upload.
    centre = write_config(workdir / "centre", cg, ocr, extra='max_rate = "0.8MB/s"\n')
    originals = {}
    for i in range(2):
        originals[f"cityandguilds/{UNIT}/1234/clip-{i}.mp4"] = video(centre, f"cityandguilds/{UNIT}/1234/clip-{i}.mp4", 2 * MB)
        originals[f"ocr-evidence/05838/5678/clip-{i}.mp4"] = video(centre, f"ocr-evidence/05838/5678/clip-{i}.mp4", 2 * MB)
    kills = 3 if os.environ.get("CI") else 5
    for k in range(kills):
        d = Daemon(binary, centre.config, workdir / f"kill-{k}.log")
        time.sleep(1.5 + 0.3 * k)
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait()
    final = uploader("run", "--config", str(centre.config), "--once", timeout=300)
    assert final.returncode == 0, final.describe()
    for rel, sha in originals.items():
        portal = cg if rel.startswith("cityandguilds/") else ocr
        other = ocr if portal is cg else cg
        name = Path(rel).name
        matches = [u for u in portal.uploads() if u.metadata.get("filename") == name and u.complete]
        assert len(matches) == 1 and matches[0].sha256 == sha, f"{rel}: {[(u.uid, u.size) for u in matches]}"
        assert not [u for u in other.uploads() if u.metadata.get("centre") == ("12345" if portal is cg else "67890")]
        assert (centre.uploaded / rel).is_file() and (centre.uploaded / (rel + ".receipt.txt")).is_file()
    assert not [p for p in centre.drop.rglob("*") if p.is_file() and not p.name.startswith("UPLOAD-STATUS.")]


def test_manifest_notes_reach_the_portal_and_the_receipt(uploader, workdir, portal):
    from conftest import make_centre
    centre = make_centre(workdir, portal)
    (centre.drop / "manifest.csv").write_text(
        "file,candidate,unit,notes\nwall.mp4,1234,8711-305,\"Filmed in two parts; this is part 1\"\nplan.pdf,1234,8711-305,\n")
    samples.write_mp4(str(centre.drop / "wall.mp4"), MB, seed="notes-wall")
    (centre.drop / "plan.pdf").write_bytes(samples.pdf_bytes("plan"))
    result = uploader("run", "--config", str(centre.config), "--once")
    assert result.returncode == 0, result.describe()
    got = by_name(portal)
    assert got["wall.mp4"].metadata.get("notes") == "Filmed in two parts; this is part 1"
    assert "notes" not in got["plan.pdf"].metadata
    assert "Notes:        Filmed in two parts; this is part 1" in (centre.uploaded / "wall.mp4.receipt.txt").read_text()
    assert "Notes:" not in (centre.uploaded / "plan.pdf.receipt.txt").read_text()


def test_a_manifest_in_the_drop_root_labels_files_for_each_destination(uploader, workdir, two_portals):
    """One manifest.csv in the drop root with a destination column: each line labels a file in
    that destination's folder (paths relative to it, or bare names), notes included; the manifest
    itself is never taken for stray evidence; a line naming an unknown destination stops new work
    with the line named."""
    cg, ocr = two_portals
    centre = write_config(workdir / "centre", cg, ocr)
    # Files outside the layout: only the manifest can label them.
    video(centre, "cityandguilds/inbox/wall.mp4", 1 * MB)
    video(centre, "ocr-evidence/from-teacher/joinery.mp4", 1 * MB)
    (centre.drop / "manifest.csv").write_text(
        "file,candidate,unit,destination,notes\n"
        f"inbox/wall.mp4,1234,{UNIT},cityandguilds,Filmed in the workshop\n"
        "joinery.mp4,5678,05838,ocr,\n")
    result = uploader("run", "--config", str(centre.config), "--once")
    assert result.returncode == 0, result.describe()
    cg_got, ocr_got = by_name(cg), by_name(ocr)
    assert set(cg_got) == {"wall.mp4"} and set(ocr_got) == {"joinery.mp4"}, (cg_got.keys(), ocr_got.keys())
    assert cg_got["wall.mp4"].metadata.get("candidate") == "1234" and cg_got["wall.mp4"].metadata.get("unit") == UNIT
    assert cg_got["wall.mp4"].metadata.get("notes") == "Filmed in the workshop"
    assert cg_got["wall.mp4"].metadata.get("centre") == "12345"
    assert ocr_got["joinery.mp4"].metadata.get("candidate") == "5678" and ocr_got["joinery.mp4"].metadata.get("unit") == "05838"
    assert (centre.drop / "manifest.csv").is_file(), "the manifest stays where it is"
    assert not (centre.rejected / "manifest.csv").exists()

    # A line for a destination that is not configured: new files wait, the line is named.
    video(centre, "ocr-evidence/from-teacher/second.mp4", 1 * MB)
    (centre.drop / "manifest.csv").write_text(
        "file,candidate,unit,destination\nsecond.mp4,5678,05838,pearson\n")
    result = uploader("run", "--config", str(centre.config), "--once")
    assert result.returncode != 0
    assert "manifest.csv line 2" in result.output and "pearson" in result.output, result.output[-3000:]
    assert "cityandguilds, ocr" in result.output, result.output[-3000:]
    assert (centre.drop / "ocr-evidence/from-teacher/second.mp4").is_file()
