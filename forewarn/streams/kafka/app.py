"""The Faust application: ``build_pipeline`` wires forewarn's stages to topics and tables.

It reads as a list (compare Alertmanager's ``PipelineBuilder``): the app, its topics and
tables (``topology``), the pure stages (``_stages``), then one line per agent, timer and
signal (``agents``). The network stage is the exception to "each stage is an agent": Faust
assigns ``alarms.raw`` to one worker, and there a ``NetworkFeed`` reads it in batches
(``network_feed`` says why) and hands each record to a ``NetworkStep``. Settings and
collaborators are passed to each piece explicitly; what reports to the outside goes
through ``hooks.PipelineHooks``.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forewarn.config import Settings
from forewarn.domain import Notification
from forewarn.geo import RegionIndex
from forewarn.geo.slices import SlicedIndex
from forewarn.notifiers import DeliveryMetrics
from forewarn.streams.customers.network_view import NetworkView
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.delivery.policy import Deferrals, DeliveryPolicy, PolicySettings
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.input.contact_forward import ContactForwarder
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.agents import (
    CustomerAgent,
    DeliveryAgent,
    HttpSink,
    IndexReloadTimer,
    NetworkOwnership,
    TickTimer,
    ignore_raw_records,
)
from forewarn.streams.kafka.contact_forward import ContactForwardAgent
from forewarn.streams.kafka.delivery_ledger import DeliveryLedger
from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.hooks import NO_HOOKS, PipelineHooks
from forewarn.streams.kafka.network_feed import NetworkFeed, batch_envelopes
from forewarn.streams.kafka.network_journal import StateJournal
from forewarn.streams.kafka.network_step import NetworkStep
from forewarn.streams.kafka.receipt_feed import ReceiptFeed
from forewarn.streams.kafka.slice_mapping import SliceFollower
from forewarn.streams.kafka.stall import StallDetector
from forewarn.streams.kafka.suspicion_webhook import SuspicionWebhook
from forewarn.streams.kafka.tls import aiokafka_security, faust_credentials
from forewarn.streams.kafka.topics import COMPRESSION, TopicNames
from forewarn.streams.kafka.topology import (
    CustomerTables,
    declare_customer_tables,
    declare_topics,
)
from forewarn.streams.kafka.transport import broker_url_for
from forewarn.streams.kafka.watchdog import ProgressLog, Watchdog
from forewarn.streams.kafka.worker_app import ClientSettings, WorkerApp
from forewarn.streams.network.board_snapshot import board_snapshot
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.event_time import EventTimeGuard
from forewarn.streams.network.flapping import FlapDetector
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.index_reload import IndexReloader, LiveIndex, ReloadingNetworkStage
from forewarn.streams.network.serving import served_counts
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.suspicion import SuspicionDetector
from forewarn.streams.network.transitions import ImpactMemo
from forewarn.streams.network.windows import MaintenanceSchedule
from forewarn.templates import MessageRenderer

__all__ = ["Pipeline", "PipelineOptions", "build_pipeline"]


@dataclass
class PipelineOptions:
    """How one worker runs: where the broker is, live or replay, where messages go.

    ``deliver`` sends one notification; ``channels`` are the channels it can deliver to
    (None: every channel) and ``delivery_metrics`` its metrics, which the delivery stage
    shares (one registry on ``/metrics``); a ``Dispatcher`` gives all three."""

    bootstrap: str
    settings: Settings
    deliver: Callable[[Notification], Awaitable[Notification]]
    channels: tuple[str, ...] | None = None
    delivery_metrics: DeliveryMetrics | None = None
    live: bool = True
    clock: Callable[[], float] = time.time  # live mode: what "now" is for ticks
    tick_interval_s: float = 1.0
    web_port: int | None = None
    web_host: str = "127.0.0.1"
    topic_prefix: str = ""
    app_id: str | None = None
    hooks: PipelineHooks = NO_HOOKS
    datadir: str | None = None  # Faust's folder (APP_DATADIR overrides); default: a temp dir
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pipeline:
    app: WorkerApp
    topics: TopicNames
    board: IncidentBoard
    normalise: NormaliseStage
    network: NetworkStage
    customers: CustomerStage
    delivery: DeliveryStage
    tables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Stages:
    """The pure stages of one worker and what they share."""

    board: IncidentBoard
    normalise: NormaliseStage
    correlator: NetworkCorrelator
    network: NetworkStage
    customers: CustomerStage
    delivery: DeliveryStage
    reloader: IndexReloader | None


def build_pipeline(index: Any, options: PipelineOptions) -> Pipeline:
    """A Faust app carrying forewarn's stages for one region index."""
    settings, kafka = options.settings, options.settings.kafka
    names = TopicNames(options.topic_prefix or kafka.topic_prefix)
    security = aiokafka_security(kafka)  # TLS/SASL for our own aiokafka clients
    app = _faust_app(options, ClientSettings(
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        # Our transport's probe for true end offsets (table recovery) connects like the feed.
        client_options={"bootstrap_servers": options.bootstrap, **security},
        fed_topics=frozenset({names.alarms_raw}),  # read by the network feed, not by Faust
        # Dead letters are counted for /metrics once the broker acknowledged them.
        dead_letter_topics={names.alarms_dead_letter: "alarms.dead-letter",
                            names.notifications_dead_letter: "notifications.dead-letter"},
    ))
    topics = declare_topics(app, names, kafka.partitions)
    # The network stage's state: journalled by the feed itself, not Faust tables.
    journal = StateJournal(FenceReader(options.bootstrap, client_id=f"{app.conf.id}-network",
                                       client_options=security),
                           names.network_state, dead_letter_topic=names.alarms_dead_letter,
                           letters=app.letters)
    tables = declare_customer_tables(app, kafka)
    # A sliced index maps only the slices this worker's partitions need (``slice_mapping``).
    slices = SliceFollower(index, names) if isinstance(index, SlicedIndex) else None
    stages = _stages(index, options, journal, tables, slices)
    if slices is not None:
        slices.on_change = functools.partial(_refresh_served, stages.correlator)
        app.on_rebalance_complete.connect(slices.barrier)  # type: ignore[arg-type]
    # Delivered ids read back from notifications.delivered up to a fence we write ourselves:
    # exact even where table recovery is not (the embedded broker's ListOffsets).
    ledger = DeliveryLedger(options.bootstrap, names.delivered, client_options=security)

    async def crash(exc: BaseException) -> None:
        await app.crash(exc)  # state in memory may be ahead of the journal: start afresh

    # Suspected incidents to the NOC, live only: a replay of an old log must not page anyone.
    sensors = settings.sensors
    webhook = (SuspicionWebhook(sensors.alertmanager_url, timeout_s=sensors.alertmanager_timeout_s,
                                attempts=sensors.alertmanager_attempts)
               if sensors.alertmanager_url and options.live else None)
    feed = NetworkFeed(bootstrap=options.bootstrap, topic=names.alarms_raw, journal=journal,
                       process=NetworkStep(stages.normalise, stages.network, stages.board,
                                           names, clock=options.clock, hooks=options.hooks,
                                           webhook=webhook),
                       on_loaded=functools.partial(_rebuild_network, stages.network, stages.board),
                       on_failure=crash,
                       pack=functools.partial(batch_envelopes, names.impacts),
                       client_options=security, fetch_max_wait_ms=kafka.fetch_max_wait_ms,
                       client_id=f"{app.conf.id}-network", letters=app.letters)
    app.network_feed = feed  # readiness and liveness (runner.worker_ready, worker_failure)

    # "Customers told" on the board: every worker's receipts, read where the board is.
    receipts = ReceiptFeed(bootstrap=options.bootstrap, topic=names.delivered,
                           record=stages.board.record_receipt, client_options=security,
                           fetch_max_wait_ms=kafka.fetch_max_wait_ms,
                           client_id=f"{app.conf.id}-receipts")
    ownership = NetworkOwnership(names, feed, receipts, topics.network_state,
                                 stages.customers, stages.delivery, ledger, journal, slices)
    # Faust types a receiver as (sender, *args, signal=..., **kwargs); ours name the one
    # argument each signal sends.
    app.on_partitions_revoked.connect(ownership.on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(ownership.on_assigned)  # type: ignore[arg-type]
    app.on_before_shutdown.connect(ownership.on_shutdown)  # type: ignore[arg-type]
    if webhook is not None:
        app.on_before_shutdown.connect(_stopper(webhook))

    # A stage stuck without crashing must not look alive (``watchdog``; runner stops on it).
    progress = ProgressLog()
    app.watchdog = Watchdog(
        app, StallDetector(settings.worker.stall_after_s, settings.worker.stall_exit_s),
        progress, agent_topics={names.impacts: "customers", names.outbox: "delivery",
                                names.contacts_raw: "contacts"},
        feeds={"network": feed, "receipts": receipts},
        work={"delivery": functools.partial(_attempts, stages.delivery)})
    app.timer(interval=min(1.0, settings.worker.stall_after_s / 4))(app.watchdog.check)

    app.agent(topics.alarms_raw, name="network")(ignore_raw_records)
    app.agent(topics.contacts_raw, name="contacts")(  # into the network's one order
        ContactForwardAgent(ContactForwarder(), topics.alarms_raw, topics.alarms_dead_letter,
                            progress))
    app.agent(topics.impacts, name="customers")(
        CustomerAgent(stages.customers, topics.outbox, topics.notifications_dead_letter,
                      options.hooks, progress))
    app.agent(topics.outbox, name="delivery")(
        DeliveryAgent(stages.delivery, ledger, tables.history, topics, options.hooks,
                      progress))
    if options.live:
        app.timer(interval=options.tick_interval_s, on_leader=True)(
            TickTimer(topics.alarms_raw, options.clock))
        if stages.reloader is not None:
            app.timer(interval=settings.index.reload_interval_s)(
                IndexReloadTimer(stages.reloader, topics.alarms_raw, options.clock))
    if options.web_port is not None:
        from forewarn.streams.web.routes import register_pages

        register_pages(app, board=stages.board, settings=settings, index=index,
                       sink=HttpSink(topics.alarms_raw, topics.alarms_dead_letter,
                                     settings.api.ack_timeout_s),
                       contact_sink=HttpSink(topics.contacts_raw, topics.alarms_dead_letter,
                                             settings.api.ack_timeout_s),
                       tables={"episodes": tables.episodes, "history": tables.history},
                       network_topic=names.alarms_raw, partitions=kafka.partitions,
                       stages={"normalise": stages.normalise, "network": stages.network,
                               "customers": stages.customers, "delivery": stages.delivery,
                               "webhook": webhook})

    return Pipeline(app, names, stages.board, stages.normalise, stages.network,
                    stages.customers, stages.delivery,
                    tables={"elements": journal.table("elements"),
                            "windows": journal.table("windows"),
                            "incidents": journal.table("incidents"),
                            "suspicions": journal.table("suspicions"),
                            "episodes": tables.episodes, "sent": tables.sent,
                            "history": tables.history})


def _attempts(delivery: DeliveryStage) -> int:
    """Delivery attempts that ended so far, failed ones too (the watchdog's proof that a
    delivery retrying with backoff is working, not stuck)."""
    metrics = getattr(delivery, "metrics", None)
    if metrics is None:
        return 0
    return int(sum(sample.value for family in metrics.attempts.collect()
                   for sample in family.samples if sample.name.endswith("_total")))


def _refresh_served(correlator: NetworkCorrelator) -> None:
    """Slices came or went: the suspicion test's customers per element follow (it counts
    every customer once this worker owns the network and so maps every slice)."""
    if correlator.suspicion is not None:
        index: Any = correlator.index  # a RegionIndex (the correlator types its port)
        correlator.suspicion.swap(served_counts(index), index.element_type)


def _rebuild_network(network: NetworkStage, board: IncidentBoard) -> None:
    """After the journal is loaded: the correlator's in-memory views, then the incident
    lifecycle and the incident board from them (a new owner shows what was running)."""
    network.correlator.rebuild()
    network.rebuild_lifecycle()
    board.rebuild(board_snapshot(network))


def _stopper(webhook: SuspicionWebhook) -> Callable[..., Awaitable[None]]:
    """A shutdown-signal receiver that stops the webhook's sender."""

    async def stop(sender: Any, **_: Any) -> None:
        await webhook.stop()

    return stop


def _faust_app(options: PipelineOptions, clients: ClientSettings) -> WorkerApp:
    kafka = options.settings.kafka
    return WorkerApp(
        options.app_id or kafka.app_id,
        clients=clients,
        broker=broker_url_for(options.bootstrap),
        store="memory://",
        topic_partitions=kafka.partitions,
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


def _stages(index: Any, options: PipelineOptions, journal: StateJournal,
            tables: CustomerTables, slices: SliceFollower | None = None) -> _Stages:
    """The pure stages on their state: the network's in the journal, customers' in tables."""
    settings = options.settings
    correlation = settings.correlation
    partitions = settings.kafka.partitions
    elements = ElementStates(journal.table("elements"), correlation.down_severities,
                             correlation.max_open_alarms_per_element)
    memo = ImpactMemo()
    correlator = NetworkCorrelator(
        index, elements, MaintenanceSchedule(journal.table("windows")),
        journal.table("incidents"),
        notice_before_s=settings.notify.notice_before_s,
        flapping=FlapDetector(correlation.flap_changes, correlation.flap_window_s),
        cuts=journal.table("cuts"),  # raised cable cuts by cut_id
        event_time=EventTimeGuard(correlation.max_future_skew_s, correlation.max_age_s,
                                  live=options.live),
        # Customers as sensors: reporters in the window and open suspicions, journalled.
        suspicion=SuspicionDetector(settings.sensors, served_counts(index), index.element_type,
                                    journal.table("suspicions")),
        country=settings.legal.country,
        element_level=True,  # element changes to every partition (docs/architecture.md)
        memo=memo,  # this worker's customer partitions reuse the impacts it computes
    )
    # customer lookups follow index versions (hot reload); an index loaded from a version
    # says which, so the reloader does not load that version again
    live = LiveIndex(index, getattr(index, "version", None))
    load = slices.load_version if slices is not None else RegionIndex.load
    reloader = IndexReloader(Path(settings.index.dir), live, load) if settings.index.dir else None
    customers = CustomerStage.from_settings(tables.episodes, partitions, settings,
                                            customer=live.customer, timezone_of=live.timezone_of,
                                            on_decision=options.hooks.on_decision,
                                            # the replica beside the episodes
                                            network=NetworkView(
                                                live, partitions, memo=memo,
                                                legacy=tables.network_replicas))
    delivery = DeliveryStage(
        live.customer,
        MessageRenderer(settings.notify.status_url, settings.notify.default_language),
        options.deliver, tables.sent,
        policy=DeliveryPolicy(PolicySettings.from_settings(settings), tables.delivery_policy,
                              Deferrals(tables.deferred), channels=options.channels),
        metrics=options.delivery_metrics,  # one registry with the dispatcher's
        concurrency=settings.delivery.concurrency,
    )
    return _Stages(
        board=IncidentBoard(keep_ended_s=settings.web.resolved_visible_s),  # incident pages
        normalise=NormaliseStage(), correlator=correlator,
        network=ReloadingNetworkStage(correlator, partitions, reloader),
        customers=customers, delivery=delivery, reloader=reloader)
