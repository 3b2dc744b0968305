"""A flood of malformed alarms around one valid alarm: every bad record becomes a dead letter
that names what is wrong, and the valid alarm is decided exactly on time (its confirmation
at event time + confirm window, as if the flood had not been there)."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    TINY,
    healthy,
    produce_async,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

CONFIRM_S = 2
FLOOD = 3000  # malformed records on each side of the valid alarm


def malformed(n: int) -> bytes:
    """Three kinds of bad input, in turn: not JSON, a missing field, a wrong value."""
    kind = n % 3
    if kind == 0:
        return b"{not json " + str(n).encode()
    body = {"alarm_id": f"B{n}", "element_id": "S-A", "state": "raised", "severity": "major",
            "event_time": datetime.now(UTC).isoformat()}
    if kind == 1:
        del body["element_id"]
    else:
        body["severity"] = "apocalyptic"
    return json.dumps(body).encode()


async def dead_letters(bootstrap: str, topic: str, wanted: int) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    letters: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    try:
        while len(letters) < wanted and loop.time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                letters += [json.loads(m.value) for m in batch]
    finally:
        await consumer.stop()
    return letters


def test_a_flood_of_malformed_alarms_is_dead_lettered_and_the_valid_one_decided_on_time(
    embedded_broker: object, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.jsonl"
    tag = f"flood{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           f"[correlation]\nconfirm_after_s = {CONFIRM_S}\nresolve_after_s = 3\n")
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    reachable = {c for c in hit if index.customer(c).first_channel()}
    raised_at = datetime.now(UTC)
    valid = json.dumps({"alarm_id": "V1", "element_id": "S-A", "state": "raised",
                        "severity": "critical", "event_time": raised_at.isoformat(),
                        "probable_cause": "powerProblem"}).encode()
    values = [malformed(n) for n in range(FLOOD)] + [valid] + [
        malformed(n) for n in range(FLOOD, 2 * FLOOD)]

    worker, port = start_worker(config, embedded_broker.url, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        asyncio.run(produce_async(embedded_broker.bootstrap, f"{tag}.alarms.raw", values))
        wait_for(lambda: {r["customer_id"] for r in read_records(out)} == reachable, 90,
                 "the outage notices of the valid alarm")
        letters = asyncio.run(dead_letters(embedded_broker.bootstrap,
                                           f"{tag}.alarms.dead-letter", 2 * FLOOD))
    finally:
        stop_worker(worker)

    assert len(letters) == 2 * FLOOD  # every bad record, once
    problems = Counter((letter["field"], "JSON" in letter["reason"]) for letter in letters)
    assert problems[("<record>", True)] == len(range(0, 2 * FLOOD, 3))  # not JSON
    assert problems[("element_id", False)] == len(range(1, 2 * FLOOD, 3))  # missing field
    assert problems[("severity", False)] == len(range(2, 2 * FLOOD, 3))  # wrong value
    notices = read_records(out)
    assert sorted(r["customer_id"] for r in notices) == sorted(reachable)  # each told once
    for notice in notices:  # on time: decided at the confirmation instant in event time
        decided = datetime.fromisoformat(notice["decided_at"])
        assert abs((decided - raised_at).total_seconds() - CONFIRM_S) < 0.01, notice
