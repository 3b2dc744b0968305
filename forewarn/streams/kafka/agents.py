"""The worker's agents, timers and partition signals as small named classes.

Each agent body decodes a message, calls its stage, and sends what the stage returns (the
decisions live in the stages). ``build_pipeline`` (``app.py``) creates one of each and
registers it; nothing here reads settings or collaborators from the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from forewarn.domain import Notification
from forewarn.streams import records
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.delivery.decisions_first import DecisionsFirst
from forewarn.streams.delivery.history import remember_delivery
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.input.http_ingest import IngestAnswer
from forewarn.streams.kafka.delivery_ledger import DeliveryLedger
from forewarn.streams.kafka.hooks import PipelineHooks
from forewarn.streams.kafka.network_feed import NetworkFeed
from forewarn.streams.kafka.network_journal import StateJournal
from forewarn.streams.kafka.receipt_feed import ReceiptFeed
from forewarn.streams.kafka.slice_mapping import SliceFollower
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.kafka.topology import PipelineTopics
from forewarn.streams.kafka.watchdog import ProgressLog
from forewarn.streams.network.index_reload import IndexReloader

__all__ = ["CustomerAgent", "DeliveryAgent", "HttpSink", "IndexReloadTimer",
           "NetworkOwnership", "TickTimer", "ignore_raw_records"]

log = logging.getLogger(__name__)


async def ignore_raw_records(stream: Any) -> None:
    """Owns ``alarms.raw`` for this worker; the ``NetworkFeed`` reads it (not Faust)."""
    async for event in stream.events():
        log.error("alarms.raw record at offset %d reached Faust's agent; it is read by "
                  "the network feed and was ignored here", event.message.offset)


class CustomerAgent:
    """``impacts`` -> customer stage -> ``notifications.outbox`` (same partition); messages
    the stage cannot decode -> ``notifications.dead-letter`` with their reason."""

    def __init__(self, stage: CustomerStage, outbox: Any, dead_letters: Any,
                 hooks: PipelineHooks, progress: ProgressLog | None = None,
                 prepare: Callable[[], None] | None = None,
                 decisions_first: DecisionsFirst | None = None) -> None:
        self.stage = stage
        self.decisions_first = decisions_first or DecisionsFirst()  # delivery waits meanwhile
        # run in a thread before the first message: work the first confirmations would
        # otherwise do mid-fan-out (the index's id -> position dict)
        self.prepare = prepare
        self.outbox = outbox
        self.dead_letters = dead_letters
        self.hooks = hooks
        self.progress = progress or ProgressLog()  # what the stall watchdog samples
        # Counting a message's changes walks every customer id it names: only for a hook
        # that listens (the benchmarks'), not on every worker's hot path.
        self._reports_impacts = type(hooks).on_impact is not PipelineHooks.on_impact

    async def __call__(self, stream: Any) -> None:
        if self.prepare is not None:
            try:
                await asyncio.to_thread(self.prepare)
            except Exception:  # an optimisation: the first lookups build it instead
                log.exception("customer agent: preparing the index's id lookup failed")
        async for event in stream.events():
            partition, offset = event.message.partition, event.message.offset
            self.progress.taking("customers", partition, offset)
            with self.decisions_first.deciding():
                await self._decide(partition, event.value)
            if self._reports_impacts:
                for message in self.stage.expanded:  # what element-level messages meant
                    if isinstance(message, records.ImpactMessage) \
                            and message.ingested_at is not None:
                        self.hooks.on_impact(message.ingested_at, message.changes())
                for value in records.messages_of(event.value):
                    if isinstance(value, dict) and value.get("kind") == "impact" \
                            and "ingested_at" in value:
                        self.hooks.on_impact(value["ingested_at"], _changes_in(value))
            self.progress.done("customers", partition, offset)

    async def _decide(self, partition: int, value: Any) -> None:
        for record in self.stage.handle(partition, value):
            await self.outbox.send(value=record, partition=partition)
            self.progress.active("customers", partition)  # a large fan-out moves too
        for letter in self.stage.take_dead_letters():
            await self.dead_letters.send(value=letter, partition=partition)


class DeliveryAgent:
    """``notifications.outbox`` -> delivery stage -> ``notifications.delivered``.

    Per notification, inside its delivery slot (``receipt``): the customer's history, then
    the receipt, durable (acknowledged) before the stage records it as sent. The incident
    board counts receipts from the topic (``receipt_feed``), every worker's, not here. A
    drain record is passed on to ``notifications.delivered`` (with the control header, so
    consumers skip it) once everything before it is delivered."""

    def __init__(self, stage: DeliveryStage, ledger: DeliveryLedger, history: Any,
                 topics: PipelineTopics, hooks: PipelineHooks,
                 progress: ProgressLog | None = None) -> None:
        self.stage = stage
        self.ledger = ledger
        self.history = history
        self.topics = topics
        self.hooks = hooks
        self.progress = progress or ProgressLog()  # what the stall watchdog samples

    async def __call__(self, stream: Any) -> None:
        async for event in stream.events():
            partition, offset = event.message.partition, event.message.offset
            self.progress.taking("delivery", partition, offset)
            await self.handle(partition, event.value)
            self.progress.done("delivery", partition, offset)

    async def handle(self, partition: int, value: Any) -> None:
        if self.stage.needs_ledger(partition):  # first message since assignment
            self.stage.remember(partition, await self.ledger.load(partition))

        async def receipt(notification: Notification) -> None:
            await self.receipt(notification, partition)

        result = await self.stage.handle(value, receipt)
        for dead in result.dead_letters:
            await self.topics.notifications_dead_letter.send(value=dead, partition=partition)
        if result.drain is not None:
            await self.topics.delivered.send(value=result.drain.to_wire(), partition=partition,
                                             headers={records.CONTROL_HEADER: b"drain"})
            self.hooks.on_drained(partition, result.drain.token)

    async def receipt(self, notification: Notification, partition: int) -> None:
        self.history[notification.customer_id] = remember_delivery(
            self.history.get(notification.customer_id), notification)
        await (await self.topics.delivered.send(key=notification.customer_id,
                                                value=notification.record(),
                                                partition=partition))
        self.progress.active("delivery", partition)  # a large batch moves one by one
        self.hooks.on_delivered(notification)


class NetworkOwnership:
    """Partition signals: the network feed and the board's receipt feed run exactly while
    this worker owns ``alarms.raw``; revoked customer partitions forget their in-memory
    state; a sliced index maps the slices of the new assignment (``slice_mapping``); on
    shutdown our own clients close.

    Why the slices are mapped beside, not inside, ``on_assigned``: Faust sends that signal
    from the consumer's rebalance listener, and until the listener returns the worker cannot
    rejoin the group. Mapping 8 slices of 10M customers and counting their served customers
    took 10-30 s there; a rebalance meanwhile (the second worker joining) threw the worker
    out after its rebalance timeout, right after it took ``alarms.raw`` (issue 13's lost
    fan-out). So the mapping runs in a task, the network feed starts when it is done, and
    the customer and delivery agents wait for it as before (``SliceFollower.barrier``:
    Faust resumes their partitions only after ``on_rebalance_complete``, which is sent
    outside the listener)."""

    def __init__(self, names: TopicNames, feed: NetworkFeed, receipts: ReceiptFeed,
                 state_topic: Any, customers: CustomerStage, delivery: DeliveryStage,
                 ledger: DeliveryLedger, journal: StateJournal,
                 slices: SliceFollower | None = None) -> None:
        self.names = names
        self.slices = slices  # a sliced index: map the assignment's slices first
        self.feed = feed
        self.receipts = receipts
        self.state_topic = state_topic
        self.customers = customers
        self.delivery = delivery
        self.ledger = ledger
        self.journal = journal
        self._assignment = 0  # which assignment a pending start belongs to
        self._starting: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # held until done (asyncio's advice)

    async def on_revoked(self, sender: Any, revoked: Any, **_: Any) -> None:
        self._assignment += 1  # a start still mapping slices must not start the feed
        self.customers.forget()
        self.delivery.forget({tp.partition for tp in revoked if tp.topic == self.names.outbox})
        if any(tp.topic == self.names.alarms_raw for tp in revoked):
            await self.feed.stop()
            await self.receipts.stop()

    async def on_assigned(self, sender: Any, assigned: Any, **_: Any) -> None:
        self._assignment += 1
        network = any(tp.topic == self.names.alarms_raw for tp in assigned)
        if network:
            await self.state_topic.maybe_declare()  # before the journal's first write
        if self.slices is None:
            if network:
                self._start_feeds()
            return
        task = self._starting = asyncio.create_task(
            self._map_then_start(set(assigned), network, self._assignment, sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def started(self) -> None:
        """Returns once the slices of the latest assignment are mapped and, if it holds
        ``alarms.raw``, the feeds started."""
        while (task := self._starting) is not None:
            await asyncio.shield(task)
            if task is self._starting:
                return

    async def _map_then_start(self, assigned: set[Any], network: bool, assignment: int,
                              app: Any) -> None:
        try:
            assert self.slices is not None
            await self.slices.follow(assigned)  # before the feed: it reads every slice
        except Exception as exc:  # a slice that cannot be read: what the listener did
            log.exception("mapping the index slices of the assignment failed")
            if app is not None:
                await app.crash(exc)
            return
        if network and assignment == self._assignment:  # not revoked meanwhile
            self._start_feeds()

    def _start_feeds(self) -> None:
        self.feed.start()
        self.receipts.start()

    async def on_shutdown(self, sender: Any, **_: Any) -> None:
        self._assignment += 1
        await self.feed.stop()
        await self.receipts.stop()
        await self.ledger.close()
        await self.journal.reader.close()


class TickTimer:
    """Live mode: the wall clock, through the network stage, so that window timers and
    ticks reach every customer partition in one order."""

    def __init__(self, raw_topic: Any, clock: Callable[[], float]) -> None:
        self.raw_topic = raw_topic
        self.clock = clock

    async def __call__(self) -> None:
        await self.raw_topic.send(value=records.encode(records.tick_record(self.clock())),
                                  partition=0)


class IndexReloadTimer:
    """Every worker points its own lookups at a new index version; the network stage
    swaps when it reads the reload record, between two records."""

    def __init__(self, reloader: IndexReloader, raw_topic: Any,
                 clock: Callable[[], float]) -> None:
        self.reloader = reloader
        self.raw_topic = raw_topic
        self.clock = clock

    async def __call__(self) -> None:
        control = await asyncio.to_thread(self.reloader.poll, self.clock())
        if control is not None:
            await self.raw_topic.send(value=records.encode(control), partition=0)


class HttpSink:
    """Publishes one HTTP request's accepted records on ``alarms.raw`` and returns once the
    broker has acknowledged every one of them (``producer_acks=-1``: all in-sync replicas),
    so a 202 means durable; raises (the caller answers 503) when any is not acknowledged
    within ``ack_timeout_s``.

    Not transactional: the records are queued together (one partition, so mostly one
    produce batch, where a failure fails them all), but a partial write is possible and the
    client is told to retry. A retried record is harmless: a raise of an alarm id that is
    already active only updates it, a clear of a cleared one is no change, and delivery is
    idempotent on ``notification_id``. Parsing happened before (the whole request is
    validated before anything is published).

    Dead letters are written in the background afterwards: they are diagnostics, so they
    neither delay nor fail the answer for the valid records."""

    def __init__(self, raw_topic: Any, dead_letter_topic: Any, ack_timeout_s: float) -> None:
        self.raw_topic = raw_topic
        self.dead_letter_topic = dead_letter_topic
        self.ack_timeout_s = ack_timeout_s
        self._letter_tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, answer: IngestAnswer) -> None:
        if answer.records:  # queueing may block too (metadata, a full buffer): bounded
            await asyncio.wait_for(self._publish(answer), self.ack_timeout_s)
        if answer.dead_letters:
            task = asyncio.create_task(_send_letters(self.dead_letter_topic,
                                                     answer.dead_letters))
            self._letter_tasks.add(task)
            task.add_done_callback(self._letter_tasks.discard)

    async def _publish(self, answer: IngestAnswer) -> None:
        pending = [await self.raw_topic.send(value=records.encode(records.normalised(r)),
                                             partition=0, force=True)
                   for r in answer.records]
        await asyncio.gather(*pending)


async def _send_letters(topic: Any, letters: list[dict[str, Any]]) -> None:
    """One request's dead letters, yielding to the event loop between slices so that a
    request of thousands of invalid records does not stall health checks; a failure is
    logged (the client already had its answer naming every field)."""
    try:
        for start in range(0, len(letters), 200):
            for letter in letters[start:start + 200]:
                await topic.send(value=letter, force=True)
            await asyncio.sleep(0)
    except Exception:
        log.exception("ingest: writing %d dead letter(s) failed", len(letters))


def _changes_in(impact: dict[str, Any]) -> int:
    """How many customer/service changes an ``impact`` message carries (counted, not built)."""
    return sum(len(ids) for direction in ("out", "back", "planned")
               for ids in (impact.get(direction) or {}).values())
