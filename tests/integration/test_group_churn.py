"""The consumer group churns in the middle of a fan-out, and nobody is lost or told twice.

Two workers from a sliced index (P = 4) in one group. Outages are confirmed one after the
other (alarms whose confirmation instants are spread in event time). Once the first
incident's outage decisions are on ``notifications.outbox``, the worker that owns
``alarms.raw`` is frozen (SIGSTOP) for longer than the session timeout: the other takes the
network and every partition over, recovers the episodes and decides what falls due. Then the
frozen worker is resumed (SIGCONT): it goes on as a zombie (fetched records, due timers,
its network feed) until it learns it was thrown out, and rejoins, so the group rebalances
once more while the last alarms (sent right after the resume) are still being confirmed.

Every affected customer gets exactly one outage decision on the outbox (one
``notification_id``: a decision repeated by a recovery or by the zombie is the same decision,
which delivery drops) and one distinct notification delivered, nobody else any; a notice
is delivered twice only if it was in flight when the worker froze (as after kill -9). No
sleep stands in for a state: each step waits for what the logs or the topics show.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.partitioning import partition_of
from forewarn.streams.records.codec import decision_from_record
from tests.forewarn_testing import (
    build_sliced_index,
    healthy,
    latest_assignment,
    outbox_decisions,
    produce,
    receipts_on,
    settled_network_owner,
    start_worker,
    stop_worker,
    synth_region,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

P = 4
CONFIRM_S = 12  # long enough for the last alarms to be confirmed after the second rebalance
SESSION_S = 4  # the frozen worker stays frozen for longer than this
IN_FLIGHT = 4  # deliveries in flight per worker ([delivery] concurrency)


def alarm(alarm_id: str, element: str, event_time: float) -> bytes:
    return json.dumps({"alarm_id": alarm_id, "element_id": element, "state": "raised",
                       "severity": "critical", "probable_cause": "mainsFailure",
                       "event_time": datetime.fromtimestamp(event_time, UTC).isoformat()}
                      ).encode()


def steps(index: RegionIndex, count: int) -> list[tuple[str, set[str]]]:
    """``count`` power elements, each taking customers out that the ones before did not:
    (element, the customers it adds to the outage)."""
    chosen: list[tuple[str, set[str]]] = []
    out: set[str] = set()
    for power in sorted(e for e in index.element_ids if index.element_type(e) == "power"):
        now = set().union(*map(set, index.impact([*(s for s, _ in chosen), power]).values()))
        if len(now - out) >= 10:
            chosen.append((power, now - out))
            out = now
        if len(chosen) == count:
            return chosen
    raise AssertionError("the region has too few power elements for this test")


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory, "churn", 47)


def test_a_frozen_and_resumed_network_owner_loses_nobody_and_tells_nobody_twice(
        embedded_broker: object, region: Path, tmp_path: Path) -> None:
    index = RegionIndex.build(load_region(region))
    plan = steps(index, 4)
    expected = set().union(*(added for _, added in plan))
    assert len({partition_of(c, P) for c in plan[0][1]}) == P, "incident 0 on every partition"

    folder = tmp_path / "index"
    build_sliced_index(region, folder, P)

    tag = f"churn{os.getpid()}"
    config = worker_config(tmp_path, tag, tmp_path / "notifications.jsonl",
                           f"[correlation]\nconfirm_after_s = {CONFIRM_S}\n"
                           f"resolve_after_s = 3\n[delivery]\nconcurrency = {IN_FLIGHT}\n",
                           partitions=P)
    config.write_text(config.read_text().replace(
        "[kafka]\n", f"[kafka]\nsession_timeout_s = {SESSION_S}\n"))
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker(config, embedded_broker.url, index=folder, log=log)
               for log in logs]
    raw, impacts = f"{tag}.alarms.raw", f"{tag}.impacts"
    outbox, delivered = f"{tag}.notifications.outbox", f"{tag}.notifications.delivered"
    bootstrap = embedded_broker.bootstrap

    def settled() -> int | None:
        return settled_network_owner(logs, [port for _, port in workers], raw, impacts)

    def outages() -> dict[str, set[str]]:
        """Customer -> the distinct notification ids of its outage decisions on the outbox."""
        ids: dict[str, set[str]] = {}
        for _, item in outbox_decisions(bootstrap, outbox):
            if item["stage"] == "outage":
                decision = decision_from_record(item)
                ids.setdefault(decision.customer_id, set()).add(decision.notification_id)
        return ids

    frozen = False
    try:
        wait_for(lambda: settled() is not None, 120, "both workers ready, impacts split")
        owner = settled()
        assert owner is not None
        other = 1 - owner
        owned = latest_assignment(logs[owner], impacts)
        assert owned

        # Incident 0 is due at once; 1 and 2 fall due while the owner is frozen.
        start = time.time()
        produce(bootstrap, raw, [alarm(f"A{k}", site, start - CONFIRM_S + 4 * k)
                                 for k, (site, _) in enumerate(plan[:3])])
        wait_for(lambda: plan[0][1] <= set(outages()), 60,
                 "incident 0's outage decisions from both workers")
        os.kill(workers[owner][0].pid, signal.SIGSTOP)
        frozen = True
        told_before = set(outages())
        assert told_before < expected, "frozen in the middle of the fan-out"

        wait_for(lambda: latest_assignment(logs[other], raw) == {0}
                 and latest_assignment(logs[other], impacts) == set(range(P))
                 and healthy(workers[other][1]), 90,
                 "the other worker to take alarms.raw and every impacts partition over")
        os.kill(workers[owner][0].pid, signal.SIGCONT)
        frozen = False
        # Sent while the resumed worker still believes it owns the network.
        produce(bootstrap, raw, [alarm(f"A{k}", site, time.time())
                                 for k, (site, _) in enumerate(plan[3:], start=3)])
        wait_for(lambda: settled() is not None and latest_assignment(
            logs[owner], impacts) != set(), 90, "the resumed worker to rejoin the group")
        wait_for(lambda: set(outages()) >= expected, 90,
                 "an outage decision for every affected customer")
        reachable = {c for c in expected if index.customer(c).first_channel()}

        def receipts() -> dict[str, set[str]]:
            ids: dict[str, set[str]] = {}
            for receipt in receipts_on(bootstrap, delivered):
                if receipt["stage"] == "outage":
                    ids.setdefault(receipt["customer_id"], set()).add(receipt["notification_id"])
            return ids

        wait_for(lambda: set(receipts()) >= reachable, 90, "every notice delivered")
    finally:
        if frozen:
            os.kill(workers[owner][0].pid, signal.SIGCONT)
        for proc, _ in workers:
            if proc.poll() is None:
                stop_worker(proc)
    decided = outages()
    assert set(decided) == expected, (sorted(expected - set(decided))[:20],
                                      sorted(set(decided) - expected)[:20])
    twice = {c: len(ids) for c, ids in decided.items() if len(ids) != 1}
    assert not twice, f"{len(twice)} customers with more than one outage decision: {twice}"
    told = receipts()
    assert set(told) == reachable, "told: every reachable affected customer, nobody else"
    assert all(len(ids) == 1 for ids in told.values())
    sent = Counter(r["notification_id"] for r in receipts_on(bootstrap, delivered)
                   if r["stage"] == "outage")
    repeats = sum(k - 1 for k in sent.values())
    assert repeats <= IN_FLIGHT, f"{repeats} repeats: more than were in flight at the freeze"
