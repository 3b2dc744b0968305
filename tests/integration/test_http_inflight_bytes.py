"""Many large bodies at once against a live worker: the body bytes a worker holds at once are
bounded by ``api.max_inflight_bytes`` (a request past it answers 503 with Retry-After before
its body is read, nothing of it published), a client that goes away mid-body gives its share
back, ``/healthz`` answers throughout, and every 202'd alarm is on ``alarms.raw``."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer

from tests.forewarn_testing import healthy, start_worker, stop_worker, wait_for, worker_config

pytestmark = pytest.mark.integration

TOKEN = "inflight-token-5d1e"
MAX_BODY = 1_000_000
MAX_INFLIGHT = 3_000_000
BODY = 950_000  # one alarm padded with JSON whitespace
CONCURRENT = 120  # 114 MB of bodies, 38 times the bound
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def padded_alarm(alarm_id: str, size: int = BODY) -> bytes:
    record = json.dumps([{"alarm_id": alarm_id, "element_id": "S-B", "state": "raised",
                          "severity": "warning",
                          "event_time": datetime.now(UTC).isoformat()}]).encode()
    return record + b" " * (size - len(record))


@pytest.fixture(scope="module")
def worker(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[int, str, str, int]]:
    tmp = tmp_path_factory.mktemp("inflight")
    tag = f"inflight{os.getpid()}"
    extra = f"[api]\nmax_body_bytes = {MAX_BODY}\nmax_inflight_bytes = {MAX_INFLIGHT}\n"
    config = worker_config(tmp, tag, tmp / "n.jsonl", extra)
    proc, port = start_worker(config, embedded_broker.url, env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        yield port, embedded_broker.bootstrap, f"{tag}.alarms.raw", proc.pid
    finally:
        stop_worker(proc)


async def raw_alarm_ids(bootstrap: str, topic: str, wanted: set[str]) -> set[str]:
    """Alarm ids on ``topic``, read from the start until ``wanted`` are seen or 60 s pass."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    try:
        while not wanted <= seen and loop.time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                for message in batch:
                    value = json.loads(message.value)
                    record = value.get("record", value)
                    if isinstance(record, dict) and "alarm_id" in record:
                        seen.add(record["alarm_id"])
    finally:
        await consumer.stop()
    return seen


def inflight_metric(port: int, name: str) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def stalled_upload(port: int, declared: int, sent: int) -> socket.socket:
    """A client that declares ``declared`` body bytes, sends ``sent`` of them and stops."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST /api/v1/alarms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    sock.sendall(head + b" " * sent)
    return sock


async def post(session: aiohttp.ClientSession, port: int, body: bytes, chunked: bool
               ) -> tuple[int, dict, str | None]:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64_000):
            yield body[start:start + 64_000]

    data = chunks() if chunked else body
    async with session.post(f"http://127.0.0.1:{port}/api/v1/alarms", data=data,
                            headers=HEADERS) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def post_all(port: int, bodies: list[tuple[bytes, bool]]) -> list[tuple[int, dict,
                                                                               str | None]]:
    timeout = aiohttp.ClientTimeout(total=180)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        return await asyncio.gather(*(post(session, port, body, chunked)
                                      for body, chunked in bodies))


def test_a_request_past_the_bound_answers_503_at_once_and_a_vanished_client_frees_it(
        worker: tuple) -> None:
    port, bootstrap, topic, _ = worker
    # Three uploads that declare 990 KB each and stall: 2.97 MB of the 3 MB held.
    stalled = [stalled_upload(port, 990_000, 10_000) for _ in range(3)]
    try:
        def refused() -> bool:
            status, answer, retry = asyncio.run(post_all(port, [(padded_alarm("FULL-1"),
                                                                 False)]))[0]
            return status == 503 and answer["accepted"] == 0 and retry is not None
        wait_for(refused, 60, "a 503 while the stalled uploads hold the budget")
        assert inflight_metric(port, "forewarn_ingest_inflight_bytes") == 3 * 990_000
        status, answer, retry = asyncio.run(post_all(port, [(padded_alarm("FULL-2"), True)]))[0]
        assert (status, answer["accepted"]) == (503, 0) and retry is not None
        assert "api.max_inflight_bytes" in answer["error"]
    finally:
        for sock in stalled:  # gone mid-body
            sock.close()

    def accepted() -> bool:
        status, _, _ = asyncio.run(post_all(port, [(padded_alarm("AFTER-1"), False)]))[0]
        return status == 202
    wait_for(accepted, 60, "a 202 once the vanished clients released their bytes")
    wait_for(lambda: inflight_metric(port, "forewarn_ingest_inflight_bytes") == 0, 60,
             "every byte of the vanished uploads given back")
    assert inflight_metric(port, "forewarn_ingest_inflight_refused_total") >= 2
    seen = asyncio.run(raw_alarm_ids(bootstrap, topic, {"AFTER-1"}))
    assert "AFTER-1" in seen and not seen & {"FULL-1", "FULL-2"}


class _Watch(threading.Thread):
    """The worker's RSS and whether ``GET /healthz`` answered, while a load runs."""

    def __init__(self, pid: int, port: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.port = pid, port
        self.stop = threading.Event()
        self.rss: list[float] = []
        self.health: list[int] = []

    def run(self) -> None:
        import http.client

        while not self.stop.is_set():
            self.rss.append(_rss_mb(self.pid))
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/healthz")
                self.health.append(connection.getresponse().status)
                connection.close()
            except OSError:
                self.health.append(0)
            time.sleep(0.02)


def test_many_large_bodies_at_once_stay_within_the_bound_and_every_202_is_published(
        worker: tuple) -> None:
    port, bootstrap, topic, pid = worker
    bodies = [(padded_alarm(f"MANY-{n}"), n % 2 == 1) for n in range(CONCURRENT)]
    time.sleep(1.0)
    before = _rss_mb(pid)
    watch = _Watch(pid, port)
    watch.start()
    try:
        answers = asyncio.run(post_all(port, bodies))
    finally:
        watch.stop.set()
        watch.join()
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {202, 503}, statuses
    assert all(retry is not None for status, _, retry in answers if status == 503)
    assert statuses.count(202) >= 1
    # 114 MB of bodies arrived; a bound of 3 MB (plus aiohttp's per-connection buffers and
    # the parse) keeps the worker's growth far below what holding them all would take.
    assert max(watch.rss) - before < 60, (before, max(watch.rss))
    assert 200 in watch.health and set(watch.health) <= {200}, watch.health
    ids = {f"MANY-{n}" for n, (status, _, _) in enumerate(answers) if status == 202}
    refused_ids = {f"MANY-{n}" for n, (status, _, _) in enumerate(answers) if status == 503}
    seen = asyncio.run(raw_alarm_ids(bootstrap, topic, ids))
    assert ids <= seen and not seen & refused_ids
