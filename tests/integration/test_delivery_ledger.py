"""The delivery ledger on the real embedded broker: it reads receipts back exactly, up to
its own fence, and a restarted stage that trusts it sends nothing twice."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.domain import Customer, Decision, Stage
from forewarn.notifiers import RecordingNotifier
from forewarn.streams import records
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.kafka.delivery_ledger import DeliveryLedger
from forewarn.templates import MessageRenderer

pytestmark = pytest.mark.integration

PARTITIONS = 3
T0 = 1_795_356_000.0


async def new_topic(bootstrap: str) -> str:
    name = f"test.notifications.delivered.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()
    return name


async def write(bootstrap: str, topic: str, values: list[tuple[int, dict[str, Any], bool]]) -> None:
    """Produce (partition, value, is_control) as the delivery agent does."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for partition, value, control in values:
            headers = [(records.CONTROL_HEADER, b"drain")] if control else None
            await producer.send(topic, json.dumps(value).encode(), partition=partition,
                                headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def receipt(i: int) -> dict[str, Any]:
    return {"notification_id": f"n-{i:06d}", "customer_id": f"c-{i}", "incident_id": "INC-1",
            "stage": "outage", "services": ["mobile"], "channel": "sms", "to": "+49151",
            "language": "de", "subject": None, "text": "...", "decided_at": "x",
            "delivered_at": "y"}


async def test_the_ledger_rebuilds_each_partition_exactly(embedded_broker: Any) -> None:
    bootstrap = embedded_broker.bootstrap
    topic = await new_topic(bootstrap)
    values: list[tuple[int, dict[str, Any], bool]] = [(i % PARTITIONS, receipt(i), False)
                                                      for i in range(6000)]
    values += [(p, records.drain_record("t"), True) for p in range(PARTITIONS)]
    await write(bootstrap, topic, values)
    ledger = DeliveryLedger(bootstrap, topic, timeout_s=60)
    try:
        for p in range(PARTITIONS):
            expected = {f"n-{i:06d}" for i in range(6000) if i % PARTITIONS == p}
            assert await ledger.load(p) == expected
        await write(bootstrap, topic, [(0, receipt(i), False) for i in range(6000, 6500)])
        again = await ledger.load(0)  # behind the first fence, a second one: still exact
    finally:
        await ledger.close()
    assert again == {f"n-{i:06d}" for i in range(6500) if (i < 6000 and i % PARTITIONS == 0)
                     or i >= 6000}


async def test_a_restarted_stage_that_loads_the_ledger_sends_nothing_twice(
    embedded_broker: Any,
) -> None:
    bootstrap = embedded_broker.bootstrap
    topic = await new_topic(bootstrap)
    people = {f"c-{i}": Customer(f"c-{i}", ("mobile",), "de", ("sms",), phone=f"+4915{i:09d}")
              for i in range(400)}
    batch = {"kind": "decisions", "items": [records.decision_to_record(
        Decision(c, "INC-1", Stage.OUTAGE, ("mobile",), T0, T0 - 120, "confirmed", "site"))
        for c in people]}
    renderer = MessageRenderer()

    async def deliver_via(sink: RecordingNotifier) -> Any:
        async def deliver(notification: Any) -> Any:
            await sink.deliver(notification)
            return notification
        return deliver

    first_sink = RecordingNotifier()
    first = DeliveryStage(people.__getitem__, renderer, await deliver_via(first_sink), {})
    delivered = (await first.handle(batch)).delivered
    # The worker dies after sending 300 receipts; its `sent` table is lost entirely.
    await write(bootstrap, topic, [(1, n.record(), False) for n in delivered[:300]])

    second_sink = RecordingNotifier()
    second = DeliveryStage(people.__getitem__, renderer, await deliver_via(second_sink), {})
    ledger = DeliveryLedger(bootstrap, topic, timeout_s=60)
    try:
        assert second.needs_ledger(1)
        second.remember(1, await ledger.load(1))
    finally:
        await ledger.close()
    redelivered = (await second.handle(batch)).delivered
    assert {n.notification_id for n in redelivered} == {
        n.notification_id for n in delivered[300:]}  # only those without a receipt
    assert second.outcomes["duplicate_skipped"] == 300
