"""``forewarn worker`` in live mode on a real broker: wall-clock time confirms and resolves.

The worker runs as a real process against the session's embedded broker
(``FOREWARN_BROKER``); alarms are produced with aiokafka exactly as a NOC integration would,
and the notifications land in the JSONL file channel.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    TINY,
    get_json,
    healthy,
    native,
    produce,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration


def stage_customers(path: Path, stage: str) -> set[str]:
    return {r["customer_id"] for r in read_records(path) if r["stage"] == stage}


def test_live_worker_confirms_and_resolves_by_wall_clock(
    embedded_broker: object, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.jsonl"
    tag = f"live{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n")
    proc, port = start_worker(config, embedded_broker.url)
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("L1", "S-A", "raised")])
        index = RegionIndex.build(load_region(TINY))
        hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
        reachable = {c for c in hit if index.customer(c).first_channel()}
        wait_for(lambda: stage_customers(out, "outage") == reachable, 60, "outage notices")
        incidents = get_json(f"http://127.0.0.1:{port}/api/v1/incidents")["incidents"]
        assert incidents and incidents[0]["cause_element"] == "S-A"
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert incidents[0]["incident_id"] in r.read().decode()

        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("L1", "S-A", "cleared")])
        wait_for(lambda: stage_customers(out, "resolved") == reachable, 60, "resolved notices")
        time.sleep(2.0)
        stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
        assert len(stages) == len(set(stages)) == 2 * len(reachable), "nothing is sent twice"
    finally:
        stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]
    assert "+4915" not in stderr, "phone numbers must be masked in logs"
