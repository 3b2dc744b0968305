"""``NetworkFeed``: reads ``alarms.raw`` with its own aiokafka consumer, in batches.

Why not a Faust agent: the network stage is one ordered stream (one partition), so one
process carries every alarm of a storm, and Faust spends ~100-200 µs of framework work per
event (consumer thread hand-off, conductor, stream, acks) before our ~100 µs of parsing and
correlation even start: the storm benchmark measured a Faust agent at ~700 alarms/s. A plain
aiokafka consumer hands over hundreds of records per call.

What stays Faust's: *ownership*. A Faust agent is still subscribed to ``alarms.raw``, so the
consumer group assigns its single partition (and the co-partitioned tables and board routes)
to exactly one worker; our transport keeps Faust from fetching it (``transport``), and this
feed runs on the worker that owns it, between Faust's assignment and revocation signals.

Progress and state travel together in the ``StateJournal``: output first (``impacts``,
dead letters, acknowledged), then the state and the next offset. After a crash the new owner
loads the journal to a fence and continues from that offset; records after it are processed
again, so their output may repeat (the customer stage applies impacts idempotently), but
nothing is skipped. The feed commits at most every ``commit_interval_s`` and whenever it
runs out of input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from forewarn.streams.kafka.letter_count import LetterCount
from forewarn.streams.kafka.network_journal import StateJournal
from forewarn.streams.records import join_batch

#: At most this long on a fetched batch before what it made so far is sent (and the event
#: loop runs): a storm batch of 2,000 alarms on a 10M-customer index (~10 ms each) held the
#: loop for longer than the group's session timeout, and the customer partitions got
#: nothing until the whole batch was done.
SEND_AFTER_S = 0.2

__all__ = ["NetworkFeed", "Outgoing", "batch_envelopes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message a record produces: JSON-ready ``value`` to ``topic`` [``partition``].

    ``after_ack``: sent only once everything its fetched batch sent before is acknowledged
    (incident events follow the impacts they describe)."""

    topic: str
    partition: int | None
    value: bytes
    key: bytes | None = None
    after_ack: bool = False


Process = Callable[[bytes, float], list[Outgoing]]
Pack = Callable[[list[Outgoing]], list[Outgoing]]


def batch_envelopes(topic: str, outgoing: list[Outgoing],
                    max_bytes: int = 512 * 1024) -> list[Outgoing]:
    """``outgoing`` with the messages to ``topic`` packed, per partition and in order, into
    ``{"kind": "batch", "messages": [...]}`` envelopes of at most ``max_bytes``.

    Why: a storm's alarms each send a small message to every customer partition (553 power
    alarms: 2,212 messages of ~90 customers), and each message costs the consumer a Faust
    event (~0.3 ms here) and the customer stage a journal flush. Values are JSON objects, so
    an envelope is their bytes joined (no decoding). A value too big to share goes alone;
    other topics pass through unchanged. Order per partition is kept; across partitions
    Kafka keeps none anyway.
    """
    parts: dict[int | None, list[bytes]] = {}
    rest: list[Outgoing] = []
    for out in outgoing:
        if out.topic == topic:
            parts.setdefault(out.partition, []).append(out.value)
        else:
            rest.append(out)
    packed: list[Outgoing] = []
    for partition, values in parts.items():
        group: list[bytes] = []
        size = 0
        for value in [*values, None]:
            if value is None or (group and size + len(value) > max_bytes):
                if len(group) == 1:
                    packed.append(Outgoing(topic, partition, group[0]))
                elif group:
                    packed.append(Outgoing(topic, partition, join_batch(group)))
                group, size = [], 0
            if value is not None:
                group.append(value)
                size += len(value) + 1
    return rest + packed


