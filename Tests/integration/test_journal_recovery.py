"""Damage in the middle of the journal: the file record of an upload in progress is lost.

The restart must say so loudly, ask the portal about the upload it still knows by URL, and
continue it for the same file instead of sending everything again (issue 3, "rebuilds what it
can from the server")."""
from __future__ import annotations

import signal
import subprocess
import time

from conftest import make_centre, samples, sha256_file

MB = 1_000_000


def test_lost_file_record_continues_the_upload_the_portal_holds(binary, workdir, portal):
    centre = make_centre(workdir, portal, chunk_size="1MiB", extra='max_rate = "4MB/s"\n')
    rel = "8711-305/1234/long-recording.mp4"
    path = centre.drop / rel
    path.parent.mkdir(parents=True)
    samples.write_mp4(str(path), 24 * MB)
    sha = sha256_file(path)

    log1 = (workdir / "first.log").open("w")
    first = subprocess.Popen([str(binary), "run", "--once", "--config", str(centre.config)],
                             stdout=log1, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    held = 0
    while time.time() < deadline:
        uploads = centre.portal.uploads()
        held = uploads[0].info.get("offset", 0) if uploads else 0
        if held >= 8 * MB:
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    log1.close()
    assert held >= 8 * MB, (workdir / "first.log").read_text()[-2000:]

    # Flip one byte inside the first record's payload (the file's `discovered` record, right
    # after the 12-byte header and the 8-byte frame header): later records stay readable.
    journal = centre.state / "journal"
    data = bytearray(journal.read_bytes())
    data[12 + 8 + 20] ^= 0x40
    journal.write_bytes(bytes(data))

    verify = subprocess.run([str(binary), "journal", "verify", "--config", str(centre.config)],
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "offset 12" in (verify.stdout + verify.stderr) or "@12" in (verify.stdout + verify.stderr), verify.stdout

    second = subprocess.run([str(binary), "run", "--once", "--config", str(centre.config)],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-3000:]
    assert "the journal was damaged" in out, out[-3000:]
    assert list(centre.state.glob("journal.corrupt-*")), "no copy of the damaged journal was kept"
    assert "continuing an upload the portal already holds" in out, out[-3000:]
    assert "resuming upload from the portal's offset" in out, out[-3000:]

    stored = centre.portal.uploads()
    assert len(stored) == 1, [u.info for u in stored]
    assert stored[0].complete and stored[0].sha256 == sha
    assert sha256_file(centre.uploaded / rel) == sha
    assert (centre.uploaded / (rel + ".receipt.txt")).is_file()
