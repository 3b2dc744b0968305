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

State lives in the mappings passed in (Faust tables in production): element alarms,
windows, incidents per root, raised cuts. Everything else is derived and rebuilt from them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from forewarn.domain import (
    Alarm,
    CableCut,
    IncidentUpdate,
    InputRecord,
    MaintenanceWindow,
)
from forewarn.streams.network.cuts import CableCuts
from forewarn.streams.network.degraded import DegradedView
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.event_time import EventTimeGuard
from forewarn.streams.network.events import (
    Impact,
    IncidentMerge,
    IncidentNews,
    NetworkEvent,
    PlannedNotice,
    WindowEnd,
    incident_id_for,
)
from forewarn.streams.network.flapping import FlapDetector
from forewarn.streams.network.index_swap import (
    SwapIndex,
    planned_additions,
    reconcile_incidents,
    swap_changes,
)
from forewarn.streams.network.operator_zone import operator_zone
from forewarn.streams.network.refusals import TOO_MANY_OPEN_ALARMS, RecordRefused
from forewarn.streams.network.service_states import (
    PLANNED,
    SERVICE_NAMES,
    filing,
    service_states,
    service_states_each,
)
from forewarn.streams.network.windows import MaintenanceSchedule, WindowEvent

__all__ = [
    "Impact",
    "ImpactIndex",
    "IncidentMerge",
    "IncidentNews",
    "NetworkCorrelator",
    "NetworkEvent",
    "PlannedNotice",
    "WindowEnd",
    "incident_id_for",
]

log = logging.getLogger(__name__)


class ImpactIndex(SwapIndex, Protocol):
    """What the correlator needs of a region index (``forewarn.geo.RegionIndex`` provides it;
    cable cuts also use ``cut_at``/``cut_by`` and degraded counts ``degraded`` when present):
    what an index swap needs, plus the ids as an array and a membership test."""

    @property
    def customer_id_array(self) -> np.ndarray: ...

    def has_element(self, element_id: str) -> bool: ...

    def descendants(self, element_id: str) -> tuple[str, ...]: ...


