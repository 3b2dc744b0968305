"""Contacts arrive at the network stage (issue 15 item 1) on a live worker and a real broker:
from the ``contacts.raw`` topic (forwarded onto ``alarms.raw``, the network's one order) and
from ``POST /api/v1/contacts`` (published on ``contacts.raw``, 202 once acknowledged).
Invalid ones become dead letters naming the field, and the next valid one still flows."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from tests.forewarn_testing import (
    healthy,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

TOKEN = "contacts-token-81d2"
TAG = f"contacts{os.getpid()}"


def contact(contact_id: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "contact", "contact_id": contact_id, "customer_id": "007",
            "channel": "app", "reason": "no_service",
            "event_time": datetime.now(UTC).isoformat()}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def post(port: int, body: object, token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/contacts", data=data,
                                     method="POST", headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _json(value: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(value)
    except ValueError:  # the invalid records this file produces itself
        return {}
    return decoded if isinstance(decoded, dict) else {}


async def _read(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    values: list[dict[str, Any]] = []
    try:
        for _ in range(6):  # a few fetches: what is there now
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                values += [_json(m.value) for m in batch]
    finally:
        await consumer.stop()
    return values


class Topics:
    """Reads this test file's topics from the start (everything on them so far)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def read(self, name: str) -> list[dict[str, Any]]:
        return asyncio.run(_read(self.bootstrap, f"{TAG}.{name}"))

    def contacts_on_alarms_raw(self) -> list[dict[str, Any]]:
        """The contacts forwarded onto alarms.raw, as the network stage gets them."""
        return [v["record"] for v in self.read("alarms.raw")
                if v.get("control") == "normalised" and v["record"].get("record") == "contact"]

    def wait(self, found: Callable[[], object], what: str) -> None:
        wait_for(found, 90, what)


@pytest.fixture(scope="module")
def worker(embedded_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("contacts")
    config = worker_config(tmp, TAG, tmp / "n.jsonl")
    proc, port = start_worker(config, embedded_broker.url, env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        yield port
    finally:
        stderr = stop_worker(proc)
        assert "15112345678" not in stderr, "phone numbers must never be logged"


@pytest.fixture(scope="module")
def topics(embedded_broker: Any) -> Topics:
    return Topics(embedded_broker.bootstrap)


def test_contact_produced_on_contacts_raw_reaches_alarms_raw(worker: int, topics: Topics,
                                                             embedded_broker: Any) -> None:
    produce(embedded_broker.bootstrap, f"{TAG}.contacts.raw",
            [json.dumps(contact("topic-1")).encode()])
    topics.wait(lambda: any(c["contact_id"] == "topic-1" for c in topics.contacts_on_alarms_raw()),
                "the contact on alarms.raw")
    [forwarded] = [c for c in topics.contacts_on_alarms_raw() if c["contact_id"] == "topic-1"]
    assert (forwarded["customer_id"], forwarded["channel"], forwarded["reason"]) == (
        "007", "app", "no_service")


def test_invalid_contact_is_dead_lettered_and_the_next_valid_one_still_flows(
    worker: int, topics: Topics, embedded_broker: Any
) -> None:
    produce(embedded_broker.bootstrap, f"{TAG}.contacts.raw",
            [json.dumps(contact("topic-bad", channel="fax")).encode(), b"{not json",
             json.dumps(contact("topic-2")).encode()])
    topics.wait(lambda: any(c["contact_id"] == "topic-2" for c in topics.contacts_on_alarms_raw()),
                "the valid contact after the invalid ones")
    letters = [d for d in topics.read("alarms.dead-letter") if d.get("source") == "contacts.raw"]
    assert any(d["field"] == "channel" and "topic-bad" in d["raw"] for d in letters), letters
    assert any(d["field"] == "<record>" and "not valid JSON" in d["problem"] for d in letters)
    assert "topic-bad" not in {c["contact_id"] for c in topics.contacts_on_alarms_raw()}


def test_posted_contacts_are_202_and_reach_contacts_raw_and_alarms_raw(
    worker: int, topics: Topics
) -> None:
    by_phone = contact("http-2", customer_id=None, phone="0151 1234-5678", channel="desk")
    status, body = post(worker, [contact("http-1"), by_phone])
    assert (status, body["accepted"]) == (202, 2), body
    # 202 means the broker has them on contacts.raw already; the worker forwards them.
    assert {"http-1", "http-2"} <= {v["record"]["contact_id"] for v in topics.read("contacts.raw")
                                    if v.get("control") == "normalised"}
    topics.wait(lambda: {"http-1", "http-2"} <= {c["contact_id"]
                                                 for c in topics.contacts_on_alarms_raw()},
                "the posted contacts on alarms.raw")


def test_posted_contact_of_an_unknown_customer_is_400_naming_the_field(worker: int) -> None:
    status, body = post(worker, contact("http-x", customer_id="nobody"))
    assert status == 400 and body["accepted"] == 0
    assert body["errors"][0]["field"] == "customer_id"
    status, body = post(worker, contact("http-y", customer_id=None, phone="+49 30 0000000"))
    assert status == 400 and body["errors"][0]["field"] == "phone"


def test_posted_invalid_contact_is_400_naming_the_field_and_valid_ones_are_kept(
    worker: int, topics: Topics
) -> None:
    status, body = post(worker, [contact("http-3", reason="angry"), contact("http-4")])
    assert status == 400 and body["accepted"] == 1
    assert [e["field"] for e in body["errors"]] == ["[0].reason"]
    topics.wait(lambda: "http-4" in {c["contact_id"] for c in topics.contacts_on_alarms_raw()},
                "the valid contact of a partly rejected request")


def test_posting_contacts_needs_a_token(worker: int) -> None:
    assert post(worker, contact("http-5"), token=None)[0] == 401
    assert post(worker, contact("http-5"), token="wrong")[0] == 401


def test_contacts_path_is_in_the_openapi_document(worker: int) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{worker}/api/v1/openapi.json") as response:
        document = json.loads(response.read())
    operation = document["paths"]["/api/v1/contacts"]["post"]
    assert {"202", "400", "401", "413", "503"} <= set(operation["responses"])
    assert operation["security"] == [{"bearer": []}]


def test_body_over_the_limits_is_413(worker: int) -> None:
    huge = [contact(f"big-{n}") for n in range(10_001)]  # over api.max_records
    status, body = post(worker, huge)
    assert status == 413 and body["accepted"] == 0
