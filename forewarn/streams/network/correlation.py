"""The network's view: records in event order -> what changes for which customers.

One ordered stream (see docs/architecture.md) feeds this class: alarms change elements' own
state (``ElementStates``), maintenance windows make elements effectively down while they run
(``MaintenanceSchedule``), NOC updates name incidents. For exactly the customers that depend
on a changed element it compares each service's state before and after:

* ``planned``: the started maintenance windows alone take the service away;
* ``out``: alarms (with the windows) take it away;
* ``ok``: otherwise.

Incidents: a customer who goes out is put in the incident of the *root cause* — the top-most
element, among the changed element and its ancestors, that is down by its own alarms.
Incidents are kept per root element, so everyone hurt by one power failure shares one id;
when a root is found above an earlier symptom incident, a merge is announced.

Beyond CONTRACT §3 (issue 3):

* cable cuts (``CableCut``) become critical alarms on the fibre nodes downstream of the
  routes they cross, and go through the alarm path above (``forewarn.streams.network.cuts``);
* degraded mobile service is counted per incident (:attr:`NetworkCorrelator.degraded_counts`),
  derived on demand from the state, never sent (``forewarn.streams.network.degraded``);
* hostile input is refused before it changes anything (issue 16): an event time the
  ``EventTimeGuard`` finds implausible, or a new raise on an element whose open alarms are at
  their cap (``ElementStates.refusal``). ``apply`` raises ``RecordRefused`` (counted in
  ``counts.refused`` by reason); the clock does not move;
* a new index version is swapped in between records (:meth:`NetworkCorrelator.swap_index`),
  emitting exactly the differences between what the old and the new index say
  (``forewarn.streams.network.index_swap``).

Customers as sensors (CONTRACT §8, issue 15):

* a ``Contact`` is resolved to its customer (``network/contacts.py``; unknown: refused naming
  ``customer_id`` / ``phone``), emitted as ``ContactSeen`` (with whether the customer was in
  a known outage at that instant), and a ``no_service`` contact of a customer in no known
  outage is reported to the suspicion detector with every element that serves them;
  the detector's ``SuspicionEvent``s (suspected / updated / cancelled) are emitted in order,
  and it advances wherever event time does;
* an ``IncidentUpdate`` with ``confirm`` that names an open suspicion (by incident or element
  id) turns it into an outage: a synthetic critical alarm, alarm id = the suspected
  incident's id, takes the element down at the update's event time (the NOC ends it with a
  native clear of that ``alarm_id`` on that element), and the incident registered for that
  root carries the suspected incident's id. A confirm that names no open suspicion is
  counted (``counts.unmatched_confirms``) and changes nothing;
* an alarm that takes a suspected element down joins its suspicion: ``confirmed``, and the
  alarm-backed incident keeps the suspected id (when that element is the root); an alarm on
  an ancestor confirms the suspicions below it, whose customers go out under the ancestor's
  incident.

Element level (issue 13, ``element_level=True``, how the pipeline runs it): instead of the
customers' changes, the correlator reports what changed on elements (``ElementChange``,
``WindowChange``, ``WindowAnnounced``), and each customer partition computes its own
customers' changes with the same functions (``customers/network_view.py``,
``network/transitions.py``). Each element-level event still carries the per-customer events
it stands for (``local``): the network's own worker counts incidents from them (lifecycle,
board) and never sends them; its customer partitions reuse the computed impact
(``ImpactMemo``). An index swap's differences are still sent per customer.

State lives in the mappings passed in (Faust tables in production): element alarms,
windows, incidents per root, raised cuts. Everything else is derived and rebuilt from them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np

from forewarn.domain import (
    Alarm,
    CableCut,
    Contact,
    IncidentUpdate,
    InputRecord,
    MaintenanceWindow,
)
from forewarn.geo import IdArray
from forewarn.streams.network.contacts import (
    NO_SERVICE,
    CustomerFinder,
    Suspicions,
    known_outage,
)
from forewarn.streams.network.cuts import CableCuts
from forewarn.streams.network.degraded import DegradedView
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.event_time import EventTimeGuard
from forewarn.streams.network.events import (
    ContactSeen,
    ElementChange,
    Impact,
    IncidentMerge,
    IncidentNews,
    NetworkEvent,
    PlannedNotice,
    SuspicionEvent,
    WindowAnnounced,
    WindowChange,
    WindowEnd,
    incident_id_for,
)
from forewarn.streams.network.flapping import FlapDetector
from forewarn.streams.network.incident_news import KEEP_MERGED, journal_news
from forewarn.streams.network.index_swap import (
    SwapIndex,
    planned_additions,
    reconcile_incidents,
    swap_changes,
)
from forewarn.streams.network.operator_zone import operator_zone
from forewarn.streams.network.refusals import TOO_MANY_OPEN_ALARMS, RecordRefused
from forewarn.streams.network.service_states import service_states
from forewarn.streams.network.serving import served_counts, serving_elements
from forewarn.streams.network.transitions import (
    ImpactMemo,
    Toggled,
    planned_hit,
    set_print,
    toggled,
    transitions,
    window_customers,
)
from forewarn.streams.network.windows import MaintenanceSchedule, WindowEvent

__all__ = [
    "CONFIRMED_CAUSE",
    "ContactSeen",
    "ElementChange",
    "Impact",
    "ImpactIndex",
    "IncidentMerge",
    "IncidentNews",
    "NetworkCorrelator",
    "NetworkEvent",
    "PlannedNotice",
    "SuspicionEvent",
    "WindowAnnounced",
    "WindowChange",
    "WindowEnd",
    "incident_id_for",
]

log = logging.getLogger(__name__)

#: probable cause of the alarm a NOC confirmation of a suspected incident raises
CONFIRMED_CAUSE = "suspected outage confirmed by the NOC"


class ImpactIndex(SwapIndex, Protocol):
    """What the correlator needs of a region index (``forewarn.geo.RegionIndex`` provides it;
    cable cuts also use ``cut_at``/``cut_by`` and degraded counts ``degraded`` when present):
    what an index swap needs, plus the ids as an array and a membership test."""

    @property
    def customer_id_array(self) -> IdArray: ...

    def has_element(self, element_id: str) -> bool: ...

    def descendants(self, element_id: str) -> tuple[str, ...]: ...

    def partition_table(self, partitions: int) -> np.ndarray: ...


@dataclass
class _Counts:
    unknown_elements: int = 0
    unmatched_updates: int = 0
    repeated_windows: int = 0
    index_swaps: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)  # RecordRefused.reason -> count
    unmatched_confirms: int = 0  # confirmations that named no open suspicion
    contacts: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, reason)
    suspicions: dict[str, int] = field(default_factory=dict)  # SuspicionEvent.event -> count


class NetworkCorrelator:
    """Applies records in event order and reports what changes for which customers."""

    def __init__(
        self,
        index: ImpactIndex,
        elements: ElementStates,
        windows: MaintenanceSchedule | None = None,
        incidents: MutableMapping[str, dict[str, Any]] | None = None,
        *,
        notice_before_s: float = 172800.0,
        flapping: FlapDetector | None = None,
        cuts: MutableMapping[str, dict[str, Any]] | None = None,
        event_time: EventTimeGuard | None = None,
        suspicion: Suspicions | None = None,
        country: str = "",
        zone: str | None = None,
        element_level: bool = False,
        memo: ImpactMemo | None = None,
    ) -> None:
        self.index = index
        # Incident ids name local date and time in the zone the pages show (kept when an
        # index version is swapped in, so ids stay stable for the worker's life).
        self.zone = zone or operator_zone(index)
        self.elements = elements
        self.windows = windows if windows is not None else MaintenanceSchedule({})
        self.incidents: MutableMapping[str, dict[str, Any]] = (
            incidents if incidents is not None else {})
        self.notice_before_s = notice_before_s
        self.clock = -math.inf
        self.counts = _Counts()
        self.flapping = flapping if flapping is not None else FlapDetector()
        self.unstable: set[str] = set()
        self.cuts = CableCuts(cuts if cuts is not None else {})
        self._ancestor_cache: dict[str, frozenset[str]] = {}
        self._degraded = DegradedView()
        self.event_time = event_time if event_time is not None else EventTimeGuard()
        self.suspicion = suspicion  # None: contacts are seen, nothing is suspected
        if suspicion is not None:  # suspected incidents' ids read like the others
            suspicion.zone = self.zone
        self.customers = CustomerFinder(index, country)
        self._contact_at: int | None = None  # the position ``_admit`` resolved
        # Element-level output (docs/architecture.md): element and window changes instead of
        # per-customer impacts; each customer partition computes its own customers' impact.
        # The per-customer events still ride along (``local``) for this worker's lifecycle
        # and board, computed once per worker through ``memo``.
        self.element_level = element_level
        self.memo = memo if memo is not None else ImpactMemo()

    def _ancestors(self, element: str) -> frozenset[str]:
        cached = self._ancestor_cache.get(element)
        if cached is None:
            cached = self._ancestor_cache[element] = frozenset(self.index.ancestors(element))
        return cached

    def _below(self, element: str) -> set[str]:
        """Every element that has ``element`` among its ancestors."""
        return set(self.index.descendants(element))

    @property
    def unknown_elements(self) -> int:
        return self.counts.unknown_elements

    def rebuild(self) -> None:
        """After a table recovery: re-derive in-memory views from the state mappings."""
        self.elements.rebuild()
        self.windows.rebuild()
        if self.suspicion is not None:
            self.suspicion.rebuild()

    # -- index versions ----------------------------------------------------------------

    def swap_index(self, index: ImpactIndex, at: float | None = None) -> list[NetworkEvent]:
        """Use ``index`` from now on; what that changes for customers, at ``at`` (default:
        the correlator's clock). Call it between records (it is one step in event order).

        In order: incidents re-rooted under the new topology (merges announced), customers
        whose state differs between the old and the new index for the current down sets
        (``reload.swap_changes``), planned notices for customers the new index adds to known
        windows, then raised cable cuts re-mapped onto the new routes (ordinary alarms).
        """
        at = self.clock if at is None else at
        if not math.isfinite(at):
            raise ValueError("swap_index needs a finite event time (no record seen yet: pass at)")
        old = self.index
        down = self.elements.down_elements()
        self.index = index
        self.customers.swap(index)
        if self.suspicion is not None:
            self.suspicion.swap(served_counts(cast(Any, index)), index.element_type)
        self._ancestor_cache = {}
        self.counts.index_swaps += 1
        self.clock = max(self.clock, at)
        events: list[NetworkEvent] = list(reconcile_incidents(old, index, down, self.incidents, at,
                                                                  zone=self.zone))
        impact = swap_changes(old, index, down, self.windows.active_windows(), self.incidents, at,
                              zone=self.zone)
        if len(impact):
            events.append(impact)
        windows = [_window_of(entry) for _, entry in sorted(self.windows.state.items())]
        events.extend(planned_additions(old, index, windows, self.notice_before_s, at))
        for alarm in self.cuts.relocate(index, at):
            events.extend(self._alarm(alarm))
        log.warning("index swapped: %d customer change(s), %d event(s)", len(impact), len(events))
        return events

    # -- degraded service --------------------------------------------------------------

    @property
    def degraded_counts(self) -> dict[str, int]:
        """Degraded mobile customers per incident id (or maintenance id) right now.

        Counted, never notified: CONTRACT §4 has no degraded notice. Derived from the
        state on each read that follows a change (``forewarn.streams.network.degraded``)."""
        return {key: len(ids) for key, ids in self.degraded_customers().items()}

    def degraded_customers(self) -> dict[str, list[str]]:
        """Degraded mobile customer ids per incident id (or maintenance id)."""
        return self._degraded.customers(self.index, self.elements.down_elements(),
                                        self.windows.active_windows(), self.incidents)

    # -- entry points ------------------------------------------------------------------

    def apply(self, record: InputRecord, received_at: float | None = None) -> list[NetworkEvent]:
        """Everything one record changes, after the window timers due by its time.

        ``received_at``: the broker timestamp of the message that carried it (s), if known.
        Raises ``RecordRefused`` (having changed nothing) for a record the network must not
        believe (see the module docstring)."""
        try:
            self._admit(record, received_at)
        except RecordRefused as refused:
            self.counts.refused[refused.reason] = self.counts.refused.get(refused.reason, 0) + 1
            raise
        at = record.event_time if record.event_time is not None else self.clock
        events = self.advance(at) if at is not None and math.isfinite(at) else []
        if isinstance(record, Alarm):
            events.extend(self._alarm(record))
        elif isinstance(record, MaintenanceWindow):
            events.extend(self._announce(record))
        elif isinstance(record, IncidentUpdate):
            news = self._update(record)
            journal_news(self.incidents, news)  # a new owner's board shows ETA and news
            events.extend(news)
        elif isinstance(record, CableCut):
            for alarm in self.cuts.apply(record, self.index):
                events.extend(self._alarm(alarm))
        elif isinstance(record, Contact):
            events.extend(self._contact(record))
        return events

    def _admit(self, record: InputRecord, received_at: float | None) -> None:
        self.event_time.check(record.event_time, received_at, self.clock)
        if isinstance(record, Alarm):
            why = self.elements.refusal(record)
            if why is not None:
                raise RecordRefused(TOO_MANY_OPEN_ALARMS, "alarm_id", why)
        elif isinstance(record, Contact):
            self._contact_at = self.customers.position(record)

    def advance(self, now: float) -> list[NetworkEvent]:
        """Move event time to ``now``: windows that start or end by then do so, in order,
        then the suspicion detector's timers (expiry, cancellation)."""
        events: list[NetworkEvent] = []
        for window_event in self.windows.advance(now):
            events.extend(self._window_event(window_event))
        self.clock = max(self.clock, now)
        if self.suspicion is not None:
            events.extend(self._suspected(self.suspicion.advance(now)))
        return events

    # -- contacts and suspicions (CONTRACT §8) -----------------------------------------

    def _contact(self, contact: Contact) -> list[NetworkEvent]:
        position = self._contact_at
        self._contact_at = None
        assert position is not None  # resolved by _admit, which refuses unknown customers
        customer_id = str(self.index.customer_ids[position])
        key = (contact.channel, contact.reason)
        self.counts.contacts[key] = self.counts.contacts.get(key, 0) + 1
        known = known_outage(self.index, position, self.elements.down_elements(),
                             self.windows.active_elements())
        at = contact.event_time
        events: list[NetworkEvent] = [ContactSeen(at, contact.contact_id, customer_id,
                                                  contact.channel, contact.reason, known)]
        if contact.reason == NO_SERVICE and not known and self.suspicion is not None:
            serving = serving_elements(cast(Any, self.index), position)
            events.extend(self._suspected(self.suspicion.report(
                at, contact.contact_id, customer_id, serving)))
        return events

    def _suspected(self, events: list[SuspicionEvent]) -> list[NetworkEvent]:
        """The detector's events, counted (``forewarn_suspicions_total``)."""
        for event in events:
            self.counts.suspicions[event.event] = self.counts.suspicions.get(event.event, 0) + 1
        return list(events)

    def _confirm(self, update: IncidentUpdate) -> list[NetworkEvent]:
        """A NOC confirmation: the suspected element goes down by a synthetic alarm whose id
        is the suspected incident's, and its incident keeps that id (see the module doc)."""
        found = None
        if self.suspicion is not None:
            found = self.suspicion.confirm(update.event_time, incident_id=update.incident_id,
                                           element_id=update.element_id)
        if found is None:
            self.counts.unmatched_confirms += 1
            log.warning("confirmation for %s matches no open suspected incident; ignored",
                        update.incident_id or update.element_id)
            return []
        events: list[NetworkEvent] = self._suspected([found])
        alarm = Alarm(found.incident_id, found.element_id, "raised",
                      self.elements.down_severity, update.event_time, CONFIRMED_CAUSE,
                      text=update.message, source_format="confirmation")
        events.extend(self._alarm(alarm, suspected_id=found.incident_id))
        if update.eta is not None or update.message:
            events.append(IncidentNews(update.event_time, found.incident_id, update.eta,
                                       update.message))
        return events

    def _join(self, element: str, at: float) -> tuple[str | None, list[NetworkEvent]]:
        """``element`` went down by an alarm: its own open suspicion is confirmed (its id
        returned: the incident keeps it), and so are suspicions of elements below it."""
        if self.suspicion is None:
            return None, []
        joined: list[SuspicionEvent] = []
        own = self.suspicion.join(element, at)
        if own is not None:
            joined.append(own)
        for other in self._suspected_below(element):
            event = self.suspicion.join(other, at)
            if event is not None:
                joined.append(event)
        return (own.incident_id if own is not None else None), self._suspected(joined)

    def _suspected_below(self, element: str) -> list[str]:
        """Elements below ``element`` with an open suspicion (few: the detector caps them)."""
        if self.suspicion is None:
            return []
        below = [s.element_id for s in self.suspicion.open() if s.element_id != element]
        return sorted(e for e in below if element in self._ancestors(e))

    # -- alarms ------------------------------------------------------------------------

    def _alarm(self, alarm: Alarm, *, suspected_id: str | None = None) -> list[NetworkEvent]:
        if not self.index.has_element(alarm.element_id):
            self.counts.unknown_elements += 1
        change = self.elements.apply(alarm)
        if not change.changed:
            return []
        self._note_flapping(change.element_id, change.at)
        # the down set itself and a view of it before the change, not copies: a storm's
        # down set holds thousands of elements, and this runs per alarm
        after = self.elements.down_view()
        before = Toggled(after, change.element_id)
        events: list[NetworkEvent] = []
        if change.is_down:
            joined_id, joined = self._join(change.element_id, change.at)
            events.extend(joined)
            incident_id, merges = self._root_went_down(change.element_id, after, change.at,
                                                       suspected_id or joined_id)
            events.extend(merges)
            root = self.index.root_cause(change.element_id, after)
            incident_id = self.incidents.get(root, {}).get("incident_id", incident_id)
        else:
            root = self.index.root_cause(change.element_id, before)
            incident_id = (self.incidents.get(root, {}).get("incident_id")
                           or incident_id_for(root, change.at, self.zone))
            self._root_came_back(change.element_id, after)
        maintenance = self.windows.active_elements()
        element = change.element_id
        now, m = self.elements.down_print, set_print(maintenance)
        impact = self.memo.transitions(
            self.index, (element,), lambda: self.index.dependents([element]),
            (before, maintenance), (after, maintenance), change.at, incident_id, root, None,
            prints=(toggled(now, element, not change.is_down), m, now, m))
        local: list[NetworkEvent] = [] if impact is None else [impact]
        if self.element_level:
            events.append(ElementChange(change.at, element, change.is_down, incident_id, root,
                                        self.index.element_type(root), tuple(local)))
        else:
            events.extend(local)
        return events

    def _note_flapping(self, element: str, at: float) -> None:
        if self.flapping.observe(element, at):
            if element not in self.unstable:
                log.warning("element %s is flapping (%d state changes within %.0f s)", element,
                            self.flapping.changes, self.flapping.window_s)
            self.unstable.add(element)
        else:
            self.unstable.discard(element)

    def is_unstable(self, element: str) -> bool:
        """True while ``element`` or one of its ancestors keeps changing state."""
        return bool(self.unstable & ({element} | self._ancestors(element)))

    def _root_went_down(
        self, element: str, down: AbstractSet[str], at: float, suspected_id: str | None = None
    ) -> tuple[str, list[NetworkEvent]]:
        """Register ``element`` as a new root if nothing above it is down; merge roots below it.

        ``suspected_id``: the suspected incident this outage confirms; a new root keeps it."""
        root = self.index.root_cause(element, down)
        if root != element:
            return (self.incidents.get(root, {}).get("incident_id")
                    or incident_id_for(root, at, self.zone)), []
        incident_id = suspected_id or incident_id_for(element, at, self.zone)
        cause_type = self.index.element_type(element)
        self.incidents[element] = {
            "incident_id": incident_id, "since": at, "cause_type": cause_type}
        merges: list[NetworkEvent] = []
        merged: list[str] = []  # journalled: a new owner's board maps their receipts here
        below = self._below(element)
        # the smaller side: a storm holds thousands of incidents, an element few descendants
        roots = ({e for e in below if e in self.incidents} if len(below) <= len(self.incidents)
                 else below & set(self.incidents))
        for other in sorted(roots):
            if other != element:
                old = self.incidents[other]["incident_id"]
                merged += [*self.incidents[other].get("merged", ()), old]
                del self.incidents[other]
                merges.append(IncidentMerge(at, old, incident_id, element, cause_type))
        if merged:
            self.incidents[element] = {**self.incidents[element],
                                       "merged": list(dict.fromkeys(merged))[-KEEP_MERGED:]}
        return incident_id, merges

    def _root_came_back(self, element: str, down: AbstractSet[str]) -> None:
        """Elements below a root that came back and are still down become roots themselves,
        keeping the incident their customers already know."""
        entry = self.incidents.get(element)
        if entry is None:
            return
        del self.incidents[element]
        for other in self._below(element) & down:
            if not self._ancestors(other) & down:
                self.incidents[other] = dict(entry)

    # -- maintenance -------------------------------------------------------------------

    def _announce(self, window: MaintenanceWindow) -> list[NetworkEvent]:
        if not self.windows.announce(window):
            self.counts.repeated_windows += 1
            return []
        announced = window.event_time if window.event_time is not None else self.clock
        decide_at = window.start - self.notice_before_s
        if announced is not None and math.isfinite(announced):
            decide_at = max(decide_at, announced)
        positions = self.index.dependents(list(window.elements))
        customers = planned_hit(self.index, window.elements, positions)
        local: list[NetworkEvent] = [PlannedNotice(decide_at, window, customers)] \
            if customers else []
        if self.element_level:
            return [WindowAnnounced(decide_at, window, self.clock, tuple(local))]
        return local

    def _window_event(self, event: WindowEvent) -> list[NetworkEvent]:
        local = self._window_customers(event)
        if self.element_level:
            return [self._window_change(event, self.elements.down_elements(), local)]
        return local

    def _window_customers(self, event: WindowEvent) -> list[NetworkEvent]:
        """A window's start or end, per customer."""
        window = event.window
        down = self.elements.down_elements()
        active = self.windows.active_elements()
        positions = self.index.dependents(list(window.elements))
        if event.kind == "start":
            before = active - set(window.elements) | self._other_windows(window.maintenance_id)
            return self._transitions(positions, (down, before), (down, active), event.at,
                                     window.maintenance_id, window.elements[0], None,
                                     maintenance_id=window.maintenance_id)
        incident_id, cause_element = self._window_end_cause(event, down)
        events = self._transitions(positions, (down, active | set(window.elements)),
                                   (down, active), event.at, incident_id, cause_element, None,
                                   maintenance_id=window.maintenance_id)
        customers = window_customers(self.index, positions, down, active | set(window.elements))
        if customers:
            events.append(WindowEnd(event.at, window.maintenance_id, customers))
        return events

    def _window_end_cause(self, event: WindowEvent, down: set[str]) -> tuple[str, str]:
        """What a window's end is filed under: the incident of an outage still holding its
        elements down, else the window itself."""
        window = event.window
        root = next((self.index.root_cause(e, down) for e in window.elements
                     if e in down or set(self.index.ancestors(e)) & down), None)
        incident_id = (self.incidents.get(root, {}).get("incident_id") if root else None) \
            or incident_id_for(window.maintenance_id, event.at, self.zone)
        return incident_id, root or window.elements[0]

    def _window_change(self, event: WindowEvent, down: set[str],
                       local: list[NetworkEvent]) -> WindowChange:
        window = event.window
        if event.kind == "start":
            incident_id, cause_element = window.maintenance_id, window.elements[0]
        else:
            incident_id, cause_element = self._window_end_cause(event, down)
        return WindowChange(event.at, event.kind, window.maintenance_id, tuple(window.elements),
                            incident_id, cause_element, self.index.element_type(cause_element),
                            tuple(local))

    def _other_windows(self, maintenance_id: str) -> set[str]:
        return {e for mid, elements in self.windows.active_windows().items()
                if mid != maintenance_id for e in elements}

    # -- updates -----------------------------------------------------------------------

    def _update(self, update: IncidentUpdate) -> list[NetworkEvent]:
        if update.confirm:
            return self._confirm(update)
        incident_ids: list[str] = []
        if update.incident_id:
            incident_ids.append(update.incident_id)
        elif update.element_id:
            element = update.element_id
            related = {element} | self._ancestors(element) | self._below(element)
            for root in sorted(related & set(self.incidents)):
                incident_ids.append(self.incidents[root]["incident_id"])
        if not incident_ids:
            self.counts.unmatched_updates += 1
            log.warning("incident update for %s matches no open incident",
                        update.incident_id or update.element_id)
        return [IncidentNews(update.event_time, i, update.eta, update.message)
                for i in dict.fromkeys(incident_ids)]

    # -- customer states ---------------------------------------------------------------

    def _states(
        self, positions: np.ndarray, down: set[str], maintenance: set[str]
    ) -> dict[str, np.ndarray]:
        """ok/out/planned per service for ``positions``."""
        return service_states(self.index, positions, down, maintenance)

    def _transitions(
        self, positions: np.ndarray, before: tuple[set[str], set[str]],
        after: tuple[set[str], set[str]], at: float, incident_id: str, cause_element: str,
        cause_type: str | None, *, maintenance_id: str | None = None,
    ) -> list[NetworkEvent]:
        """The impact of going from ``before`` to ``after`` (down, maintenance) for
        ``positions``, services in ``SERVICE_NAMES`` order, customers in index order."""
        impact = transitions(self.index, positions, before, after, at, incident_id,
                             cause_element, cause_type, maintenance_id)
        return [] if impact is None else [impact]


def _window_of(entry: dict[str, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(entry["maintenance_id"], tuple(entry["elements"]), entry["start"],
                             entry["end"], entry.get("text"), entry.get("event_time"))
