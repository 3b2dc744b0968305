"""A worker killed mid-episode is replaced; the successor recovers the episode table from its
changelog (or re-reads uncommitted input), fires the pending confirmation once, and nobody is
told twice. With ``table_store = "rocksdb"`` the successor reuses the killed worker's data
directory, as a StatefulSet pod restarted on its volume does.

The kill happens at an observed point, not after a sleep: the first worker's customer-status
API shows every affected customer's episode open and not yet notified."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
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

TOKEN = "restart-token"


def open_unnotified(port: int, customer_id: str) -> bool:
    """The customer's status shows an open outage episode of which they were not told."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/customers/{customer_id}/status",
        headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status = json.loads(response.read())
    except OSError:
        return False
    return any(e["state"] == "out" and not e["notified"] for e in status["episodes"])


def incidents(port: int) -> list[dict]:
    data = get_json(f"http://127.0.0.1:{port}/api/v1/incidents")
    return data["incidents"] if isinstance(data, dict) else []


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_killed_worker_is_replaced_without_losing_or_repeating_notices(
    embedded_broker: object, tmp_path: Path, store: str
) -> None:
    out = tmp_path / "notifications.jsonl"
    tag = f"restart{store}{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           "[correlation]\nconfirm_after_s = 20\nresolve_after_s = 3\n")
    config.write_text(config.read_text().replace(
        "[kafka]\n", f'[kafka]\ntable_store = "{store}"\n'))
    datadir = tmp_path / "state"  # one volume for both, like a restarted pod
    env = {"APP_DATADIR": str(datadir), "FOREWARN_API_TOKENS": TOKEN}
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    reachable = {c for c in hit if index.customer(c).first_channel()}
    assert reachable

    first, port = start_worker(config, embedded_broker.url, env=env, log=tmp_path / "first.log")
    try:
        wait_for(lambda: healthy(port), 90, "the first worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("K1", "S-A", "raised")])
        wait_for(lambda: incidents(port), 30, "the incident to be correlated")
        # The point to interrupt: every episode open in the customer stage, none confirmed.
        wait_for(lambda: all(open_unnotified(port, c) for c in reachable), 30,
                 "the customer stage to open every episode")
        assert read_records(out) == [], "confirmation must wait for confirm_after_s"
    finally:
        stop_worker(first, signal.SIGKILL)

    if store == "rocksdb":  # the episodes are on disk, not only in the changelog
        assert list(datadir.rglob("*episodes*")), f"no RocksDB files in {datadir}"
    second, port = start_worker(config, embedded_broker.url, env=env, log=tmp_path / "second.log")
    try:
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 120, "outage notices")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("K1", "S-A", "cleared")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "resolved"} == reachable, 60, "resolved notices")
        time.sleep(2.0)
    finally:
        stop_worker(second)
    stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
    assert sorted(stages) == sorted({(c, s) for c in reachable for s in ("outage", "resolved")})
