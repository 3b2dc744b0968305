"""What one network change does to customers' services: the one computation both sides share.

The network stage used to run it for every customer; with element-level messages
(docs/architecture.md, "Share the small thing") each customer partition runs it for its own
customers from its replica of the down and maintenance sets. Keeping it in one function is
what makes the two paths decide the same: same states (``service_states_each``), same
filing (``filing``), same row order (index order, services in ``SERVICE_NAMES`` order).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from forewarn.streams.network.events import Impact
from forewarn.streams.network.service_states import (
    PLANNED,
    SERVICE_NAMES,
    filing,
    service_states,
    service_states_each,
)

__all__ = ["ImpactMemo", "Print", "Sets", "Toggled", "planned_hit", "set_print", "toggled",
           "transitions", "window_customers"]

Sets = tuple[AbstractSet[str], AbstractSet[str]]  # (down by own alarms, in started windows)


def transitions(index: Any, positions: np.ndarray, before: Sets, after: Sets, at: float,
                incident_id: str, cause_element: str, cause_type: str | None,
                maintenance_id: str | None = None) -> Impact | None:
    """The impact of going from ``before`` to ``after`` for ``positions`` (None: nothing
    changes); services in ``SERVICE_NAMES`` order, customers in ``positions`` order."""
    if len(positions) == 0:
        return None
    was, now = service_states_each(index, positions, [before, after])
    changed = [np.flatnonzero(was[service] != now[service]) for service in SERVICE_NAMES]
    rows = np.concatenate(changed)
    if rows.size == 0:
        return None
    states = np.concatenate([now[service][c] for service, c in zip(SERVICE_NAMES, changed,
                                                                    strict=True)])
    services = np.repeat(np.arange(len(SERVICE_NAMES)), [c.size for c in changed])
    cause = cause_type or index.element_type(cause_element)
    causes, cause_of = filing(states, at, incident_id, cause_element, cause, maintenance_id)
    return Impact(index.customer_id_array, positions[rows], services, states, causes, cause_of)


_MASK = (1 << 64) - 1
Print = tuple[int, int]  # (how many, sum of their hashes mod 2**64)


def set_print(elements: Iterable[str]) -> Print:
    """A set's fingerprint in this process: equal sets give equal prints, and one element
    coming or going changes it in O(1) (``toggled``), so a replica keeps its own up to date
    instead of hashing a storm's thousands of down elements at every change. Python
    randomises ``str`` hashes per process: no input can aim at a collision."""
    count = total = 0
    for element in elements:
        count += 1
        total += hash(element)
    return count, total & _MASK


def toggled(print_: Print, element: str, present: bool) -> Print:
    """The print of the set after ``element`` was added (``present``) or removed."""
    count, total = print_
    if present:
        return count + 1, (total + hash(element)) & _MASK
    return count - 1, (total - hash(element)) & _MASK


class Toggled(AbstractSet[str]):
    """``base`` with ``element`` toggled back: a down set as it was before one change,
    read only if the impact must be computed (not a copy per change; ``base`` must not
    change while it is in use)."""

    __slots__ = ("base", "element", "inside")

    def __init__(self, base: AbstractSet[str], element: str) -> None:
        self.base, self.element = base, element
        self.inside = element not in base  # it was down before iff it is not now

    def __contains__(self, item: object) -> bool:
        return self.inside if item == self.element else item in self.base

    def __iter__(self) -> Iterator[str]:
        yield from (e for e in self.base if e != self.element)
        if self.inside:
            yield self.element

    def __len__(self) -> int:
        return len(self.base) + (1 if self.inside else -1)

    def toggled_from(self) -> tuple[AbstractSet[str], str]:
        """(the set it is a view of, the element toggled): the index answers "which of
        these elements are down" for both from one set of lookups."""
        return self.base, self.element


class ImpactMemo:
    """Impacts of element changes, computed once per worker (docs/architecture.md).

    The network stage works out every customer's impact of a change for its incident
    lifecycle and board; each customer partition of the same worker then needs its own rows
    of that very impact (its replica is in the same state when it gets the change). Keyed
    by the change and the fingerprints (``set_print``) of the down and maintenance sets
    before and after it, so a hit is the impact the caller would compute and a key costs
    no copy of a storm's down set; forgotten when the index's id array changes (a new
    version or other slices), and bounded by rows (``max_rows``: a 1M-customer incident's
    impact is ~16 MB of arrays) and entries."""

    def __init__(self, max_rows: int = 4_000_000, max_entries: int = 20_000) -> None:
        self.max_rows = max_rows
        self.max_entries = max_entries
        self._ids: Any = None
        self._impacts: dict[tuple[Any, ...], Impact | None] = {}
        self._rows = 0
        self.hits = 0

    def transitions(self, index: Any, elements: tuple[str, ...], positions: Any,
                    before: Sets, after: Sets, at: float, incident_id: str,
                    cause_element: str, cause_type: str | None,
                    maintenance_id: str | None = None, *,
                    prints: tuple[Print, Print, Print, Print] | None = None
                    ) -> Impact | None:
        """``transitions`` of ``elements``' dependents (``positions``: them, or a callable
        giving them on a miss), remembered. ``prints``: the four sets' ``set_print`` when
        the caller keeps them (else computed here)."""
        ids = index.customer_id_array
        if ids is not self._ids:
            self._ids, self._impacts, self._rows = ids, {}, 0
        cause = cause_type or index.element_type(cause_element)
        if prints is None:
            prints = (set_print(before[0]), set_print(before[1]), set_print(after[0]),
                      set_print(after[1]))
        key = (elements, prints, at, incident_id, cause_element, cause, maintenance_id)
        if key in self._impacts:
            self.hits += 1
            return self._impacts[key]
        found = transitions(index, positions() if callable(positions) else positions, before,
                            after, at, incident_id, cause_element, cause, maintenance_id)
        rows = 0 if found is None else len(found.positions)
        while self._impacts and (self._rows + rows > self.max_rows
                                 or len(self._impacts) >= self.max_entries):
            oldest = self._impacts.pop(next(iter(self._impacts)))
            self._rows -= 0 if oldest is None else len(oldest.positions)
        if rows <= self.max_rows:
            self._impacts[key] = found
            self._rows += rows
        return found


def planned_hit(index: Any, elements: tuple[str, ...] | list[str],
                positions: np.ndarray) -> dict[str, list[str]]:
    """Customers (of ``positions``) a maintenance window on ``elements`` takes out, per
    service, in index order; services without any left out."""
    hit = index.outages(set(elements), positions)
    ids = index.customer_ids
    customers = {s: [ids[p] for p in positions[hit[s]].tolist()] for s in SERVICE_NAMES}
    return {s: c for s, c in customers.items() if c}


def window_customers(index: Any, positions: np.ndarray, down: AbstractSet[str],
                     maintenance: AbstractSet[str]) -> dict[str, list[str]]:
    """Customers (of ``positions``) whose service is ``planned`` under ``down`` and
    ``maintenance``: those a window that ends now had inside it."""
    state = service_states(index, positions, down, maintenance)
    ids = index.customer_ids
    in_window = {s: [ids[p] for p in positions[state[s] == PLANNED].tolist()]
                 for s in SERVICE_NAMES}
    return {s: c for s, c in in_window.items() if c}
