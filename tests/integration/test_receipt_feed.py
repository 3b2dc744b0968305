"""The receipt feed on the real embedded broker: every partition of notifications.delivered
into the incident board, each notification once, control records skipped, a record that is
not a receipt logged and skipped, and a feed started again continuing where it stopped."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.domain import ImpactChange
from forewarn.streams import records
from forewarn.streams.kafka.receipt_feed import ReceiptFeed
from forewarn.streams.network.incident_board import IncidentBoard

pytestmark = pytest.mark.integration

PARTITIONS = 3
T0 = 1_795_356_000.0
PREFIX = f"rcpt{os.getpid()}"


async def new_topic(bootstrap: str, name: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()
    return name


async def write(bootstrap: str, topic: str, values: list[tuple[int, bytes, bool]]) -> None:
    """Produce (partition, value, is_control) as the delivery agent and the ledger do."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for partition, value, control in values:
            headers = [(records.CONTROL_HEADER, b"fence")] if control else None
            await producer.send(topic, value, partition=partition, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def receipt(customer: str, channel: str = "sms") -> bytes:
    return json.dumps({
        "notification_id": f"n-{customer}", "customer_id": customer, "incident_id": "INC-1",
        "stage": "outage", "services": ["mobile"], "channel": channel, "to": "+49***",
        "language": "de", "subject": None, "text": "...",
        "decided_at": "2026-11-22T13:02:00+00:00",
        "delivered_at": "2026-11-22T13:02:01+00:00"}).encode()


async def until(predicate: Any, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_receipts_of_every_partition_are_counted_once_and_reading_resumes(
        embedded_broker: Any, caplog: pytest.LogCaptureFixture) -> None:
    bootstrap = embedded_broker.bootstrap
    topic = await new_topic(bootstrap, f"{PREFIX}.notifications.delivered")
    board = IncidentBoard()
    board.record_changes([ImpactChange(c, "mobile", True, T0, "INC-1", "S-A", "site")
                          for c in ("c0", "c1", "c2", "c3", "c4", "c5")])
    await write(bootstrap, topic, [
        (0, receipt("c0"), False), (1, receipt("c1", "email"), False), (2, receipt("c2"), False),
        (1, receipt("c1", "email"), False),  # a repeat after a crash
        (2, b'{"control": "fence", "token": "t"}', True),
        (0, b'{"notification_id": "n-bad"}', False),  # not a receipt: named, skipped
    ])
    feed = ReceiptFeed(bootstrap=bootstrap, topic=topic, record=board.record_receipt)
    with caplog.at_level(logging.WARNING, logger="forewarn.streams.kafka.receipt_feed"):
        feed.start()
        try:
            await until(lambda: feed.counted + feed.repeats + feed.refused == 5, 60,
                        "five records read")
        finally:
            await feed.stop()
    assert (feed.counted, feed.repeats, feed.refused) == (3, 1, 1)
    assert "customer_id must be a non-empty string" in caplog.text
    told = board.incident("INC-1")["told"]["outage"]
    assert told["count"] == 3 and told["channels"] == {"sms": 2, "email": 1}

    # One new receipt behind the old ones of every partition: once all three are counted,
    # a feed that read from the beginning again would have met the old ones as repeats.
    await write(bootstrap, topic, [(0, receipt("c3"), False), (1, receipt("c4"), False),
                                   (2, receipt("c5", "push"), False)])
    feed.start()  # ownership came back: where it stopped, nothing counted again
    try:
        await until(lambda: feed.counted == 6, 60, "the three new receipts")
    finally:
        await feed.stop()
    assert (feed.counted, feed.repeats, feed.refused) == (6, 1, 1)
    told = board.incident("INC-1")["told"]["outage"]
    assert told["count"] == 6 and told["channels"] == {"sms": 4, "email": 1, "push": 1}
