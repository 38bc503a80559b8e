"""End to end against a real S3 store (SeaweedFS): objects byte-identical at the configured keys
with their metadata; kills mid-upload resume from the store's parts; a wrong secret fails with an
operator message and leaves the file in the drop folder; an aborted UploadId restarts cleanly."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CENTRE_NUMBER, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, samples, sha256_file

MIB = 1 << 20


def s3_centre(workdir: Path, endpoint: str, *, secret: str = S3_SECRET_KEY, transfer: str = "") -> dict:
    root = workdir / "centre"
    dirs = {name: root / name for name in ("drop", "uploaded", "rejected", "state")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    secret_file = root / "s3-secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    config = root / "config.toml"
    config.write_text(f"""[centre]
number = "{CENTRE_NUMBER}"

[portal]
protocol = "s3"
url = "{endpoint}"
bucket = "{S3_BUCKET}"
region = "us-east-1"
access_key_id = "{S3_ACCESS_KEY}"
secret_file = "{secret_file}"
part_size = "5MiB"

[folders]
drop = "{dirs['drop']}"
uploaded = "{dirs['uploaded']}"
rejected = "{dirs['rejected']}"
state = "{dirs['state']}"

[policy]
settle_time = "0s"

[transfer]
{transfer}
""")
    return {**dirs, "config": config, "root": root}


def s3(endpoint: str, method: str, key: str, query: str = "", output: Path | None = None) -> subprocess.CompletedProcess:
    """One signed request with curl --aws-sigv4 (headers in stdout for HEAD)."""
    url = f"{endpoint}/{S3_BUCKET}/{key}{query}"
    argv = ["curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{S3_ACCESS_KEY}:{S3_SECRET_KEY}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", method, url]
    if method == "HEAD":
        argv[argv.index("-X"):argv.index("-X") + 2] = ["-I"]
    if output:
        argv += ["-o", str(output)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def head(endpoint: str, key: str) -> dict:
    out = s3(endpoint, "HEAD", key).stdout
    status = int(out.split()[1]) if out.startswith("HTTP/") else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()[1:]) if k}
    return {"status": status, **headers}


def object_sha256(endpoint: str, key: str, tmp: Path) -> str:
    target = tmp / "downloaded"
    s3(endpoint, "GET", key, output=target)
    return sha256_file(target)


def run_once(uploader, centre, **kw):
    return uploader("run", "--once", "--config", centre["config"], **kw)


def test_objects_are_byte_identical_with_metadata(uploader, workdir, s3_server):
    centre = s3_centre(workdir, s3_server.endpoint)
    files = {"8711-305/1234/wall.mp4": 12 * MIB + 321, "8711-305/2345/small clip.mp4": 200_000}
    for i, (rel, size) in enumerate(files.items()):
        path = centre["drop"] / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        samples.write_mp4(path, size, seed=i + 1)
    digests = {rel: sha256_file(centre["drop"] / rel) for rel in files}
    result = run_once(uploader, centre)
    assert result.returncode == 0, result.describe()
    for rel, size in files.items():
        unit, candidate, name = rel.split("/")
        key = f"{CENTRE_NUMBER}/{unit}/{candidate}/{name}".replace(" ", "%20")
        h = head(s3_server.endpoint, key)
        assert h["status"] == 200, h
        assert int(h["content-length"]) == size
        assert h["x-amz-meta-sha256"] == digests[rel]
        assert h["x-amz-meta-centre"] == CENTRE_NUMBER
        assert h["x-amz-meta-unit"] == unit and h["x-amz-meta-candidate"] == candidate
        assert h["x-amz-meta-filename"] == name
        assert h["content-type"] == "video/mp4"
        assert object_sha256(s3_server.endpoint, key, workdir) == digests[rel]
        assert (centre["uploaded"] / rel).exists()
    assert S3_SECRET_KEY not in result.output


def test_wrong_secret_fails_with_an_operator_message_and_keeps_the_file(uploader, workdir, s3_server):
    centre = s3_centre(workdir, s3_server.endpoint, secret="not-the-secret-at-all")
    path = centre["drop"] / "8711-305/1234/wall.mp4"
    path.parent.mkdir(parents=True)
    samples.write_mp4(path, 2 * MIB, seed=3)
    result = run_once(uploader, centre, timeout=120)
    assert result.returncode != 0, result.describe()
    assert "refused the credentials" in result.output and "access_key_id" in result.output, result.describe()
    assert path.exists()
    assert not any(centre["rejected"].rglob("*.mp4"))
    assert "not-the-secret-at-all" not in result.output


def test_an_unknown_upload_id_restarts_cleanly(uploader, workdir, s3_server):
    centre = s3_centre(workdir, s3_server.endpoint, transfer='max_rate = "20MB/s"')
    rel = "8711-305/1234/wall.mp4"
    path = centre["drop"] / rel
    path.parent.mkdir(parents=True)
    samples.write_mp4(path, 30 * MIB, seed=4)
    digest = sha256_file(path)
    # Interrupt after the first part, then abort the upload behind the daemon's back.
    binary = os.environ.get("EVIDENCE_UPLOADER_BIN") or str(Path(__file__).resolve().parents[2] / ".build/debug/evidence-uploader")
    proc = subprocess.Popen([binary, "run", "--once", "--config", str(centre["config"])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    upload_id = None
    deadline = time.monotonic() + 30
    log = ""
    while time.monotonic() < deadline and upload_id is None:
        line = proc.stderr.readline()
        log += line
        m = re.search(r"uploadId=(\S+)", line)
        if m:
            upload_id = m.group(1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert upload_id, log
    key = f"{CENTRE_NUMBER}/{rel}"
    s3(s3_server.endpoint, "DELETE", key, f"?uploadId={upload_id}")
    result = run_once(uploader, centre)
    assert result.returncode == 0, result.describe()
    assert head(s3_server.endpoint, key)["x-amz-meta-sha256"] == digest
    assert object_sha256(s3_server.endpoint, key, workdir) == digest


def test_kill_mid_part_resumes_from_the_stores_parts(uploader, workdir, s3_server):
    """SIGKILL a few times while parts are in flight (the rate cap makes a 5 MiB part take ~0.5 s);
    each restart lists the store's parts and continues after them; the object is complete once."""
    centre = s3_centre(workdir, s3_server.endpoint, transfer='max_rate = "10MB/s"')
    rel = "8711-305/1234/long.mp4"
    path = centre["drop"] / rel
    path.parent.mkdir(parents=True)
    size = 40 * MIB + 17
    samples.write_mp4(path, size, seed=5)
    digest = sha256_file(path)
    binary = os.environ.get("EVIDENCE_UPLOADER_BIN") or str(Path(__file__).resolve().parents[2] / ".build/debug/evidence-uploader")
    kills = 0
    resumed_from = []
    for delay in (1.3, 1.1, 1.7):
        proc = subprocess.Popen([binary, "run", "--once", "--config", str(centre["config"])],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        _, err = proc.communicate()
        resumed_from += [int(m) for m in re.findall(r"resuming upload.* offset=(\d+)", err)]
    result = run_once(uploader, centre)
    assert result.returncode == 0, result.describe()
    resumed_from += [int(m) for m in re.findall(r"resuming upload.* offset=(\d+)", result.output)]
    key = f"{CENTRE_NUMBER}/{rel}"
    assert head(s3_server.endpoint, key)["x-amz-meta-sha256"] == digest
    assert object_sha256(s3_server.endpoint, key, workdir) == digest
    assert kills >= 2
    # Each restart went on from what the store held, never from zero once a part was there.
    assert resumed_from and max(resumed_from) > 0, result.describe()
    print(f"kills={kills} resumed_from={resumed_from}")


def test_bytes_damaged_in_transit_are_refused_by_the_store_and_sent_again(uploader, workdir, s3_server):
    """A proxy flips one byte in the body of the first PUTs (an UploadPart of a multipart
    file, and/or the single PutObject of a small one): the store checks each body's SHA-256 and
    refuses it (BadDigest), the daemon sends that part or object again, and both objects end up
    byte-identical: nothing damaged is ever stored."""
    from faultproxy import FaultProxy
    host, port = s3_server.endpoint.removeprefix("http://").rsplit(":", 1)
    with FaultProxy(host, int(port)) as proxy:
        proxy.configure(corrupt_method="PUT", corrupt_every=1, corrupt_times=2)
        centre = s3_centre(workdir, f"http://127.0.0.1:{proxy.port}")
        files = {"8711-305/1234/wall.mp4": 12 * MIB + 5, "8711-305/2345/sheet.pdf": 150_000}
        for i, (rel, size) in enumerate(files.items()):
            path = centre["drop"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".mp4"):
                samples.write_mp4(path, size, seed=i + 11)
            else:
                path.write_bytes(samples.pdf_bytes("sheet") + os.urandom(size - 700))
        digests = {rel: sha256_file(centre["drop"] / rel) for rel in files}
        result = run_once(uploader, centre)
        stats = proxy.stats.snapshot()
    assert result.returncode == 0, result.describe()
    # At least two (parts sent at once may all pass the proxy's count before it is raised).
    corrupted = stats["faults"].get("corrupt", 0)
    assert corrupted >= 2, stats
    refused = sum(n for answer, n in stats["responses"].items() if answer.startswith("PUT 4"))
    assert refused == corrupted, stats
    for rel in files:
        key = f"{CENTRE_NUMBER}/{rel}"
        assert head(s3_server.endpoint, key)["x-amz-meta-sha256"] == digests[rel]
        assert object_sha256(s3_server.endpoint, key, workdir) == digests[rel]
        assert (centre["uploaded"] / rel).exists()
