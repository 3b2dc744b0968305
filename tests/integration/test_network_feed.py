"""The network stage's journal and feed on the real embedded broker: state and position come
back exactly after a stop, and after a crash nothing is skipped (only the records after the
last commit are processed again)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.network_feed import NetworkFeed, Outgoing
from forewarn.streams.kafka.network_journal import StateJournal
from tests.forewarn_testing import produce_async

pytestmark = pytest.mark.integration


async def new_topics(bootstrap: str, *bases: str) -> list[str]:
    names = [f"test.{base}.{uuid.uuid4().hex[:8]}" for base in bases]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    finally:
        await admin.close()
    return names


def new_journal(bootstrap: str, topic: str) -> StateJournal:
    return StateJournal(FenceReader(bootstrap, client_id="test-journal", timeout_s=30), topic)


async def read_values(bootstrap: str, topic: str, expected: int) -> list[int]:
    """The ``n`` of every record on ``topic`` (reads until ``expected`` or 20 s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    seen: list[int] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    try:
        while len(seen) < expected and loop.time() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=200)
            seen += [json.loads(m.value)["n"] for m in batch.get(tp, ())]
    finally:
        await consumer.stop()
    return seen


class CountingStage:
    """Keeps a running total in a journal table and echoes each record to ``out``."""

    def __init__(self, journal: StateJournal, out: str) -> None:
        self.totals = journal.table("totals")
        self.out = out
        self.seen: list[int] = []

    def __call__(self, raw: bytes, timestamp: float) -> list[Outgoing]:
        n = json.loads(raw)["n"]
        self.seen.append(n)
        self.totals["sum"] = self.totals.get("sum", 0) + n
        return [Outgoing(self.out, 0, json.dumps({"n": n}).encode())]


async def run_feed(bootstrap: str, raw: str, journal: StateJournal, stage: CountingStage,
                   until: int, commit_interval_s: float = 0.0) -> NetworkFeed:
    failures: list[BaseException] = []

    async def failed(exc: BaseException) -> None:
        failures.append(exc)

    feed = NetworkFeed(bootstrap=bootstrap, topic=raw, journal=journal, process=stage,
                       on_loaded=lambda: None, on_failure=failed, max_records=7,
                       commit_interval_s=commit_interval_s)
    feed.start()
    await wait_until(lambda: len(stage.seen) >= until or bool(failures))
    assert not failures, failures
    return feed


async def run_until_stopped(bootstrap: str, raw: str, state: str, out: str,
                            until: int) -> CountingStage:
    """A new owner: load the journal, process ``until`` records, stop cleanly."""
    journal = new_journal(bootstrap, state)
    stage = CountingStage(journal, out)
    feed = await run_feed(bootstrap, raw, journal, stage, until=until)
    await feed.stop()
    await journal.reader.close()
    return stage


async def wait_until(condition: Any, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_journal_gives_back_committed_state_and_positions_but_not_uncommitted_writes(
        embedded_broker: Any) -> None:
    (topic,) = await new_topics(embedded_broker.bootstrap, "network.state")
    journal = new_journal(embedded_broker.bootstrap, topic)
    elements = journal.table("elements")
    elements["cell-1"] = {"alarms": {"a1": {"severity": "critical"}}}
    elements["cell-2"] = {"alarms": {"a2": {"severity": "major"}}}
    journal.table("incidents")["INC-1"] = {"root": "cell-1"}
    await journal.commit({"alarms.raw/0": 41})
    del elements["cell-2"]
    elements["cell-1"] = {"alarms": {"a1": {"severity": "critical"}, "a3": {}}}
    await journal.commit({"alarms.raw/0": 42})
    elements["cell-9"] = {"alarms": {"never": {}}}  # not committed: a crash loses it
    await journal.reader.close()

    again = new_journal(embedded_broker.bootstrap, topic)
    try:
        assert await again.load() == 7  # (3 writes + position) + (2 + position); no fences
        assert dict(again.table("elements")) == {
            "cell-1": {"alarms": {"a1": {"severity": "critical"}, "a3": {}}}}
        assert dict(again.table("incidents")) == {"INC-1": {"root": "cell-1"}}
        assert again.positions == {"alarms.raw/0": 42}
        assert not again.dirty
    finally:
        await again.reader.close()


async def test_a_stopped_feed_resumes_where_it_left_off_with_its_state(
    embedded_broker: Any,
) -> None:
    bootstrap = embedded_broker.bootstrap
    raw, out, state = await new_topics(bootstrap, "alarms.raw", "impacts", "network.state")
    await produce_async(bootstrap, raw, [json.dumps({"n": n}).encode() for n in range(1, 51)])
    first = await run_until_stopped(bootstrap, raw, state, out, until=50)
    assert first.seen == list(range(1, 51))

    await produce_async(bootstrap, raw, [json.dumps({"n": n}).encode() for n in range(51, 61)])
    second = await run_until_stopped(bootstrap, raw, state, out, until=10)
    assert second.seen == list(range(51, 61))  # nothing twice, nothing skipped
    assert second.totals["sum"] == sum(range(1, 61))
    assert sorted(await read_values(bootstrap, out, 60)) == list(range(1, 61))


async def test_after_a_crash_only_records_after_the_last_commit_are_processed_again(
        embedded_broker: Any) -> None:
    bootstrap = embedded_broker.bootstrap
    raw, out, state = await new_topics(bootstrap, "alarms.raw", "impacts", "network.state")
    journal = new_journal(bootstrap, state)
    crashed = CountingStage(journal, out)
    source = f"{raw}/0"
    # Commits happen only when input runs out: after the first 20, not during the next 20.
    await produce_async(bootstrap, raw, [json.dumps({"n": n}).encode() for n in range(1, 21)])
    feed = await run_feed(bootstrap, raw, journal, crashed, until=20, commit_interval_s=3600)
    await wait_until(lambda: journal.positions.get(source) == 20)
    await produce_async(bootstrap, raw, [json.dumps({"n": n}).encode() for n in range(21, 41)])
    await wait_until(lambda: len(crashed.seen) == 40)
    assert journal.positions[source] == 20
    assert feed._task is not None  # a crash: no stop, no final commit
    feed._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await feed._task
    await journal.reader.close()

    after = await run_until_stopped(bootstrap, raw, state, out, until=20)
    assert after.seen == list(range(21, 41))  # the uncommitted ones again, nothing skipped
    assert after.totals["sum"] == sum(range(1, 41))  # state matched the committed position
    assert set(await read_values(bootstrap, out, 60)) == set(range(1, 41))  # nothing lost
