"""Two worker processes in one consumer group share the partitions: every customer is told
exactly once, a customer lookup on either worker answers from the customer's owner, and the
desk's "customers told" (total and per channel) counts every worker's deliveries: it equals
the distinct receipts on ``notifications.delivered`` for the incident.

The alarm is sent once the group has settled, as each worker's log shows it: the latest
assignments of the two split the ``impacts`` partitions between them (disjoint, together all),
and both answer ready. No sleep stands in for that."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from forewarn.streams.partitioning import partition_of
from tests.forewarn_testing import (
    BiggestPowerOutage,
    healthy,
    latest_assignment,
    native,
    produce,
    read_records,
    receipts_on,
    start_worker,
    stop_worker,
    synth_region,
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


def incidents(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/incidents",
                                timeout=10) as response:
        return json.loads(response.read())["incidents"]


def told_by_receipts(bootstrap: str, topic: str, incident_id: str) -> dict[str, dict]:
    """Stage -> {"count", "channels"} of the distinct receipts of ``incident_id``."""
    distinct = {r["notification_id"]: r for r in receipts_on(bootstrap, topic)
                if r.get("incident_id") == incident_id}
    told: dict[str, dict] = {}
    for receipt in distinct.values():
        stage = told.setdefault(receipt["stage"], {"count": 0, "channels": {}})
        stage["count"] += 1
        stage["channels"][receipt["channel"]] = stage["channels"].get(receipt["channel"], 0) + 1
    return told


def desk_told(port: int, incident_id: str) -> dict[str, dict]:
    (incident,) = [i for i in incidents(port) if i["incident_id"] == incident_id]
    return {stage: {"count": t["count"], "channels": t["channels"]}
            for stage, t in incident["told"].items()}


def split_between(logs: list[Path], topic: str, partitions: int) -> bool:
    """Every worker holds a share of ``topic``, the shares are disjoint and cover it all."""
    shares = [latest_assignment(log, topic) for log in logs]
    if any(not share for share in shares):
        return False
    union = set().union(*shares)  # type: ignore[arg-type]
    return union == set(range(partitions)) and sum(map(len, shares)) == partitions  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory, "two", 41)


def test_two_workers_split_the_work_and_tell_everyone_once(
    embedded_broker: object, region: Path, tmp_path: Path
) -> None:
    outage = BiggestPowerOutage(region)
    power = outage.power
    reachable = outage.reachable
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
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        wait_for(lambda: split_between(logs, f"{tag}.impacts", 4)
                 and healthy(port_a) and healthy(port_b), 120,
                 "both workers to hold a share of the partitions and be ready")
        shares = [latest_assignment(log, f"{tag}.impacts") for log in logs]
        assert shares[0] and shares[1] and not shares[0] & shares[1], shares
        on_partitions = {partition_of(c, 4) for c in reachable}
        assert on_partitions & shares[0] and on_partitions & shares[1], \
            "the incident's customers live on both workers' partitions"
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P", power, "raised")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 90, "outage notices")

        customer = min(reachable)
        answers = [lookup(port, customer) for port in (port_a, port_b)]
        assert answers[0] == answers[1], "either worker answers from the owner's tables"
        assert answers[0]["affected"] and answers[0]["partition"] == partition_of(customer, 4)
        assert any(n["stage"] == "outage" for n in answers[0]["notifications"])

        (incident_id,) = {r["incident_id"] for r in read_records(out)}
        delivered = f"{tag}.notifications.delivered"

        def desk_matches_receipts(stages: set[str]) -> bool:
            expected = told_by_receipts(embedded_broker.bootstrap, delivered, incident_id)
            if set(expected) != stages:
                return False
            return all(desk_told(port, incident_id) == expected for port in (port_a, port_b))

        wait_for(lambda: desk_matches_receipts({"outage"}), 60,
                 "the desk's outage counts to equal the receipts")
        told = desk_told(port_a, incident_id)["outage"]
        assert told["count"] == len(reachable), "every worker's deliveries are counted"
        assert sum(told["channels"].values()) == told["count"]

        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P", power, "cleared")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "resolved"} == reachable, 90, "resolved notices")
        wait_for(lambda: desk_matches_receipts({"outage", "resolved"}), 60,
                 "the desk's outage and resolved counts to equal the receipts")
        time.sleep(2)
    finally:
        stop_worker(first)
        stop_worker(second)
    stages = [(r["customer_id"], r["stage"]) for r in read_records(out)]
    assert sorted(stages) == sorted({(c, s) for c in reachable for s in ("outage", "resolved")})
    logs = [(tmp_path / name).read_text() for name in ("a.log", "b.log")]
    assert all("delivered outage" in log for log in logs), "both workers delivered a share"
