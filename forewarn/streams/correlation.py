"""From one alarm to the customers whose service it takes away or gives back.

The network view is one ordered stream (see docs/architecture.md): ``ElementStates`` knows
which elements are down by their own alarms, the ``RegionIndex`` knows who depends on what.
An alarm that changes an element's own state is compared before/after for exactly the
customers that depend on that element, so the work is proportional to the customers
touched, not to the region.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from forewarn.domain import Alarm, ImpactChange
from forewarn.streams.elements import ElementStates

__all__ = ["ImpactIndex", "NetworkCorrelator", "incident_id_for"]


class ImpactIndex(Protocol):
    """What the correlator needs of a region index (``forewarn.geo.RegionIndex`` provides it)."""

    customer_ids: list[str]

    def dependents(self, element_ids: list[str]) -> np.ndarray: ...

    def outages(self, down: set[str], positions: np.ndarray | None = None) -> dict[str, np.ndarray]: ...

    def root_cause(self, element_id: str, down: set[str]) -> str: ...

    def element_type(self, element_id: str) -> str: ...

    def has_element(self, element_id: str) -> bool: ...


def incident_id_for(root_element: str, since: float) -> str:
    """A readable, stable incident id: ``INC-<date>-<HHMM>-<6 hex of root and instant>``."""
    when = datetime.fromtimestamp(since, tz=UTC)
    digest = hashlib.sha256(f"{root_element}|{since:.3f}".encode()).hexdigest()[:6]
    return f"INC-{when:%Y%m%d}-{when:%H%M}-{digest}"


class NetworkCorrelator:
    """Applies alarms to element state and reports per-customer, per-service changes."""

    def __init__(self, index: ImpactIndex, elements: ElementStates) -> None:
        self.index = index
        self.elements = elements
        self.unknown_elements = 0

    def apply(self, alarm: Alarm) -> list[ImpactChange]:
        """The impact changes this alarm causes, all at ``alarm.event_time``."""
        if not self.index.has_element(alarm.element_id):
            self.unknown_elements += 1
        change = self.elements.apply(alarm)
        if change.was_down == change.is_down:
            return []
        after = self.elements.down_elements()  # a copy
        before = after - {change.element_id} if change.is_down else after | {change.element_id}
        positions = self.index.dependents([change.element_id])
        if len(positions) == 0:
            return []
        was_out = self.index.outages(before, positions)
        is_out = self.index.outages(after, positions)
        root = self.index.root_cause(change.element_id, after if change.is_down else before)
        incident_id = incident_id_for(root, change.at)
        cause_type = self.index.element_type(root)
        ids = self.index.customer_ids
        result: list[ImpactChange] = []
        for service in ("mobile", "fibre"):
            flipped = np.flatnonzero(was_out[service] != is_out[service])
            for i in flipped:
                result.append(ImpactChange(
                    ids[int(positions[i])], service, bool(is_out[service][i]), change.at,
                    incident_id, root, cause_type,
                ))
        return result