class NetworkFeed:
    """Consume ``topic`` partition 0 from the journal's position while this worker owns it.

    ``process(value, kafka_timestamp_s)`` is the stage (pure apart from the journal tables);
    ``pack`` may merge what one fetched batch produced before it is sent (default: as is);
    ``on_loaded()`` runs after the journal was loaded and before the first record (rebuild
    in-memory views); ``on_failure(exc)`` is told when the feed dies (the worker should stop:
    its state may be ahead of the journal), and ``failure`` keeps the reason: the network
    stage cannot make progress any more, so the worker fails liveness and exits non-zero
    (``runner``).
    """

    def __init__(self, *, bootstrap: str, topic: str, journal: StateJournal, process: Process,
                 on_loaded: Callable[[], None],
                 on_failure: Callable[[BaseException], Awaitable[None]],
                 pack: Pack | None = None,
                 client_options: dict[str, Any] | None = None, fetch_max_wait_ms: int = 100,
                 max_records: int = 2_000, commit_interval_s: float = 0.2,
                 client_id: str = "forewarn-network",
                 letters: LetterCount | None = None) -> None:
        self.tp = TopicPartition(topic, 0)
        self.letters = letters  # counts the dead letters the broker acknowledged
        self.source = f"{topic}/0"
        self.journal = journal
        self.process = process
        self.on_loaded = on_loaded
        self.on_failure = on_failure
        self.pack: Pack = pack or list
        self._consumer_options = dict(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            client_id=client_id, auto_offset_reset="earliest",
            fetch_max_wait_ms=fetch_max_wait_ms, **(client_options or {}))
        self.max_records = max_records
        self.commit_interval_s = commit_interval_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.loaded = asyncio.Event()
        self.failure: BaseException | None = None  # why the feed died, if it did
        self._position: int | None = None  # next offset whose state is not journalled yet
        self._end: int | None = None  # the high watermark the consumer last saw

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def progress(self) -> dict[int, tuple[int | None, int | None]]:
        """Partition 0: the next offset not journalled yet and the high watermark (the
        stall watchdog's sample); nothing while stopped or loading the journal."""
        if not self.running or not self.loaded.is_set():
            return {}
        return {0: (self._position, self._end)}

    def start(self) -> None:
        """Start consuming (idempotent); returns at once."""
        if self.running:
            return
        self._stopping = asyncio.Event()
        self.loaded.clear()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Finish the batch in hand, commit it, and stop (idempotent)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.loaded.clear()

    async def _run(self) -> None:
        try:
            await self._consume()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # reported to the worker, which stops
            log.exception("network feed on %s failed", self.source)
            self.failure = exc  # liveness (runner.worker_failure): this worker is stuck
            await self.on_failure(exc)

    async def _consume(self) -> None:
        await self.journal.load()
        self.on_loaded()
        producer = await self.journal.reader.producer()
        consumer = AIOKafkaConsumer(**self._consumer_options)
        await consumer.start()
        try:
            consumer.assign([self.tp])
            position = self.journal.positions.get(self.source)
            if position is None:
                await consumer.seek_to_beginning(self.tp)
            else:
                consumer.seek(self.tp, position)
            log.info("network stage: reading %s from offset %s", self.source,
                        "the beginning" if position is None else position)
            self._position, self._end = await consumer.position(self.tp), None
            self.loaded.set()
            await self._loop(consumer, producer)
        finally:
            await consumer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        loop = asyncio.get_running_loop()
        pending: list[asyncio.Future[Any]] = []
        next_offset: int | None = None
        last_commit = loop.time()
        stop = asyncio.ensure_future(self._stopping.wait())
        try:  # a failure or cancellation commits nothing more: those records come again
            backlog: deque[Any] = deque()  # fetched, not processed yet
            while not self._stopping.is_set():
                idle = False
                if not backlog:
                    fetch = asyncio.ensure_future(
                        consumer.getmany(self.tp, timeout_ms=500, max_records=self.max_records))
                    await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
                    if not fetch.done():
                        fetch.cancel()
                        break
                    backlog.extend(fetch.result().get(self.tp, ()))
                    self._end = consumer.highwater(self.tp)
                    idle = not backlog
                produced: list[Outgoing] = []
                started = loop.time()
                while backlog:  # at most SEND_AFTER_S of the batch, then send what it made
                    message = backlog.popleft()
                    produced += self.process(message.value, message.timestamp / 1000.0)
                    next_offset = message.offset + 1
                    if loop.time() - started >= SEND_AFTER_S:
                        break
                later = [out for out in produced if out.after_ack]
                if later:
                    produced = [out for out in produced if not out.after_ack]
                for out in self.pack(produced):
                    pending.append(await self._send(producer, out))
                if later:
                    await asyncio.gather(*pending)  # this batch's impacts acknowledged first
                    for out in later:
                        pending.append(await self._send(producer, out))
                due = loop.time() - last_commit >= self.commit_interval_s
                if next_offset is not None and (idle or due):
                    await self._commit(pending, next_offset)
                    pending, next_offset, last_commit = [], None, loop.time()
                if backlog:
                    await asyncio.sleep(0)  # heartbeats and the other agents run between
        finally:
            stop.cancel()
        if next_offset is not None:  # stopped: the batch in hand is done, commit it
            await self._commit(pending, next_offset)

    async def _send(self, producer: AIOKafkaProducer, out: Outgoing) -> asyncio.Future[Any]:
        future = await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
        if self.letters is not None:
            self.letters.watch(out.topic, future)
        return cast("asyncio.Future[Any]", future)

    async def _commit(self, pending: list[asyncio.Future[Any]], next_offset: int) -> None:
        await asyncio.gather(*pending)  # output acknowledged before the position moves
        await self.journal.commit({self.source: next_offset})
        self._position = next_offset  # progress: output acknowledged, state journalled
