"""Deadlines first, and what is happening told where exams officers look: the queue is earliest
deadline first, a past deadline is overdue and a file that will miss its deadline is at risk
(status --json, the log, the page, the webhook); UPLOAD-STATUS.html is valid HTML opened in a real
headless browser; a webhook on loopback hears of a refused password and of a permanent failure; a
webhook that is down does not slow the uploads."""

from __future__ import annotations

import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import REPO, samples, start_portal, _stop, free_port
from daemon_support import (Daemon, NotFoundServer, Portal, cli, make_daemon_centre, status_json, wait_until)

MB = 1_000_000
ARTIFACTS = REPO / ".work" / "artifacts"


class Webhook:
    """Records every JSON POST on a loopback port."""

    def __init__(self):
        self.events: list[dict] = []
        events = self.events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.events]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class PageParser(html.parser.HTMLParser):
    """Checks the page is well formed: every non-void element closed in order."""
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag in ("script", "img", "link", "iframe"):
            self.errors.append(f"<{tag}> in a self-contained page")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def minute(offset: timedelta) -> str:
    return (datetime.now() + offset).strftime("%Y-%m-%d %H:%M")


def test_earliest_deadline_first_risks_said_page_and_webhook(binary, workdir, portal):
    hook = Webhook()
    d = None
    try:
        deadlines = f"""
[notify]
webhook = "{hook.url}"

[deadlines]
PAST-1 = "2020-01-06 09:00"
SOON-1 = "{minute(timedelta(minutes=2))}"
FAR-1 = "2099-01-01 12:00"
"""
        centre = make_daemon_centre(workdir, portal, settle_time="300ms", parallel_uploads=1, max_rate="500kB/s",
                                    chunk_size="256KiB", extra=deadlines)
        d = Daemon(binary, centre.config, workdir / "daemon.log")
        d.wait_for(r"watching the drop folder", 30)
        # A file without a deadline holds the one transfer slot while the others arrive, far first:
        # then the order of arrival must not decide, the deadlines do.
        samples.write_mp4(str(centre.drop / "ANY-1" / "1234" / "blocker.mp4"), 3 * MB, seed="blocker")
        d.wait_for(r"upload started.*blocker\.mp4", 30)
        staging = workdir / "staging"
        for unit, name, size in (("FAR-1", "far.mp4", 1 * MB), ("SOON-1", "soon.mp4", 60 * MB), ("PAST-1", "past.mp4", 4 * MB)):
            samples.write_mp4(str(staging / unit / "1234" / name), size, seed=name)
        for unit in ("FAR-1", "SOON-1", "PAST-1"):
            os.rename(staging / unit, centre.drop / unit)
        d.wait_for(r"overdue: the deadline of this file's unit has passed.*past\.mp4", 30)
        d.wait_for(r"at risk: at the current rate.*soon\.mp4", 30)
        def items():
            return {i["path"].split("/")[-1]: i for i in status_json(binary, centre)["items"]}
        wait_until(lambda: items()["soon.mp4"].get("risk") == "at_risk", 10, what="soon.mp4 at risk in status --json", daemon=d)
        items = items()
        assert items["soon.mp4"].get("deadline") and items["soon.mp4"].get("estimatedDelivery"), items["soon.mp4"]
        assert items["far.mp4"]["state"] == "queued" and items["far.mp4"].get("risk") is None, items["far.mp4"]
        past = items.get("past.mp4")
        assert past is None or past["state"] == "delivered" or past.get("risk") == "overdue", past

        d.wait_for(r"upload started.*soon\.mp4", 60)
        started = [Path(l.field("file")).name for l in d.matching(r"upload started")]
        assert started[:3] == ["blocker.mp4", "past.mp4", "soon.mp4"], d.tail(40)
        assert "far.mp4" not in started, "far.mp4 must wait behind the nearer deadlines"

        text = cli(binary, "status", "--config", centre.config).stdout
        assert "AT RISK" in text and "due " in text, text

        # The page: in the drop folder, never taken as evidence, valid, naming the file in flight.
        page = centre.drop / "UPLOAD-STATUS.html"
        wait_until(lambda: page.is_file() and "soon.mp4" in page.read_text() and "%" in page.read_text(), 15,
                   what="the status page naming the file in flight", daemon=d)
        parser = PageParser()
        parser.feed(page.read_text())
        parser.close()
        assert not parser.errors and not parser.stack, (parser.errors, parser.stack)
        words = " ".join(parser.text)
        assert "sending" in words and "AT RISK" in words and "need attention" in words, words[:2000]
        assert (centre.drop / "UPLOAD-STATUS.txt").is_file()
        assert not d.matching(r"discovered.*UPLOAD-STATUS"), "the page was taken as evidence"

        chromium = shutil.which("chromium")
        assert chromium, "chromium is missing: scripts/install-deps installs it"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "status-page.png"
        shot.unlink(missing_ok=True)
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={shot}", "--window-size=1280,900", page.as_uri()],
                       capture_output=True, timeout=120, env={**os.environ, "HOME": str(workdir)})
        assert shot.is_file() and shot.stat().st_size > 10_000, "no screenshot of the page"

        wait_until(lambda: {"overdue", "at_risk"} <= set(hook.kinds()), 20, what="the webhook hearing of the risks", daemon=d)
        soon_event = next(e for e in hook.events if e["event"] == "at_risk")
        assert soon_event["file"].endswith("soon.mp4") and soon_event["unit"] == "SOON-1" and soon_event["deadline"]
        print("\nwebhook events:", json.dumps(hook.events, indent=1)[:3000])
    finally:
        if d:
            d.stop()
        hook.close()
    # Stopped: the page says so.
    assert "not running" in (centre.drop / "UPLOAD-STATUS.html").read_text()


