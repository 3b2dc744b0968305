"""A live worker sends its incident events (CONTRACT §8) to ``incidents.events``, keyed by
incident id, and its desk record carries the final calls-saved counts: a customer who calls
after their outage notice was delivered counts as a contact after notice."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    TINY,
    get_json,
    healthy,
    native,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, dict[str, Any]]]:
    """Every record on partition 0 of ``topic`` so far, as (key, JSON value)."""

    async def read() -> list[tuple[bytes | None, dict[str, Any]]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            if topic not in await consumer.topics():
                return []
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            end = (await consumer.end_offsets([tp]))[tp]
            got: list[tuple[bytes | None, dict[str, Any]]] = []
            while await consumer.position(tp) < end:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                got += [(m.key, json.loads(m.value)) for m in batch.get(tp, [])]
            return got
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_live_worker_sends_opened_and_resolved_keyed_by_incident(
        embedded_broker: Any, tmp_path: Path) -> None:
    tag = f"incev{os.getpid()}"
    config = worker_config(tmp_path, tag, tmp_path / "out.jsonl",
                           "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n")
    proc, port = start_worker(config, embedded_broker.url)
    topic = f"{tag}.incidents.events"
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("E1", "S-A", "raised")])
        wait_for(lambda: read_topic(embedded_broker.bootstrap, topic), 90, "an incident event")
        key, opened = read_topic(embedded_broker.bootstrap, topic)[0]
        assert opened["event"] == "opened" and opened["element_id"] == "S-A"
        assert key == opened["incident_id"].encode()
        incident_url = f"http://127.0.0.1:{port}/api/v1/incidents/{opened['incident_id']}"
        index = RegionIndex.build(load_region(TINY))
        caller = next(c for c in sorted(index.impact(["S-A"])["mobile"])
                      if index.customer(c).first_channel())

        def told() -> bool:
            record = get_json(incident_url)
            return isinstance(record, dict) and bool(record["told"].get("outage"))

        wait_for(told, 90, "the outage notices on the board")
        contact = {"type": "contact", "contact_id": "live-1", "customer_id": caller,
                   "channel": "call", "reason": "no_service",
                   "event_time": datetime.now(UTC).isoformat()}
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [json.dumps(contact).encode()])
        wait_for(lambda: (get_json(incident_url) or {}).get("contacts"), 60,  # type: ignore[union-attr]
                 "the contact on the desk")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("E1", "S-A", "cleared")])
        wait_for(lambda: any(v["event"] == "resolved" for _, v in
                             read_topic(embedded_broker.bootstrap, topic)), 90, "resolved")
        resolved = [v for _, v in read_topic(embedded_broker.bootstrap, topic)
                    if v["event"] == "resolved"]
        assert resolved[0]["incident_id"] == opened["incident_id"]
        assert (resolved[0]["contacts_before_notice"], resolved[0]["contacts_after_notice"],
                resolved[0]["contacts_never_told"]) == (0, 1, 0)
        record = get_json(incident_url)
        assert isinstance(record, dict)
        assert record["contacts"] == {"before_notice": 0, "after_notice": 1, "never_told": 0}
    finally:
        stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]
