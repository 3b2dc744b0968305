"""What the desk's banners show, in which order: the pure part of the banner fragment.

Why its own module: an agent has five seconds, so order and wording are product decisions
worth testing without a page. Unplanned incidents come first, the one taking service from
the most customers now on top (a 222-customer power failure above a 12-customer cell);
ended ones follow, newest first. Planned works (running and announced) have their own
section, by start. Totals on top count customers out now per service over the unplanned
incidents (the board maps each customer and service to one incident, so the sum is exact).
Each banner names its places (the region's ``areas`` layer) rather than equipment: an
agent matches a caller's address to a place name, not to "PWR-002".

Suspected incidents (CONTRACT §8: customers' reports, no alarm) are a section of their own,
never mixed with alarm-backed ones: nobody has been told about them and the network has not
confirmed them, so an agent must not say "we know". Each names the suspected element, the
places of the customers it serves, how many reported no service and since when, most
reports first (:func:`suspected_banners`); :func:`suspected_incident` is their API form.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forewarn.domain import SERVICES, to_iso

__all__ = ["MAX_PLACES", "MAX_REMEMBERED", "DeskBanners", "IncidentPlaces", "banner_places",
           "desk_banners", "suspected_banners", "suspected_incident"]

MAX_PLACES = 4  # place names shown per banner; the rest as "+N more"
MAX_REMEMBERED = 1000  # incidents whose places are kept after they end (oldest dropped)


class IncidentPlaces:
    """Incident or window id -> its areas, recomputed when the board's version moves.

    The areas of an active incident are where its customers are out now; an ended incident
    keeps the places it last had (an agent still matches a caller to it), an announced
    window gets the places of the customers it will take out."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._places: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.Lock()  # pages render on executor threads

    def update(self, version: int, status: Any,
               upcoming_customers: Callable[[], Mapping[str, Iterable[str]]]
               ) -> dict[str, list[dict[str, str]]]:
        """The places now; ``status`` is an ``AreaStatus`` (``incident_areas``, ``shapes``)."""
        with self._lock:
            return dict(self._update(version, status, upcoming_customers))

    def _update(self, version: int, status: Any,
                upcoming_customers: Callable[[], Mapping[str, Iterable[str]]]
                ) -> dict[str, list[dict[str, str]]]:
        if version != self._version:
            self._version = version
            for incident_id, areas in status.incident_areas().items():
                self._places.pop(incident_id, None)
                self._places[incident_id] = areas
            shapes = status.shapes
            if shapes.has_areas:
                for window_id, customers in upcoming_customers().items():
                    self._places[window_id] = [shapes.describe(i) for i in
                                               shapes.areas_of_customers(customers)]
            while len(self._places) > MAX_REMEMBERED:
                del self._places[next(iter(self._places))]
        return self._places


@dataclass
class DeskBanners:
    """The banner fragment's model: totals, unplanned incidents, planned works."""

    totals: dict[str, int]
    active: int
    unplanned: list[dict[str, Any]] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    suspected: list[dict[str, Any]] = field(default_factory=list)


def _now(incident: Mapping[str, Any]) -> int:
    return sum(int(n) for n in (incident.get("affected_now") or {}).values())


def banner_places(areas: Sequence[Mapping[str, str]], limit: int = MAX_PLACES
                  ) -> dict[str, Any]:
    """``{"names": [...], "more": n}``: up to ``limit`` place names (with postcode), sorted."""
    names = sorted({f"{a['name']} ({a['postcode']})" if a.get("postcode") else a["name"]
                    for a in areas})
    return {"names": names[:limit], "more": max(0, len(names) - limit)}


def desk_banners(incidents: Iterable[Mapping[str, Any]], upcoming: Iterable[Mapping[str, Any]],
                 places: Mapping[str, Sequence[Mapping[str, str]]]) -> DeskBanners:
    """Order and group the board's incidents and announced windows for the desk.

    ``places`` maps an incident (or window) id to its areas; unknown ids get no places."""
    unplanned: list[dict[str, Any]] = []
    planned: list[dict[str, Any]] = []
    for source in list(incidents) + list(upcoming):
        banner = dict(source, places=banner_places(places.get(source["incident_id"], ())),
                      scripts={},  # the read-out scripts, filled by the web layer
                      affected_total=_now(source))
        if banner.get("planned") and (banner.get("active") or banner.get("upcoming")):
            planned.append(banner)
        elif not banner.get("planned") or banner.get("ended_at"):
            unplanned.append(banner)
    unplanned.sort(key=lambda b: (not b["active"], -b["affected_total"] if b["active"] else 0,
                                  _desc(b["ended_at"] if not b["active"] else b["started_at"])))
    planned.sort(key=lambda b: (not b["active"], (b.get("window") or {}).get("start")
                                or b["started_at"]))
    totals = dict.fromkeys(SERVICES, 0)
    for banner in unplanned:
        if banner["active"]:
            for service in SERVICES:
                totals[service] += int((banner.get("affected_now") or {}).get(service, 0))
    return DeskBanners(totals=totals, active=sum(1 for b in unplanned if b["active"]),
                       unplanned=unplanned, planned=planned)


def _desc(iso: str | None) -> tuple[int, ...]:
    """Sort key putting later ISO times first (ISO strings of one offset compare as text)."""
    return tuple(-ord(c) for c in (iso or ""))


def _iso(value: Any) -> str | None:
    return to_iso(float(value)) if isinstance(value, int | float) else value


def suspected_incident(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A board suspicion (``IncidentBoard.suspicions``) as the API shows it: ISO times."""
    return {"incident_id": str(entry["incident_id"]), "element_id": str(entry.get("element_id")),
            "cause_type": str(entry.get("cause_type") or "unknown"), "suspected": True,
            "reports": int(entry.get("reports") or 0),
            "customers": int(entry.get("customers") or 0),
            "since": _iso(entry.get("since", entry.get("at"))), "updated_at": _iso(entry.get("at"))}


def suspected_banners(suspicions: Iterable[Mapping[str, Any]],
                      places: Callable[[str], Sequence[Mapping[str, str]]],
                      window_s: float) -> list[dict[str, Any]]:
    """Open suspicions for the desk, most reports first (then oldest): the API form plus the
    places of the customers the element serves and the window the reports fall in (min)."""
    banners = [dict(suspected_incident(s), places=banner_places(places(str(s["element_id"]))),
                    window_min=max(1, round(window_s / 60))) for s in suspicions]
    banners.sort(key=lambda b: (-b["reports"], b["since"] or "", b["incident_id"]))
    return banners
