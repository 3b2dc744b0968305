"""Public status by area: which named areas and places have a known disruption now.

The public page answers "is it just me?" without personal data, so everything here speaks
of areas (the region's optional ``areas`` layer: ``area_id``, ``name``, CONTRACT §2) and of
footprints (cells and fibre areas under an incident's cause element), never of customers.
An area is disrupted for a service while it contains at least one customer out of that
service in an active incident; a point is disrupted while it lies in the footprint of an
active incident's cells (mobile) or fibre areas (fibre).

Geometry is prepared once, on first use (``RegionShapes``: customer -> area by one STRtree
query, WGS84 copies of the layers, footprints per cause element, cached). Answers are
derived from an ``IncidentBoard`` and recomputed only when its ``version`` moved, at most
once per ``REFRESH_S``, so a storm of page views during an outage costs lookups, not joins.
An index loaded from an artifact (no region geometry) answers "no areas layer".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import shapely
from shapely.geometry.base import BaseGeometry

from forewarn.domain import SERVICES, from_iso, to_iso
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.shapes import RegionShapes

__all__ = ["REFRESH_S", "AreaAnswer", "AreaStatus", "Disruption"]

REFRESH_S = 1.0


@dataclass
class Disruption:
    """What is known about one area or place: services out, since, expected until."""

    services: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)
    since: float | None = None
    until: float | None = None  # latest ETA of its incidents; None when any has none
    eta_known: bool = True
    planned: bool = True
    parts: tuple[int, int] | None = None  # (down, of): the area's cells/fibre areas out

    @property
    def partly(self) -> bool:
        return self.parts is not None and self.parts[1] > 0 and self.parts[0] < self.parts[1]

    def add(self, incident: dict[str, Any], services: Iterable[str]) -> None:
        self.services.update(services)
        self.incidents.add(incident["incident_id"])
        since = incident["_since"]
        self.since = since if self.since is None else min(self.since, since)
        eta = incident["_eta"]
        self.eta_known = self.eta_known and eta is not None
        self.until = max(self.until or eta, eta) if eta is not None else self.until
        self.planned = self.planned and bool(incident.get("planned"))

    def as_dict(self) -> dict[str, Any]:
        disrupted = bool(self.services)
        return {
            "disrupted": disrupted,
            "planned": disrupted and self.planned,
            "services": [s for s in SERVICES if s in self.services],
            "since": to_iso(self.since) if self.since is not None else None,
            "until": to_iso(self.until) if disrupted and self.eta_known and self.until else None,
            "incidents": sorted(self.incidents),  # each has its page: /i/{incident_id}
            # a district only partly out must not tell everyone in it not to call
            "partly": disrupted and self.partly,
            "parts": ({"down": self.parts[0], "of": self.parts[1]}
                      if disrupted and self.parts is not None else None),
        }


@dataclass
class AreaAnswer:
    """One status answer: the areas found (with status), the point's status, near misses."""

    query: str | None
    areas: list[dict[str, Any]]
    location: dict[str, Any] | None
    candidates: list[dict[str, str]]
    areas_layer: bool

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "areas": self.areas, "location": self.location,
                "candidates": self.candidates, "areas_layer": self.areas_layer}


