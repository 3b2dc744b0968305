"""The worker's topics and tables, declared in one place (the data-flow map is
``forewarn/streams/__init__.py``).

Partition counts: ``alarms.raw``, ``contacts.raw`` (forwarded into it), its dead letters and
the network state have one partition (the network is correlated in one order,
``docs/architecture.md``); everything keyed by customer has ``kafka.partitions``, with the
same partition function (``partitioning``), so each customer's impacts, episodes, outbox and
receipts live on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from forewarn.config import KafkaSettings
from forewarn.streams.kafka.topics import TopicNames

__all__ = ["CustomerTables", "PipelineTopics", "declare_customer_tables", "declare_topics"]


@dataclass(frozen=True, slots=True)
class PipelineTopics:
    """The Faust topics of one worker, in data-flow order."""

    alarms_raw: Any
    contacts_raw: Any  # customer contacts, forwarded onto alarms_raw (``contact_forward``)
    alarms_dead_letter: Any
    impacts: Any
    outbox: Any
    delivered: Any
    notifications_dead_letter: Any
    network_state: Any  # written by the network feed's journal, not by Faust
    incidents_events: Any  # CONTRACT §8 incident events, written by the network feed


@dataclass(frozen=True, slots=True)
class CustomerTables:
    """The Faust tables that grow with customers (changelogged; RocksDB when configured)."""

    episodes: Any
    sent: Any
    delivery_policy: Any
    deferred: Any
    history: Any
    # where each partition's network replica was kept before it moved beside the episodes
    # (``customers/network_view.py``): read only, by a worker upgraded during an incident
    network_replicas: Any


def declare_topics(app: faust.App, names: TopicNames, partitions: int) -> PipelineTopics:
    def topic(name: str, count: int, serializer: str, **options: Any) -> Any:
        return app.topic(name, partitions=count, value_serializer=serializer, internal=True,
                         **options)

    return PipelineTopics(
        alarms_raw=topic(names.alarms_raw, 1, "raw"),
        contacts_raw=topic(names.contacts_raw, 1, "raw"),
        alarms_dead_letter=topic(names.alarms_dead_letter, 1, "json"),
        impacts=topic(names.impacts, partitions, "json"),
        outbox=topic(names.outbox, partitions, "json"),
        delivered=topic(names.delivered, partitions, "json"),
        notifications_dead_letter=topic(names.notifications_dead_letter, partitions, "json"),
        network_state=topic(names.network_state, 1, "raw", compacting=True),
        incidents_events=topic(names.incidents_events, 1, "json"),
    )


def declare_customer_tables(app: faust.App, kafka: KafkaSettings) -> CustomerTables:
    def table(name: str) -> Any:
        """In RocksDB when configured (``kafka.table_store``). The store URL's path is the
        file name under Faust's tabledir (a bare ``rocksdb://`` is falsy to yarl, and Faust
        would quietly fall back to the app's memory store)."""
        store = f"rocksdb:{name}" if kafka.table_store == "rocksdb" else None
        return app.Table(name, default=None, partitions=kafka.partitions, store=store)

    return CustomerTables(episodes=table("episodes"), sent=table("sent"),
                          delivery_policy=table("delivery_policy"), deferred=table("deferred"),
                          history=table("history"),
                          network_replicas=table("network_replicas"))
