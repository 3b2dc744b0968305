"""A Faust transport with a configurable fetch wait that leaves "fed" topics alone.

Faust hard-codes aiokafka's ``fetch_max_wait_ms=1500``. A broker that answers a waiting
fetch only when the wait runs out (the embedded Tansu broker does) then delays every event by
about a second. This driver keeps everything else of Faust's aiokafka transport, shortens
that wait, and never hands Faust records of the app's ``ClientSettings.fed_topics``
(``worker_app``):
those are assigned by the consumer group as usual (that is how a worker learns it owns them)
but read by our own consumer (``network_feed``). Registered under the scheme ``fwkafka://``.

It also makes Faust's seek to the committed offsets after a rebalance safe. Faust's recovery
resumes the stream partitions and only then seeks them to their committed offsets, with the
flow already running: the fetcher hands records from before the seek to the agents and moves
its read offsets past them, then the recovery's ``flow_control.resume()`` clears every
agent's queue (``clear_on_resume``), and the copies fetched again after the seek are
dropped as already read ("DROPPED MESSAGE ROFF"). Those messages were never processed and
never acked; with one missing Faust even commits past it. A worker that took over a
partition silently skipped its first outbox batches (or, with a wider gap, stopped
committing it). ``perform_seek`` here stops the flow, waits until the fetcher has let go of
the batch it was handing over, and only then seeks and resets the read offsets; the
recovery resumes the flow right after (clearing the queues first), so everything from the
committed offset on is fetched and handed over again. A message an agent had already taken
may be processed twice (at least once, as Faust promises; the stages are idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

from forewarn.streams.kafka.worker_app import WorkerApp, client_settings

__all__ = ["SCHEME", "Transport", "broker_url_for"]

SCHEME = "fwkafka"
SEEK_SETTLE_TIMEOUT_S = 10.0
HIGHWATER_PROBE_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)


def _kafka_tp(tp: Any) -> TopicPartition:
    """aiokafka's own TopicPartition (it rejects Faust's TP of the same shape)."""
    return TopicPartition(tp.topic, tp.partition)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = client_settings(self.app).fetch_max_wait_ms
        consumer._fetch_max_wait_ms = int(wait_ms)  # read by aiokafka when its fetcher starts
        return consumer

    async def _highwaters(self, partitions: Any) -> Any:
        """End offsets for table recovery, from a fetch response's high watermark.

        Faust recovers a table up to ListOffsets(latest), which the embedded broker answers
        with the base offset of the last batch + 1: every record after the first of the last
        batch was silently not recovered (a restart forgot customers' open episodes). The
        high watermark in a fetch response is right, so a group-less probe consumer fetches
        from that offset and reports it. On a real Kafka both agree.
        """
        listed = dict(await super()._highwaters(partitions))
        options = client_settings(self.app).client_options
        if not options or not partitions:
            return listed
        probe = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False,
                                 fetch_max_wait_ms=50)
        await probe.start()
        try:
            wanted = {_kafka_tp(tp): tp for tp in partitions}
            probe.assign(list(wanted))
            for ktp, tp in wanted.items():
                probe.seek(ktp, max(int(listed.get(tp) or 0), 0))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + HIGHWATER_PROBE_TIMEOUT_S
            while loop.time() < deadline:
                await probe.getmany(timeout_ms=100, max_records=1)
                if all(probe.highwater(ktp) is not None for ktp in wanted):
                    break
            for ktp, tp in wanted.items():
                seen = probe.highwater(ktp)
                if seen is not None and seen > (listed.get(tp) or 0):
                    log.info("%s[%d]: end offset %d, not %s as ListOffsets said", tp.topic,
                             tp.partition, seen, listed.get(tp))
                    listed[tp] = seen
        finally:
            await probe.stop()
        return listed

    async def on_partitions_assigned(self, assigned: Any, generation_id: int = 0) -> None:
        # Runs on the consumer's thread, right after aiokafka set the new assignment. A fed
        # topic must be paused in aiokafka itself, not only hidden from Faust: aiokafka sends
        # no fetch to a broker while any partition there has records nobody takes (for its
        # prefetch backoff), so an unread alarms.raw batch delayed every other partition by
        # ~100 ms per round (measured: impacts reached the customer stage ~0.5 s late).
        fed = client_settings(self.app).fed_topics
        paused = [_kafka_tp(tp) for tp in assigned if tp.topic in fed]
        if paused:
            self._ensure_consumer().pause(*paused)
        await super().on_partitions_assigned(assigned, generation_id)


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        # Faust names its thread class in a class attribute but constructs it by name
        # here, so a subclass's thread is only used if this is overridden too (without it
        # none of _ConsumerThread's fixes applied: the fetch wait stayed at 1.5 s).
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    # Faust "pauses" a partition (changelogs once recovered, streams while recovering) only
    # in its own bookkeeping, so aiokafka keeps fetching it; records nobody takes then hold
    # back every fetch to that broker (see _ConsumerThread.on_partitions_assigned). These
    # two forward the pause to aiokafka, on the consumer's own thread.
    def pause_partitions(self, tps: Any) -> None:
        tps = set(tps)
        super().pause_partitions(tps)
        self._in_consumer_thread("pause", tps)

    def resume_partitions(self, tps: Any) -> None:
        tps = set(tps)
        super().resume_partitions(tps)
        fed = client_settings(self.app).fed_topics
        self._in_consumer_thread("resume", {tp for tp in tps if tp.topic not in fed})

    def _in_consumer_thread(self, action: str, tps: set[Any]) -> None:
        thread = getattr(self, "_thread", None)
        consumer = getattr(thread, "_consumer", None)
        loop = getattr(thread, "thread_loop", None)
        if not tps or consumer is None or loop is None:
            return

        def apply() -> None:
            assigned = consumer.assignment()
            wanted = [tp for tp in map(_kafka_tp, tps) if tp in assigned]
            if wanted:
                getattr(consumer, action)(*wanted)

        loop.call_soon_threadsafe(apply)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch_released = asyncio.Event()  # set: the fetcher holds no batch
        self._batch_released.set()
        self._fetch_task: asyncio.Task[Any] | None = None

    async def _wait_next_records(self, timeout: float) -> Any:
        """Faust's; between two batches (also while parked on a stopped flow) the fetcher
        holds none, from the moment records come back until ``getmany`` ends it does."""
        self._fetch_task = asyncio.current_task()
        self._batch_released.set()
        records, active = await super()._wait_next_records(timeout)
        if records:
            self._batch_released.clear()
        return records, active

    async def getmany(self, timeout: float) -> AsyncIterator[Any]:
        """Faust's, marking when the batch has been handed over (see the module doc)."""
        try:
            async for item in super().getmany(timeout):
                yield item
        finally:
            self._batch_released.set()

    async def perform_seek(self) -> None:
        """Seek to the committed offsets with no record from before the seek in flight."""
        if asyncio.current_task() is not self._fetch_task:  # not Faust's own seek in getmany
            self.stop_flow()  # the fetcher hands over no further record of its batch
            try:
                await asyncio.wait_for(self._batch_released.wait(), SEEK_SETTLE_TIMEOUT_S)
            except TimeoutError:
                log.warning("the fetcher did not let go of its batch within %.0f s; seeking "
                            "anyway", SEEK_SETTLE_TIMEOUT_S)
        await super().perform_seek()

    def verify_event_path(self, now: float, tp: Any) -> None:
        """Faust's liveness check of a partition, except for partitions Faust does not fetch
        on purpose, for which it would log "Aiokafka has not sent fetch request ... since
        start" every few seconds once ``stream_processing_timeout`` (300 s) has passed: fed
        topics (paused above; ``network_feed`` reads them) and the changelogs of the tables
        this worker owns, which Faust reads only while recovering (then
        ``verify_recovery_event_path`` watches them) and pauses afterwards."""
        if tp.topic in client_settings(self.app).fed_topics:
            return None
        if tp in self._paused_partitions and self._is_changelog_tp(tp):
            return None
        return super().verify_event_path(now, tp)

    def _get_active_partitions(self) -> Any:
        active = super()._get_active_partitions()
        fed = client_settings(self.app).fed_topics
        if fed:
            active.difference_update([tp for tp in active if tp.topic in fed])
        return active


class _Producer(faust_aiokafka.Producer):
    async def send(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        """Faust's, with ``topic`` tracked in the client's metadata first.

        aiokafka only tracks a topic it had to look up: one already known from an
        all-topics metadata answer is sent to untracked, and the next metadata refresh
        (which asks for the tracked topics only, once there are any) drops it. A batch for
        it then has no leader and is never sent; ``flush`` (Faust's commit, its stop) waits
        for it forever. That hung ``forewarn replay`` of a one-notification story (the
        history changelog's only record) in 4 runs of 4.
        """
        client = self._ensure_producer().client
        if topic not in client._topics:
            client.add_topic(topic)  # refreshes metadata in the background
        future = await super().send(topic, *args, **kwargs)
        # Dead letters counted once acknowledged (aiokafka's send answers a Future).
        if isinstance(self.app, WorkerApp) and isinstance(future, asyncio.Future):
            self.app.letters.watch(topic, future)
        return future


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with a configurable fetch wait."""

    Consumer = _Consumer
    Producer = _Producer


TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:Transport")


def broker_url_for(bootstrap: str) -> str:
    """The Faust broker URL that selects this transport for ``host:port[,host:port]``."""
    return f"{SCHEME}://{bootstrap}"
