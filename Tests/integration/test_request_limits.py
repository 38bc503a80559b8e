"""A portal behind a proxy that limits request bodies: nginx with client_max_body_size 10m in front
of the local tus portal. The daemon must learn the limit from the 413s, send smaller chunks from the
portal's offset, say so, and deliver the file intact; never reject it as "too large"."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import free_port, make_centre, sha256_file, samples
from faultkit import assert_delivered_once

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MB = 1_000_000
UNIT = "8711-305"


def start_nginx(workdir: Path, upstream_port: int, body_limit: str) -> tuple[subprocess.Popen, int, Path]:
    root = workdir / "nginx"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    access = root / "access.log"
    for _attempt in range(3):
        port = free_port()
        conf = root / "nginx.conf"
        conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format limits '$request_method $status $request_length $body_bytes_sent';
    access_log {access} limits;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size {body_limit};
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_request_buffering off;
        }}
    }}
}}
""")
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(root)], stdout=subprocess.DEVNULL,
                                stderr=open(root / "stderr.log", "ab"), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return proc, port, access
            except OSError:
                time.sleep(0.1)
        proc.kill()
        proc.wait()
    raise RuntimeError("nginx did not start: " + (root / "stderr.log").read_text(errors="replace"))


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx-light is not installed (scripts/install-deps installs it)")
def test_120MB_video_through_nginx_with_a_10m_body_limit_is_delivered_in_smaller_chunks(uploader, workdir, portal):
    nginx, port, access = start_nginx(workdir, portal.port, "10m")
    try:
        centre = make_centre(workdir, portal)
        # Point the centre at nginx, with chunks of 16 MiB: over nginx's 10 MB limit (adaptive growth
        # gets there by itself on a link with latency).
        text = centre.config.read_text().replace(portal.url, f"http://127.0.0.1:{port}/files/")
        text = text.replace('chunk_size = "8MiB"\n', 'chunk_size = "16MiB"\nmax_chunk_size = "16MiB"\n')
        centre.config.write_text(text)
        rel = f"{UNIT}/1234/bricklaying-120MB.mp4"
        samples.write_mp4(str(centre.drop / rel), 120 * MB, seed="nginx-120")
        originals = {rel: (sha256_file(centre.drop / rel), 120 * MB)}

        result = uploader("run", "--config", str(centre.config), "--once", timeout=600)
        log = result.output
        assert result.returncode == 0, result.describe()
        assert_delivered_once(centre, originals, log)
        assert not list(centre.rejected.rglob("*")), "nothing may be rejected"

        reduced = re.findall(r"chunk size reduced.*", log)
        assert reduced, f"no log line says the chunk size was reduced\n{log[-3000:]}"
        assert "413" in reduced[0], reduced[0]

        lines = [l.split() for l in access.read_text().splitlines() if l.strip()]
        refused = [l for l in lines if l[0] == "PATCH" and l[1] == "413"]
        accepted = [l for l in lines if l[0] == "PATCH" and l[1] in ("200", "204")]
        assert refused, "nginx never answered 413: the test did not exercise the limit"
        # Learned once: the refusals stop once the chunk fits (one or two halvings of at most 32 MiB).
        assert len(refused) <= 3, f"{len(refused)} refused PATCHes: {refused}"
        assert all(int(l[2]) <= 10 * 1024 * 1024 + 4096 for l in accepted)
        resent = sum(int(l[2]) for l in refused)
        print(f"\n413s: {len(refused)}, request bytes nginx read of refused PATCHes: {resent} "
              f"({resent / max(1, len(refused)):.0f} per 413); accepted PATCHes: {len(accepted)}")
    finally:
        nginx.terminate()
        nginx.wait(10)
