"""Writing input onto ``alarms.raw`` from a command: replay's alarm log, the demo's story.

Everything goes to partition 0 in order (``alarms.raw`` is the network's one order), and a
send returns only once the broker has the record, so a command that goes on to wait for
decisions knows its input is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaProducer

__all__ = ["InputProducer"]


class InputProducer:
    """An aiokafka producer for one command's input, started and stopped with ``async with``."""

    def __init__(self, bootstrap: str, security: dict[str, Any] | None = None) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5,
                                          **(security or {}))

    async def __aenter__(self) -> Self:
        await self._producer.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self._producer.stop()

    async def send(self, topic: str, value: bytes) -> None:
        """One record, acknowledged before this returns."""
        await self._producer.send_and_wait(topic, value, partition=0)

    async def send_all(self, topic: str, values: Iterable[bytes]) -> None:
        """Many records in order, batched, all acknowledged before this returns."""
        for value in values:
            await self._producer.send(topic, value, partition=0)
        await self._producer.flush()
