"""Check existing topics before a worker starts, so a wrong partition count is one clear
error instead of an agent crash loop (Faust tables need their source topic and changelog to
have the same number of partitions)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from forewarn.errors import BrokerError
from forewarn.streams.topics import TopicNames

__all__ = ["check_topics"]


async def check_topics(bootstrap: str, names: TopicNames, partitions: int,
                       security: dict[str, Any] | None = None) -> None:
    """Raise ``BrokerError`` naming each existing topic whose partition count is wrong."""
    expected = {names.alarms_raw: 1, names.network_state: 1, names.impacts: partitions,
                names.outbox: partitions, names.delivered: partitions}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000,
                                **(security or {}))
    try:
        await consumer.start()
    except Exception as exc:
        raise BrokerError(f"cannot reach the Kafka broker at {bootstrap}: {exc}") from exc
    try:
        existing = await consumer.topics()  # lists; does not auto-create anything
        problems = []
        for topic, want in expected.items():
            if topic in existing:
                have = len(consumer.partitions_for_topic(topic) or ())
                if have != want:
                    problems.append(f"topic {topic!r} has {have} partitions, forewarn needs {want}")
    finally:
        await consumer.stop()
    if problems:
        raise BrokerError("; ".join(problems) + " (kafka.partitions in the config sets the "
                          "customer-keyed topics; 'alarms.raw' must have exactly one partition)")
