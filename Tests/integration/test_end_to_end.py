"""End to end: the real evidence-uploader binary against a real tus server (tuspyserver) on 127.0.0.1.

Assumptions beyond the CLI contract, stated once:
- Upload-Metadata `filename` is the file's base name; `filetype` is the MIME type
  (video/mp4, video/quicktime, application/pdf); `sha256` is lowercase hex.
"""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tusclient import client as tus_client

from conftest import (CENTRE_NUMBER, Centre, make_centre, read_store, samples, sha256_file,
                      write_config)

UNIT = "8711-305"
MIME = {".mp4": "video/mp4", ".mov": "video/quicktime", ".pdf": "application/pdf"}
MB = 1_000_000


# --------------------------------------------------------------------------- helpers

def snapshot(centre: Centre, rels) -> dict:
    """rel path -> (sha256, size) of the originals, taken before the run."""
    return {rel: (sha256_file(centre.drop / rel), (centre.drop / rel).stat().st_size) for rel in rels}


def labels_of(rel: str) -> tuple[str, str]:
    unit, candidate, _ = Path(rel).parts
    return unit, candidate


def assert_delivered(centre: Centre, originals: dict) -> None:
    """Every original is on the server (complete, right bytes and metadata), in uploaded/ with a
    receipt beside it, and gone from drop/."""
    stored = centre.portal.uploads()
    by_name = {}
    for u in stored:
        by_name.setdefault(u.metadata.get("filename"), []).append(u)
    for rel, (sha, size) in originals.items():
        name = Path(rel).name
        unit, candidate = labels_of(rel)
        matches = by_name.get(name, [])
        assert len(matches) == 1, f"{rel}: expected one upload named {name!r}, server has {[u.metadata for u in stored]}"
        u = matches[0]
        assert u.complete, f"{rel}: upload {u.uid} incomplete: {u.info}"
        assert u.size == size and u.sha256 == sha, f"{rel}: stored bytes differ from the original"
        md = u.metadata
        assert md.get("filetype") == MIME[Path(name).suffix], md
        assert md.get("centre") == CENTRE_NUMBER, md
        assert md.get("candidate") == candidate, md
        assert md.get("unit") == unit, md
        assert (md.get("sha256") or "").lower() == sha, md

        moved = centre.uploaded / rel
        assert moved.is_file(), f"{rel}: not in uploaded/"
        assert sha256_file(moved) == sha, f"{rel}: uploaded/ copy differs from the original"
        receipt = moved.with_name(moved.name + ".receipt.txt")
        assert receipt.is_file(), f"{rel}: no receipt at {receipt}"
        text = receipt.read_text()
        assert sha in text.lower(), f"{rel}: receipt lacks the SHA-256:\n{text}"
        assert candidate in text and unit in text, f"{rel}: receipt lacks candidate/unit:\n{text}"
        assert not (centre.drop / rel).exists(), f"{rel}: still in the drop folder"


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- the harness itself

