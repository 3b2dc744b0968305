"""The Faust application: topics, tables and thin agents around the pure stages.

``build_pipeline`` is the one place that wires the whole pipeline (compare Alertmanager's
``PipelineBuilder``). Each agent body decodes a message, calls its stage, and sends what the
stage returns; the decisions live in ``forewarn.streams.network.stage`` and below. The network
stage is the exception to "each stage is an agent": Faust assigns ``alarms.raw`` to one
worker, and there a ``NetworkFeed`` reads it in batches (``network_feed`` says why).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import faust
from faust.utils import json as faust_json

from forewarn.config import Settings
from forewarn.domain import Decision, Notification
from forewarn.streams import records
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.delivery.history import remember_delivery
from forewarn.streams.delivery.policy import Deferrals, DeliveryPolicy, PolicySettings
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.input.normalise import dead_letter
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.delivery_ledger import DeliveryLedger
from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.network_feed import NetworkFeed, Outgoing, batch_envelopes
from forewarn.streams.kafka.network_journal import StateJournal
from forewarn.streams.kafka.tls import aiokafka_security, faust_credentials
from forewarn.streams.kafka.topics import COMPRESSION, TopicNames
from forewarn.streams.kafka.transport import broker_url_for
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.event_time import EventTimeGuard
from forewarn.streams.network.flapping import FlapDetector
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.index_reload import IndexReloader, LiveIndex, ReloadingNetworkStage
from forewarn.streams.network.refusals import RecordRefused
from forewarn.streams.network.stage import NetworkStage, correlation_failure
from forewarn.streams.network.windows import MaintenanceSchedule
from forewarn.templates import MessageRenderer

__all__ = ["Pipeline", "PipelineOptions", "build_pipeline"]

log = logging.getLogger(__name__)


@dataclass
class PipelineOptions:
    """How one worker runs: where the broker is, live or replay, where messages go."""

    bootstrap: str
    settings: Settings
    deliver: Callable[[Notification], Awaitable[Notification]]
    live: bool = True
    clock: Callable[[], float] = time.time  # live mode: what "now" is for ticks
    tick_interval_s: float = 1.0
    web_port: int | None = None
    web_host: str = "127.0.0.1"
    topic_prefix: str = ""
    app_id: str | None = None
    on_delivered: Callable[[Notification], None] | None = None
    on_decision: Callable[[Decision], None] | None = None
    on_drained: Callable[[int, str], None] | None = None
    # Benchmarks: a raw record (not a live tick) was correlated (its Kafka timestamp, s);
    # an impact message reached its customer partition (the raw record's timestamp,
    # customers changed).
    datadir: str | None = None  # Faust's folder (APP_DATADIR overrides); default: a temp dir
    on_record: Callable[[float], None] | None = None
    on_impact: Callable[[float, int], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pipeline:
    app: faust.App
    topics: TopicNames
    board: IncidentBoard
    normalise: NormaliseStage
    network: NetworkStage
    customers: CustomerStage
    delivery: DeliveryStage
    tables: dict[str, Any] = field(default_factory=dict)


def build_pipeline(index: Any, options: PipelineOptions) -> Pipeline:
    """A Faust app carrying forewarn's stages for one region index."""
    settings = options.settings
    kafka = settings.kafka
    partitions = kafka.partitions
    names = TopicNames(options.topic_prefix or kafka.topic_prefix)
    app = faust.App(
        options.app_id or kafka.app_id,
        broker=broker_url_for(options.bootstrap),
        store="memory://",
        topic_partitions=partitions,
        topic_replication_factor=kafka.replication_factor,
        broker_credentials=faust_credentials(kafka),
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=max(0.5, kafka.session_timeout_s / 6),
        broker_rebalance_timeout=max(kafka.session_timeout_s, 6.0),
        broker_request_timeout=max(30.0, kafka.session_timeout_s * 2),
        producer_linger_ms=5,
        producer_acks=-1,  # acks=all: an HTTP 202 waits for every in-sync replica
        # A confirmed incident sends ~100 outbox records of ~110 KB per partition; with the
        # 16 KB default every record is a batch of its own and each send waits for the
        # previous one to be drained. Under Kafka's 1 MB default message.max.bytes.
        producer_max_batch_size=768 * 1024,
        producer_compression_type=COMPRESSION,
        web_enabled=options.web_port is not None,
        web_port=options.web_port or 6066,
        web_bind=options.web_host,
        web_in_thread=False,
        # Tables live in memory (changelogged to Kafka); Faust still wants a folder for its
        # own files, which must not litter the working directory.
        datadir=options.datadir or tempfile.mkdtemp(prefix="forewarn-faust-"),
    )
    app.forewarn_fetch_max_wait_ms = kafka.fetch_max_wait_ms  # type: ignore[attr-defined]
    security = aiokafka_security(kafka)  # TLS/SASL for our own aiokafka clients
    # Our transport's probe for true end offsets (table recovery) connects like the feed;
    # it also reads the fetch wait above. (Faust's App declares neither attribute.)
    client_options = {"bootstrap_servers": options.bootstrap, **security}
    app.forewarn_client_options = client_options  # type: ignore[attr-defined]

    # One partition: the network's records are correlated in one order (docs/architecture.md).
    raw_topic = app.topic(names.alarms_raw, partitions=1, value_serializer="raw", internal=True)
    alarms_dead = app.topic(names.alarms_dead_letter, partitions=1, value_serializer="json",
                            internal=True)
    impacts_topic = app.topic(names.impacts, partitions=partitions, value_serializer="json",
                              internal=True)
    outbox_topic = app.topic(names.outbox, partitions=partitions, value_serializer="json",
                             internal=True)
    delivered_topic = app.topic(names.delivered, partitions=partitions, value_serializer="json",
                                internal=True)
    notifications_dead = app.topic(names.notifications_dead_letter, partitions=partitions,
                                   value_serializer="json", internal=True)

    # The network stage's state: journalled by the feed itself, not Faust tables.
    state_topic = app.topic(names.network_state, partitions=1, internal=True, compacting=True,
                            value_serializer="raw")
    journal = StateJournal(FenceReader(options.bootstrap, client_id=f"{app.conf.id}-network",
                                       client_options=security),
                           names.network_state, dead_letter_topic=names.alarms_dead_letter)
    element_table = journal.table("elements")
    window_table = journal.table("windows")
    incident_table = journal.table("incidents")
    cut_table = journal.table("cuts")  # raised cable cuts by cut_id

    def customer_table(name: str) -> Any:
        """A table that grows with customers: in RocksDB when configured (kafka.table_store).
        The store URL's path is the file name under Faust's tabledir (a bare ``rocksdb://``
        is falsy to yarl, and Faust would quietly fall back to the app's memory store)."""
        store = f"rocksdb:{name}" if kafka.table_store == "rocksdb" else None
        return app.Table(name, default=None, partitions=partitions, store=store)

    episode_table = customer_table("episodes")
    sent_table = customer_table("sent")
    policy_table = customer_table("delivery_policy")
    deferred_table = customer_table("deferred")
    history_table = customer_table("history")

    board = IncidentBoard(keep_ended_s=settings.web.resolved_visible_s)  # incident pages
    normalise = NormaliseStage()
    elements = ElementStates(element_table, settings.correlation.down_severities,
                             settings.correlation.max_open_alarms_per_element)
    correlator = NetworkCorrelator(
        index, elements, MaintenanceSchedule(window_table), incident_table,
        notice_before_s=settings.notify.notice_before_s,
        flapping=FlapDetector(settings.correlation.flap_changes,
                              settings.correlation.flap_window_s),
        cuts=cut_table,
        event_time=EventTimeGuard(settings.correlation.max_future_skew_s,
                                  settings.correlation.max_age_s, live=options.live),
    )
    live = LiveIndex(index)  # customer lookups follow index versions (hot reload)
    reloader = IndexReloader(Path(settings.index.dir), live) if settings.index.dir else None
    network = ReloadingNetworkStage(correlator, partitions, reloader)
    customers = CustomerStage.from_settings(episode_table, partitions, settings,
                                            customer=live.customer,
                                            on_decision=options.on_decision)
    renderer = MessageRenderer(settings.notify.status_url, settings.notify.default_language)
    dispatcher = getattr(options.deliver, "__self__", None)  # a Dispatcher, or None (replay)
    delivery = DeliveryStage(
        live.customer, renderer, options.deliver, sent_table,
        policy=DeliveryPolicy(PolicySettings.from_settings(settings), policy_table,
                              Deferrals(deferred_table),
                              channels=getattr(dispatcher, "channels", None)),
        metrics=getattr(dispatcher, "metrics", None),  # one registry with the dispatcher's
        concurrency=settings.delivery.concurrency,
    )
    # Delivered ids read back from notifications.delivered up to a fence we write ourselves:
    # exact even where table recovery is not (the embedded broker's ListOffsets).
    ledger = DeliveryLedger(options.bootstrap, names.delivered, client_options=security)

    # Event times are checked against the broker's timestamp, never later than now (a
    # producer may set a record's CreateTime itself; re-reading old input after a restart
    # gives the same answer). A live pipeline on a story clock (the demo runs time faster)
    # is checked against that clock instead.
    wall_clock = options.clock is time.time

    def correlate(raw: bytes, timestamp: float) -> list[Outgoing]:
        """Parse and correlate one raw record: what it sends to dead letters and impacts."""
        accepted, dead = normalise.handle(raw)
        received_at = min(timestamp, time.time()) if wall_clock else options.clock()
        out = [Outgoing(names.alarms_dead_letter, None, _encode(letter)) for letter in dead]
        for value in accepted:
            try:
                produced = network.handle(value, received_at)
            except RecordRefused as refused:  # hostile or excess input: told, not applied
                out.append(Outgoing(names.alarms_dead_letter, None,
                                    _encode(_refusal(value, refused))))
                continue
            except Exception as exc:  # a bug must not stop the network for everyone
                log.exception("correlating a record failed; it goes to the dead letters")
                out.append(Outgoing(names.alarms_dead_letter, None,
                                    _encode(correlation_failure(raw, exc))))
                continue
            for partition, record in produced:
                board.record(record)
                if record.get("kind") == "impact":
                    record["ingested_at"] = timestamp  # seconds
                out.append(Outgoing(names.impacts, partition, _encode(record)))
        if options.on_record and not any(_is_tick(v) for v in accepted):
            options.on_record(timestamp)
        return out

    async def feed_failed(exc: BaseException) -> None:
        await app.crash(exc)  # state in memory may be ahead of the journal: start afresh

    feed = NetworkFeed(bootstrap=options.bootstrap, topic=names.alarms_raw, journal=journal,
                       process=correlate, on_loaded=correlator.rebuild, on_failure=feed_failed,
                       pack=functools.partial(batch_envelopes, names.impacts),
                       client_options=security, fetch_max_wait_ms=kafka.fetch_max_wait_ms,
                       client_id=f"{app.conf.id}-network")
    # Readiness (runner.worker_ready); topics not fetched by Faust (transport).
    app.forewarn_network_feed = feed  # type: ignore[attr-defined]
    app.forewarn_fed_topics = frozenset({names.alarms_raw})  # type: ignore[attr-defined]

    # Faust types a receiver as (sender, *args, signal=..., **kwargs); ours name the one
    # argument each signal sends.
    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def _on_revoked(sender: Any, revoked: Any, **_: Any) -> None:
        customers.forget()
        delivery.forget({tp.partition for tp in revoked if tp.topic == names.outbox})
        if any(tp.topic == names.alarms_raw for tp in revoked):
            await feed.stop()

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def _on_assigned(sender: Any, assigned: Any, **_: Any) -> None:
        if any(tp.topic == names.alarms_raw for tp in assigned):
            await state_topic.maybe_declare()  # before the journal's first write
            feed.start()

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def _close_clients(sender: Any, **_: Any) -> None:
        await feed.stop()
        await ledger.close()
        await journal.reader.close()

    @app.agent(raw_topic, name="network")
    async def network_agent(stream: Any) -> None:
        """Owns ``alarms.raw`` for this worker; the ``NetworkFeed`` reads it (not Faust)."""
        async for event in stream.events():
            log.error("alarms.raw record at offset %d reached Faust's agent; it is read by "
                      "the network feed and was ignored here", event.message.offset)

    @app.agent(impacts_topic, name="customers")
    async def customer_agent(stream: Any) -> None:
        async for event in stream.events():
            partition = event.message.partition
            for record in customers.handle(partition, event.value):
                await outbox_topic.send(value=record, partition=partition)
            if options.on_impact:
                for value in records.messages_of(event.value):
                    if "ingested_at" in value:
                        options.on_impact(value["ingested_at"], _changes_in(value))

    @app.agent(outbox_topic, name="delivery")
    async def delivery_agent(stream: Any) -> None:
        async for event in stream.events():
            partition, value = event.message.partition, event.value
            if delivery.needs_ledger(partition):  # first message since assignment
                delivery.remember(partition, await ledger.load(partition))

            async def receipt(notification: Notification, partition: int = partition) -> None:
                """Per notification, inside its delivery slot: history, then the receipt,
                durable (acknowledged) before the stage records it as sent."""
                board.record_delivery(notification)
                history_table[notification.customer_id] = remember_delivery(
                    history_table.get(notification.customer_id), notification)
                await (await delivered_topic.send(key=notification.customer_id,
                                                  value=notification.record(),
                                                  partition=partition))
                if options.on_delivered:
                    options.on_delivered(notification)

            result = await delivery.handle(value, receipt)
            for dead in result.dead_letters:
                await notifications_dead.send(value=dead, partition=partition)
            if records.is_control(value):
                await delivered_topic.send(value=value, partition=partition,
                                           headers={records.CONTROL_HEADER: b"drain"})
                if options.on_drained:
                    options.on_drained(partition, str(value.get("token")))

    if options.live:
        @app.timer(interval=options.tick_interval_s, on_leader=True)
        async def wall_clock_tick() -> None:
            # Through the network stage, so window timers and ticks stay in one order.
            await raw_topic.send(value=records.encode(records.tick_record(options.clock())),
                                 partition=0)

    if reloader is not None and options.live:
        @app.timer(interval=settings.index.reload_interval_s)
        async def index_reload_poll() -> None:
            # Every worker points its own lookups at the new version; the network agent
            # swaps when it reads the record, between two records, inside a stream event.
            control = await asyncio.to_thread(reloader.poll, options.clock())
            if control is not None:
                await raw_topic.send(value=records.encode(control), partition=0)

    if options.web_port is not None:
        from forewarn.streams.input.http_ingest import IngestAnswer
        from forewarn.streams.web.routes import register_pages

        letter_tasks: set[asyncio.Task[None]] = set()

        async def http_sink(answer: IngestAnswer) -> None:
            """Publish one request's accepted records and return once the broker has
            acknowledged every one of them (``producer_acks=-1``: all in-sync replicas), so a
            202 means durable; raises (the caller answers 503) when any is not acknowledged
            within ``api.ack_timeout_s``.

            Not transactional: the records are queued together (one partition, so mostly one
            produce batch, where a failure fails them all), but a partial write is possible
            and the client is told to retry. A retried record is harmless: a raise of an
            alarm id that is already active only updates it, a clear of a cleared one is no
            change, and delivery is idempotent on ``notification_id``. Parsing happened before
            (the whole request is validated before anything is published).

            Dead letters are written in the background afterwards: they are diagnostics, so
            they neither delay nor fail the answer for the valid records."""
            async def publish() -> None:
                pending = [await raw_topic.send(value=records.encode(records.normalised(r)),
                                                partition=0, force=True)
                           for r in answer.records]
                await asyncio.gather(*pending)

            if answer.records:  # queueing may block too (metadata, a full buffer): bounded
                await asyncio.wait_for(publish(), settings.api.ack_timeout_s)
            if answer.dead_letters:
                task = asyncio.create_task(_send_letters(alarms_dead, answer.dead_letters))
                letter_tasks.add(task)
                task.add_done_callback(letter_tasks.discard)

        register_pages(app, board=board, settings=settings, sink=http_sink, index=index,
                       tables={"episodes": episode_table, "history": history_table},
                       network_topic=names.alarms_raw,
                       partitions=partitions, deliver=options.deliver,
                       stages={"normalise": normalise, "network": network,
                               "customers": customers, "delivery": delivery})

    return Pipeline(app, names, board, normalise, network, customers, delivery,
                    tables={"elements": element_table, "windows": window_table,
                            "incidents": incident_table, "episodes": episode_table,
                            "sent": sent_table, "history": history_table})


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


def _refusal(value: Any, refused: RecordRefused) -> dict[str, Any]:
    """The dead letter of a record the network refused: the reason and that record alone
    (not the whole message it came in: a flood of refusals must not copy a payload each)."""
    record = value if isinstance(value, dict) else records.input_to_record(value)
    text = json.dumps(record, separators=(",", ":"), default=str)
    return {**dead_letter(text, str(refused), refused.field, refused.problem),
            "refusal": refused.reason}


def _is_tick(value: Any) -> bool:
    return records.is_control(value) and value.get("control") == records.TICK


def _changes_in(impact: dict[str, Any]) -> int:
    """How many customer/service changes an ``impact`` message carries (counted, not built)."""
    return sum(len(ids) for direction in ("out", "back", "planned")
               for ids in (impact.get(direction) or {}).values())


def _encode(value: Any) -> bytes:
    """JSON as Faust's ``json`` serializer writes it (the agents downstream decode it); bytes
    from orjson (which Faust uses when installed), str from the standard library."""
    encoded = cast("str | bytes", faust_json.dumps(value))  # typed str; orjson gives bytes
    return encoded if isinstance(encoded, bytes) else encoded.encode()

