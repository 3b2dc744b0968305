"""``forewarn worker`` in live mode on a real broker: wall-clock time confirms and resolves.

The worker runs as a real process against the session's embedded broker
(``FOREWARN_BROKER``); alarms are produced with aiokafka exactly as a NOC integration would,
and the notifications land in the JSONL file channel.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from forewarn_testing import TINY, forewarn_exe, healthy, native, produce, read_records, wait_for
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.broker import free_port

pytestmark = pytest.mark.integration


def test_live_worker_confirms_and_resolves_by_wall_clock(
    embedded_broker: object, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.jsonl"
    config = tmp_path / "forewarn.toml"
    config.write_text(
        "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n"
        f'[kafka]\napp_id = "live-{os.getpid()}"\ntopic_prefix = "live{os.getpid()}."\n'
        f'[channels.sms]\nfile = "{out}"\n[channels.email]\nfile = "{out}"\n'
        f'[channels.push]\nfile = "{out}"\n'
    )
    port = free_port()
    env = dict(os.environ, FOREWARN_BROKER=embedded_broker.url)
    proc = subprocess.Popen(
        [
            *forewarn_exe(),
            "worker",
            "--region",
            str(TINY),
            "--config",
            str(config),
            "--web-port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        import urllib.request

        wait_for(lambda: healthy(port), 90, "the worker's web port")
        time.sleep(1.0)
        topic = f"live{os.getpid()}.alarms.raw"
        produce(embedded_broker.bootstrap, topic, [native("L1", "S-A", "raised")])
        index = RegionIndex.build(load_region(TINY))
        hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
        reachable = {c for c in hit if index.customer(c).first_channel()}
        wait_for(
            lambda: (
                {r["customer_id"] for r in read_records(out) if r["stage"] == "outage"} == reachable
            ),
            60,
            "outage notices",
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/incidents", timeout=5) as r:
            incidents = json.loads(r.read())["incidents"]
        assert incidents and incidents[0]["cause_element"] == "S-A"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert incidents[0]["incident_id"] in r.read().decode()

        produce(embedded_broker.bootstrap, topic, [native("L1", "S-A", "cleared")])
        wait_for(
            lambda: (
                {r["customer_id"] for r in read_records(out) if r["stage"] == "resolved"}
                == reachable
            ),
            60,
            "resolved notices",
        )
        time.sleep(2.0)
        stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
        assert len(stages) == len(set(stages)) == 2 * len(reachable), "nothing is sent twice"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    assert "+4915" not in stderr, "phone numbers must be masked in logs"
