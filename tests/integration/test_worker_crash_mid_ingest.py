"""kill -9 the worker while 20 HTTP clients post alarms to it (issue 16, finding 1): every alarm
that got a 202 is on ``alarms.raw``, and after a restart every customer the accepted alarms
took out is told exactly once per lost service (CONTRACT §3, §4, §6).

Black-box: the broker (the embedded Tansu) and the worker are separate processes; the kill
comes at an observable point (``KILL_AFTER`` 202s received, clients still posting), not
after a sleep. What is expected is computed from what the broker holds, not from the worker:
the elements named by the critical raises found on ``alarms.raw`` (a request in flight at the
kill may have been written without its 202 reaching the client: it counts, as it should),
through ``RegionIndex.impact``. Receipts are read back from ``notifications.delivered`` up to
a fence of our own (the embedded broker's ListOffsets(latest) is not to be trusted).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import signal
import threading
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.kafka.fence import FenceReader
from tests.forewarn_testing import TINY, healthy, start_worker, stop_worker, wait_for, worker_config

pytestmark = pytest.mark.integration

TOKEN = "crash-ingest-token-5d1e"
CLIENTS = 20
KILL_AFTER = 150  # 202s received before the kill
PARTITIONS = 2  # not the broker's default (4): preflight must create notifications.delivered
# with 2 before the kill, or the restart refuses the auto-created one
CONFIRM_S = 1


class Clients:
    """``CLIENTS`` threads posting small batches of native alarms until the worker is gone."""

    def __init__(self, port: int, elements: list[str]) -> None:
        self.port, self.elements = port, elements
        self.acked: set[str] = set()  # alarm ids whose request answered 202
        self.answers: defaultdict[int, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(CLIENTS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        assert not any(t.is_alive() for t in self.threads), "a client did not stop"

    def _batch(self, rng: random.Random, client: int, n: int) -> list[dict[str, Any]]:
        now = datetime.now(UTC).isoformat()
        return [{"alarm_id": f"C{client}-{n}-{k}", "element_id": rng.choice(self.elements),
                 "state": "raised", "severity": rng.choice(("critical", "warning")),
                 "event_time": now, "probable_cause": "lossOfSignal"}
                for k in range(rng.randint(1, 3))]

    def _run(self, client: int) -> None:
        rng = random.Random(client)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        n = 0
        while not self.stop.is_set():
            batch = self._batch(rng, client, n)
            n += 1
            try:
                connection.request("POST", "/api/v1/alarms", body=json.dumps(batch).encode(),
                                   headers={"Authorization": f"Bearer {TOKEN}",
                                            "Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):  # the worker is gone (or died
                return  # while answering: then this request has no 202, as for its client)
            with self.lock:
                self.answers[response.status] += 1
                if response.status == 202:
                    self.acked.update(a["alarm_id"] for a in batch)

    @property
    def accepted(self) -> int:
        return self.answers[202]


async def raw_alarms(bootstrap: str, topic: str, wanted: set[str]) -> dict[str, dict]:
    """Alarms on ``alarms.raw`` by id, read from the start until ``wanted`` are all seen and
    the topic is quiet, or 30 s pass (HTTP ingest writes ``{"control", "record"}``)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: dict[str, dict] = {}
    loop = asyncio.get_running_loop()
    deadline, quiet = loop.time() + 30, 0
    try:
        while loop.time() < deadline and not (wanted <= found.keys() and quiet >= 3):
            batches = await consumer.getmany(timeout_ms=300)
            quiet = 0 if batches else quiet + 1
            for batch in batches.values():
                for message in batch:
                    record = json.loads(message.value).get("record") or {}
                    if "alarm_id" in record:
                        found[record["alarm_id"]] = record
    finally:
        await consumer.stop()
    return found


async def receipts(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    reader = FenceReader(bootstrap, client_id="test-crash-ingest", timeout_s=60)
    values: list[dict[str, Any]] = []
    try:
        for partition in range(PARTITIONS):
            await reader.read(topic, partition, lambda m: values.append(json.loads(m.value)))
    finally:
        await reader.close()
    return [v for v in values if "control" not in v]


def outage_ids(values: list[dict[str, Any]]) -> defaultdict[tuple[str, str], set[str]]:
    """Distinct outage notification ids per (customer, service)."""
    told: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for value in values:
        if value["stage"] == "outage":
            for service in value["services"]:
                told[(value["customer_id"], service)].add(value["notification_id"])
    return told


def test_every_202_survives_a_kill_9_and_every_customer_is_told_once(
    embedded_broker: Any, tmp_path: Path
) -> None:
    index = RegionIndex.build(load_region(TINY))
    tag = f"crashingest{os.getpid()}"
    out = tmp_path / "notifications.jsonl"
    config = worker_config(tmp_path, tag, out,
                           f"[correlation]\nconfirm_after_s = {CONFIRM_S}\n",
                           partitions=PARTITIONS)
    env = {"FOREWARN_API_TOKENS": TOKEN}
    first, port = start_worker(config, embedded_broker.url, env=env, log=tmp_path / "first.log")
    clients = Clients(port, sorted(index.element_ids))
    try:
        wait_for(lambda: healthy(port), 120, "the first worker")
        clients.start()
        wait_for(lambda: clients.accepted >= KILL_AFTER, 60, f"{KILL_AFTER} accepted requests")
    finally:
        stop_worker(first, signal.SIGKILL)
    clients.join()
    assert clients.accepted >= KILL_AFTER and clients.acked

    on_topic = asyncio.run(raw_alarms(embedded_broker.bootstrap, f"{tag}.alarms.raw",
                                      clients.acked))
    lost = clients.acked - on_topic.keys()
    assert not lost, f"{len(lost)} alarms answered 202 are not on alarms.raw: {sorted(lost)[:10]}"

    down = sorted({a["element_id"] for a in on_topic.values() if a["severity"] == "critical"})
    expected = {(c, service) for service, ids in index.impact(down).items() for c in ids
                if index.customer(c).first_channel()}
    assert expected, "the accepted alarms take no customer out: the test proves nothing"

    second, port = start_worker(config, embedded_broker.url, env=env,
                                log=tmp_path / "second.log")
    try:
        wait_for(lambda: healthy(port), 120, "the second worker")

        def everyone_told() -> bool:
            lines = [json.loads(line) for line in out.read_text().splitlines()] \
                if out.exists() else []
            return expected <= outage_ids(lines).keys()

        wait_for(everyone_told, 60, "an outage notice to every affected customer")
    finally:
        stop_worker(second)
    told = outage_ids(asyncio.run(receipts(embedded_broker.bootstrap,
                                           f"{tag}.notifications.delivered")))
    assert told.keys() == expected
    twice = {key: ids for key, ids in told.items() if len(ids) != 1}
    assert not twice, f"told more than once: {twice}"
