"""`[metrics] textfile`: the daemon's Prometheus text file for node_exporter's textfile collector.

The real daemon against the real tus portal: files delivered and one rejected, then the file is
parsed with the Prometheus client's own text parser (prometheus_client.parser) and its counters
compared with what the portal holds and what moved to uploaded/ and rejected/. Turning metrics off
with a reload removes the file (node_exporter would otherwise show stale numbers as current).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from conftest import read_store, samples
from daemon_support import daemons  # noqa: F401  (the fixture)
from daemon_support import cli, drop_file, make_daemon_centre, rel, rewrite_config, text_bytes, wait_delivered, wait_until

MB = 1_000_000


def parse(path: Path) -> dict:
    """{(sample name, frozenset(labels)): value}, and every family's type, through the real parser."""
    values, types = {}, {}
    for family in text_string_to_metric_families(path.read_text()):
        types[family.name] = family.type
        assert family.documentation, f"{family.name} has no HELP line"
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return {"values": values, "types": types}


def value(metrics: dict, name: str, **labels) -> float:
    return metrics["values"][(name, frozenset(labels.items()))]


def test_metrics_file_counts_what_was_delivered(workdir, portal, daemons, binary):
    textfile = workdir / "node-exporter" / "evidence_uploader.prom"
    textfile.parent.mkdir()
    centre = make_daemon_centre(workdir, portal, settle_time="300ms", chunk_size="256KiB",
                                extra=f'\n[metrics]\ntextfile = "{textfile}"\n')
    d = daemons(centre)
    d.wait_for(r"watching the drop folder", 30)
    wait_until(textfile.exists, 15, what="the metrics file", daemon=d)
    first = parse(textfile)
    assert value(first, "evidence_uploader_files_delivered_total", destination="") == 0
    assert ("evidence_uploader_last_delivery_timestamp_seconds", frozenset()) not in first["values"]

    rels = [rel("note.txt"), rel("clip.mp4", candidate="2002")]
    note = drop_file(centre, rels[0], text_bytes("metrics", 700_000))
    (centre.drop / rels[1]).parent.mkdir(parents=True, exist_ok=True)
    samples.write_mp4(str(centre.drop / rels[1]), 2 * MB, seed="metrics-clip")
    sizes = note.stat().st_size + (centre.drop / rels[1]).stat().st_size
    drop_file(centre, "loose.txt", text_bytes("no labels"))  # no unit or candidate: rejected
    started = time.time()
    wait_delivered(centre, rels, 60, daemon=d)
    wait_until(lambda: (centre.rejected / "loose.txt").exists(), 30, what="loose.txt rejected", daemon=d)

    def settled():
        m = parse(textfile)
        return m if value(m, "evidence_uploader_files_delivered_total", destination="") == 2 \
            and value(m, "evidence_uploader_files_rejected_total", destination="") == 1 else None
    m = wait_until(settled, 15, what="the metrics file to count 2 delivered, 1 rejected", daemon=d)
    print("\n[METRICS]\n" + textfile.read_text(), flush=True)

    assert len(read_store(portal.store)) == 2
    assert m["types"]["evidence_uploader_files_delivered"] == "counter"
    assert m["types"]["evidence_uploader_items"] == "gauge"
    assert value(m, "evidence_uploader_delivered_bytes_total", destination="") == sizes
    # Fresh uploads, no failures: every byte sent once.
    assert value(m, "evidence_uploader_sent_bytes_total", destination="") == sizes
    assert value(m, "evidence_uploader_files_failed_total", destination="") == 0
    assert sum(v for (name, _), v in m["values"].items() if name == "evidence_uploader_retries_total") == 0
    assert value(m, "evidence_uploader_uploads_in_flight", destination="") == 0
    for state in ("arriving", "queued", "hashing", "uploading", "retrying", "paused"):
        assert value(m, "evidence_uploader_items", destination="", state=state) == 0
    assert value(m, "evidence_uploader_oldest_queued_item_age_seconds") == 0
    assert value(m, "evidence_uploader_destination_paused", destination="") == 0
    journal_size = (centre.state / "journal").stat().st_size
    assert 0 < value(m, "evidence_uploader_journal_size_bytes") <= journal_size
    assert started - 1 <= value(m, "evidence_uploader_last_delivery_timestamp_seconds") <= time.time() + 1
    assert value(m, "evidence_uploader_info", version=cli(binary, "--version").stdout.strip()) == 1
    assert oct(textfile.stat().st_mode & 0o777) == "0o644"   # node_exporter runs as another user
    assert [p.name for p in textfile.parent.iterdir()] == [textfile.name]  # no temporary file left behind

    # Metrics off (reload): the file goes, so node_exporter does not show stale numbers as current.
    rewrite_config(centre, settle_time="300ms", chunk_size="256KiB")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: not textfile.exists(), 15, what="the metrics file removed after metrics were turned off", daemon=d)


def test_config_check_refuses_a_textfile_node_exporter_would_not_read(workdir, portal, binary):
    centre = make_daemon_centre(workdir, portal, extra='\n[metrics]\ntextfile = "/tmp/evidence_uploader.txt"\n')
    r = cli(binary, "config", "check", "--config", centre.config)
    assert r.returncode != 0
    assert "textfile" in r.stderr + r.stdout and ".prom" in r.stderr + r.stdout
