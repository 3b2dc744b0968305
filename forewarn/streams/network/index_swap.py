"""Swapping in a new index version: what changes for customers, computed from both indexes.

Why this is needed at all: customers, cells and routes move between index versions, but
element states (alarms, windows, incidents) and the customer-side episodes are keyed by
id and do not. What customers were told so far follows the *old* index; from the swap on,
the *new* one rules. So, for the down sets as they are at the swap:

* customers out (or planned) under the new index but not under the old go out now;
* customers out under the old index but not under the new come back now (this includes
  customers the new version no longer has: their episodes close instead of dangling);
* customers whose state is the same under both see nothing, so no timer restarts and no
  in-flight decision (a confirm or resolve window already running) is lost.

Incidents are per root element, and the new topology may put a different element at the
top of a failure: :func:`reconcile_incidents` re-roots them first (announcing merges) so
that the changes above are filed under the incidents the customer side already knows.
Windows announced before the swap reach customers the new index adds to them through
:func:`planned_additions`.

Everything here is pure: indexes, down sets and the incident mapping in, changes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

import numpy as np

from forewarn.domain import MaintenanceWindow
from forewarn.geo import CustomerIds
from forewarn.streams.network.events import Impact, IncidentMerge, PlannedNotice, incident_id_for
from forewarn.streams.network.operator_zone import DEFAULT_ZONE
from forewarn.streams.network.service_states import (
    OK,
    PLANNED,
    SERVICE_NAMES,
    Cause,
    filed_under,
    service_states,
)

__all__ = ["SwapIndex", "planned_additions", "reconcile_incidents", "swap_changes"]

#: Cause element named on a change no incident or window explains (should not happen: every
#: effectively-down element has a root); kept so such a change is still delivered.
UNEXPLAINED = "index-swap"

States = dict[tuple[str, str], int]  # (customer id, service) -> OUT or PLANNED
ROOT, WINDOW = "root", "window"
Origin = tuple[str, str, tuple[str, ...]]  # (ROOT or WINDOW, root element or window id, elements)


class SwapIndex(Protocol):
    """What a swap needs of each index version (``forewarn.geo.RegionIndex`` provides it)."""

    @property
    def customer_ids(self) -> CustomerIds: ...

    def dependents(self, element_ids: Any) -> np.ndarray: ...

    def outages(self, down: Any, positions: np.ndarray | None = None) -> dict[str, np.ndarray]: ...

    def outages_each(self, downs: Sequence[Any],
                     positions: np.ndarray | None = None) -> list[dict[str, np.ndarray]]: ...

    def root_cause(self, element_id: str, down: Any) -> str: ...

    def element_type(self, element_id: str) -> str: ...

    def ancestors(self, element_id: str) -> tuple[str, ...]: ...


def reconcile_incidents(old: SwapIndex, new: SwapIndex, down: AbstractSet[str],
                        incidents: MutableMapping[str, dict[str, Any]],
                        at: float, *, zone: str = DEFAULT_ZONE) -> list[IncidentMerge]:
    """Re-root ``incidents`` (root element -> entry) under the new topology.

    A down element that becomes a root keeps the incident of its root under the old
    topology (its customers already know that one); a root that now has a down ancestor is
    merged into that ancestor's incident, announced like any other merge.
    """
    roots = {e for e in down if not set(new.ancestors(e)) & down}
    for root in sorted(roots - set(incidents)):
        entry = incidents.get(old.root_cause(root, down))
        incidents[root] = dict(entry) if entry else {
            "incident_id": incident_id_for(root, at, zone), "since": at,
            "cause_type": new.element_type(root)}
    merges: dict[tuple[str, str], IncidentMerge] = {}
    for element in sorted(set(incidents) - roots):
        if element not in down:
            continue  # not a root of anything now; the alarm path keeps such entries
        top = next(a for a in reversed(new.ancestors(element)) if a in roots)  # topmost
        gone, into = incidents[element]["incident_id"], incidents[top]["incident_id"]
        del incidents[element]
        if gone != into:
            merges.setdefault((gone, into), IncidentMerge(at, gone, into, top,
                                                          new.element_type(top)))
    return list(merges.values())


def swap_changes(old: SwapIndex, new: SwapIndex, down: AbstractSet[str],
                 windows: Mapping[str, tuple[str, ...]],
                 incidents: Mapping[str, Mapping[str, Any]], at: float, *,
                 zone: str = DEFAULT_ZONE) -> Impact:
    """Per-customer changes between what ``old`` and ``new`` say for the same down sets,
    in (customer id, service) order.

    ``down``: elements down by their own alarms; ``windows``: started maintenance windows
    (id -> elements); ``incidents``: root element -> entry with ``incident_id``, already
    reconciled to the new topology.
    """
    maintenance = {e for elements in windows.values() for e in elements}
    was, now = _not_ok(old, down, maintenance), _not_ok(new, down, maintenance)
    changed = sorted(k for k in was.keys() | now.keys() if was.get(k, OK) != now.get(k, OK))
    if not changed:
        return Impact.of([])
    roots: list[Origin] = [(ROOT, root, (root,)) for root in sorted(incidents)]
    planned: list[Origin] = [(WINDOW, mid, tuple(windows[mid])) for mid in sorted(windows)]
    going = {c for c, s in changed if now.get((c, s), OK) != OK}
    coming = {c for c, s in changed if now.get((c, s), OK) == OK}
    cause_new = _first_cause(new, roots + planned, going)
    plan_new = _first_cause(new, planned + roots, going)
    cause_old = _first_cause(old, roots + planned, coming)
    rows: list[tuple[str, str, int, Cause]] = []
    for customer, service in changed:
        state = now.get((customer, service), OK)
        if state == PLANNED:
            cause, index = plan_new.get(customer), new
        elif state == OK:
            cause, index = cause_old.get(customer), old
        else:
            cause, index = cause_new.get(customer), new
        if cause is None:
            incident_id, element, mid = (incident_id_for(UNEXPLAINED, at, zone),
                                          UNEXPLAINED, None)
        elif cause[0] == WINDOW:
            incident_id, element, mid = cause[1], windows[cause[1]][0], cause[1]
        else:
            incident_id, element, mid = str(incidents[cause[1]]["incident_id"]), cause[1], None
        cause_type = "unknown" if cause is None else index.element_type(element)
        rows.append((customer, service, state,
                     filed_under(state, at, incident_id, element, cause_type, mid)))
    return Impact.of(rows)


def planned_additions(old: SwapIndex, new: SwapIndex, windows: Iterable[MaintenanceWindow],
                      notice_before_s: float, at: float) -> list[PlannedNotice]:
    """Planned notices for the customers the new index adds to known windows (announced or
    running); those the old index already reached were told, or will be, as announced."""
    notices: list[PlannedNotice] = []
    for window in windows:
        elements = set(window.elements)
        before, after = _hit(old, elements), _hit(new, elements)
        added = {s: sorted(after[s] - before[s]) for s in SERVICE_NAMES}
        added = {s: ids for s, ids in added.items() if ids}
        if added:
            notices.append(PlannedNotice(max(window.start - notice_before_s, at), window, added))
    return notices


def _not_ok(index: SwapIndex, down: AbstractSet[str], maintenance: AbstractSet[str]) -> States:
    positions = index.dependents(sorted(set(down) | set(maintenance)))
    if positions.size == 0:
        return {}
    states = service_states(index, positions, down, maintenance)
    ids = index.customer_ids
    return {(ids[int(positions[i])], service): int(state[i])
            for service, state in states.items() for i in np.flatnonzero(state != OK)}


def _first_cause(index: SwapIndex, causes: list[Origin],
                 customers: AbstractSet[str]) -> dict[str, tuple[str, str]]:
    """Customer -> (kind, key) of the first cause among whose dependents they are."""
    found: dict[str, tuple[str, str]] = {}
    ids = index.customer_ids
    for kind, key, elements in causes:
        if len(found) == len(customers):
            break
        for p in index.dependents(list(elements)):
            customer = ids[int(p)]
            if customer in customers:
                found.setdefault(customer, (kind, key))
    return found


def _hit(index: SwapIndex, elements: set[str]) -> dict[str, set[str]]:
    positions = index.dependents(sorted(elements))
    if positions.size == 0:
        return {s: set() for s in SERVICE_NAMES}
    out = index.outages(elements, positions)
    ids = index.customer_ids
    return {s: {ids[int(p)] for p in positions[out[s]]} for s in SERVICE_NAMES}
