"""Degraded mobile service per incident: who lost their best technology, and to what cause.

A mobile customer is *degraded* while not out and the best technology among their live
covering cells ranks below the best among all of them (``RegionIndex.degraded``; rule in
docs/geo.md). CONTRACT §4 tells customers about outages only, and there are no templates
for a "degraded" notice, so degraded service is *counted*, never sent: the correlator's
``degraded_counts`` is what the board and metrics read.

Why derived on demand rather than tracked per alarm: the answer is a function of the state
mappings alone (own-down elements, started windows, incident roots), so it survives a
crash, a rebalance and an index swap without bookkeeping of its own, and costs nothing on
the per-alarm path whether anyone reads it or not.

Attribution: each degraded customer is counted once, under the first cause (incident roots
by element id, then started windows by id) whose removal alone gives them their best
technology back; when no single cause does (two causes each take one of their best
cells), under the first cause whose elements they depend on.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

import numpy as np

from forewarn.geo import CustomerIds

__all__ = ["DegradedIndex", "DegradedView", "degraded_by_cause"]


class DegradedIndex(Protocol):
    """What attribution needs of a region index (``forewarn.geo.RegionIndex`` provides it)."""

    @property
    def customer_ids(self) -> CustomerIds: ...

    def dependents(self, element_ids: Any) -> np.ndarray: ...

    def degraded(self, down: Any, positions: np.ndarray | None = None) -> np.ndarray: ...


def degraded_by_cause(
    index: DegradedIndex,
    down: AbstractSet[str],
    windows: Mapping[str, tuple[str, ...]],
    incidents: Mapping[str, Mapping[str, Any]],
) -> dict[str, list[str]]:
    """``{incident_id or maintenance_id: [customer ids]}`` of degraded mobile customers.

    ``down``: elements down by their own alarms; ``windows``: started maintenance windows
    (their elements are effectively down too); ``incidents``: root element -> entry with
    ``incident_id`` (the correlator's incident mapping).
    """
    causes: list[tuple[str, set[str], set[str]]] = []  # (key, down without it, windows' rest)
    window_elements = {e for elements in windows.values() for e in elements}
    for root in sorted(incidents):
        causes.append((str(incidents[root]["incident_id"]), set(down) - {root},
                       window_elements))
    for maintenance_id in sorted(windows):
        rest = {e for mid, els in windows.items() if mid != maintenance_id for e in els}
        causes.append((maintenance_id, set(down), rest))
    effective = set(down) | window_elements
    if not causes or not effective:
        return {}
    candidates = index.dependents(sorted(effective))
    remaining = candidates[index.degraded(effective, candidates)]
    if remaining.size == 0:
        return {}
    found: dict[str, np.ndarray] = {}
    dependents = {key: index.dependents(sorted(effective - (d | w))) for key, d, w in causes}
    for key, cause_down, cause_windows in causes:  # pass 1: the cause alone explains it
        mine = np.intersect1d(remaining, dependents[key], assume_unique=True)
        if mine.size:
            explained = mine[~index.degraded(cause_down | cause_windows, mine)]
            if explained.size:
                found[key] = explained
                remaining = np.setdiff1d(remaining, explained, assume_unique=True)
    for key, _, _ in causes:  # pass 2: shared causes; the first one they depend on
        if remaining.size == 0:
            break
        mine = np.intersect1d(remaining, dependents[key], assume_unique=True)
        if mine.size:
            found[key] = np.union1d(found.get(key, mine[:0]), mine)
            remaining = np.setdiff1d(remaining, mine, assume_unique=True)
    ids = index.customer_ids
    return {key: sorted(ids[int(p)] for p in positions) for key, positions in found.items()}


class DegradedView:
    """:func:`degraded_by_cause`, computed again only when its inputs changed (the board
    may read it every few seconds; the network changes far less often)."""

    def __init__(self) -> None:
        self._key: Any = None
        self._found: dict[str, list[str]] = {}

    def customers(self, index: Any, down: AbstractSet[str],
                  windows: Mapping[str, tuple[str, ...]],
                  incidents: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
        """Degraded customer ids per incident or maintenance id ({} for an index that
        cannot tell degraded service)."""
        if not hasattr(index, "degraded"):
            return {}
        key = (index, frozenset(down), tuple(sorted(windows.items())),
               tuple(sorted((r, str(e["incident_id"])) for r, e in incidents.items())))
        if key != self._key:
            self._found = degraded_by_cause(index, down, windows, incidents)
            self._key = key
        return self._found
