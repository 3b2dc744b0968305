"""Check existing topics before a worker starts, so a wrong partition count is one clear
error instead of an agent crash loop (Faust tables need their source topic and changelog to
have the same number of partitions), and create the ones forewarn only writes to.

Faust declares the topics its agents read and its tables' changelogs; topics that are only
written (``notifications.delivered``, the dead-letter topics) or written first by someone
else (``alarms.raw`` by a NOC producer, ``contacts.raw`` by contact systems) would otherwise
be auto-created by the broker on first use with its *default* partition count: a worker
killed before its first delivery left ``notifications.delivered`` with 4 partitions instead
of ``kafka.partitions``, and the restarted worker refused to start. Missing ones are
therefore created here, before anything is written, with the partition counts forewarn
needs.

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
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.errors import BrokerError
from forewarn.streams.kafka.topics import TopicNames

__all__ = ["backoff_delays", "check_topics", "expected_partitions"]

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


def expected_partitions(names: TopicNames, partitions: int) -> dict[str, int]:
    """The partition count of every topic forewarn needs before it starts (changelogs and
    the compacted network journal are declared by Faust itself)."""
    return {names.alarms_raw: 1, names.contacts_raw: 1, names.network_state: 1,
            names.alarms_dead_letter: 1,
            names.notifications_dead_letter: 1, names.impacts: partitions,
            names.outbox: partitions, names.delivered: partitions,
            names.incidents_events: 1}


async def check_topics(bootstrap: str, names: TopicNames, partitions: int,
                       security: dict[str, Any] | None = None, *,
                       retry_for_s: float = 0.0, replication_factor: int = 1) -> None:
    """Raise ``BrokerError`` naming each existing topic whose partition count is wrong, or
    saying the broker could not be reached within ``retry_for_s`` (retried with backoff);
    create the missing ones (except the journal, which Faust declares compacted) with
    ``replication_factor`` (``kafka.replication_factor``, as Faust's own topics)."""
    expected = expected_partitions(names, partitions)
    consumer = await _connected(bootstrap, security, retry_for_s)
    try:
        existing, counts = await _partition_counts(consumer, expected)
    finally:
        await consumer.stop()
    problems = [f"topic {topic!r} has {have} partitions, forewarn needs {expected[topic]}"
                for topic, have in counts.items() if have != expected[topic]]
    if problems:
        raise BrokerError("; ".join(problems) + " (kafka.partitions in the config sets the "
                          "customer-keyed topics; 'alarms.raw' must have exactly one partition)")
    missing = {t: n for t, n in expected.items() if t not in existing and t != names.network_state}
    if missing:
        await _create(bootstrap, security, missing, replication_factor)


async def _partition_counts(consumer: AIOKafkaConsumer, expected: dict[str, int],
                            settle_s: float = 10.0) -> tuple[set[str], dict[str, int]]:
    """The topics that exist, and the partition count of each expected one among them.

    A topic another worker is creating right now (two workers starting together) is listed
    before its partitions are: with 0 partitions it is asked again for up to ``settle_s``
    rather than reported as wrong."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_s
    while True:
        # A fresh metadata answer each time: ``consumer.topics()`` fetches one but leaves the
        # client's own cluster view (what ``partitions_for_topic`` reads) as it was at start,
        # so a topic created since then kept 0 partitions until the deadline.
        cluster = await consumer._client.fetch_all_metadata()  # lists; creates nothing
        existing = set(cluster.topics())
        counts = {topic: len(cluster.partitions_for_topic(topic) or ())
                  for topic in expected if topic in existing}
        if all(counts.values()) or loop.time() >= deadline:
            return existing, counts
        await asyncio.sleep(0.5)


async def _create(bootstrap: str, security: dict[str, Any] | None,
                  topics: dict[str, int], replication_factor: int) -> None:
    """Create ``topics`` (name -> partitions); one that appeared meanwhile is fine."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000,
                                **(security or {}))
    await admin.start()
    try:
        answer = await admin.create_topics(
            [NewTopic(name, num_partitions=n, replication_factor=replication_factor)
             for name, n in topics.items()])
    finally:
        await admin.close()
    failed = [f"{name}: error {code}" for name, code, *_ in getattr(answer, "topic_errors", [])
              if code not in (0, 36)]  # 36: TOPIC_ALREADY_EXISTS (another worker was first)
    if failed:
        raise BrokerError("could not create forewarn's topics: " + "; ".join(failed))
    log.info("created topics %s", ", ".join(f"{t} ({n})" for t, n in sorted(topics.items())))
