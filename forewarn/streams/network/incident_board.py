"""What the network worker knows about incidents right now: the data behind the desk pages.

Fed by the network stage (who went out or came back, for which incident; NOC news and
merges when the agent hands over every ``impacts`` record via :meth:`IncidentBoard.record`)
and by the receipts on ``notifications.delivered`` (who was told what, and when:
:meth:`IncidentBoard.record_receipt`, every worker's deliveries, each ``notification_id``
counted once; ``receipts``). It lives in memory on the worker that owns
the single ``alarms`` partition; the web layer routes incident questions to that worker
(see ``forewarn.streams.web.routes``). ``version`` grows with every change, so derived views
(area status, map, CAP) are recomputed only when something changed.

Planned works are known from their announcement (the ``planned`` messages of the network
stage carry the window), before any customer loses service: ``upcoming`` lists them, and
their planned notices are counted, so the incident page and the CAP feed can speak of a
window that has not started yet. The window's id is the incident id once it starts.
Every piece of NOC news is kept in order (``news``), for the incident page's timeline.
A delivery can reach the board before the message that announces its incident (planned
notices are delivered on the customers' partitions while the ``planned`` message is still on
its way): such deliveries are held as counts (``MAX_PENDING`` incidents) and added when the
window or incident appears, so "customers told" never undercounts.
A new owner of ``alarms.raw`` has seen none of the impacts before its takeover: it calls
:meth:`IncidentBoard.rebuild` with what the network journal holds (``board_snapshot``).
The desk lists the last ``KEEP_ENDED`` ended incidents; an ended incident pruned from that
list keeps its final summary in an archive for ``keep_ended_s`` of event time (at most
``MAX_ARCHIVED``), so its public page answers as long as ``web.resolved_visible_s`` says.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

from forewarn.domain import (
    SERVICES,
    ImpactChange,
    Notification,
    epoch_or_none,
    from_iso,
    to_iso,
)
from forewarn.streams import records
from forewarn.streams.network.calls_saved import CallsSaved, ToldLedger
from forewarn.streams.network.receipts import SeenIds, receipt_notification

if TYPE_CHECKING:
    from forewarn.streams.network.board_snapshot import BoardSnapshot, OpenIncident

__all__ = ["KEEP_ENDED", "KEEP_NEWS", "Incident", "IncidentBoard", "PlannedWindow"]

KEEP_ENDED = 200  # ended incidents kept for the page and the CAP feed's Cancel messages
KEEP_NEWS = 50  # NOC news entries kept per incident (the page's timeline); oldest dropped
MAX_ARCHIVED = 5000  # pruned incidents' summaries kept for their pages (oldest dropped first)
MAX_PENDING = 1000  # incidents whose deliveries arrived before the incident (oldest dropped)


@dataclass
class PlannedWindow:
    """An announced maintenance window, as the planned notices describe it."""

    maintenance_id: str
    elements: tuple[str, ...]
    start: float
    end: float
    text: str | None
    announced: float
    started: bool = False  # its incident reached the board (it may be pruned later)
    customers: dict[str, set[str]] = field(default_factory=dict)
    told: dict[str, int] = field(default_factory=dict)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    first_told_at: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"start": to_iso(self.start), "end": to_iso(self.end), "text": self.text,
                "announced": to_iso(self.announced)}

    def summary(self) -> dict[str, Any]:
        """Incident-shaped summary of a window that has not started (nobody is out yet)."""
        counts = {s: len(self.customers.get(s, ())) for s in SERVICES}
        return {
            "incident_id": self.maintenance_id,
            "cause_element": self.elements[0] if self.elements else "",
            "cause_type": "maintenance",
            "planned": True,
            "upcoming": True,
            "started_at": to_iso(self.start),
            "active": False,
            "services": [s for s in SERVICES if counts[s]],
            "affected_now": dict.fromkeys(SERVICES, 0),
            "affected_peak": counts,
            "notifications": dict(self.told),
            "told": _told(self.told, self.channels, self.first_told_at),
            "eta": None,
            "message": None,
            "updated_at": to_iso(self.announced),
            "ended_at": None,
            "window": self.as_dict(),
            "news": [],
        }


@dataclass
class _Told:
    """Delivery counts of one incident or window, per stage (and channel)."""

    told: dict[str, int] = field(default_factory=dict)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    first_told_at: dict[str, str] = field(default_factory=dict)


def _count(target: Any, notification: Notification) -> None:
    """Add one delivery to anything with ``told``/``channels``/``first_told_at``."""
    stage = notification.stage
    target.told[stage] = target.told.get(stage, 0) + 1
    by_channel = target.channels.setdefault(stage, {})
    by_channel[notification.channel] = by_channel.get(notification.channel, 0) + 1
    if notification.delivered_at:
        first = target.first_told_at.get(stage)
        if first is None or notification.delivered_at < first:
            target.first_told_at[stage] = notification.delivered_at


def _add_counts(target: Any, source: Any) -> None:
    """Add ``source``'s delivery counts to ``target``'s (held deliveries landing)."""
    for stage, n in source.told.items():
        target.told[stage] = target.told.get(stage, 0) + n
        by_channel = target.channels.setdefault(stage, {})
        for channel, m in source.channels.get(stage, {}).items():
            by_channel[channel] = by_channel.get(channel, 0) + m
        at = source.first_told_at.get(stage)
        if at is not None and (stage not in target.first_told_at
                               or at < target.first_told_at[stage]):
            target.first_told_at[stage] = at


def _told(told: dict[str, int], channels: dict[str, dict[str, int]],
          first: dict[str, str]) -> dict[str, Any]:
    return {stage: {"count": n, "channels": dict(channels.get(stage, {})),
                    "first_at": first.get(stage)} for stage, n in told.items()}


@dataclass
class Incident:
    incident_id: str
    cause_element: str
    cause_type: str
    started_at: float
    affected: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SERVICES})
    peak: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SERVICES, 0))
    told: dict[str, int] = field(default_factory=dict)  # stage -> notifications delivered
    channels: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> channel -> n
    first_told_at: dict[str, str] = field(default_factory=dict)  # stage -> delivered_at (ISO)
    last_change_at: float = 0.0
    eta: float | None = None
    message: str | None = None
    news_at: float | None = None
    ended_at: float | None = None
    merged_into: str | None = None
    window: PlannedWindow | None = None
    news: list[dict[str, Any]] = field(default_factory=list)  # at, eta, message (ISO times)
    contacts: CallsSaved | None = None  # calls saved (CONTRACT §8), once known

    @property
    def active(self) -> bool:
        return any(self.affected.values())

    @property
    def services(self) -> list[str]:
        """Services this incident has taken from anyone (peak > 0), in CONTRACT order."""
        return [s for s in SERVICES if self.peak.get(s)]

    def summary(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "cause_element": self.cause_element,
            "cause_type": self.cause_type,
            "planned": self.cause_type == "maintenance",
            "started_at": to_iso(self.started_at),
            "active": self.active,
            "services": self.services,
            "affected_now": {s: len(c) for s, c in self.affected.items()},
            "affected_peak": dict(self.peak),
            "notifications": dict(self.told),
            "told": _told(self.told, self.channels, self.first_told_at),
            "eta": to_iso(self.eta) if self.eta is not None else None,
            "message": self.message,
            "updated_at": to_iso(max(self.last_change_at, self.news_at or 0.0)),
            "ended_at": to_iso(self.ended_at) if self.ended_at is not None else None,
            "upcoming": False,
            "window": self.window.as_dict() if self.window is not None else None,
            "news": [dict(n) for n in self.news],
            "contacts": _contacts(self.contacts),
        }


def _contacts(saved: CallsSaved | None) -> dict[str, int] | None:
    """The API's ``contacts`` of an incident: before / after notice and never told."""
    if saved is None:
        return None
    return {"before_notice": saved.before_notice, "after_notice": saved.after_notice,
            "never_told": saved.never_told}


