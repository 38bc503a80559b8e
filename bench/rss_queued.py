#!/usr/bin/env python3
"""Peak RSS of the daemon with 10,000 items queued (issue row: at most 32 MiB).

    python3 bench/rss_queued.py --bin PATH [--work DIR] [--items 10000] [--timeout 120]

Builds a drop folder of small PDFs (drop/unit-XX/NNNN/doc-K.pdf) in DIR, starts `BIN run` with a
portal that is never there (http://127.0.0.1:9/files/: every upload fails and is retried, so every
file stays queued), polls `BIN status --json` until it lists all of them, reads VmHWM and VmRSS
from /proc, and stops the daemon. Then the same with an empty drop folder (the idle baseline).
Prints one JSON line:
    {"items": 10000, "vmhwm_kib": ..., "vmrss_kib": ..., "idle_vmhwm_kib": ...}
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEAD_PORTAL = "http://127.0.0.1:9/files/"


def make_drop(drop: str, items: int) -> None:
    """`items` small PDFs, ten to a folder, a hundred folders to a unit; kept if already there."""
    for n in range(items):
        unit, rest = divmod(n, 1000)
        folder = os.path.join(drop, f"unit-{unit:02d}", f"{1000 + rest // 10:04d}")
        path = os.path.join(folder, f"doc-{rest % 10}.pdf")
        if os.path.exists(path):
            continue
        os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(200) + b"\n%%EOF\n")


def write_config(root: str) -> str:
    for name in ("drop", "uploaded", "rejected", "state"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
    path = os.path.join(root, "config.toml")
    with open(path, "w") as f:
        f.write(
            f'[centre]\nnumber = "12345"\n[portal]\nurl = "{DEAD_PORTAL}"\n'
            f'[folders]\ndrop = "{root}/drop"\nuploaded = "{root}/uploaded"\n'
            f'rejected = "{root}/rejected"\nstate = "{root}/state"\n'
            '[policy]\nsettle_time = "0s"\n'
        )
    return path


def put_back(root: str) -> None:
    """Files must stay in the drop folder between runs: move back any that left it."""
    for side in ("uploaded", "rejected"):
        base = os.path.join(root, side)
        for folder, _, names in os.walk(base):
            for name in names:
                source = os.path.join(folder, name)
                if name.endswith(".pdf"):
                    target = os.path.join(root, "drop", os.path.relpath(source, base))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    os.replace(source, target)
                else:
                    os.unlink(source)
    state = os.path.join(root, "state")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)


def proc_status(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    return values


def listed(binary: str, config: str) -> int | None:
    """How many items `status --json` lists; None while there is no status yet."""
    result = subprocess.run([binary, "status", "--json", "--config", config],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return None
    try:
        return len(json.loads(result.stdout)["items"])
    except (ValueError, KeyError):
        return None


def measure(binary: str, root: str, want: int, timeout: float, settle: float) -> dict[str, int]:
    """Starts the daemon, waits until `status` lists `want` items (and `settle` seconds more, so
    the status page and retries have run), reads its memory and stops it."""
    put_back(root)
    config = os.path.join(root, "config.toml")
    log = open(os.path.join(root, "daemon.log"), "w")
    daemon = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if daemon.poll() is not None:
                sys.exit(f"the daemon exited ({daemon.returncode}); see {root}/daemon.log")
            count = listed(binary, config)
            if count is not None and count >= want:
                break
            if time.monotonic() > deadline:
                sys.exit(f"status lists {count} of {want} items after {timeout:.0f} s")
            time.sleep(0.5)
        time.sleep(settle)
        return proc_status(daemon.pid)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        put_back(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="the evidence-uploader binary")
    parser.add_argument("--work", help="work folder (default: a temporary one, removed after)")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for all items")
    parser.add_argument("--settle", type=float, default=8, help="seconds to run on once all are listed")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="rss-queued-")
    try:
        queued, idle = os.path.join(work, "queued"), os.path.join(work, "idle")
        write_config(queued)
        write_config(idle)
        make_drop(os.path.join(queued, "drop"), args.items)
        busy = measure(binary, queued, args.items, args.timeout, args.settle)
        quiet = measure(binary, idle, 0, args.timeout, args.settle)
        print(json.dumps({"items": args.items, "vmhwm_kib": busy["VmHWM"], "vmrss_kib": busy["VmRSS"],
                          "idle_vmhwm_kib": quiet["VmHWM"]}))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
