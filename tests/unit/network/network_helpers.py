"""Small helpers shared by the network tests: alarms, correlators, who an event names."""

from __future__ import annotations

from typing import Any

from forewarn.domain import Alarm, CableCut, ImpactChange
from forewarn.streams.network.correlation import Impact, NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.windows import MaintenanceSchedule

__all__ = ["State", "changes", "cleared", "correlator", "cut_at", "cut_by", "raised", "who"]

State = dict[str, dict[str, Any]]


def correlator(index: Any, state: dict[str, State] | None = None) -> NetworkCorrelator:
    """A correlator over plain dicts; pass ``state`` (from an earlier one) to simulate a
    restart: the same mappings, fresh in-memory views."""
    s = state if state is not None else {"elements": {}, "windows": {}, "incidents": {},
                                         "cuts": {}}
    net = NetworkCorrelator(index, ElementStates(s["elements"]), MaintenanceSchedule(s["windows"]),
                            s["incidents"], notice_before_s=2 * 86400.0, cuts=s["cuts"])
    net.rebuild()
    return net


def raised(alarm_id: str, element: str, at: float) -> Alarm:
    return Alarm(alarm_id, element, "raised", "critical", at, "cause")


def cleared(alarm_id: str, element: str, at: float) -> Alarm:
    return Alarm(alarm_id, element, "cleared", "critical", at, "cause")


def cut_at(cut_id: str, lon: float, lat: float, at: float, tolerance_m: float | None = None,
           state: str = "raised") -> CableCut:
    return CableCut(cut_id, state, at, lon=lon, lat=lat, tolerance_m=tolerance_m)


def cut_by(cut_id: str, ring: list[tuple[float, float]], at: float,
           state: str = "raised") -> CableCut:
    area = {"type": "Polygon", "coordinates": [[list(p) for p in [*ring, ring[0]]]]}
    return CableCut(cut_id, state, at, area=area)


def changes(events: list[Any]) -> list[ImpactChange]:
    return [c for e in events if isinstance(e, Impact) for c in e.changes]


def who(events: list[Any], *, out: bool | None = None) -> set[tuple[str, str]]:
    """(customer, service) pairs the events' impact changes name (``out``: only that way)."""
    return {(c.customer_id, c.service) for c in changes(events) if out is None or c.out == out}