def test_portal_and_store_reader_against_real_tus_upload(portal, portal_factory, workdir):
    """Self-test of the harness (needs no binary): a real tuspy upload in several chunks is seen by
    read_store with the right hash, size, decoded metadata and completeness; a half-done upload is not
    complete; the authenticating portal answers 401 without credentials."""
    src = samples.write_mp4(str(workdir / "selftest.mp4"), 3 * MB + 123)
    sha = sha256_file(src)
    metadata = {"filename": "selftest.mp4", "filetype": "video/mp4", "centre": CENTRE_NUMBER,
                "candidate": "1234", "unit": UNIT, "sha256": sha}
    uploader = tus_client.TusClient(portal.url).uploader(src, chunk_size=1 << 20, metadata=metadata)
    uploader.upload()

    partial = urllib.request.Request(portal.url, method="POST", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": "100",
        "Upload-Metadata": "filename " + base64.b64encode(b"partial.bin").decode()
                           + ",filetype " + base64.b64encode(b"application/octet-stream").decode()})
    with urllib.request.urlopen(partial) as r:
        location = r.headers["Location"]
    patch = urllib.request.Request(location, method="PATCH", data=b"x" * 10, headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    with urllib.request.urlopen(patch) as r:
        assert r.headers["Upload-Offset"] == "10"

    stored = read_store(portal.store)
    assert [u.metadata.get("filename") for u in stored] == ["partial.bin", "selftest.mp4"]
    half, full = stored
    assert (half.complete, half.size) == (False, 10)
    assert full.complete and full.size == os.path.getsize(src) and full.sha256 == sha
    assert full.metadata == metadata
    assert full.info["size"] == full.info["offset"] == full.size

    locked = portal_factory(password="correct horse")
    req = urllib.request.Request(locked.url, method="OPTIONS", headers={"Tus-Resumable": "1.0.0"})
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(req)
    assert denied.value.code == 401
    auth = base64.b64encode(f"{CENTRE_NUMBER}:correct horse".encode()).decode()
    req.add_header("Authorization", f"Basic {auth}")
    with urllib.request.urlopen(req) as r:
        assert r.status == 204


# --------------------------------------------------------------------------- run --once

def test_run_once_delivers_good_files_and_rejects_bad_ones(uploader, centre):
    good = {
        f"{UNIT}/1234/bricklaying-wall.mp4": lambda p: samples.write_mp4(p, 20 * MB),
        f"{UNIT}/1234/brick-bond-full-assessment.mp4": lambda p: samples.write_mp4(p, 300 * MB),
        f"{UNIT}/1234/assessment-record.pdf": lambda p: samples.write_pdf(p, "Assessment record 1234"),
    }
    bad = {  # rel path -> (maker, words the reason must contain)
        f"{UNIT}/1234/oversize-recording.mp4": (lambda p: samples.write_sparse_video(p, 2_600_000_000), "larger than"),
        "unsorted-clip.mp4": (lambda p: samples.write_mp4(p, 2 * MB), "candidate"),
        f"{UNIT}/1234/fake.mp4": (lambda p: samples.write_pdf(p, "not a video at all"), "does not contain video"),
        f"{UNIT}/1234/empty.mp4": (lambda p: open(p, "wb").close(), "empty"),
    }
    for rel, make in good.items():
        make(str(centre.drop / rel))
    for rel, (make, _) in bad.items():
        os.makedirs((centre.drop / rel).parent, exist_ok=True)
        make(str(centre.drop / rel))
    originals = snapshot(centre, good)
    bad_sizes = {rel: (centre.drop / rel).stat().st_size for rel in bad}
    bad_heads = {}
    for rel in bad:
        with open(centre.drop / rel, "rb") as f:
            bad_heads[rel] = f.read(64)

    result = uploader("run", "--config", centre.config, "--once", timeout=900)
    assert result.returncode != 0, "files were rejected, so run --once must not exit 0\n" + result.describe()

    assert_delivered(centre, originals)

    for rel, (_, words) in bad.items():
        moved = centre.rejected / rel
        assert moved.is_file(), f"{rel}: not in rejected/ ({files_under(centre.rejected)})\n{result.describe()}"
        assert moved.stat().st_size == bad_sizes[rel], f"{rel}: changed size on the way to rejected/"
        with open(moved, "rb") as f:
            assert f.read(64) == bad_heads[rel], f"{rel}: content changed on the way to rejected/"
        reason = moved.with_name(moved.name + ".reason.txt")
        assert reason.is_file(), f"{rel}: no reason file at {reason}"
        text = reason.read_text()
        assert words in text.lower(), f"{rel}: reason should say {words!r}:\n{text}"
        assert not (centre.drop / rel).exists(), f"{rel}: still in the drop folder"

    stored = centre.portal.uploads()
    bad_names = {Path(rel).name for rel in bad}
    assert not [u.metadata for u in stored if u.metadata.get("filename") in bad_names]
    assert len(stored) == 3, [u.metadata for u in stored]
    assert sum(u.size for u in stored) == sum(size for _, size in originals.values())
    assert files_under(centre.drop) == [], "the drop folder still holds files"


def test_run_once_with_only_good_files_exits_zero_and_an_empty_drop_uploads_nothing(uploader, centre):
    rels = [f"{UNIT}/5678/plastering.mov", f"{UNIT}/5678/assessment-record.pdf", "8711-306/5678/joinery.mp4"]
    samples.write_mp4(str(centre.drop / rels[0]), 12 * MB, brand="qt")
    samples.write_pdf(str(centre.drop / rels[1]), "Assessment record 5678")
    samples.write_mp4(str(centre.drop / rels[2]), 1 * MB + 7)
    originals = snapshot(centre, rels)

    first = uploader("run", "--config", centre.config, "--once")
    assert first.returncode == 0, first.describe()
    assert_delivered(centre, originals)
    assert files_under(centre.rejected) == []
    before = [(u.uid, u.sha256) for u in centre.portal.uploads()]
    assert len(before) == 3

    second = uploader("run", "--config", centre.config, "--once")
    assert second.returncode == 0, second.describe()
    assert [(u.uid, u.sha256) for u in centre.portal.uploads()] == before, "a run on an empty drop uploaded something"
    assert files_under(centre.rejected) == []
    assert sorted(files_under(centre.uploaded)) == sorted(rels + [r + ".receipt.txt" for r in rels])


# --------------------------------------------------------------------------- check

def test_check_reports_the_decision_and_uploads_nothing(uploader, centre):
    good = centre.drop / UNIT / "1234" / "bricklaying-wall.mp4"
    bad = centre.drop / UNIT / "1234" / "fake.mp4"
    samples.write_mp4(str(good), 2 * MB)
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("Just some notes, typed up; certainly not a recording.\n" * 20)

    accepted = uploader("check", "--config", centre.config, good)
    assert accepted.returncode == 0, accepted.describe()
    assert "accept" in accepted.output.lower(), accepted.describe()
    assert "1234" in accepted.output and UNIT in accepted.output, "check should show the labels\n" + accepted.describe()

    rejected = uploader("check", "--config", centre.config, bad)
    assert rejected.returncode != 0, rejected.describe()
    assert "does not contain video" in rejected.output.lower(), rejected.describe()

    assert centre.portal.uploads() == []
    assert "POST /files" not in centre.portal.log_text()
    assert good.is_file() and bad.is_file(), "check must leave the files where they are"
    assert files_under(centre.uploaded) == [] and files_under(centre.rejected) == []


# --------------------------------------------------------------------------- config check

def test_config_check_prints_the_config_and_names_a_bad_key(uploader, centre, workdir):
    ok = uploader("config", "check", "--config", centre.config)
    assert ok.returncode == 0, ok.describe()
    assert CENTRE_NUMBER in ok.output and centre.portal.url in ok.output, ok.describe()
    assert "chunk_size" in ok.output, ok.describe()

    broken = write_config(workdir / "broken.toml", portal_url=centre.portal.url, drop=centre.drop,
                          uploaded=centre.uploaded, rejected=centre.rejected, state=centre.state,
                          chunk_size="8 parsecs")
    bad = uploader("config", "check", "--config", broken)
    assert bad.returncode != 0, bad.describe()
    assert "chunk_size" in bad.output, bad.describe()


# --------------------------------------------------------------------------- authentication

def test_run_once_authenticates_with_the_centre_number_and_password_file(uploader, portal_factory, workdir):
    """DESIGN.md §3: username = centre number, password from [portal] password_file (mode 0600)."""
    locked = portal_factory(password="s3cret-portal-pw")
    pw = workdir / "portal-password-for-uploader"
    pw.write_text("s3cret-portal-pw\n")
    pw.chmod(0o600)
    centre = make_centre(workdir, locked, portal_extra=f'password_file = "{pw}"\n')
    rel = f"{UNIT}/1234/bricklaying-wall.mp4"
    samples.write_mp4(str(centre.drop / rel), 3 * MB)
    originals = snapshot(centre, [rel])

    result = uploader("run", "--config", centre.config, "--once")
    assert result.returncode == 0, result.describe() + "\n--- portal ---\n" + locked.log_text()[-3000:]
    assert_delivered(centre, originals)
    assert "s3cret-portal-pw" not in result.output, "the password leaked into the output"