def test_webhook_hears_of_a_refused_password_and_a_permanent_failure(binary, workdir):
    hook = Webhook()
    guarded = start_portal(workdir / "guarded", password="right")
    missing = NotFoundServer()
    daemons = []
    try:
        wrong = workdir / "password"
        wrong.write_text("wrong\n")
        wrong.chmod(0o600)
        a = make_daemon_centre(workdir / "a", guarded, settle_time="300ms", password_file=wrong,
                               extra=f'[notify]\nwebhook = "{hook.url}"\n')
        stand_in = Portal(f"http://127.0.0.1:{missing.port}/files/", missing.port, workdir / "none", workdir / "none.log", None)
        b = make_daemon_centre(workdir / "b", stand_in, settle_time="300ms", extra=f'[notify]\nwebhook = "{hook.url}"\n')
        for centre in (a, b):
            daemons.append(Daemon(binary, centre.config, workdir / f"daemon-{len(daemons)}.log"))
            daemons[-1].wait_for(r"watching the drop folder", 30)
            samples.write_mp4(str(centre.drop / "8711-305" / "1234" / "wall.mp4"), MB, seed=str(centre.root))
        wait_until(lambda: {"paused", "failed"} <= set(hook.kinds()), 30, what="paused and failed events", daemon=daemons[0])
        paused = next(e for e in hook.events if e["event"] == "paused")
        failed = next(e for e in hook.events if e["event"] == "failed")
        assert "401" in paused["reason"] and "right" not in json.dumps(paused) and "wrong" not in json.dumps(paused)
        assert failed["file"] == "8711-305/1234/wall.mp4" and failed["candidate"] == "1234" and "404" in failed["reason"]
        print("\nwebhook events:", json.dumps(hook.events, indent=1))
    finally:
        for d in daemons:
            d.stop()
        hook.close()
        missing.close()
        _stop(guarded.process)


def test_a_webhook_that_is_down_does_not_slow_uploads(binary, workdir, portal):
    dead = f"http://127.0.0.1:{free_port()}/hook"
    d = None
    try:
        # Every file is overdue, so notifications keep being tried against the dead webhook.
        centre = make_daemon_centre(workdir, portal, settle_time="300ms", max_rate="1MB/s",
                                    extra=f'[notify]\nwebhook = "{dead}"\n\n[deadlines]\n8711-305 = "2020-01-06 09:00"\n')
        d = Daemon(binary, centre.config, workdir / "daemon.log")
        d.wait_for(r"watching the drop folder", 30)
        samples.write_mp4(str(centre.drop / "8711-305" / "1234" / "first.mp4"), 8 * MB, seed="first")
        d.wait_for(r"a notification could not be sent; trying again", 30)
        started = time.monotonic()
        for i in range(5):
            samples.write_mp4(str(centre.drop / "8711-305" / "1234" / f"clip-{i}.mp4"), MB, seed=f"clip-{i}")
        wait_until(lambda: all((centre.uploaded / f"8711-305/1234/clip-{i}.mp4").is_file() for i in range(5)), 30,
                   what="five files delivered", daemon=d)
        elapsed = time.monotonic() - started
        # 8 + 5 MB at 1 MB/s: about 13 s however the webhook fares.
        assert elapsed < 25, f"the files took {elapsed:.1f} s"
    finally:
        if d:
            d.stop()


def tz_near_midnight(seconds_before: int) -> str:
    """A POSIX TZ whose local time is `seconds_before` seconds short of midnight now: the daemon's
    day changes while the test watches, without touching the machine's clock."""
    utc = datetime.utcnow()
    since_midnight = utc.hour * 3600 + utc.minute * 60 + utc.second
    # Local = UTC + east; wanted local = 86400 - seconds_before (mod one day).
    east = (86400 - seconds_before - since_midnight) % 86400
    if east > 12 * 3600:
        east -= 86400
    sign = "-" if east >= 0 else "+"  # POSIX counts hours west of Greenwich
    east = abs(east)
    return f"EVU{sign}{east // 3600:02d}:{east % 3600 // 60:02d}:{east % 60:02d}"


def test_daily_summary_when_the_day_changes(binary, workdir, portal):
    """The daily summary goes to the webhook once the local date changes: what was delivered
    that day, what is waiting and what needs attention."""
    hook = Webhook()
    d = None
    try:
        centre = make_daemon_centre(workdir, portal, settle_time="300ms", extra=f'[notify]\nwebhook = "{hook.url}"\n')
        d = Daemon(binary, centre.config, workdir / "daemon.log", env={"TZ": tz_near_midnight(12)})
        d.wait_for(r"watching the drop folder", 30)
        for i in range(2):
            samples.write_mp4(str(centre.drop / "8711-305" / "1234" / f"clip-{i}.mp4"), MB, seed=f"day-{i}")
        wait_until(lambda: all((centre.uploaded / f"8711-305/1234/clip-{i}.mp4").is_file() for i in range(2)), 20,
                   what="two files delivered before midnight", daemon=d)
        wait_until(lambda: "daily_summary" in hook.kinds(), 30, what="the daily summary after midnight", daemon=d)
        summary = next(e for e in hook.events if e["event"] == "daily_summary")
        print("\ndaily summary:", json.dumps(summary))
        assert summary["delivered_today"] == 2, summary
        assert summary["waiting"] == 0 and summary["need_attention"] == 0, summary
        # Sent within the first seconds of the new local day (the check runs every 5 s).
        assert re.fullmatch(r"\d{4}-\d\d-\d\d 00:00:\d\d EVU", summary["local_time"]), summary
        # Once a day: not again while the date stays the same.
        time.sleep(6)
        assert hook.kinds().count("daily_summary") == 1, hook.events
    finally:
        if d:
            d.stop()
        hook.close()
