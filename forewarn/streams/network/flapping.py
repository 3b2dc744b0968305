"""Flapping: an element that changes state N times within M seconds is unstable.

Marking only: with the default policy the notices of CONTRACT §4 are unchanged (the confirm
window already keeps short flaps from reaching customers); the mark tells the NOC and the
service desk that an incident's root keeps bouncing.
"""

from __future__ import annotations

from collections import deque

__all__ = ["FlapDetector"]


class FlapDetector:
    """Counts own-state changes per element in a sliding event-time window."""

    def __init__(self, changes: int = 4, window_s: float = 600.0) -> None:
        self.changes = changes
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}

    def observe(self, element_id: str, at: float) -> bool:
        """Record a change at ``at``; True while the element counts as unstable."""
        times = self._seen.setdefault(element_id, deque())
        times.append(at)
        while times and times[0] <= at - self.window_s:
            times.popleft()
        if not times:
            del self._seen[element_id]
        return len(times) >= self.changes

    def unstable(self, element_id: str, now: float) -> bool:
        times = self._seen.get(element_id, ())
        return sum(1 for t in times if t > now - self.window_s) >= self.changes
