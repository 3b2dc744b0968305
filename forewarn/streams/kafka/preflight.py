"""Check existing topics before a worker starts, so a wrong partition count is one clear
error instead of an agent crash loop (Faust tables need their source topic and changelog to
have the same number of partitions).

It is also the worker's first contact with the cluster: a broker that is not reachable yet
(a pod starting before Kafka, a rolling broker restart) is retried with exponential backoff
and a log line per attempt, and only after ``retry_for_s`` is it one clear error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from aiokafka import AIOKafkaConsumer

from forewarn.errors import BrokerError
from forewarn.streams.kafka.topics import TopicNames

__all__ = ["backoff_delays", "check_topics"]

log = logging.getLogger(__name__)


def backoff_delays(first_s: float = 0.5, ceiling_s: float = 15.0) -> Iterator[float]:
    """0.5, 1, 2, 4, ... seconds, at most ``ceiling_s`` each."""
    delay = first_s
    while True:
        yield min(delay, ceiling_s)
        delay *= 2


async def _connected(bootstrap: str, security: dict[str, Any] | None,
                     retry_for_s: float) -> AIOKafkaConsumer:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + retry_for_s
    for attempt, delay in enumerate(backoff_delays(), 1):
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000,
                                    **(security or {}))
        try:
            await consumer.start()
            return consumer
        except Exception as exc:  # aiokafka raises several kinds for "not reachable"
            await consumer.stop()
            left = deadline - loop.time()
            if left <= 0:
                raise BrokerError(f"cannot reach the Kafka broker at {bootstrap} "
                                  f"({attempt} attempts in {retry_for_s:.0f} s; "
                                  f"kafka.connect_retry_s): {exc}") from exc
            log.warning("cannot reach the Kafka broker at %s (attempt %d: %s); retrying in "
                        "%.1f s", bootstrap, attempt, exc, min(delay, left))
            await asyncio.sleep(min(delay, left))
    raise AssertionError("unreachable")  # backoff_delays never ends


async def check_topics(bootstrap: str, names: TopicNames, partitions: int,
                       security: dict[str, Any] | None = None, *,
                       retry_for_s: float = 0.0) -> None:
    """Raise ``BrokerError`` naming each existing topic whose partition count is wrong, or
    saying the broker could not be reached within ``retry_for_s`` (retried with backoff)."""
    expected = {names.alarms_raw: 1, names.network_state: 1, names.impacts: partitions,
                names.outbox: partitions, names.delivered: partitions}
    consumer = await _connected(bootstrap, security, retry_for_s)
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
