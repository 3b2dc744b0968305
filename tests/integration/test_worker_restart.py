"""A worker killed mid-episode is replaced; the successor recovers the episode table from its
changelog, fires the pending confirmation once, and nobody is told twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.broker import free_port
from forewarn_testing import (
    TINY,
    forewarn_exe,
    get_json,
    healthy,
    native,
    produce,
    read_records,
    wait_for,
)

pytestmark = pytest.mark.integration


def start_worker(config: Path, broker_url: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, FOREWARN_BROKER=broker_url)
    handle = log.open("w")
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
            "--verbose",
        ],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def incidents(port: int) -> list[dict]:
    data = get_json(f"http://127.0.0.1:{port}/api/v1/incidents")
    return data["incidents"] if isinstance(data, dict) else []


def test_killed_worker_is_replaced_without_losing_or_repeating_notices(
    embedded_broker: object, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.jsonl"
    tag = f"restart{os.getpid()}"
    config = tmp_path / "forewarn.toml"
    config.write_text(
        "[correlation]\nconfirm_after_s = 20\nresolve_after_s = 3\n"
        f'[kafka]\napp_id = "{tag}"\ntopic_prefix = "{tag}."\n'
        + "".join(f'[channels.{c}]\nfile = "{out}"\n' for c in ("sms", "email", "push"))
    )
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    reachable = {c for c in hit if index.customer(c).first_channel()}
    assert reachable

    first, port = start_worker(config, embedded_broker.url, tmp_path / "first.log")
    try:
        wait_for(lambda: healthy(port), 90, "the first worker")
        time.sleep(1.0)
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("K1", "S-A", "raised")])
        wait_for(lambda: incidents(port), 30, "the incident to be correlated")
        time.sleep(2.0)  # the customer stage has opened the episodes
        assert read_records(out) == [], "confirmation must wait for confirm_after_s"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    second, port = start_worker(config, embedded_broker.url, tmp_path / "second.log")
    try:
        wait_for(
            lambda: (
                {r["customer_id"] for r in read_records(out) if r["stage"] == "outage"} == reachable
            ),
            120,
            "outage notices",
        )
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("K1", "S-A", "cleared")])
        wait_for(
            lambda: (
                {r["customer_id"] for r in read_records(out) if r["stage"] == "resolved"}
                == reachable
            ),
            60,
            "resolved notices",
        )
        time.sleep(2.0)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
    assert sorted(stages) == sorted({(c, s) for c in reachable for s in ("outage", "resolved")})
