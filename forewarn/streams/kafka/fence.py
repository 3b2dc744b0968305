"""Read one topic partition from its beginning up to a fence record written just now.

Why a fence: on the embedded broker ListOffsets(latest) can be wrong, so "read to the end
offset" can stop one or two records short. Writing a control record with a fresh token and
reading until it comes back needs no offsets at all: everything acknowledged before the
fence is before it in the log. Used by the delivery ledger and the network stage journal.

Fence records are control records (``{"control": "fence", "token": ...}`` with the
``forewarn-control`` header), skipped by every reader of the topic like drain markers.
This module is wiring: it uses aiokafka directly.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from forewarn.errors import BrokerError
from forewarn.streams.kafka.topics import COMPRESSION
from forewarn.streams.records import CONTROL_HEADER

__all__ = ["FENCE", "FenceReader", "is_control_message"]

FENCE = "fence"


def is_control_message(headers: Any) -> bool:
    """True for a record carrying the ``forewarn-control`` header (fences, drain markers)."""
    return any(key == CONTROL_HEADER for key, _ in headers or ())


class FenceReader:
    """Writes fences and reads partitions back to them, with one reused producer.

    Each ``read`` uses its own group-less consumer, so it never touches a consumer group or
    its offsets. ``client_options`` go to both aiokafka clients (TLS/SASL).
    """

    def __init__(self, bootstrap: str, *, client_id: str, timeout_s: float = 120.0,
                 client_options: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.options = dict(client_options or {})
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def producer(self) -> AIOKafkaProducer:
        """The started producer (``acks=all``), created on first use."""
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap,
                                            client_id=self.client_id, acks="all",
                                            linger_ms=5, compression_type=COMPRESSION,
                                            **self.options)
                await producer.start()
                self._producer = producer
        return self._producer

    async def _fence(self, topic: str, partition: int) -> str:
        token = uuid.uuid4().hex
        value = json.dumps({"control": FENCE, "token": token}).encode()
        producer = await self.producer()
        await producer.send_and_wait(topic, value, key=FENCE.encode(), partition=partition,
                                     headers=[(CONTROL_HEADER, FENCE.encode())])
        return token

    async def read(self, topic: str, partition: int,
                   on_record: Callable[[ConsumerRecord], None]) -> int:
        """Call ``on_record`` for every record before a new fence (controls skipped); the
        number of records read. Raises ``BrokerError`` if the fence is not read back in time."""
        token = await self._fence(topic, partition)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            client_id=self.client_id, auto_offset_reset="earliest", **self.options,
        )
        await consumer.start()
        tp = TopicPartition(topic, partition)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        seen = 0
        try:
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            while loop.time() < deadline:
                batch = await consumer.getmany(tp, timeout_ms=200, max_records=10_000)
                for message in batch.get(tp, ()):
                    if is_control_message(message.headers):
                        if _token(message.value) == token:
                            return seen
                        continue
                    seen += 1
                    on_record(message)
        finally:
            await consumer.stop()
        raise BrokerError(f"fence on {topic}[{partition}] not read back within "
                          f"{self.timeout_s:.0f} s ({seen} records read so far)")

    async def close(self) -> None:
        """Stop the producer (idempotent)."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


def _token(value: bytes | None) -> str | None:
    try:
        body = json.loads(value) if value else None
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(body, dict) and body.get("control") == FENCE:
        token = body.get("token")
        return token if isinstance(token, str) else None
    return None
