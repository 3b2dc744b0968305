"""Incident events leave the network worker after the impacts they describe: the step marks
them (topic ``incidents.events``, keyed by incident id, ``after_ack``) and the feed sends them
only once the batch's earlier messages are acknowledged."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.hooks import NO_HOOKS
from forewarn.streams.kafka.network_feed import NetworkFeed, Outgoing
from forewarn.streams.kafka.network_step import NetworkStep
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.stage import NetworkStage
from tests.forewarn_testing import TINY
from tests.unit.network.network_helpers import correlator

NAMES = TopicNames("t.")


@pytest.fixture(scope="module")
def tiny_index() -> RegionIndex:
    return RegionIndex.build(load_region(TINY))


def alarm(state: str, at: str) -> bytes:
    return json.dumps({"alarm_id": "a-1", "element_id": "S-A", "state": state,
                       "severity": "critical", "event_time": at}).encode()


def test_step_sends_the_incident_event_after_the_impacts_keyed_by_its_id(
        tiny_index: RegionIndex) -> None:
    step = NetworkStep(NormaliseStage(), NetworkStage(correlator(tiny_index), 2),
                       IncidentBoard(), NAMES, clock=time.time, hooks=NO_HOOKS)
    now = datetime.now(UTC)  # the step checks event time against the broker's timestamp
    out = step(alarm("raised", now.isoformat()), now.timestamp())
    assert [o.topic for o in out][-1] == NAMES.incidents_events
    assert {o.topic for o in out[:-1]} == {NAMES.impacts}
    event = json.loads(out[-1].value)
    assert event["event"] == "opened" and out[-1].key == event["incident_id"].encode()
    assert out[-1].after_ack and not any(o.after_ack for o in out[:-1])


class FakeProducer:
    """Records sends; each send's acknowledgement is a future the test resolves."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []  # (topic, all earlier sends acked at send time)
        self.futures: list[asyncio.Future[None]] = []

    async def send(self, topic: str, value: bytes, *, key: bytes | None = None,
                   partition: int | None = None) -> asyncio.Future[None]:
        self.sent.append((topic, all(f.done() for f in self.futures)))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        asyncio.get_running_loop().call_later(0.05, future.set_result, None)
        return future


class FakeConsumer:
    def __init__(self, feed: NetworkFeed) -> None:
        self.feed = feed
        self.batches = 0

    async def getmany(self, tp: Any, timeout_ms: int, max_records: int) -> dict[Any, list[Any]]:
        self.batches += 1
        if self.batches > 1:
            self.feed._stopping.set()
            await asyncio.sleep(0.01)
            return {}
        message = type("M", (), {"value": b"x", "timestamp": 0, "offset": 0})()
        return {tp: [message]}

    def highwater(self, tp: Any) -> int:
        return 1  # what the stall watchdog reads


class FakeJournal:
    async def commit(self, positions: dict[str, int]) -> None:
        pass


def test_feed_sends_after_ack_messages_once_the_batch_is_acknowledged() -> None:
    produced = [Outgoing("t.impacts", 0, b"{}"), Outgoing("t.impacts", 1, b"{}"),
                Outgoing("t.incidents.events", None, b"{}", key=b"INC", after_ack=True)]

    async def run() -> FakeProducer:
        feed = NetworkFeed(bootstrap="unused", topic="t.alarms.raw",
                           journal=FakeJournal(),  # type: ignore[arg-type]
                           process=lambda value, ts: list(produced), on_loaded=lambda: None,
                           on_failure=lambda exc: asyncio.sleep(0))
        producer = FakeProducer()
        await feed._loop(FakeConsumer(feed), producer)  # type: ignore[arg-type]
        return producer

    sent = asyncio.run(run()).sent
    assert [topic for topic, _ in sent] == ["t.impacts", "t.impacts", "t.incidents.events"]
    assert sent[-1][1], "the incident event went out before the impacts were acknowledged"
