"""Suspected incidents across a change of owner of ``alarms.raw`` (issue 15 item 3), on the real
embedded broker: the detector's state is journalled with the rest of the network state, so a
new owner loads it and a NOC confirmation after the takeover still turns the suspicion opened
before it into an outage under the suspected incident's id."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.config import SensorSettings
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.hooks import NO_HOOKS
from forewarn.streams.kafka.network_feed import NetworkFeed, Outgoing
from forewarn.streams.kafka.network_journal import StateJournal
from forewarn.streams.kafka.network_step import NetworkStep
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.serving import served_counts
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.suspicion import SuspicionDetector
from forewarn.streams.network.windows import MaintenanceSchedule
from tests.forewarn_testing import SAMPLE, produce_async

pytestmark = pytest.mark.integration

PON = "PON-0003"


@pytest.fixture(scope="module")
def sample() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


class Owner:
    """One owner of ``alarms.raw``: the real step over journal tables, its output recorded."""

    def __init__(self, index: RegionIndex, bootstrap: str, names: TopicNames) -> None:
        self.journal = StateJournal(FenceReader(bootstrap, client_id="test-suspicions",
                                                timeout_s=30), names.network_state)
        table = self.journal.table
        self.detector = SuspicionDetector(SensorSettings(), served_counts(index),
                                          index.element_type, table("suspicions"))
        correlator = NetworkCorrelator(index, ElementStates(table("elements")),
                                       MaintenanceSchedule(table("windows")), table("incidents"),
                                       cuts=table("cuts"), suspicion=self.detector)
        self.board = IncidentBoard()
        self.step = NetworkStep(NormaliseStage(), NetworkStage(correlator, 1), self.board,
                                names, clock=time.time, hooks=NO_HOOKS)
        self.impacts: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []

        def process(raw: bytes, timestamp: float) -> list[Outgoing]:
            out = self.step(raw, timestamp)
            self.impacts += [json.loads(o.value) for o in out if o.topic == names.impacts]
            return out

        async def failed(exc: BaseException) -> None:
            self.failures.append(exc)

        self.feed = NetworkFeed(bootstrap=bootstrap, topic=names.alarms_raw,
                                journal=self.journal, process=process,
                                on_loaded=correlator.rebuild, on_failure=failed,
                                commit_interval_s=0.0)

    async def stop(self) -> None:
        await self.feed.stop()
        await self.journal.reader.close()


async def wait_until(condition: Any, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def contact(n: int, customer_id: str, at: float, reason: str = "no_service") -> bytes:
    return json.dumps({"type": "contact", "contact_id": f"k-{n}", "customer_id": customer_id,
                       "channel": "app", "reason": reason, "event_time": iso(at)}).encode()


async def test_a_new_owner_continues_an_open_suspicion_and_its_confirmation_uses_its_id(
        embedded_broker: Any, sample: RegionIndex) -> None:
    bootstrap = embedded_broker.bootstrap
    names = TopicNames(f"sus{os.getpid()}.{uuid.uuid4().hex[:6]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 1, 1) for t in (
            names.alarms_raw, names.network_state, names.impacts, names.alarms_dead_letter)])
    finally:
        await admin.close()
    customers = [sample.customer_ids[p] for p in sample.dependents([PON]).tolist()]
    start = time.time() - 600  # event times the network believes (near the broker's clock)
    await produce_async(bootstrap, names.alarms_raw,
                        [contact(n, c, start + 60 * n) for n, c in enumerate(customers[:6])]
                        + [contact(99, "C0000001", start + 400, "other")])

    first = Owner(sample, bootstrap, names)
    first.feed.start()
    await wait_until(lambda: bool(first.board.suspicions()) or bool(first.failures),
                     "the suspicion")
    assert not first.failures
    [suspected] = first.board.suspicions()
    assert suspected["element_id"] == PON
    await first.stop()

    second = Owner(sample, bootstrap, names)
    second.feed.start()
    await second.feed.loaded.wait()
    assert [s.incident_id for s in second.detector.open()] == [suspected["incident_id"]]
    await produce_async(bootstrap, names.alarms_raw, [json.dumps({
        "type": "incident_update", "element_id": PON, "confirm": True,
        "event_time": iso(start + 500)}).encode()])
    await wait_until(lambda: any(m.get("out") for m in second.impacts) or bool(second.failures),
                     "the confirmed outage")
    await second.stop()
    assert not second.failures
    outs = [m for m in second.impacts if m.get("out")]
    assert {m["incident_id"] for m in outs} == {suspected["incident_id"]}
    assert {c for m in outs for c in m["out"].get("fibre", [])} == set(customers)
