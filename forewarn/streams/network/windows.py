"""Announced maintenance windows and the instants they start and end (CONTRACT §3/§4).

Pure: the network stage asks which windows are active (their elements count as effectively
down) and advances event time to learn which windows started or ended. State (a Faust table
in production) is keyed by ``maintenance_id``; timers live in an in-memory heap rebuilt from
the state after recovery.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from forewarn.domain import MaintenanceWindow

__all__ = ["MaintenanceSchedule", "WindowEvent"]


@dataclass(frozen=True, slots=True)
class WindowEvent:
    """A window started (``kind="start"``) or ended (``kind="end"``) at ``at``."""

    at: float
    kind: str
    window: MaintenanceWindow


def _window(entry: dict[str, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(entry["maintenance_id"], tuple(entry["elements"]), entry["start"],
                             entry["end"], entry.get("text"), entry.get("event_time"))


class MaintenanceSchedule:
    """Windows by id with their phase: ``announced`` -> ``started`` -> (deleted at end)."""

    def __init__(self, state: MutableMapping[str, dict[str, Any]]) -> None:
        self.state = state
        self._heap: list[tuple[float, int, str, str]] = []
        self._active: dict[str, tuple[str, ...]] = {}
        self.rebuild()

    def rebuild(self) -> None:
        """Re-derive timers and active windows from the state mapping."""
        self._heap = []
        self._active = {}
        for maintenance_id, entry in list(self.state.items()):
            self._arm(maintenance_id, entry)

    def _arm(self, maintenance_id: str, entry: dict[str, Any]) -> None:
        if entry["phase"] == "started":
            self._active[maintenance_id] = tuple(entry["elements"])
            heapq.heappush(self._heap, (entry["end"], 0, "end", maintenance_id))
        else:
            heapq.heappush(self._heap, (entry["start"], 1, "start", maintenance_id))

    def announce(self, window: MaintenanceWindow) -> bool:
        """Record a window; False when it is already known unchanged (a repeat announcement)."""
        entry = {
            "maintenance_id": window.maintenance_id, "elements": list(window.elements),
            "start": window.start, "end": window.end, "text": window.text,
            "event_time": window.event_time, "phase": "announced",
        }
        known = self.state.get(window.maintenance_id)
        if known is not None:
            if all(known[k] == entry[k] for k in ("elements", "start", "end", "text")):
                return False
            if known["phase"] == "started":
                entry["phase"] = "started"  # a changed end or text of a running window
        self.state[window.maintenance_id] = entry
        self.rebuild()
        return True

    def active_elements(self) -> set[str]:
        """Elements inside a window that has started and not yet ended."""
        return {e for elements in self._active.values() for e in elements}

    def active_windows(self) -> dict[str, tuple[str, ...]]:
        return dict(self._active)

    def next_at(self) -> float:
        return self._heap[0][0] if self._heap else math.inf

    def advance(self, now: float) -> Iterator[WindowEvent]:
        """Start and end every window due at or before ``now``, in time order.

        A generator: each event is applied to the state only when the caller asks for it,
        so the caller sees the active windows exactly as they are at that event.
        """
        while self._heap and self._heap[0][0] <= now:
            at, _, kind, maintenance_id = heapq.heappop(self._heap)
            entry = self.state.get(maintenance_id)
            if entry is None:
                continue
            expected = "announced" if kind == "start" else "started"
            due = entry["start"] if kind == "start" else entry["end"]
            if entry["phase"] != expected or due != at:
                continue  # stale timer of a re-announced window
            window = _window(entry)
            if kind == "start":
                entry = dict(entry, phase="started")
                self.state[maintenance_id] = entry
                self._active[maintenance_id] = window.elements
                heapq.heappush(self._heap, (window.end, 0, "end", maintenance_id))
            else:
                del self.state[maintenance_id]
                self._active.pop(maintenance_id, None)
            yield WindowEvent(at, kind, window)