class AreaStatus:
    """Area and place answers over a board and a region index (see module docstring)."""

    def __init__(self, board: IncidentBoard, index: Any,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.board = board
        self.shapes = RegionShapes(index)
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[int, float, dict[int, Disruption], list[dict[str, Any]]] | None = None

    # -- derived state -------------------------------------------------------------------

    def _snapshot(self) -> tuple[dict[int, Disruption], list[dict[str, Any]]]:
        """Area index -> disruption, and the active incidents (with epoch fields)."""
        with self._lock:
            version, now = self.board.version, self._clock()
            cached = self._cached
            if cached is not None and (cached[0] == version or now - cached[1] < REFRESH_S):
                return cached[2], cached[3]
            by_area, active = self._compute()
            self._cached = (version, now, by_area, active)
            return by_area, active

    def _compute(self) -> tuple[dict[int, Disruption], list[dict[str, Any]]]:
        summaries = {i["incident_id"]: i for i in self.board.incidents() if i["active"]}
        affected = self.board.affected()
        active: list[dict[str, Any]] = []
        by_area: dict[int, Disruption] = {}
        for incident_id, services in affected.items():
            summary = summaries.get(incident_id)
            if summary is None:
                continue
            incident = dict(summary, _since=from_iso(summary["started_at"]),
                            _eta=from_iso(summary["eta"]))
            active.append(incident)
            for service, customers in services.items():
                for area in self.shapes.areas_of_customers(customers):
                    by_area.setdefault(int(area), Disruption()).add(incident, [service])
        for area, disruption in by_area.items():
            disruption.parts = self._parts(area, disruption.services, active)
        return by_area, active

    def _parts(self, area: int, services: set[str], active: list[dict[str, Any]]
               ) -> tuple[int, int] | None:
        """How many of the area's cells/fibre areas (of the services out there) lie in an
        active incident's footprint: the same footprints that answer a point, so a point and
        its district tell one story. None when the region has no such layer."""
        units = [(s, e) for s, e in self.shapes.units_in_area(area) if s in services]
        if not units:
            return None
        down = sum(1 for service, element in units
                   if any(service in i["services"] and self.shapes.under(element,
                                                                         i["cause_element"])
                          for i in active))
        return down, len(units)

    # -- answers ---------------------------------------------------------------------------

    def search(self, query: str) -> AreaAnswer:
        """Areas matching a postcode, area id or place name, each with its status."""
        by_area, _ = self._snapshot()
        found, candidates = self.shapes.find(query)
        return AreaAnswer(query, [self._area(i, by_area) for i in found], None,
                          [self.shapes.describe(i) for i in candidates],
                          self.shapes.has_areas)

    def at(self, lat: float, lon: float) -> AreaAnswer:
        """The point's own status (footprints) and the areas containing it."""
        by_area, active = self._snapshot()
        here = Disruption()
        for incident in active:
            services = self.shapes.footprint_services(incident["cause_element"], lon, lat,
                                                      incident["services"])
            if services:
                here.add(incident, services)
        areas = [self._area(i, by_area) for i in self.shapes.areas_at(lon, lat)]
        location = {"lat": lat, "lon": lon, **here.as_dict()}
        return AreaAnswer(None, areas, location, [], self.shapes.has_areas)

    def current(self) -> list[dict[str, Any]]:
        """Every disrupted area (for the page's overview), most recent first."""
        by_area, _ = self._snapshot()
        rows = [self._area(i, by_area) for i in by_area]
        return sorted(rows, key=lambda r: r["since"] or "", reverse=True)

    def incident_areas(self) -> dict[str, list[dict[str, str]]]:
        """Active incident id -> the areas it touches (for CAP ``areaDesc``/``geocode``)."""
        by_area, _ = self._snapshot()
        out: dict[str, list[dict[str, str]]] = {}
        for i, disruption in sorted(by_area.items()):
            for incident_id in disruption.incidents:
                out.setdefault(incident_id, []).append(self.shapes.describe(i))
        return out

    def _area(self, i: int, by_area: dict[int, Disruption]) -> dict[str, Any]:
        return {**self.shapes.describe(i), **by_area.get(i, Disruption()).as_dict()}

    # -- the desk map ----------------------------------------------------------------------

    def map_features(self) -> dict[str, Any]:
        """GeoJSON of active incidents' footprints (and the areas layer as an outline)."""
        _, active = self._snapshot()
        features: list[dict[str, Any]] = []
        for incident in active:
            for service, geometry in self.shapes.footprint(incident["cause_element"]):
                if service not in incident["services"]:
                    continue
                features.append(_feature(geometry, {
                    "kind": "footprint", "incident_id": incident["incident_id"],
                    "service": service, "cause_type": incident["cause_type"],
                    "planned": bool(incident.get("planned"))}))
        outline = [_feature(g, {"kind": "area", **self.shapes.describe(i)})
                   for i, g in enumerate(self.shapes.area_geometries())]
        return {"type": "FeatureCollection", "features": outline + features}


def _feature(geometry: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties,
            # Every shapely geometry object is a BaseGeometry (the stubs type the C base).
            "geometry": shapely.geometry.mapping(cast(BaseGeometry, geometry))}


