"""Two worker processes in one consumer group share the partitions: every customer is told
exactly once, and a customer lookup on either worker answers from the customer's owner."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.partitioning import partition_of
from forewarn_testing import (
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

TOKEN = "two-workers-token"


def lookup(port: int, customer_id: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/customers/{customer_id}/status",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.geo.commands import run_synth

    path = tmp_path_factory.mktemp("two") / "region"
    run_synth(path, 800, 41)
    return path


def test_two_workers_split_the_work_and_tell_everyone_once(
    embedded_broker: object, region: Path, tmp_path: Path
) -> None:
    index = RegionIndex.build(load_region(region))
    powers = sorted(e for e in index.element_ids if index.element_type(e) == "power")
    power = max(powers, key=lambda e: len(index.impact([e])["mobile"]))
    hit = set().union(*map(set, index.impact([power]).values()))
    reachable = {c for c in hit if index.customer(c).first_channel()}
    assert len({partition_of(c, 4) for c in reachable}) > 1, "customers on several partitions"

    out = tmp_path / "notifications.jsonl"
    tag = f"two{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n")
    env = {"FOREWARN_API_TOKENS": TOKEN}
    first, port_a = start_worker(config, embedded_broker.url, region=region, env=env,
                                 log=tmp_path / "a.log")
    second, port_b = start_worker(config, embedded_broker.url, region=region, env=env,
                                  log=tmp_path / "b.log")
    try:
        wait_for(lambda: healthy(port_a) and healthy(port_b), 120, "both workers")
        time.sleep(8)  # the group settles after the second member joined
        wait_for(lambda: healthy(port_a) and healthy(port_b), 120, "both workers after rebalance")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P", power, "raised")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 90, "outage notices")

        customer = sorted(reachable)[0]
        answers = [lookup(port, customer) for port in (port_a, port_b)]
        assert answers[0] == answers[1], "either worker answers from the owner's tables"
        assert answers[0]["affected"] and answers[0]["partition"] == partition_of(customer, 4)
        assert any(n["stage"] == "outage" for n in answers[0]["notifications"])

        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P", power, "cleared")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "resolved"} == reachable, 90, "resolved notices")
        time.sleep(2)
    finally:
        stop_worker(first)
        stop_worker(second)
    stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
    assert sorted(stages) == sorted({(c, s) for c in reachable for s in ("outage", "resolved")})
    logs = [(tmp_path / name).read_text() for name in ("a.log", "b.log")]
    assert all("delivered outage" in log for log in logs), "both workers delivered a share"
