"""``ReceiptFeed``: every partition of ``notifications.delivered`` into the incident board.

Why: the board lives on the worker that owns ``alarms.raw``, but deliveries happen on
whichever worker owns each customer's partition, so only the receipt log knows how many
customers were told. The feed runs while the network feed runs (same assignment and
revocation signals), with a plain group-less aiokafka consumer, and hands each receipt to
``record`` (``IncidentBoard.record_receipt``, which counts each ``notification_id`` once).

Where it starts: the first time on a worker, at the beginning of every partition, so a new
owner reaches the same counts as the old one (``docs/architecture.md`` says why not a start
from a time); when ownership comes back to a worker whose board kept its counts, where it
stopped. Control records (fences, drain markers) are skipped; a record that is not a
receipt is logged naming the field and skipped, the rest goes on. This module is wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from forewarn.streams.kafka.fence import is_control_message
from forewarn.streams.network.receipts import ReceiptError

__all__ = ["ReceiptFeed"]

log = logging.getLogger(__name__)

Record = Callable[[Mapping[str, Any]], bool]


class ReceiptFeed:
    """Reads ``topic`` (all partitions) from where it stopped, or the beginning, into
    ``record`` between ``start`` and ``stop``. ``counted`` / ``repeats`` / ``refused`` say
    what it did (tests, diagnostics)."""

    def __init__(self, *, bootstrap: str, topic: str, record: Record,
                 client_options: dict[str, Any] | None = None, fetch_max_wait_ms: int = 100,
                 max_records: int = 5_000, client_id: str = "forewarn-receipts") -> None:
        self.topic = topic
        self.record = record
        self._consumer_options = dict(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            client_id=client_id, auto_offset_reset="earliest",
            fetch_max_wait_ms=fetch_max_wait_ms, **(client_options or {}))
        self.max_records = max_records
        self.positions: dict[int, int] = {}  # partition -> next offset to read
        self.ends: dict[int, int] = {}  # partition -> high watermark last seen
        self.counted = 0
        self.repeats = 0
        self.refused = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def progress(self) -> dict[int, tuple[int | None, int | None]]:
        """Per partition, the next offset to read and the high watermark, while running
        (the stall watchdog's sample)."""
        if not self.running:
            return {}
        return {p: (self.positions.get(p), end) for p, end in self.ends.items()}

    def start(self) -> None:
        """Start reading (idempotent); returns at once."""
        if self.running:
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop after the batch in hand (idempotent)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        """Read until stopped; a broker failure is logged and retried (the counts wait,
        nothing else does), with the positions kept."""
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self._consume()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("receipts: reading %s failed; retrying in %.0f s", self.topic,
                              delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, 30.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(**self._consumer_options)
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            if partitions is None:
                return
            tps = [TopicPartition(self.topic, p) for p in partitions]
            consumer.assign(tps)
            for tp in tps:
                if tp.partition in self.positions:
                    consumer.seek(tp, self.positions[tp.partition])
                else:
                    await consumer.seek_to_beginning(tp)
            log.info("receipts: counting %s, %d partition(s), %s", self.topic, len(tps),
                     "from where it stopped" if self.positions else "from the beginning")
            await self._loop(consumer)
        finally:
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[int] | None:
        """The topic's partitions once the broker knows it (the app declares it); None
        when stopped first."""
        while not self._stopping.is_set():
            await consumer.topics()  # refreshes metadata
            found = consumer.partitions_for_topic(self.topic)
            if found:
                return sorted(found)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 0.5)
        return None

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                fetch = asyncio.ensure_future(
                    consumer.getmany(timeout_ms=500, max_records=self.max_records))
                await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                for tp in consumer.assignment():
                    end = consumer.highwater(tp)
                    if end is not None:
                        self.ends[tp.partition] = end
                for tp, messages in fetch.result().items():
                    for message in messages:
                        if not is_control_message(message.headers):
                            self._take(message.value, tp.partition, message.offset)
                        self.positions[tp.partition] = message.offset + 1
        finally:
            stop.cancel()

    def _take(self, value: bytes | None, partition: int, offset: int) -> None:
        try:
            body = json.loads(value) if value else None
            if not isinstance(body, Mapping):
                raise ReceiptError(f"a receipt is a JSON object, got {type(body).__name__}")
            counted = self.record(body)
        except (ValueError, UnicodeDecodeError, ReceiptError) as exc:
            self.refused += 1
            log.warning("receipts: %s[%d] offset %d is not a receipt and was not counted: %s",
                        self.topic, partition, offset, exc)
            return
        if counted:
            self.counted += 1
        else:
            self.repeats += 1
