"""The incident board after the owner of ``alarms.raw`` dies: with two workers in one group,
an open incident (customers out, notices delivered, an ETA from the NOC) is on the desk; the
owner of ``alarms.raw`` is killed (SIGKILL: no goodbye to the group), the other worker takes
the network over, and its desk shows the same incident, with the customers out under it now,
the ETA, and "customers told" equal to the distinct receipts on ``notifications.delivered``,
although no impact arrives after the takeover.

No sleep stands in for a state: every step waits for what the logs or the API show."""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

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


def incidents(port: int) -> list[dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/incidents",
                                    timeout=10) as response:
            return list(json.loads(response.read())["incidents"])
    except OSError:  # not answering yet (or any more)
        return []


def distinct_receipts(bootstrap: str, topic: str, incident_id: str) -> dict[str, int]:
    """Stage -> number of distinct notification ids of ``incident_id`` delivered."""
    ids: dict[str, set[str]] = {}
    for receipt in receipts_on(bootstrap, topic):
        if receipt.get("incident_id") == incident_id:
            ids.setdefault(receipt["stage"], set()).add(receipt["notification_id"])
    return {stage: len(found) for stage, found in ids.items()}


def desk_view(port: int, incident_id: str) -> tuple[dict[str, int], dict[str, int], str | None]:
    """The desk's affected-now per service, told count per stage and ETA of the incident."""
    found = [i for i in incidents(port) if i["incident_id"] == incident_id]
    if not found:
        return {}, {}, None
    incident = found[0]
    return (dict(incident["affected_now"]),
            {stage: t["count"] for stage, t in incident["told"].items()}, incident["eta"])


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory, "takeover", 43)


def test_after_the_network_owner_is_killed_the_other_desk_shows_the_open_incident_and_told(
        embedded_broker: object, region: Path, tmp_path: Path) -> None:
    outage = BiggestPowerOutage(region)
    power = outage.power
    expected_out = {s: len(ids) for s, ids in outage.out.items()}
    assert sum(expected_out.values()) > 0
    reachable = outage.reachable

    out = tmp_path / "notifications.jsonl"
    tag = f"btk{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker(config, embedded_broker.url, region=region, log=log) for log in logs]
    raw = f"{tag}.alarms.raw"
    try:
        def network_owner() -> int | None:
            owners = [i for i, log in enumerate(logs) if latest_assignment(log, raw) == {0}]
            others = [i for i, log in enumerate(logs) if latest_assignment(log, raw) == set()]
            ready = all(healthy(port) for _, port in workers)
            return owners[0] if len(owners) == 1 and len(others) == 1 and ready else None

        wait_for(lambda: network_owner() is not None, 120,
                 "both workers ready, one of them owning alarms.raw")
        owner = network_owner()
        assert owner is not None
        survivor = 1 - owner
        owner_port, survivor_port = workers[owner][1], workers[survivor][1]

        eta = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
        update = {"type": "incident_update", "element_id": power, "eta": eta.isoformat(),
                  "message": "Techniker vor Ort",
                  "event_time": datetime.now(UTC).isoformat()}
        produce(embedded_broker.bootstrap, raw, [native("P", power, "raised")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 120, "outage notices")
        (incident_id,) = {r["incident_id"] for r in read_records(out)}
        produce(embedded_broker.bootstrap, raw, [json.dumps(update).encode()])
        delivered = f"{tag}.notifications.delivered"

        def desk_is_complete(port: int) -> bool:
            affected, told, shown_eta = desk_view(port, incident_id)
            receipts = distinct_receipts(embedded_broker.bootstrap, delivered, incident_id)
            return (affected == expected_out and told == receipts and bool(receipts)
                    and shown_eta is not None)

        wait_for(lambda: desk_is_complete(owner_port), 90,
                 "the owner's desk: the incident, who is out, told = receipts, the ETA")

        workers[owner][0].kill()  # SIGKILL: the group learns it only by the session timeout
        workers[owner][0].wait(timeout=30)
        wait_for(lambda: latest_assignment(logs[survivor], raw) == {0}
                 and healthy(survivor_port), 120, "the survivor to take alarms.raw over")
        wait_for(lambda: desk_is_complete(survivor_port), 120,
                 "the survivor's desk: the open incident, who is out, told = receipts, ETA")
        affected, told, shown_eta = desk_view(survivor_port, incident_id)
        assert affected == expected_out
        assert told == distinct_receipts(embedded_broker.bootstrap, delivered, incident_id)
        assert told["outage"] == len(reachable)
        assert shown_eta is not None and datetime.fromisoformat(shown_eta) == eta
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                stop_worker(proc)
