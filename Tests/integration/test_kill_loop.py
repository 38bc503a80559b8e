"""Issue 3: crash-safe journal and resume, proven with real SIGKILLs and real torn journals.

- test_kill_loop_*: several files through the fault proxy (bandwidth cap), `run --once` killed with
  SIGKILL at random moments (startup, creation, mid-chunk, between chunks, at the end of a file
  = the delivered/move window) and restarted until it exits 0. Every file must end on the server
  exactly once, complete and SHA-256 identical, in uploaded/ with its receipt, the drop folder
  empty, and the bytes sent again per kill at most one chunk.
- test_torn_journal_tail_*: a real journal from a finished run cut at every byte offset of its
  last three records (and with garbage appended): `journal verify` reads it without crashing or
  changing it, `run --once` replays it without crashing and never sends a delivered file again.
- test_bit_flip_in_the_middle_*: detected (offset reported), said loudly, recovered.

Figures are printed (run pytest with -s) and written to $FAULT_FIGURES_DIR/kill_loop.json if set.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import struct
import time
import zlib
from pathlib import Path

import pytest

from conftest import sha256_file
from faultkit import (CI, MB, MiB, Daemon, assert_delivered_once, make_videos, procs, proxied_centre,  # noqa: F401
                      proxy, store_offsets)

CHUNK = 4 * MiB
HEADER = 12


def _figures(name: str, data: dict) -> None:
    print(f"\nFIGURES {name}: {json.dumps(data, indent=1)}")
    out = os.environ.get("FAULT_FIGURES_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.json").write_text(json.dumps(data, indent=1))


def _server_total(store: Path) -> int:
    return sum(v["offset"] for v in store_offsets(store).values())


# --------------------------------------------------------------------------- the kill loop

def _stable_server_total(store: Path) -> int:
    last = _server_total(store)
    while True:
        time.sleep(0.15)
        now = _server_total(store)
        if now == last:
            return now
        last = now


def test_kill_loop_sigkill_at_random_moments_loses_nothing_and_resends_at_most_a_chunk_per_kill(
        binary, workdir, portal, proxy, procs):
    files, size, target_kills = (2, 24 * MB, 8) if CI else (3, 40 * MB, 20)
    seed = int(os.environ.get("KILL_LOOP_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    centre = proxied_centre(workdir, portal, proxy.url_for(portal.url), chunk_size="4MiB",
                            extra='low_speed_time = "10s"\n')
    originals = make_videos(centre, files, size)
    total = files * size
    proxy.configure(rate=20 * MB)
    stats = proxy.stats
    log = workdir / "run.log"

    kills = []            # one dict per kill
    restart_to_first_byte = []
    prev_sent = prev_server = 0
    final_rc = None
    plan: list[str] = []
    modes = ["random", "random", "startup", "creation", "mid-chunk", "between-chunks", "end-of-file"]

    def first_patch_after(index: int):
        with stats.lock:
            for e in stats.events[index:]:
                if e.kind == "first-body-byte" and e.method == "PATCH":
                    return e
        return None

    for cycle in range(200):
        index = len(stats.events)
        started = time.monotonic()
        with open(log, "a") as f:
            f.write(f"\n===== start {cycle} (kills so far {len(kills)}) =====\n")
        d = Daemon(binary, centre.config, log, procs, args=("run", "--once")).start()
        want_kill = len(kills) < target_kills
        if want_kill and not plan:
            plan = modes[:]
            rng.shuffle(plan)   # every kind of moment in each round of len(modes) kills
        mode = plan.pop() if want_kill else None
        seen = None
        if mode == "random":
            time.sleep(rng.uniform(0.0, 0.5))
        elif mode == "startup":
            time.sleep(rng.uniform(0.0, 0.12))
        elif mode == "creation":
            seen = stats.wait_for(lambda e: e.kind == "request" and e.method == "POST", index, timeout=3)
            time.sleep(rng.uniform(0, 0.01))
        elif mode == "mid-chunk":
            seen = stats.wait_for(lambda e: e.kind == "first-body-byte" and e.method == "PATCH", index, timeout=3)
            time.sleep(rng.uniform(0.01, 0.12))
        elif mode == "between-chunks":
            seen = stats.wait_for(lambda e: e.kind == "response" and e.method == "PATCH", index, timeout=3)
        elif mode == "end-of-file":
            seen = stats.wait_for(lambda e: e.kind == "response" and e.method == "PATCH" and e.offset == str(size),
                                  index, timeout=8)
            time.sleep(rng.uniform(0, 0.03))
        if mode in ("creation", "mid-chunk", "between-chunks", "end-of-file") and seen is None:
            mode += " (moment not reached)"
        if want_kill and d.running():
            sent_at_kill = stats.patch_bytes
            d.kill()
            # what sat in the socket buffers still flows to the server: wait until the proxy has
            # closed every connection and the server's offsets stand still
            assert proxy.wait_idle(30), "the proxy kept a connection open after the kill"
            server = _stable_server_total(portal.store)
            sent = stats.patch_bytes
            kills.append({"cycle": cycle, "mode": mode, "after_s": round(time.monotonic() - started, 3),
                          "sent_at_kill": sent_at_kill, "sent": sent, "server": server,
                          "resent": (sent - prev_sent) - (server - prev_server)})
            prev_sent, prev_server = sent, server
        else:
            final_rc = d.process.wait(600)
        e = first_patch_after(index)
        if cycle > 0 and e is not None:
            restart_to_first_byte.append(round(e.t - started, 3))
        if final_rc is not None:
            if final_rc == 0 and len(kills) < target_kills:
                # finished before enough kills: drop in another file and go on killing
                originals.update(make_videos(centre, 1, size, prefix=f"extra{cycle}"))
                total += size
                final_rc = None
                continue
            if final_rc == 0:
                break
            pytest.fail(f"run --once exited {final_rc} after {len(kills)} kills\n" + d.log_text()[-5000:])

    text = log.read_text(errors="replace")
    assert final_rc == 0, f"never finished; kills={kills}\n{text[-4000:]}"
    assert len(kills) >= target_kills, f"only {len(kills)} kills before the uploads finished (seed {seed})"
    assert "panic" not in text.lower() and "fatal error" not in text.lower(), text[-4000:]
    assert "journal was damaged" not in text, "a SIGKILL can only tear the tail, never damage the middle"
    assert_delivered_once(centre, originals, text)

    sent_total = stats.patch_bytes
    final_server = _server_total(portal.store)
    # the tail after the last kill: (sent - prev_sent) - (server - prev_server) is the last run's waste
    final_waste = (sent_total - prev_sent) - (final_server - prev_server)
    resent = [k["resent"] for k in kills]
    orphans = [v for v in store_offsets(portal.store).values() if v["offset"] != v["size"]]
    figures = {
        "seed": seed, "files": len(originals), "file_bytes": size, "chunk_bytes": CHUNK, "kills": len(kills),
        "kill_modes": {m: sum(1 for k in kills if k["mode"] == m) for m in set(k["mode"] for k in kills)},
        "patch_bytes_total": sent_total, "file_bytes_total": total,
        "resent_total": sent_total - total,
        "resent_per_kill_median": statistics.median(resent) if resent else 0,
        "resent_per_kill_worst": max(resent) if resent else 0,
        "resent_after_last_kill_run": final_waste,
        "restart_to_first_patch_byte_s_median": statistics.median(restart_to_first_byte) if restart_to_first_byte else None,
        "restart_to_first_patch_byte_s_worst": max(restart_to_first_byte) if restart_to_first_byte else None,
        "incomplete_uploads_left_on_server": orphans,
        "proxy": {k: v for k, v in stats.snapshot().items() if k != "patch_bytes_by_path"},
        "per_kill": kills,
    }
    _figures("kill_loop", figures)
    assert final_waste <= CHUNK, figures
    assert max(resent) <= CHUNK, f"a kill cost more than one chunk to resend: {figures}"
    assert sent_total - total <= CHUNK * (len(kills) + 1), figures
    # a new upload after a kill would be a restart from zero: only empty strays are acceptable
    assert all(v["offset"] == 0 for v in orphans), f"partial duplicate uploads on the server: {orphans}"


# --------------------------------------------------------------------------- torn tails and bit flips

def _frames(journal: bytes) -> list[tuple[int, int]]:
    """(offset, end) of every whole frame after the header."""
    assert journal[:8] == b"EVUJRNL\0"
    out, at = [], HEADER
    while at + 8 <= len(journal):
        n, crc = struct.unpack_from("<II", journal, at)
        end = at + 8 + n
        if end > len(journal) or zlib.crc32(journal[at:at + 4] + journal[at + 8:end]) & 0xFFFFFFFF != crc:
            break
        out.append((at, end))
        at = end
    assert at == len(journal), "the reference journal itself is not whole"
    return out


@pytest.fixture
def finished_centre(binary, workdir, portal, proxy, uploader):
    """A centre after a clean `run --once` of two small files through the proxy."""
    centre = proxied_centre(workdir, portal, proxy.url_for(portal.url), chunk_size="1MiB")
    originals = make_videos(centre, 2, 3 * MB)
    result = uploader("run", "--config", centre.config, "--once", timeout=120)
    assert result.returncode == 0, result.describe()
    assert_delivered_once(centre, originals, result.output)
    return centre, originals


def _server_state(store: Path) -> dict:
    return {uid: (v["offset"], v["size"]) for uid, v in store_offsets(store).items()}


def test_torn_journal_tail_at_every_offset_of_the_last_three_records(finished_centre, uploader, portal, proxy, workdir):
    centre, originals = finished_centre
    journal_path = centre.state / "journal"
    reference = journal_path.read_bytes()
    frames = _frames(reference)
    last3_start = frames[-3][0]
    boundaries = {end for _, end in frames} | {HEADER}
    server_before = _server_state(portal.store)
    uploaded_before = {p: sha256_file(p) for p in centre.uploaded.rglob("*.mp4")}
    rng = random.Random(3)
    garbage_kinds = [b"", b"\x00" * 9, b"\xff\xff\xff\x7f" + bytes(rng.randrange(256) for _ in range(13))]
    cuts = list(range(last3_start, len(reference) + 1))
    if CI:
        cuts = cuts[::2] + [len(reference)]
    problems = []
    portal_deleted = []
    store_backup = workdir / "store-backup"
    shutil.copytree(portal.store, store_backup)
    verify_codes = {}
    runs = 0
    started = time.monotonic()
    for cut in cuts:
        for garbage in garbage_kinds:
            if cut == len(reference) and not garbage:
                continue
            torn = reference[:cut] + garbage
            journal_path.write_bytes(torn)
            v = uploader("journal", "verify", "--config", centre.config, timeout=30)
            verify_codes[v.returncode] = verify_codes.get(v.returncode, 0) + 1
            whole = cut in boundaries and not garbage
            if v.returncode not in (0, 1) or journal_path.read_bytes() != torn:
                problems.append(f"verify cut={cut} garbage={len(garbage)}: exit {v.returncode} or changed the file\n{v.output[-800:]}")
            elif v.returncode != (0 if whole else 1):
                problems.append(f"verify cut={cut} garbage={len(garbage)}: exit {v.returncode}, expected {0 if whole else 1}\n{v.output[-800:]}")
            sent_before = proxy.stats.snapshot()
            r = uploader("run", "--config", centre.config, "--once", timeout=60)
            runs += 1
            sent_after = proxy.stats.snapshot()
            if r.returncode < 0 or r.returncode > 1 or "fatal error" in r.output.lower():
                problems.append(f"run cut={cut} garbage={len(garbage)}: exit {r.returncode}\n{r.output[-1500:]}")
            if sent_after["patch_bytes"] != sent_before["patch_bytes"] or \
                    sent_after["requests"].get("POST", 0) != sent_before["requests"].get("POST", 0):
                problems.append(f"run cut={cut} garbage={len(garbage)}: sent a delivered file again\n{r.output[-1500:]}")
            if _server_state(portal.store) != server_before:
                # The portal's complete copy must never be deleted (it was, once: see the test below).
                portal_deleted.append(cut)
                problems.append(f"run cut={cut} garbage={len(garbage)}: the portal's copy changed\n{r.output[-1500:]}")
                _restore_store(portal.store, store_backup)
            after = uploader("journal", "verify", "--config", centre.config, timeout=30)
            if after.returncode != 0:
                problems.append(f"run cut={cut} garbage={len(garbage)}: journal not whole after replay\n{after.output[-800:]}")
            for p, sha in uploaded_before.items():
                if not p.is_file() or sha256_file(p) != sha:
                    problems.append(f"run cut={cut}: {p} missing or changed in uploaded/")
            if problems:
                break
        if problems:
            break
    _figures("torn_tail", {"cuts": len(cuts), "runs": runs, "verify_exit_codes": verify_codes,
                           "cuts_where_the_portal_copy_was_deleted": sorted(set(portal_deleted)),
                           "seconds": round(time.monotonic() - started, 1)})
    assert not problems, "\n\n".join(problems[:5])


def _restore_store(store: Path, backup: Path) -> None:
    for f in store.iterdir():
        if f.is_file():
            f.unlink()
    for f in backup.iterdir():
        if f.is_file():
            shutil.copy2(f, store / f.name)


def test_a_complete_upload_is_never_deleted_when_the_journal_lost_its_delivered_record(finished_centre, uploader, portal, proxy):
    centre, originals = finished_centre
    journal_path = centre.state / "journal"
    reference = journal_path.read_bytes()
    frames = _frames(reference)
    # The journal as it stood just before the last item's `delivered` record: every byte confirmed.
    delivered_at = [start for start, end in frames if reference[start + 8] == 5][-1]
    journal_path.write_bytes(reference[:delivered_at])
    server_before = _server_state(portal.store)
    deletes_before = proxy.stats.snapshot()["requests"].get("DELETE", 0)
    r = uploader("run", "--config", centre.config, "--once", timeout=60)
    deletes = proxy.stats.snapshot()["requests"].get("DELETE", 0) - deletes_before
    assert deletes == 0 and _server_state(portal.store) == server_before, (
        f"the portal's complete copy was terminated (DELETE x{deletes}): {server_before} -> "
        f"{_server_state(portal.store)}\n{r.describe()}")


def test_bit_flip_in_the_middle_is_reported_with_its_offset_and_recovered_loudly(finished_centre, uploader, portal, proxy):
    centre, originals = finished_centre
    journal_path = centre.state / "journal"
    reference = journal_path.read_bytes()
    frames = _frames(reference)
    start, end = frames[len(frames) // 2]
    flipped = bytearray(reference)
    flipped[start + 8 + (end - start - 8) // 2] ^= 0x10
    journal_path.write_bytes(bytes(flipped))

    v = uploader("journal", "verify", "--config", centre.config)
    assert v.returncode == 1, v.describe()
    assert f"DAMAGE at byte offset {start}" in v.output, v.describe()
    assert journal_path.read_bytes() == bytes(flipped), "verify must be read-only"

    server_before = _server_state(portal.store)
    sent_before = proxy.stats.patch_bytes
    r = uploader("run", "--config", centre.config, "--once", timeout=60)
    assert r.returncode in (0, 1) and "fatal error" not in r.output.lower(), r.describe()
    assert "journal was damaged" in r.output, r.describe()
    assert f"offset={start}" in r.output, r.describe()
    assert list(centre.state.glob("journal.corrupt-*")), "no copy of the damaged journal kept"
    assert proxy.stats.patch_bytes == sent_before, "a delivered file was sent again\n" + r.describe()
    assert _server_state(portal.store) == server_before, r.describe()
    again = uploader("journal", "verify", "--config", centre.config)
    assert again.returncode == 0, again.describe()
    for rel, (sha, _) in originals.items():
        assert sha256_file(centre.uploaded / rel) == sha
