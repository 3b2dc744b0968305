"""The network stage as a plain class: what the network agent does with one record.

The Kafka shell (``kafka/network_feed``) only decodes, calls ``NetworkStage.handle``, and
sends what it returns, so every decision here is testable with dicts instead of tables and
without a broker. It returns ``(partition, value)`` pairs for the ``impacts`` topic.

Customers' contacts and suspected incidents (``ContactSeen``, ``SuspicionEvent``) are kept,
in order, for the wiring to take after each record (:meth:`NetworkStage.take_sensed`) and
hand to the incident board, metrics and the NOC's webhook. A suspicion sends nothing to
``impacts`` (it notifies nobody); each contact also goes to its customer's partition as a
``contact`` message, in order with that partition's other messages (legal clocks from the
customer's report, ``customers/reports.py``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from forewarn.domain import InputRecord
from forewarn.geo import IdArray
from forewarn.streams import records
from forewarn.streams.input.normalise import dead_letter, raw_text
from forewarn.streams.network.correlation import (
    ContactSeen,
    ElementChange,
    Impact,
    IncidentMerge,
    IncidentNews,
    NetworkCorrelator,
    NetworkEvent,
    PlannedNotice,
    SuspicionEvent,
    WindowAnnounced,
    WindowChange,
    WindowEnd,
)
from forewarn.streams.network.incident_lifecycle import IncidentEvent, IncidentLifecycle
from forewarn.streams.network.service_states import OUT, SERVICE_NAMES, service_states
from forewarn.streams.partitioning import partitions_of

__all__ = ["MAX_SENSED", "TICK_EVERY_S", "Input", "NetworkStage", "Sensed", "correlation_failure"]

log = logging.getLogger(__name__)

TICK_EVERY_S = 1.0  # event-time watermark cadence towards customer partitions
#: Sensed events kept for ``take_sensed`` (a caller that never takes them loses the oldest).
MAX_SENSED = 10_000
Sensed = SuspicionEvent | ContactSeen
Out = list[tuple[int, dict[str, Any]]]
# A parsed record or a typed control record; a dict is decoded first (``handle``).
Input = InputRecord | records.RawControl | dict[str, Any]


def correlation_failure(raw: bytes | str | None, exc: Exception) -> dict[str, Any]:
    """The dead letter for a record the network stage failed on: a bug, not bad input, but
    it must not stop the network for everyone."""
    return dead_letter(raw_text(raw), f"internal error while correlating: {exc!r}", None,
                       "internal error")


class NetworkStage:
    """Records in network order -> messages per customer partition on ``impacts``.

    Also the one place event time is handed on: every partition that got nothing from a
    record still learns the new time (at most once per ``TICK_EVERY_S``), and live-mode
    wall-clock ticks arrive here first, so window starts/ends and ticks reach each customer
    partition in one consistent order.
    """

    def __init__(self, correlator: NetworkCorrelator, partitions: int) -> None:
        self.correlator = correlator
        self.partitions = partitions
        self._last_tick = -math.inf
        self.records = 0
        self._table_ids, self._partition_table = self._index_partitions()
        # CONTRACT §8 incident events, in network order
        self.lifecycle = IncidentLifecycle(served=self._served_ids)
        self.incident_events: list[IncidentEvent] = []  # taken by the caller after each record
        self.sensed: list[Sensed] = []  # contacts and suspicions since the last take
        self.local: Out = []  # the last record's per-customer messages (``take_local``)

    def rebuild_lifecycle(self) -> None:
        """After a takeover: the lifecycle starts from the open incidents in the journal and
        who is out under each now (one index lookup per incident root), so their events go
        on; contacts and suspicions before the takeover are not journalled and start at 0."""
        incidents, out = self.open_incidents()
        self.lifecycle.rebuild(self.correlator.index.customer_id_array, incidents, out)

    def open_incidents(self) -> tuple[list[tuple[str, str, str, float]],
                                      dict[str, dict[str, np.ndarray]]]:
        """The open incidents in the journal as ``(incident_id, root, cause_type, since)``,
        oldest first, and per incident id and service the index positions out under it now.
        Read-only: the one derivation the lifecycle and the incident board rebuild from."""
        c = self.correlator
        down, maintenance = c.elements.down_elements(), c.windows.active_elements()
        incidents: list[tuple[str, str, str, float]] = []
        out: dict[str, dict[str, np.ndarray]] = {}
        for root, entry in sorted(c.incidents.items(), key=lambda item: item[1]["since"]):
            incident_id = str(entry["incident_id"])
            positions = c.index.dependents([root])
            states = service_states(c.index, positions, down, maintenance)
            mine = out.setdefault(incident_id, {})
            for service in SERVICE_NAMES:
                hit = positions[states[service] == OUT]
                mine[service] = np.concatenate([mine.get(service, hit[:0]), hit])
            incidents.append((incident_id, root, str(entry.get("cause_type") or ""),
                              float(entry["since"])))
        return incidents, out

    def _served_ids(self, element_id: str) -> list[str]:
        """Ids of the customers ``element_id`` serves (a suspected incident's customers)."""
        index = self.correlator.index
        ids: list[str] = index.customer_id_array[index.dependents([element_id])].tolist()
        return ids

    def take_incident_events(self) -> list[IncidentEvent]:
        """The incident events of the records handled since the last call."""
        taken, self.incident_events = self.incident_events, []
        return taken

    def take_sensed(self) -> list[Sensed]:
        """Contacts and suspicion events since the last call, in the network's order."""
        taken, self.sensed = self.sensed, []
        return taken

    def handle(self, value: Input, received_at: float | None = None) -> Out:
        """Everything one record (or control record) sends to ``impacts``.

        ``received_at`` is the broker timestamp of the message (s), when known: the
        correlator refuses event times too far from it (raises ``RecordRefused``, having
        changed nothing; the caller dead-letters the record). A ``Drain`` fires every
        pending network timer and is passed on to every partition."""
        if isinstance(value, dict):  # as it travels (tests, old callers): decoded once here
            value = (records.decode_raw_control(value) if records.is_control(value)
                     else records.input_from_record(value))
        match value:
            case records.WallClock(at=at):
                out = self._messages(self.correlator.advance(at))
                return out + self._ticks(out, force=True)
            case records.Drain():
                out = self._messages(self.correlator.advance(math.inf))
                return out + [(p, value.to_wire()) for p in range(self.partitions)]
            case records.IndexReload():  # only ``ReloadingNetworkStage`` can act on it
                log.warning("reload record skipped: this network stage cannot reload")
                return []
            case records.Normalised(record=record):
                value = record
        self.records += 1
        out = self._messages(self.correlator.apply(value, received_at))
        return out + self._ticks(out)

    def _ticks(self, out: Out, *, force: bool = False) -> Out:
        now = self.correlator.clock
        if not math.isfinite(now) or (not force and now - self._last_tick < TICK_EVERY_S):
            return []
        self._last_tick = now
        # (a contact carries its own event time, which may lag the network's: not a tick)
        touched = {p for p, m in out if m.get("kind") not in ("contact", "network")}
        for p, value in out:
            if value.get("kind") == "network":  # told at the partition, if nothing else was
                value["tick"] = now
                touched.add(p)
        return [(p, records.EventTick(now).to_wire()) for p in range(self.partitions)
                if p not in touched]

    def _index_partitions(self) -> tuple[IdArray, np.ndarray]:
        """The correlator's index's ids and the partition of each: computed when the stage
        starts and once per index version, so that a storm costs one gather per alarm."""
        index = self.correlator.index
        return index.customer_id_array, index.partition_table(self.partitions)

    def _partitions(self, impact: Impact) -> np.ndarray:
        """The partition of each row's customer. Ids other than the current index's (an
        index swap's changes, an index swapped out) are hashed as they come."""
        ids = impact.customer_ids
        if ids is not self.correlator.index.customer_id_array:
            return partitions_of(ids[impact.positions].tolist(), self.partitions)
        if ids is not self._table_ids:  # the index was swapped since
            self._table_ids, self._partition_table = self._index_partitions()
        partitions: np.ndarray = self._partition_table[impact.positions]
        return partitions

    def _split(self, customers: dict[str, list[str]]) -> dict[int, dict[str, list[str]]]:
        by_partition: dict[int, dict[str, list[str]]] = {}
        for service, ids in customers.items():
            parts = partitions_of(ids, self.partitions)
            for p in np.unique(parts).tolist():
                by_partition.setdefault(p, {})[service] = [
                    ids[i] for i in np.flatnonzero(parts == p).tolist()]
        return by_partition

    def _contact(self, seen: ContactSeen) -> tuple[int, dict[str, Any]]:
        """The contact, to its customer's partition (where a legal clock may start from it)."""
        partition = int(partitions_of([seen.customer_id], self.partitions)[0])
        return partition, records.ContactMessage(seen.at, seen.customer_id, seen.contact_id,
                                                 seen.channel, seen.reason).to_wire()

    def _messages(self, events: list[NetworkEvent]) -> Out:
        self.sensed += [e for e in events if isinstance(e, SuspicionEvent | ContactSeen)]
        if len(self.sensed) > MAX_SENSED:
            del self.sensed[:-MAX_SENSED]
        if not self.correlator.element_level:
            self.incident_events += self.lifecycle.feed(events)
            self.local = self._legacy_messages(events)
            return self.local
        local = _local_events(events)
        self.incident_events += self.lifecycle.feed(local)
        self.local = self._legacy_messages(local)
        return self._element_messages(events)

    def take_local(self) -> Out:
        """Per-customer messages of the last record, as they would be sent per customer:
        what this worker's incident board records (at element level they are not sent)."""
        taken, self.local = self.local, []
        return taken

    def _legacy_messages(self, events: list[NetworkEvent]) -> Out:
        """Per-customer messages, each partition's share (the path before element level;
        at element level only for an index swap's changes, and the board's ``local``)."""
        out: Out = []
        for event in events:
            if isinstance(event, Impact):
                out.extend(records.impact_records(event, self._partitions(event)))
            elif isinstance(event, PlannedNotice):
                w = event.window
                out.extend((p, records.PlannedMessage(
                    event.at, w.maintenance_id, w.start, w.end, w.text, c, list(w.elements),
                    self.correlator.clock).to_wire())
                    for p, c in sorted(self._split(event.customers).items()))
            elif isinstance(event, WindowEnd):
                out.extend((p, records.WindowEndMessage(event.at, event.maintenance_id,
                                                        c).to_wire())
                           for p, c in sorted(self._split(event.customers).items()))
            elif isinstance(event, IncidentNews):
                update = records.UpdateMessage(event.at, event.incident_id, event.eta,
                                               event.message)
                out.extend((p, update.to_wire()) for p in range(self.partitions))  # one each
            elif isinstance(event, IncidentMerge):
                merge = records.MergeMessage(event.at, event.from_incident, event.into_incident,
                                             event.cause_element, event.cause_type)
                out.extend((p, merge.to_wire()) for p in range(self.partitions))
            elif isinstance(event, ContactSeen):
                out.append(self._contact(event))
        return out

    def _element_messages(self, events: list[NetworkEvent]) -> Out:
        """Element level (docs/architecture.md): one ``network`` message per partition with
        what the record changed on elements, windows and incidents, the same for every
        partition; each works out its own customers' impact. Only an index swap's changes
        (``Impact`` / ``PlannedNotice`` from ``swap_index``) are still per customer."""
        per: dict[int, list[dict[str, Any]]] = {p: [] for p in range(self.partitions)}
        for event in events:
            item = self._element_item(event)
            if item is not None:
                for items in per.values():
                    items.append(item)
            else:  # per customer (an index swap's changes, a contact), in its place
                for p, value in self._legacy_messages([event]):
                    per[p].append(value)
        return [(p, records.NetworkMessage(items).to_wire()) for p, items in per.items()
                if items]

    def _element_item(self, event: NetworkEvent) -> dict[str, Any] | None:
        """The wire form of an element-level event (None: not one)."""
        match event:
            case ElementChange():
                return records.ElementMessage(event.at, event.element_id, event.down,
                                              event.incident_id, event.cause_element,
                                              event.cause_type).to_wire()
            case WindowChange():
                return records.WindowMessage(event.at, event.event, event.maintenance_id,
                                             list(event.elements), event.incident_id,
                                             event.cause_element, event.cause_type).to_wire()
            case WindowAnnounced(window=w):
                return records.AnnouncedMessage(event.at, w.maintenance_id, w.start, w.end,
                                                w.text, list(w.elements),
                                                event.announced).to_wire()
            case IncidentNews():
                return records.UpdateMessage(event.at, event.incident_id, event.eta,
                                             event.message).to_wire()
            case IncidentMerge():
                return records.MergeMessage(event.at, event.from_incident, event.into_incident,
                                            event.cause_element, event.cause_type).to_wire()
        return None


def _local_events(events: list[NetworkEvent]) -> list[NetworkEvent]:
    """``events`` with each element-level event replaced by the per-customer events it
    stands for (``local``), in order: what the per-customer path would have reported."""
    local: list[NetworkEvent] = []
    for event in events:
        if isinstance(event, ElementChange | WindowChange | WindowAnnounced):
            local.extend(event.local)
        else:
            local.append(event)
    return local
