"""Issue 16, finding 2, against a real worker process on a separate embedded broker: a flood
of open warnings with distinct ids on one element used to grow its journal record past the
broker's 1 MB limit and crash the network stage in a loop. Now the excess is dead-lettered,
the worker keeps deciding, survives a restart, and a stage that does fail for good makes the
worker exit non-zero instead of hanging or exiting 0."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.network_journal import CHUNK_BYTES, StateJournal
from tests.forewarn_testing import (
    TINY,
    healthy,
    native,
    produce,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

WARNINGS = 12_000
BATCH = 500
CAP = 1000  # the default [correlation] max_open_alarms_per_element


def warnings_payloads(element: str) -> list[bytes]:
    now = datetime.now(UTC).isoformat()
    alarms = [{"alarm_id": f"flood-{i}", "element_id": element, "state": "raised",
               "severity": "warning", "event_time": now, "probable_cause": f"p{i}"}
              for i in range(WARNINGS)]
    return [json.dumps(alarms[i:i + BATCH]).encode() for i in range(0, WARNINGS, BATCH)]


def count_refusals(bootstrap: str, topic: str, expected: int, timeout_s: float) -> dict[str, int]:
    """Dead letters on ``topic`` (every partition it has) by ``refusal``; reads until
    ``expected`` refusals or ``timeout_s``."""

    async def read() -> dict[str, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        seen: dict[str, int] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            partitions: set[int] = set()
            while not partitions and loop.time() < deadline:
                await consumer.topics()  # a metadata refresh
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while sum(seen.values()) < expected and loop.time() < deadline:
                batch = await consumer.getmany(*tps, timeout_ms=500, max_records=5000)
                for messages in batch.values():
                    for message in messages:
                        reason = json.loads(message.value).get("refusal", "other")
                        seen[reason] = seen.get(reason, 0) + 1
        finally:
            await consumer.stop()
        return seen

    return asyncio.run(read())


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def notified(out: Path, stage: str) -> set[str]:
    return {r["customer_id"] for r in read_records(out) if r["stage"] == stage}


def test_flood_of_open_warnings_is_dead_lettered_and_the_worker_keeps_deciding(
        embedded_broker: object, tmp_path: Path) -> None:
    out = tmp_path / "notifications.jsonl"
    tag = f"openalarms{os.getpid()}"
    config = worker_config(tmp_path, tag, out,
                           "[correlation]\nconfirm_after_s = 3\nresolve_after_s = 2\n")
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    reachable = {c for c in hit if index.customer(c).first_channel()}
    assert reachable

    first, port = start_worker(config, embedded_broker.url, log=tmp_path / "first.log")
    try:
        wait_for(lambda: healthy(port), 120, "the first worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", warnings_payloads("B1"))
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw",
                [native("K1", "S-A", "raised", "critical")])
        wait_for(lambda: notified(out, "outage") == reachable, 180,
                 "outage notices after the flood")
        refusals = count_refusals(embedded_broker.bootstrap, f"{tag}.alarms.dead-letter",
                                  WARNINGS - CAP, 60)
        assert refusals == {"too_many_open_alarms": WARNINGS - CAP}
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        assert (f'forewarn_network_records_refused_total{{reason="too_many_open_alarms"}} '
                f'{float(WARNINGS - CAP)}').encode() in metrics
        assert http_status(f"http://127.0.0.1:{port}/healthz") == 200
        assert first.poll() is None, "the worker must still run"
    finally:
        stop_worker(first)

    second, port = start_worker(config, embedded_broker.url, log=tmp_path / "second.log")
    try:
        wait_for(lambda: healthy(port), 120, "the restarted worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw",
                [native("K1", "S-A", "cleared", "critical"),
                 native("flood-extra", "B1", "raised", "warning")])
        wait_for(lambda: notified(out, "resolved") == reachable, 120, "resolved notices")
        refusals = count_refusals(embedded_broker.bootstrap, f"{tag}.alarms.dead-letter",
                                  WARNINGS - CAP + 1, 60)
        assert refusals == {"too_many_open_alarms": WARNINGS - CAP + 1}  # the cap was recovered
        assert http_status(f"http://127.0.0.1:{port}/healthz") == 200
    finally:
        stop_worker(second)
    stages = sorted((r["customer_id"], r["stage"]) for r in read_records(out))
    assert stages == sorted((c, s) for c in reachable for s in ("outage", "resolved"))


async def _poison_journal(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{this is not json", partition=0,
                                     key=json.dumps(["elements", "A1"]).encode())
    finally:
        await producer.stop()


def test_worker_whose_network_stage_fails_exits_non_zero(
        embedded_broker: object, tmp_path: Path) -> None:
    """A journal record that cannot be read (a corrupted state topic) kills the network
    stage at start-up: the worker must fail liveness and exit non-zero, not hang with
    ``/healthz`` 200 or exit 0."""
    out = tmp_path / "notifications.jsonl"
    tag = f"poison{os.getpid()}"
    config = worker_config(tmp_path, tag, out)
    asyncio.run(_poison_journal(embedded_broker.bootstrap, f"{tag}.network.state"))
    log = tmp_path / "worker.log"  # a file, not a pipe nobody reads while we wait
    proc, _ = start_worker(config, embedded_broker.url, log=log)
    try:
        wait_for(lambda: proc.poll() is not None, 180, "the worker to exit by itself")
    finally:
        if proc.poll() is None:
            stop_worker(proc, 9)
    output = log.read_text(errors="replace")
    assert proc.returncode not in (0, None), output[-3000:]
    # One line says why: the CLI's error line, or the forced exit's when shutdown hangs.
    assert any((x.startswith("forewarn: error:") and "a stage failed" in x)
               or "exiting after a stage failed" in x for x in output.splitlines()), output[-3000:]


def test_journal_entry_larger_than_the_broker_limit_round_trips_in_chunks(
        embedded_broker: object) -> None:
    """On the real broker: a 2.5 MB entry is committed (no MessageSizeTooLarge) and a new
    journal reads it back whole, next to an entry in the old one-record format."""
    topic = f"test.chunks.{os.getpid()}"
    entry = {"alarms": {f"w{i}": {"severity": "warning", "probable_cause": "x" * 80}
                        for i in range(20_000)}, "cleared": []}
    assert len(json.dumps(entry)) > 2 * 1024 * 1024 > 2 * CHUNK_BYTES

    async def run() -> StateJournal:
        admin = AIOKafkaAdminClient(bootstrap_servers=embedded_broker.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, 1, 1)])
        finally:
            await admin.close()
        writer = StateJournal(FenceReader(embedded_broker.bootstrap, client_id="w", timeout_s=60),
                              topic)
        await writer.load()
        writer.table("elements")["A1"] = entry
        writer.table("elements")["B1"] = {"alarms": {}, "cleared": ["x"]}
        await writer.commit({"alarms.raw/0": 42})
        await writer.reader.close()
        reader = StateJournal(FenceReader(embedded_broker.bootstrap, client_id="r", timeout_s=60),
                              topic)
        reader.table("elements")
        await reader.load()
        await reader.reader.close()
        return reader

    reader = asyncio.run(run())
    assert reader.table("elements").data == {"A1": entry, "B1": {"alarms": {}, "cleared": ["x"]}}
    assert reader.positions == {"alarms.raw/0": 42}
