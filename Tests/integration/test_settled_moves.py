"""Moves into uploaded/ are made durable many at a time (issue 16, syncs per small file).

A delivered file is moved beside its receipt with no fsync; the journal holds its `moved` record
until one `syncfs` of uploaded/'s file system, every second, at the end of a run and when many
wait. These tests kill the real daemon in that window and check what the officer and the portal
see after the restart: every file in uploaded/ under its own name with a whole receipt, nothing
sent twice, including after a simulated power cut that undid the move (the file back in the drop
folder, the receipt left empty).
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from daemon_support import daemons  # noqa: F401  (the fixture)
from daemon_support import (assert_on_server_once, cli, drop_file, make_daemon_centre, portal_posts, receipt, rel,
                            text_bytes, wait_until)
from conftest import sha256_file


def journal_dump(binary, centre) -> str:
    r = cli(binary, "journal", "dump", "--config", centre.config)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def kill_between_move_and_settle(binary, centre, daemons, attempts: int = 8):
    """Drops files one at a time into a running daemon and SIGKILLs it the moment one appears in
    uploaded/, until a kill lands before the `moved` record is written (the settle runs every
    second, so nearly every kill does). Returns (relative path, its bytes, the dead daemon)."""
    for attempt in range(attempts):
        d = daemons(centre)
        d.wait_for(r"watching the drop folder", 30)
        r = rel(f"window-{attempt}.pdf")
        data = text_bytes(f"window {attempt}", 2000)
        drop_file(centre, r, data)
        target = centre.uploaded / r
        deadline = time.monotonic() + 30
        while not target.exists():
            assert time.monotonic() < deadline, d.tail()
            time.sleep(0.001)
        d.signal(signal.SIGKILL)
        d.proc.wait(timeout=10)
        if f'moved to="{r}"' not in journal_dump(binary, centre):
            return r, data, d
    raise AssertionError(f"in {attempts} tries no kill landed before the settle")


def test_killed_after_the_move_before_its_record_finishes_it_without_sending_again(binary, workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="0s")
    r, data, _ = kill_between_move_and_settle(binary, centre, daemons)
    posts = portal_posts(portal)
    assert "delivered" in journal_dump(binary, centre)

    d = daemons(centre)
    wait_until(lambda: f'moved to="{r}"' in journal_dump(binary, centre), 30, what="the moved record", daemon=d)
    assert (centre.uploaded / r).read_bytes() == data
    assert not (centre.drop / r).exists()
    text = receipt(centre, r).read_text()
    assert sha256_file(centre.uploaded / r) in text, text
    assert portal_posts(portal) == posts, "the file was sent again"
    assert not list(centre.uploaded.rglob("* (2)*")), sorted(map(str, centre.uploaded.rglob("*")))


@pytest.mark.parametrize("receipt_left", ["empty", "whole"])
def test_a_power_cut_that_undid_the_move_moves_it_again_under_its_own_name(binary, workdir, portal, daemons, receipt_left):
    centre = make_daemon_centre(workdir, portal, settle_time="0s")
    r, data, _ = kill_between_move_and_settle(binary, centre, daemons)
    posts = portal_posts(portal)
    # What a power cut can leave of an unsynced move: the file's rename lost (it is back in the
    # drop folder), the receipt's rename kept, with its contents lost (an empty file) or not.
    os.rename(centre.uploaded / r, centre.drop / r)
    if receipt_left == "empty":
        receipt(centre, r).write_bytes(b"")
    else:
        assert sha256_file(centre.drop / r) in receipt(centre, r).read_text()

    d = daemons(centre)
    d.wait_for(r"finishing a delivery interrupted before the file was moved", 30)
    wait_until(lambda: f'moved to="{r}"' in journal_dump(binary, centre), 30, what="the moved record", daemon=d)
    assert (centre.uploaded / r).read_bytes() == data
    assert not (centre.drop / r).exists()
    text = receipt(centre, r).read_text()
    assert sha256_file(centre.uploaded / r) in text, text
    assert portal_posts(portal) == posts, "the file was sent again"
    assert not list(centre.uploaded.rglob("* (2)*")), sorted(map(str, centre.uploaded.rglob("*")))


def test_moves_are_recorded_within_seconds_while_running_and_all_of_them_at_stop(binary, workdir, portal, daemons):
    centre = make_daemon_centre(workdir, portal, settle_time="0s", parallel_uploads=4)
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    rels = [rel(f"batch-{i:03d}.pdf") for i in range(40)]
    expected = {}
    for i, r in enumerate(rels):
        data = text_bytes(f"batch {i}", 1500 + i)
        drop_file(centre, r, data)
        expected[r.rsplit("/", 1)[1]] = (__import__("hashlib").sha256(data).hexdigest(), len(data))
    wait_until(lambda: all(receipt(centre, r).exists() for r in rels), 60, what="all receipts", daemon=d)
    # The routine settles every second: soon every move is recorded, with the daemon still up.
    wait_until(lambda: journal_dump(binary, centre).count("moved to=") == len(rels), 10, what="every moved record", daemon=d)
    assert d.alive()
    assert_on_server_once(portal, expected)

    # One more, then a clean stop: its record is written on the way out.
    last = rel("last.pdf")
    drop_file(centre, last, text_bytes("last", 1800))
    wait_until(lambda: receipt(centre, last).exists(), 30, what="the last receipt", daemon=d)
    rc, _ = d.stop()
    assert rc == 0, d.tail()
    assert journal_dump(binary, centre).count("moved to=") == len(rels) + 1