class IncidentBoard:
    """Incident id -> live counts; thread-safe because the web handlers read it."""

    def __init__(self, keep_ended_s: float = 86400.0) -> None:
        self.keep_ended_s = keep_ended_s
        self._newest = 0.0  # latest event time seen (the archive's clock)
        self._archive: dict[str, dict[str, Any]] = {}  # pruned incident id -> final summary
        self._incidents: dict[str, Incident] = {}
        # service -> customer id -> the incident it is out under: one dict per service, so
        # a 1M-customer incident costs one entry per customer, not a (customer, service)
        # tuple as well (~64 bytes each on the worker that owns the network)
        self._customer_incident: dict[str, dict[str, str]] = {s: {} for s in SERVICES}
        self._windows: dict[str, PlannedWindow] = {}
        self._aliases: dict[str, str] = {}  # merged incident id -> the id it was merged into
        self._pending: dict[str, _Told] = {}  # deliveries of incidents not on the board yet
        self._suspicions: dict[str, dict[str, Any]] = {}  # open suspected incidents by id
        self._receipts = SeenIds()  # notification ids already counted (receipts repeat)
        self._lock = threading.Lock()
        self.version = 0
        self.told_ledger = ToldLedger()  # who was told when, per incident (calls saved)
        self._contacts_total = dict.fromkeys(("before_notice", "after_notice", "never_told"), 0)

    # -- writes (network agent, delivery agent, HTTP ingest) ----------------------------

    def record(self, value: dict[str, Any] | records.ImpactsMessage) -> None:
        """Any ``impacts`` message: impact changes, NOC news (``update``), ``merge`` and
        ``planned``; others (ticks, drains, what no decoder knows) tell the board nothing.

        Each update/merge arrives once per customer partition; applying it again is a no-op.
        """
        message = records.decode_impacts(value)[0] if isinstance(value, dict) else value
        match message:
            case records.ImpactMessage():
                self._record_impact(message)
            case records.UpdateMessage():
                self.record_news(str(message.incident_id), epoch_or_none(message.at) or 0.0,
                                 eta=epoch_or_none(message.eta), message=message.message)
            case records.MergeMessage():
                self.record_merge(str(message.from_incident), str(message.into_incident))
            case records.PlannedMessage():
                self.record_window(message)

    def rebuild(self, snapshot: BoardSnapshot) -> None:
        """After a takeover of ``alarms.raw``: the open incidents, their customers out now,
        the maintenance windows and the open suspicions become ``snapshot``'s (the network
        journal's, ``board_snapshot``). Counts of deliveries already on the board stay, held
        ones land on the incidents and windows that now appear; an incident this board still
        showed as active but the journal no longer holds ended while another worker owned
        the network, and ends here at the snapshot's time."""
        with self._lock:
            for window in snapshot.windows:
                known = self._windows.get(window.maintenance_id)
                if known is None:
                    known = self._windows[window.maintenance_id] = PlannedWindow(
                        window.maintenance_id, window.elements, window.start, window.end,
                        window.text, window.announced)
                    held = self._pending.pop(window.maintenance_id, None)
                    if held is not None:
                        _add_counts(known, held)
                for service, ids in window.customers.items():
                    known.customers.setdefault(service, set()).update(ids)
            open_ids = {i.incident_id for i in snapshot.incidents}
            ended_at = snapshot.at if math.isfinite(snapshot.at) else None
            for incident in self._incidents.values():
                if incident.active and incident.incident_id not in open_ids:
                    for customers in incident.affected.values():
                        customers.clear()
                    incident.ended_at = ended_at if ended_at is not None else \
                        incident.last_change_at
            self._customer_incident = {s: {} for s in SERVICES}
            for item in snapshot.incidents:
                self._rebuild_incident(item)
            self._suspicions = {str(s["incident_id"]): dict(s) for s in snapshot.suspicions}
            self._prune_windows()
            self._prune()
            self.version += 1

    def _rebuild_incident(self, item: OpenIncident) -> None:
        incident = self._incidents.get(item.incident_id)
        if incident is None and not any(item.affected.values()):
            return  # nobody out under it (covered by neighbours): never on the board live
        if incident is None:
            incident = self._open(item.incident_id, item.cause_element, item.cause_type,
                                  item.since)
        incident.cause_element, incident.cause_type = item.cause_element, item.cause_type
        incident.started_at = min(incident.started_at, item.since)
        for service in SERVICES:
            ids = set(item.affected.get(service, ()))
            incident.affected[service] = ids
            incident.peak[service] = max(incident.peak.get(service, 0), len(ids))
            self._owners(service).update(zip(ids, repeat(item.incident_id)))
        incident.ended_at = None if incident.active else (incident.ended_at or item.since)
        incident.last_change_at = max(incident.last_change_at, item.since)
        if item.eta is not None:
            incident.eta = item.eta
        if item.message:
            incident.message = item.message
        for entry in item.news:
            if entry not in incident.news:
                incident.news.append(dict(entry))
        for merged in item.merged:  # receipts naming a merged id count for this one
            self._aliases[merged] = item.incident_id
            held = self._pending.pop(merged, None)
            if held is not None:
                _add_counts(incident, held)
        while len(self._aliases) > 10 * KEEP_ENDED:
            del self._aliases[next(iter(self._aliases))]
        if item.news:
            incident.news.sort(key=lambda n: str(n.get("at")))
            del incident.news[:-KEEP_NEWS]
            incident.news_at = max(incident.news_at or 0.0,
                                   epoch_or_none(incident.news[-1].get("at")) or 0.0)

    def _open(self, incident_id: str, cause_element: str, cause_type: str,
              at: float) -> Incident:
        """A new incident on the board: a started window's notices and held deliveries
        become its counts."""
        incident = self._incidents[incident_id] = Incident(
            incident_id, cause_element, cause_type, at)
        window = self._windows.get(incident_id)
        if window is not None:  # planned works start: their notices were counted
            incident.window = window
            window.started = True
            incident.told = dict(window.told)
            incident.channels = {k: dict(v) for k, v in window.channels.items()}
            incident.first_told_at = dict(window.first_told_at)
        held = self._pending.pop(incident_id, None)
        if held is not None:
            _add_counts(incident, held)
        return incident

    def record_window(self, value: records.PlannedMessage | dict[str, Any]) -> None:
        """A ``planned`` message: the window and (this partition's share of) its customers.

        It arrives once per customer partition, each naming its own customers, so the
        customer sets are unions and a repeated message changes nothing.
        """
        message = records.decode_impacts(value)[0] if isinstance(value, dict) else value
        if not isinstance(message, records.PlannedMessage):
            return
        maintenance_id = str(message.maintenance_id)
        with self._lock:
            window = self._windows.get(maintenance_id)
            if window is None:
                start, end = epoch_or_none(message.start), epoch_or_none(message.end)
                if start is None or end is None:
                    return
                announced = epoch_or_none(message.announced) or epoch_or_none(message.at) or start
                window = self._windows[maintenance_id] = PlannedWindow(
                    maintenance_id, tuple(message.elements or ()), start, end,
                    message.text, min(announced, start))
                incident = self._incidents.get(maintenance_id)
                if incident is not None:
                    incident.window = window
                    window.started = True
                else:
                    held = self._pending.pop(maintenance_id, None)
                    if held is not None:
                        _add_counts(window, held)
            for service, ids in (message.customers or {}).items():
                window.customers.setdefault(service, set()).update(ids)
            self._prune_windows()
            self.version += 1

    def _prune_windows(self) -> None:
        if len(self._windows) > KEEP_ENDED:
            for old in sorted(self._windows.values(), key=lambda w: w.end)[:-KEEP_ENDED]:
                del self._windows[old.maintenance_id]

    def record_changes(self, changes: Iterable[ImpactChange]) -> None:
        with self._lock:
            for change in changes:
                if change.out:
                    self._gone(change.incident_id, change.cause_element, change.cause_type,
                               change.at, change.service, (change.customer_id,))
                else:
                    self._back(change.at, change.service, (change.customer_id,))
            self.version += 1

    def _record_impact(self, message: records.ImpactMessage) -> None:
        """One ``impact`` message, a service's ids at a time (a storm's message names
        thousands of customers): planned and out, then back, as ``changes_from_impact``."""
        at = message.at
        with self._lock:
            for customers in (message.planned, message.out):
                for service, ids in (customers or {}).items():
                    self._gone(message.incident_id, message.cause_element,
                               message.cause_type, at, service, ids)
            for service, ids in (message.back or {}).items():
                self._back(at, service, ids)
            self.version += 1

    def _owners(self, service: str) -> dict[str, str]:
        """Customer id -> incident id for those out of ``service``."""
        owners = self._customer_incident.get(service)
        if owners is None:
            owners = self._customer_incident[service] = {}
        return owners

    def _gone(self, incident_id: str, cause_element: str, cause_type: str, at: float,
              service: str, customer_ids: Collection[str]) -> None:
        if not customer_ids:
            return
        incident = self._incidents.get(incident_id)
        if incident is None:
            incident = self._open(incident_id, cause_element, cause_type, at)
        affected = incident.affected.setdefault(service, set())
        owner = self._owners(service)
        # in bulk (a storm alarm names hundreds, an incident's first ones thousands): the
        # owners before, then everyone moved here, then those who left another incident
        # leave it, in order (leaving touches only that other incident)
        customers = list(dict.fromkeys(customer_ids))
        previous = list(map(owner.get, customers))
        owner.update(zip(customers, repeat(incident_id)))
        affected.update(customers)
        for customer_id, before in zip(customers, previous, strict=True):
            if before and before != incident_id and before in self._incidents:
                self._leave(self._incidents[before], service, customer_id, at)
        incident.peak[service] = max(incident.peak.get(service, 0), len(affected))
        incident.last_change_at = at
        incident.ended_at = None

    def _back(self, at: float, service: str, customer_ids: Iterable[str]) -> None:
        owner = self._owners(service)
        for customer_id in customer_ids:
            incident_id = owner.pop(customer_id, None)
            if incident_id and incident_id in self._incidents:
                self._leave(self._incidents[incident_id], service, customer_id, at)

    def _leave(self, incident: Incident, service: str, customer_id: str, at: float) -> None:
        incident.affected.get(service, set()).discard(customer_id)
        incident.last_change_at = at
        if not incident.active:
            incident.ended_at = at
            self._prune()

    def _prune(self) -> None:
        ended = sorted((i for i in self._incidents.values() if not i.active),
                       key=lambda i: i.ended_at or i.last_change_at)
        for incident in ended[:max(0, len(ended) - KEEP_ENDED)]:
            del self._incidents[incident.incident_id]
            self._archive[incident.incident_id] = incident.summary()
        self._newest = max([self._newest] + [i.ended_at or 0.0 for i in ended])
        horizon = self._newest - self.keep_ended_s
        for incident_id in [i for i, summary in self._archive.items()
                            if (epoch_or_none(summary["ended_at"]) or 0.0) < horizon]:
            del self._archive[incident_id]
        while len(self._archive) > MAX_ARCHIVED:
            del self._archive[next(iter(self._archive))]

    def record_news(self, incident_id: str, at: float, *, eta: float | None,
                    message: str | None) -> bool:
        """NOC news for an incident; False when this board does not know the incident."""
        with self._lock:
            incident = self._incidents.get(incident_id)
            if incident is None:
                return False
            if eta is not None:
                incident.eta = eta
            if message:
                incident.message = message
            incident.news_at = at
            entry = {"at": to_iso(at), "eta": to_iso(eta) if eta is not None else None,
                     "message": message or None}
            if entry not in incident.news:  # once per customer partition, and from HTTP
                incident.news.append(entry)
                incident.news.sort(key=lambda n: n["at"])
                del incident.news[:-KEEP_NEWS]
            self.version += 1
            return True

    def record_update(self, incident_id: str | None, element_id: str | None, at: float, *,
                      eta: float | None, message: str | None,
                      related: Callable[[str, str], bool] | None = None) -> int:
        """NOC news naming an incident or an element (matched to incidents whose cause
        element is ``related`` to it); returns how many incidents took it."""
        if incident_id:
            return int(self.record_news(incident_id, at, eta=eta, message=message))
        with self._lock:
            names = [i.incident_id for i in self._incidents.values() if i.active and element_id
                     and (i.cause_element == element_id
                          or (related is not None and related(i.cause_element, element_id)))]
        return sum(self.record_news(n, at, eta=eta, message=message) for n in names)

    def record_merge(self, from_incident: str, into_incident: str) -> None:
        """Customers of a symptom incident move to the root cause's incident."""
        with self._lock:
            source = self._incidents.pop(from_incident, None)
            target = self._incidents.get(into_incident)
            if source is None or target is None:
                if source is not None:
                    self._incidents[from_incident] = source
                return
            for service, customers in source.affected.items():
                target.affected.setdefault(service, set()).update(customers)
                target.peak[service] = max(target.peak.get(service, 0),
                                           len(target.affected[service]))
                self._owners(service).update(zip(customers, repeat(into_incident)))
            _add_counts(target, source)  # per stage, channel and first delivery
            target.started_at = min(target.started_at, source.started_at)
            self._aliases[from_incident] = into_incident  # its customers' links still work
            while len(self._aliases) > 10 * KEEP_ENDED:
                del self._aliases[next(iter(self._aliases))]
            self.version += 1

    def record_receipt(self, receipt: Mapping[str, Any]) -> bool:
        """One record of ``notifications.delivered`` (CONTRACT §6): counted as a delivery
        the first time its ``notification_id`` comes, False for a repeat. Raises
        ``receipts.ReceiptError`` naming the field of a record that is not a receipt."""
        notification = receipt_notification(receipt)
        with self._lock:
            if not self._receipts.first_time(notification.notification_id):
                return False
        self.record_delivery(notification)
        return True

    def record_delivery(self, notification: Notification) -> None:
        """Count one delivery (no dedupe: ``record_receipt`` is the path that has one)."""
        with self._lock:
            self.told_ledger.note(notification.incident_id, notification.customer_id,
                                  notification.stage, from_iso(notification.decided_at) or 0.0)
            incident: Incident | PlannedWindow | None = self._incidents.get(
                notification.incident_id)
            if incident is None:  # planned notices go out before the window starts
                window = self._windows.get(notification.incident_id)
                incident = window if window is not None and not window.started else None
            if incident is None and notification.incident_id in self._aliases:
                incident = self._incidents.get(self._aliases[notification.incident_id])
            if incident is None:  # its incident or window has not reached the board yet
                held = self._pending.get(notification.incident_id)
                if held is None:
                    held = self._pending[notification.incident_id] = _Told()
                    while len(self._pending) > MAX_PENDING:
                        del self._pending[next(iter(self._pending))]
                _count(held, notification)
                return
            _count(incident, notification)
            self.version += 1

    def record_suspicion(self, suspicion: dict[str, Any]) -> None:
        """A suspected incident (CONTRACT §8: customers' reports, no alarm) opened or changed:
        ``incident_id``, ``element_id``, ``event`` (``suspected`` | ``updated`` | ``confirmed``
        | ``cancelled``), ``at``, ``reports`` and whatever else describes it. Confirmed or
        cancelled ones leave the list of open suspicions (a confirmed one continues as an
        ordinary incident). ``since`` is the ``at`` of its first event, kept across updates."""
        with self._lock:
            incident_id = str(suspicion["incident_id"])
            if suspicion.get("event") in ("confirmed", "cancelled"):
                self._suspicions.pop(incident_id, None)
            else:
                previous = self._suspicions.get(incident_id, {})
                since = previous.get("since", suspicion.get("since", suspicion.get("at")))
                self._suspicions[incident_id] = {**suspicion, "since": since}
            self.version += 1

    def told_at(self, *incident_ids: str,
                customers: Iterable[str] | None = None) -> dict[str, float]:
        """Customer id -> first told instant over ``incident_ids`` (deliveries seen so far),
        only for ``customers`` when given."""
        with self._lock:
            return self.told_ledger.told_at(*incident_ids, customers=customers)

    def record_contacts(self, incident_id: str, saved: CallsSaved, *,
                        final: bool = False, told_ids: Iterable[str] = ()) -> None:
        """An incident's calls saved so far (not told yet counts as never told until the
        end), or its final counts: then they add to the totals (metrics) and its told-at
        entries go."""
        with self._lock:
            found = self._incidents.get(incident_id)
            if found is not None:
                found.contacts = saved
            elif incident_id in self._archive:
                self._archive[incident_id]["contacts"] = _contacts(saved)
            if final:
                self.told_ledger.forget(incident_id, *told_ids)
                for when, n in (_contacts(saved) or {}).items():
                    self._contacts_total[when] = self._contacts_total.get(when, 0) + n
            self.version += 1

    def contacts_total(self) -> dict[str, int]:
        """Contacts of ended incidents' affected customers, by ``before_notice`` /
        ``after_notice`` / ``never_told`` (the metric ``forewarn_incident_contacts``)."""
        with self._lock:
            return dict(self._contacts_total)

    # -- reads (web handlers) ------------------------------------------------------------

    def suspicions(self) -> list[dict[str, Any]]:
        """Open suspected incidents (copies), oldest first."""
        with self._lock:
            return sorted((dict(s) for s in self._suspicions.values()),
                          key=lambda s: (s.get("at") or 0.0, s["incident_id"]))

    def suspicion(self, incident_id: str) -> dict[str, Any] | None:
        """The open suspected incident ``incident_id`` (a copy), or None."""
        with self._lock:
            found = self._suspicions.get(incident_id)
            return dict(found) if found is not None else None

    def incidents(self) -> list[dict[str, Any]]:
        with self._lock:
            items = sorted(self._incidents.values(), key=lambda i: (not i.active, -i.started_at))
            return [i.summary() for i in items]

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._incidents.get(incident_id)
            return found.summary() if found is not None else None

    def story(self, incident_id: str) -> dict[str, Any] | None:
        """The incident's summary (following merges), or an announced window's that has not
        started yet; None when unknown."""
        with self._lock:
            for _ in range(10):  # a merge chain is short; a cycle must not hang a page
                if incident_id in self._incidents or incident_id not in self._aliases:
                    break
                incident_id = self._aliases[incident_id]
            found = self._incidents.get(incident_id)
            if found is not None:
                return found.summary()
            if incident_id in self._archive:
                return dict(self._archive[incident_id])
            window = self._windows.get(incident_id)
            return window.summary() if window is not None and not window.started else None

    def upcoming(self) -> list[dict[str, Any]]:
        """Announced planned works that have not started (no customer out yet), by start."""
        with self._lock:
            return [w.summary() for w in sorted(self._windows.values(), key=lambda w: w.start)
                    if not w.started]

    def upcoming_customers(self) -> dict[str, frozenset[str]]:
        """Announced window id -> customers it will take out (any service), not started yet:
        where planned works will be, before anyone is out (the desk names the places)."""
        with self._lock:
            return {w.maintenance_id: frozenset().union(*w.customers.values())
                    for w in self._windows.values() if not w.started}

    def affected(self) -> dict[str, dict[str, frozenset[str]]]:
        """Active incident id -> service -> customer ids out now (copies, for derived views)."""
        with self._lock:
            return {i.incident_id: {s: frozenset(c) for s, c in i.affected.items() if c}
                    for i in self._incidents.values() if i.active}

    def incidents_of(self, customer_id: str) -> dict[str, str]:
        """Service -> incident id for the services this customer is out of now."""
        with self._lock:
            found = ((s, self._customer_incident.get(s, {}).get(customer_id))
                     for s in SERVICES)
            return {s: incident_id for s, incident_id in found if incident_id is not None}
