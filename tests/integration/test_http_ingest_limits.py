"""Hostile bodies against a live worker (issue 16, findings 5-7): oversized bodies (declared or
chunked) answer 413 naming the limit, deep JSON answers 400, too many records 413; nothing of
a refused request is published, the worker stays up and valid input goes on being accepted.
The 202 of a valid request means the record is on ``alarms.raw``."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from tests.forewarn_testing import healthy, start_worker, stop_worker, wait_for, worker_config

pytestmark = pytest.mark.integration

TOKEN = "limits-token-81c2"
MAX_BODY = 200_000
MAX_DEPTH = 16
MAX_RECORDS = 50


def post(port: int, body: bytes | Iterable[bytes], *, headers: dict[str, str] | None = None,
         path: str = "/api/v1/alarms") -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, method="POST",  # type: ignore[arg-type]
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}",
                 **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def alarm(alarm_id: str, **extra: object) -> dict:
    return {"alarm_id": alarm_id, "element_id": "S-B", "state": "raised", "severity": "warning",
            "event_time": datetime.now(UTC).isoformat(), **extra}


@pytest.fixture(scope="module")
def worker(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[int, str, str]]:
    tmp = tmp_path_factory.mktemp("limits")
    tag = f"limits{os.getpid()}"
    extra = (f"[api]\nmax_body_bytes = {MAX_BODY}\nmax_depth = {MAX_DEPTH}\n"
             f"max_records = {MAX_RECORDS}\n")
    config = worker_config(tmp, tag, tmp / "n.jsonl", extra)
    proc, port = start_worker(config, embedded_broker.url, env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        yield port, embedded_broker.bootstrap, f"{tag}.alarms.raw"
    finally:
        stop_worker(proc)


async def raw_alarm_ids(bootstrap: str, topic: str, wanted: set[str]) -> set[str]:
    """Alarm ids on ``topic`` (read from the start until ``wanted`` are seen or 30 s pass);
    HTTP ingest writes ``{"control": "normalised", "record": {...}}``."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    try:
        while not wanted <= seen and loop.time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                for message in batch:
                    value = json.loads(message.value)
                    record = value.get("record", value)  # HTTP ingest sends it parsed
                    if isinstance(record, dict) and "alarm_id" in record:
                        seen.add(record["alarm_id"])
    finally:
        await consumer.stop()
    return seen


def test_declared_oversized_body_answers_413_naming_the_limit(worker: tuple) -> None:
    port, _, _ = worker
    body = json.dumps(alarm("BIG-1", text="x" * (MAX_BODY + 10))).encode()
    status, answer = post(port, body)
    assert status == 413 and str(MAX_BODY) in answer["error"] and answer["accepted"] == 0


def test_chunked_oversized_body_answers_413_while_reading(worker: tuple) -> None:
    port, _, _ = worker

    def chunks() -> Iterator[bytes]:  # no Content-Length: urllib sends it chunked
        yield b'{"alarm_id": "BIG-2", "text": "'
        for _ in range(3 * MAX_BODY // 10_000):
            yield b"y" * 10_000
        yield b'"}'

    status, answer = post(port, chunks())
    assert status == 413 and str(MAX_BODY) in answer["error"]


def test_body_at_the_size_limit_is_accepted(worker: tuple) -> None:
    port, _, _ = worker
    data = json.dumps(alarm("EDGE-1")).encode()
    status, answer = post(port, data + b" " * (MAX_BODY - len(data)))
    assert status == 202 and answer["accepted"] == 1


def test_json_nested_ten_thousand_deep_answers_400(worker: tuple) -> None:
    port, _, _ = worker
    for depth in (MAX_DEPTH + 1, 10_000):
        status, answer = post(port, b"[" * depth + b"]" * depth)
        assert status == 400 and "api.max_depth" in answer["error"]


def test_too_many_records_answer_413_and_publish_nothing(worker: tuple) -> None:
    port, bootstrap, topic = worker
    over = [alarm(f"MANY-{n}") for n in range(MAX_RECORDS + 1)]
    status, answer = post(port, json.dumps(over).encode())
    assert status == 413 and "api.max_records" in answer["error"] and answer["accepted"] == 0
    at_limit = [alarm(f"OK-{n}") for n in range(MAX_RECORDS)]
    status, answer = post(port, json.dumps(at_limit).encode())
    assert status == 202 and answer["accepted"] == MAX_RECORDS
    seen = asyncio.run(raw_alarm_ids(bootstrap, topic, {a["alarm_id"] for a in at_limit}))
    assert {a["alarm_id"] for a in at_limit} <= seen
    assert not any(s.startswith("MANY-") for s in seen)


def test_the_worker_keeps_accepting_valid_alarms_after_hostile_bodies(worker: tuple) -> None:
    port, bootstrap, topic = worker
    post(port, b"[" * 100_000 + b"]" * 50_000)  # not even valid JSON, and deep
    post(port, b"{" + b" " * (MAX_BODY * 2) + b"}")
    status, answer = post(port, json.dumps([alarm("AFTER-1"), {"alarm_id": "x"}]).encode())
    assert status == 400 and answer["accepted"] == 1  # the valid one, the other named
    assert "AFTER-1" in asyncio.run(raw_alarm_ids(bootstrap, topic, {"AFTER-1"}))
