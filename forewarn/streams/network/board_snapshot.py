"""What the incident board must show, re-derived from the network stage's journalled state.

Why: the board (``incident_board``) lives in memory on the worker that owns ``alarms.raw``
and learns incidents from the impacts that worker processes. A new owner (the old one was
killed, or a rebalance moved the partition) loads the network journal and goes on from its
position, so without this it would show no incident that was already running, and hold the
receipts of their notices (``IncidentBoard._pending``) until an impact arrives.

:func:`board_snapshot` reads the stage's state (never changes it): the open incidents and
who is out under each now (``NetworkStage.open_incidents``, the same derivation the
incident lifecycle rebuilds from), the maintenance windows (announced and started, with
the customers they take out), the open suspicions, and the NOC news and merged incident ids
journalled with each incident (``incident_news``). :meth:`IncidentBoard.rebuild` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forewarn.streams.network.service_states import PLANNED, SERVICE_NAMES, service_states
from forewarn.streams.network.stage import NetworkStage

__all__ = ["BoardSnapshot", "OpenIncident", "OpenWindow", "board_snapshot"]


@dataclass(frozen=True)
class OpenIncident:
    """An open incident (alarm-backed, or a started maintenance window) and who is out now."""

    incident_id: str
    cause_element: str
    cause_type: str
    since: float
    affected: dict[str, list[str]]  # service -> customer ids out (or planned) now
    eta: float | None = None
    message: str | None = None
    news: tuple[dict[str, Any], ...] = ()  # at, eta, message (ISO times), oldest first
    merged: tuple[str, ...] = ()  # ids of incidents merged into this one (their receipts)


@dataclass(frozen=True)
class OpenWindow:
    """A maintenance window the schedule still holds (announced or started)."""

    maintenance_id: str
    elements: tuple[str, ...]
    start: float
    end: float
    text: str | None
    announced: float
    started: bool
    customers: dict[str, list[str]]  # service -> customer ids the window takes out


@dataclass(frozen=True)
class BoardSnapshot:
    """Everything the board re-derives after a takeover; ``at`` is the stage's event time."""

    at: float
    incidents: tuple[OpenIncident, ...] = ()
    windows: tuple[OpenWindow, ...] = ()
    suspicions: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def board_snapshot(stage: NetworkStage) -> BoardSnapshot:
    """The board's open incidents, windows and suspicions from ``stage``'s journalled state."""
    c = stage.correlator
    ids = c.index.customer_id_array
    incidents, out = stage.open_incidents()
    taken: dict[str, set[int]] = {s: set() for s in SERVICE_NAMES}  # first incident wins
    entries = {str(e["incident_id"]): e for e in c.incidents.values()}
    opened: list[OpenIncident] = []
    for incident_id, root, cause_type, since in incidents:
        if any(o.incident_id == incident_id for o in opened):
            continue
        affected: dict[str, list[str]] = {}
        for service in SERVICE_NAMES:
            positions = [p for p in out.get(incident_id, {}).get(service, np.empty(0, np.int64))
                         .tolist() if p not in taken[service]]
            taken[service].update(positions)
            affected[service] = [str(ids[p]) for p in positions]
        opened.append(_open_incident(incident_id, root, cause_type, since, affected,
                                     entries.get(incident_id, {})))
    windows = _windows(stage)
    for window in windows:
        if window.started:
            opened.append(OpenIncident(window.maintenance_id, window.elements[0]
                                       if window.elements else "", "maintenance",
                                       window.start, _planned_now(stage, window, taken)))
    suspicions = _suspicions(stage)
    return BoardSnapshot(c.clock, tuple(opened), tuple(windows), tuple(suspicions))


def _open_incident(incident_id: str, root: str, cause_type: str, since: float,
                   affected: dict[str, list[str]], entry: Mapping[str, Any]) -> OpenIncident:
    eta = entry.get("eta")
    news = entry.get("news")
    merged = entry.get("merged")
    return OpenIncident(incident_id, root, cause_type, since, affected,
                        float(eta) if isinstance(eta, int | float) else None,
                        str(entry["message"]) if entry.get("message") else None,
                        tuple(dict(n) for n in news) if isinstance(news, list) else (),
                        tuple(str(m) for m in merged) if isinstance(merged, list) else ())


def _windows(stage: NetworkStage) -> list[OpenWindow]:
    """Every window in the schedule, by start, with the customers it takes out (as its
    ``planned`` messages named them: the elements' outages, no time rules)."""
    c = stage.correlator
    index = c.index
    result: list[OpenWindow] = []
    for maintenance_id, entry in sorted(c.windows.state.items(),
                                        key=lambda item: (item[1]["start"], item[0])):
        elements = tuple(str(e) for e in entry["elements"])
        positions = index.dependents(list(elements))
        hit = index.outages(set(elements), positions)
        customers = {s: [str(index.customer_id_array[p]) for p in positions[hit[s]].tolist()]
                     for s in SERVICE_NAMES}
        start, end = float(entry["start"]), float(entry["end"])
        announced = entry.get("event_time")
        announced_at = float(announced) if isinstance(announced, int | float) else start
        result.append(OpenWindow(str(maintenance_id), elements, start, end, entry.get("text"),
                                 min(announced_at, start), entry.get("phase") == "started",
                                 {s: c for s, c in customers.items() if c}))
    return result


def _planned_now(stage: NetworkStage, window: OpenWindow,
                 taken: dict[str, set[int]]) -> dict[str, list[str]]:
    """Customers whose service the started ``window`` takes now (planned, not out), but
    not those an earlier window already took (``taken``: positions per service)."""
    c = stage.correlator
    index = c.index
    positions = index.dependents(list(window.elements))
    states = service_states(index, positions, c.elements.down_elements(),
                            c.windows.active_elements())
    planned: dict[str, list[str]] = {}
    for service in SERVICE_NAMES:
        mine = [p for p in positions[states[service] == PLANNED].tolist()
                if p not in taken[service]]
        taken[service].update(mine)
        planned[service] = [str(index.customer_id_array[p]) for p in mine]
    return planned


def _suspicions(stage: NetworkStage) -> list[dict[str, Any]]:
    """Open suspicions as the board keeps them (``network_step.suspicion_entry``'s keys)."""
    detector = stage.correlator.suspicion
    opened = getattr(detector, "open", None)
    if opened is None:
        return []
    return [{"incident_id": s.incident_id, "element_id": s.element_id,
             "cause_type": s.cause_type, "event": "suspected",
             "at": max(s.since, s.last_report), "since": s.since, "reports": s.reports,
             "customers": s.customers} for s in opened()]