@dataclass
class _Counts:
    unknown_elements: int = 0
    unmatched_updates: int = 0
    repeated_windows: int = 0
    index_swaps: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)  # RecordRefused.reason -> count


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
        zone: str | None = None,
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
            events.extend(self._update(record))
        elif isinstance(record, CableCut):
            for alarm in self.cuts.apply(record, self.index):
                events.extend(self._alarm(alarm))
        return events

    def _admit(self, record: InputRecord, received_at: float | None) -> None:
        self.event_time.check(record.event_time, received_at, self.clock)
        if isinstance(record, Alarm):
            why = self.elements.refusal(record)
            if why is not None:
                raise RecordRefused(TOO_MANY_OPEN_ALARMS, "alarm_id", why)

    def advance(self, now: float) -> list[NetworkEvent]:
        """Move event time to ``now``: windows that start or end by then do so, in order."""
        events: list[NetworkEvent] = []
        for window_event in self.windows.advance(now):
            events.extend(self._window_event(window_event))
        self.clock = max(self.clock, now)
        return events

    # -- alarms ------------------------------------------------------------------------

    def _alarm(self, alarm: Alarm) -> list[NetworkEvent]:
        if not self.index.has_element(alarm.element_id):
            self.counts.unknown_elements += 1
        change = self.elements.apply(alarm)
        if not change.changed:
            return []
        self._note_flapping(change.element_id, change.at)
        after = self.elements.down_elements()
        before = after - {change.element_id} if change.is_down else after | {change.element_id}
        events: list[NetworkEvent] = []
        if change.is_down:
            incident_id, merges = self._root_went_down(change.element_id, after, change.at)
            events.extend(merges)
            root = self.index.root_cause(change.element_id, after)
            incident_id = self.incidents.get(root, {}).get("incident_id", incident_id)
        else:
            root = self.index.root_cause(change.element_id, before)
            incident_id = (self.incidents.get(root, {}).get("incident_id")
                           or incident_id_for(root, change.at, self.zone))
            self._root_came_back(change.element_id, after)
        positions = self.index.dependents([change.element_id])
        maintenance = self.windows.active_elements()
        events.extend(self._transitions(positions, (before, maintenance), (after, maintenance),
                                        change.at, incident_id, root, None))
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
        self, element: str, down: set[str], at: float
    ) -> tuple[str, list[NetworkEvent]]:
        """Register ``element`` as a new root if nothing above it is down; merge roots below it."""
        root = self.index.root_cause(element, down)
        if root != element:
            return (self.incidents.get(root, {}).get("incident_id")
                    or incident_id_for(root, at, self.zone)), []
        incident_id = incident_id_for(element, at, self.zone)
        cause_type = self.index.element_type(element)
        self.incidents[element] = {
            "incident_id": incident_id, "since": at, "cause_type": cause_type}
        merges: list[NetworkEvent] = []
        for other in sorted(self._below(element) & set(self.incidents)):
            if other != element:
                old = self.incidents[other]["incident_id"]
                del self.incidents[other]
                merges.append(IncidentMerge(at, old, incident_id, element, cause_type))
        return incident_id, merges

    def _root_came_back(self, element: str, down: set[str]) -> None:
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
        hit = self.index.outages(set(window.elements), positions)
        ids = self.index.customer_ids
        customers = {s: [ids[p] for p in positions[hit[s]].tolist()] for s in SERVICE_NAMES}
        customers = {s: c for s, c in customers.items() if c}
        return [PlannedNotice(decide_at, window, customers)] if customers else []

    def _window_event(self, event: WindowEvent) -> list[NetworkEvent]:
        window = event.window
        down = self.elements.down_elements()
        active = self.windows.active_elements()
        positions = self.index.dependents(list(window.elements))
        if event.kind == "start":
            before = active - set(window.elements) | self._other_windows(window.maintenance_id)
            return self._transitions(positions, (down, before), (down, active), event.at,
                                     window.maintenance_id, window.elements[0], None,
                                     maintenance_id=window.maintenance_id)
        before_state = self._states(positions, down, active | set(window.elements))
        root = next((self.index.root_cause(e, down) for e in window.elements
                     if e in down or set(self.index.ancestors(e)) & down), None)
        incident_id = (self.incidents.get(root, {}).get("incident_id") if root else None) \
            or incident_id_for(window.maintenance_id, event.at, self.zone)
        events = self._transitions(positions, (down, active | set(window.elements)),
                                   (down, active), event.at, incident_id,
                                   root or window.elements[0], None,
                                   maintenance_id=window.maintenance_id)
        ids = self.index.customer_ids
        in_window = {s: [ids[p] for p in positions[before_state[s] == PLANNED].tolist()]
                     for s in SERVICE_NAMES}
        customers = {s: c for s, c in in_window.items() if c}
        if customers:
            events.append(WindowEnd(event.at, window.maintenance_id, customers))
        return events

    def _other_windows(self, maintenance_id: str) -> set[str]:
        return {e for mid, elements in self.windows.active_windows().items()
                if mid != maintenance_id for e in elements}

    # -- updates -----------------------------------------------------------------------

    def _update(self, update: IncidentUpdate) -> list[NetworkEvent]:
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
        if len(positions) == 0:
            return []
        was, now = service_states_each(self.index, positions, [before, after])
        changed = [np.flatnonzero(was[service] != now[service]) for service in SERVICE_NAMES]
        rows = np.concatenate(changed)
        if rows.size == 0:
            return []
        states = np.concatenate([now[service][c] for service, c in zip(SERVICE_NAMES, changed,
                                                                        strict=True)])
        services = np.repeat(np.arange(len(SERVICE_NAMES)), [c.size for c in changed])
        cause = cause_type or self.index.element_type(cause_element)
        causes, cause_of = filing(states, at, incident_id, cause_element, cause, maintenance_id)
        return [Impact(self.index.customer_id_array, positions[rows], services, states, causes,
                       cause_of)]


def _window_of(entry: dict[str, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(entry["maintenance_id"], tuple(entry["elements"]), entry["start"],
                             entry["end"], entry.get("text"), entry.get("event_time"))
