"""``forewarn_dead_letters`` counts the letters that are on the dead-letter topics, not the
records rejected: a request's letters beyond its cap (one more letter counts them), a body
refused whole (413) and a letter never acknowledged are not letters. Bad records sent by HTTP
and on ``alarms.raw`` against a live worker: the metric equals the topic's records."""

from __future__ import annotations

import asyncio
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from forewarn.streams.input.http_ingest import MAX_DEAD_LETTERS
from tests.forewarn_testing import (
    healthy,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

TOKEN = "dlmetric-token-0b7a"
MAX_BODY = 100_000


@pytest.fixture(scope="module")
def worker(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[int, str, str]]:
    tmp = tmp_path_factory.mktemp("dlmetric")
    tag = f"dlmetric{os.getpid()}"
    config = worker_config(tmp, tag, tmp / "n.jsonl", f"[api]\nmax_body_bytes = {MAX_BODY}\n")
    proc, port = start_worker(config, embedded_broker.url, env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        yield port, embedded_broker.bootstrap, tag
    finally:
        stop_worker(proc)


def post(port: int, body: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/alarms", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def metric(port: int, topic: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf'^forewarn_dead_letters_total\{{topic="{re.escape(topic)}"\}} (\S+)$',
                      text, re.MULTILINE)
    assert found, f"no forewarn_dead_letters_total for {topic}"
    return float(found.group(1))


async def _count(bootstrap: str, topic: str) -> int:
    """Records on ``topic``, read from the start until a fetch brings nothing: the embedded
    broker's ListOffsets(latest) may miss all but the first record of the last batch."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or {0}
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        count = 0
        while batch := await consumer.getmany(timeout_ms=1000):
            count += sum(len(records) for records in batch.values())
        return count
    finally:
        await consumer.stop()


def letters_on(bootstrap: str, topic: str) -> int:
    """Records on ``topic`` (a fresh, uncompacted topic)."""
    return asyncio.run(_count(bootstrap, topic))


def invalid(n: int, label: str) -> bytes:
    return json.dumps([{"note": f"{label}{i}"} for i in range(n)]).encode()


def test_the_dead_letter_metric_equals_the_letters_on_the_topics(worker: tuple) -> None:
    port, bootstrap, tag = worker
    assert post(port, invalid(5, "few")) == 400  # 5 letters
    capped = MAX_DEAD_LETTERS + 200
    assert post(port, invalid(capped, "many")) == 400  # 1,000 letters + 1 counting the rest
    assert post(port, b" " * (MAX_BODY + 1)) == 413  # rejected whole: no letter
    on_topic = [b"not json at all", b'{"note": "no format"}', b"[1, 2",
                b'{"alarm_id": "A", "element_id": "S-B", "state": "raised"}']
    produce(bootstrap, f"{tag}.alarms.raw", on_topic)
    least = 5 + MAX_DEAD_LETTERS + 1 + len(on_topic)

    alarms = f"{tag}.alarms.dead-letter"

    def settled() -> bool:
        written = letters_on(bootstrap, alarms)
        return written >= least and metric(port, "alarms.dead-letter") == written
    wait_for(settled, 90, f"at least {least} dead letters, all counted by the metric")
    assert metric(port, "alarms.dead-letter") == letters_on(bootstrap, alarms)
    assert metric(port, "alarms.dead-letter") < 5 + capped + 1 + len(on_topic)  # not rejected
    notifications = f"{tag}.notifications.dead-letter"
    assert metric(port, "notifications.dead-letter") == letters_on(bootstrap, notifications)
