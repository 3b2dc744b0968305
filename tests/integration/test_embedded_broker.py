"""The embedded Tansu broker: starts, answers Kafka, stops, never outlives its owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from forewarn.errors import BrokerError
from forewarn.streams.kafka.embedded_broker import EmbeddedBroker, _answers_kafka, open_broker

pytestmark = pytest.mark.integration


async def test_embedded_broker_round_trips_a_message(embedded_broker: object) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("broker-smoke", b"hello", partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer("broker-smoke", bootstrap_servers=embedded_broker.bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        message = await consumer.getone()
    finally:
        await consumer.stop()
    assert message.value == b"hello"


def test_open_broker_stops_the_broker_on_error() -> None:
    with pytest.raises(RuntimeError), open_broker() as handle:
        port = int(handle.bootstrap.rsplit(":", 1)[1])
        assert _answers_kafka(port)
        raise RuntimeError("boom")
    assert not _answers_kafka(port)


def test_missing_broker_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", "/nonexistent/tansu")
    with pytest.raises(BrokerError, match=r"embedded broker.*FOREWARN_BROKER"):
        EmbeddedBroker().start()


def test_broker_does_not_outlive_a_killed_owner(tmp_path: object) -> None:
    script = textwrap.dedent("""
        import sys, time
        from forewarn.streams.kafka.embedded_broker import EmbeddedBroker
        broker = EmbeddedBroker()
        broker.start()
        print(broker.port, flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    port = int(owner.stdout.readline())
    assert _answers_kafka(port)
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _answers_kafka(port):
        time.sleep(0.1)
    assert not _answers_kafka(port), "the broker outlived the process that started it"


async def test_worker_refuses_topics_with_the_wrong_partition_count(
    embedded_broker: object,
) -> None:
    from aiokafka import AIOKafkaProducer

    from forewarn.streams.kafka.preflight import check_topics
    from forewarn.streams.kafka.topics import TopicNames

    names = TopicNames(f"pre{os.getpid()}.")
    producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap)
    await producer.start()
    try:  # the broker auto-creates the topic with its default partition count (> 1)
        await producer.send_and_wait(names.alarms_raw, b"x")
    finally:
        await producer.stop()
    with pytest.raises(BrokerError, match=r"alarms\.raw.*exactly one partition"):
        await check_topics(embedded_broker.bootstrap, names, 4)
    await check_topics(embedded_broker.bootstrap, TopicNames("fresh."), 4)


async def test_preflight_creates_the_topics_forewarn_only_writes_with_their_partition_counts(
        embedded_broker: object) -> None:
    """A worker killed before its first delivery must not leave ``notifications.delivered``
    to be auto-created later with the broker's default partition count (a restart then
    refused to start); preflight creates every missing topic with the counts it checks."""
    from aiokafka import AIOKafkaConsumer

    from forewarn.streams.kafka.preflight import check_topics, expected_partitions
    from forewarn.streams.kafka.topics import TopicNames

    names = TopicNames(f"create{os.getpid()}.")
    await check_topics(embedded_broker.bootstrap, names, 2)
    consumer = AIOKafkaConsumer(bootstrap_servers=embedded_broker.bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        counts = {t: len(consumer.partitions_for_topic(t) or ())
                  for t in expected_partitions(names, 2) if t != names.network_state}
    finally:
        await consumer.stop()
    assert counts == {names.alarms_raw: 1, names.contacts_raw: 1, names.incidents_events: 1,
                      names.alarms_dead_letter: 1,
                      names.notifications_dead_letter: 1, names.impacts: 2, names.outbox: 2,
                      names.delivered: 2}
    await check_topics(embedded_broker.bootstrap, names, 2)  # a second start is fine


async def test_preflight_sees_the_partitions_of_a_topic_created_after_it_connected(
        embedded_broker: object) -> None:
    """Two workers starting together: the other one creates the topics while this one's
    preflight is already connected. Its partition counts must come from fresh metadata (the
    client's own view from start-up said 0 partitions until the deadline, and the worker
    refused to start: seen in a full test run)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from forewarn.streams.kafka.preflight import _partition_counts

    topic = f"late{os.getpid()}.impacts"
    consumer = AIOKafkaConsumer(bootstrap_servers=embedded_broker.bootstrap)
    await consumer.start()  # its metadata is taken before the topic exists
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=embedded_broker.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()
        existing, counts = await _partition_counts(consumer, {topic: 3}, settle_s=5.0)
    finally:
        await consumer.stop()
    assert topic in existing and counts == {topic: 3}
