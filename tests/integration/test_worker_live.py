"""``forewarn worker`` in live mode on a real broker: wall-clock time confirms and resolves.

The worker runs as a real process against the session's embedded broker
(``FOREWARN_BROKER``); alarms are produced with aiokafka exactly as a NOC integration would,
and the notifications land in the JSONL file channel.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from conftest import forewarn_exe
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.broker import free_port

pytestmark = pytest.mark.integration

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "tiny"


def native(alarm_id: str, element: str, state: str) -> bytes:
    return json.dumps({"alarm_id": alarm_id, "element_id": element, "state": state,
                       "severity": "major", "event_time": datetime.now(timezone.utc).isoformat(),
                       "probable_cause": "lossOfSignal"}).encode()


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_live_worker_confirms_and_resolves_by_wall_clock(
    embedded_broker: object, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.jsonl"
    config = tmp_path / "forewarn.toml"
    config.write_text(
        "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n"
        f"[kafka]\napp_id = \"live-{os.getpid()}\"\ntopic_prefix = \"live{os.getpid()}.\"\n"
        f"[channels.sms]\nfile = \"{out}\"\n[channels.email]\nfile = \"{out}\"\n"
        f"[channels.push]\nfile = \"{out}\"\n"
    )
    port = free_port()
    env = dict(os.environ, FOREWARN_BROKER=embedded_broker.url)
    proc = subprocess.Popen(
        [*forewarn_exe(), "worker", "--region", str(TINY), "--config", str(config),
         "--web-port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        import urllib.request

        def page_up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(page_up, 90, "the worker's web port")
        time.sleep(1.0)
        topic = f"live{os.getpid()}.alarms.raw"
        asyncio.run(produce(embedded_broker.bootstrap, topic, [native("L1", "S-A", "raised")]))
        index = RegionIndex.build(load_region(TINY))
        hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
        reachable = {c for c in hit if index.customer(c).first_channel()}
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 60, "outage notices")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/incidents", timeout=5) as r:
            incidents = json.loads(r.read())["incidents"]
        assert incidents and incidents[0]["cause_element"] == "S-A"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert incidents[0]["incident_id"] in r.read().decode()

        asyncio.run(produce(embedded_broker.bootstrap, topic, [native("L1", "S-A", "cleared")]))
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "resolved"} == reachable, 60, "resolved notices")
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
