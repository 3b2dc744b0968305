"""The contact forwarder agent takes the next ``contacts.raw`` record only after the broker
acknowledged the previous forward (Faust commits a record's offset when the agent asks for
the next one), so a worker that dies in between forwards it again instead of losing it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

from forewarn.streams.input.contact_forward import ContactForwarder
from forewarn.streams.kafka.contact_forward import ContactForwardAgent

CONTACT = {"type": "contact", "contact_id": "c-1", "customer_id": "007", "channel": "ivr",
           "reason": "no_service", "event_time": "2026-05-04T10:00:00Z"}


class Stream:
    """What the agent reads of a Faust stream: ``events()`` with value, partition, offset."""

    def __init__(self, values: Callable[[], AsyncIterator[bytes]]) -> None:
        self.values = values

    async def events(self) -> AsyncIterator[SimpleNamespace]:
        offset = 0
        async for value in self.values():
            yield SimpleNamespace(value=value, message=SimpleNamespace(partition=0,
                                                                       offset=offset))
            offset += 1


class Topic:
    """A topic whose sends are acknowledged only when the test says so."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, value: Any, **_: Any) -> asyncio.Future[None]:
        self.sent.append(value)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


async def test_next_record_is_taken_only_after_the_forward_is_acknowledged() -> None:
    taken: list[int] = []
    values = [json.dumps(CONTACT | {"contact_id": f"c-{n}"}).encode() for n in range(2)]

    async def stream() -> AsyncIterator[bytes]:
        for n, value in enumerate(values):
            taken.append(n)
            yield value

    raw, dead = Topic(), Topic()
    agent = asyncio.create_task(ContactForwardAgent(ContactForwarder(), raw, dead)(Stream(stream)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert taken == [0] and len(raw.sent) == 1  # waiting for the broker's ack
    raw.acks[0].set_result(None)
    for _ in range(20):
        await asyncio.sleep(0)
    assert taken == [0, 1] and len(raw.sent) == 2
    raw.acks[1].set_result(None)
    await asyncio.wait_for(agent, 5)
    assert [json.loads(v)["record"]["contact_id"] for v in raw.sent] == ["c-0", "c-1"]
    assert dead.sent == []


async def test_invalid_record_goes_to_the_dead_letter_topic_not_to_alarms_raw() -> None:
    async def stream() -> AsyncIterator[bytes]:
        yield json.dumps(CONTACT | {"reason": "angry"}).encode()

    raw, dead = Topic(), Topic()
    agent = asyncio.create_task(ContactForwardAgent(ContactForwarder(), raw, dead)(Stream(stream)))
    for _ in range(20):
        await asyncio.sleep(0)
    dead.acks[0].set_result(None)
    await asyncio.wait_for(agent, 5)
    assert raw.sent == []
    [letter] = dead.sent
    assert letter["field"] == "reason" and letter["source"] == "contacts.raw"
