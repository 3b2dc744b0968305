"""The agents note what the stall watchdog samples: the offset they take (their position
while it is unfinished), the next one once it is done, and sends inside one message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from forewarn.streams.kafka.agents import CustomerAgent
from forewarn.streams.kafka.hooks import NO_HOOKS
from forewarn.streams.kafka.watchdog import ProgressLog


class Stream:
    def __init__(self, offsets: list[int]) -> None:
        self.offsets = offsets

    async def events(self) -> AsyncIterator[SimpleNamespace]:
        for offset in self.offsets:
            yield SimpleNamespace(value={"kind": "impact"},
                                  message=SimpleNamespace(partition=3, offset=offset))


class Stage:
    def handle(self, partition: int, value: Any) -> list[dict[str, Any]]:
        return [{"n": 1}, {"n": 2}]

    def take_dead_letters(self) -> list[dict[str, Any]]:
        return []


class Outbox:
    """Acknowledges ``allowed`` sends, then hangs (a producer that stopped)."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.sent = 0

    async def send(self, **_: Any) -> None:
        if self.sent >= self.allowed:
            await asyncio.Event().wait()
        self.sent += 1


async def test_a_finished_message_moves_the_position_past_it() -> None:
    progress = ProgressLog()
    agent = CustomerAgent(Stage(), Outbox(allowed=10), Outbox(allowed=10), NO_HOOKS, progress)  # type: ignore[arg-type]
    await agent(Stream([7, 8]))
    assert progress.positions[("customers", 3)] == 9
    assert progress.activity[("customers", 3)] == 4  # every outbox send


async def test_a_message_hung_in_its_send_keeps_the_position_at_its_offset() -> None:
    progress = ProgressLog()
    agent = CustomerAgent(Stage(), Outbox(allowed=3), Outbox(allowed=10), NO_HOOKS, progress)  # type: ignore[arg-type]
    task = asyncio.create_task(agent(Stream([7, 8])))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not task.done()
    assert progress.positions[("customers", 3)] == 8  # 7 done, 8 taken and hanging
    assert progress.activity[("customers", 3)] == 3
    task.cancel()
