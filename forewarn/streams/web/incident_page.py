"""The public incident page (``/i/{incident_id}``): what one incident means for the public.

Every customer message links here (``notify.status_url``), so the page must tell the same
story the messages told: what is affected, where (place names of the ``areas`` layer, never
element ids or customers), since when, planned works with their window, the ETA when one is
known, what helps meanwhile, and a timeline of what the affected customers were sent (NOC
news each time; the legal notices are per customer and not listed). A resolved incident
stays visible for ``web.resolved_visible_s``; after that, and for ids we never knew, the
page is a friendly 404.

``IncidentPages.view`` turns the board's summary into a plain dict (epoch times, i18n keys)
that the template renders; it keeps the place names an incident had while active, because
the areas of an ended incident can no longer be derived from customers out of service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from forewarn.domain import SERVICES, from_iso
from forewarn.streams.web.shapes import RegionShapes
from forewarn.streams.web.status import AreaStatus

__all__ = ["MAX_INCIDENT_ID", "TOLD_EVENTS", "IncidentPages", "advice_key", "footprint_areas"]

MAX_INCIDENT_ID = 200  # longer ids in a URL are nobody's incident: 404 without a lookup
KEEP_PLACES = 1000  # incidents whose place names are remembered after they ended
TOLD_EVENTS = {  # stage told (first delivery) -> timeline text; "update" is the NOC news
    "planned": "incident.event.told_planned",
    "outage": "incident.event.told_outage",
    "resolved": "incident.event.told_resolved",
    "completed": "incident.event.told_completed",
}


def advice_key(services: list[str]) -> str | None:
    """The i18n key of what helps while ``services`` are out: another service still works
    (fibre out: the phone's hotspot; mobile out: Wi-Fi calling); both out: emergency calls."""
    if "mobile" in services and "fibre" in services:
        return "advice.both"
    if "mobile" in services:
        return "advice.mobile"
    if "fibre" in services:
        return "advice.fibre"
    return None


def footprint_areas(shapes: RegionShapes, cause: str, services: list[str]) -> list[dict[str, str]]:
    """Areas that the footprint (cells, fibre areas) under ``cause`` overlaps: where an
    incident is when no customer is out (planned works not started, an ended incident)."""
    if not cause or not shapes.has_areas:
        return []
    parts = [g for s, g in shapes.footprint(cause) if not services or s in services]
    if not parts:
        return []
    areas = np.asarray(shapes.area_geometries(), dtype=object)
    hit = shapely.intersects(areas, shapely.union_all(parts))
    return [shapes.describe(int(i)) for i in np.flatnonzero(hit)]


def _epoch(value: Any) -> float | None:
    """A board suspicion's time (epoch seconds) as a float; None when missing."""
    return float(value) if isinstance(value, int | float) else None


class IncidentPages:
    """View models of incident pages over the board and the area status (module docstring)."""

    def __init__(self, status: AreaStatus, *, visible_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.status = status
        self.board = status.board
        self.visible_s = visible_s
        self._clock = clock
        self._places: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def view(self, incident_id: str) -> dict[str, Any] | None:
        """The page's content, or None when the page is 404 (unknown, expired, too long)."""
        if not incident_id or len(incident_id) > MAX_INCIDENT_ID:
            return None
        story = self.board.story(incident_id)
        if story is None:
            return self._suspected(incident_id)
        now = self._clock()
        window = story.get("window")
        start = from_iso(window["start"]) if window else None
        end = from_iso(window["end"]) if window else None
        ended = from_iso(story["ended_at"])
        if story.get("upcoming"):
            if end is not None and now - end > self.visible_s:
                return None
            state = "upcoming"
        elif story["active"]:
            state = "planned_active" if story["planned"] else "active"
        else:
            if ended is not None and now - ended > self.visible_s:
                return None
            state = "resolved"
        services = [s for s in SERVICES if s in story["services"]]
        timeline = self._timeline(story, state)
        return {
            "incident_id": story["incident_id"],
            "planned": bool(story["planned"]),
            "state": state,
            "services": services,
            "cause_type": story["cause_type"],
            "places": self._places_of(story),
            "since": from_iso(story["started_at"]),
            "window": {"start": start, "end": end, "text": window.get("text")} if window else None,
            "eta": from_iso(story["eta"]) if state == "active" else None,
            "ended": ended if state == "resolved" else None,
            "advice": advice_key(services) if state != "resolved" else None,
            "timeline": timeline,
            "updated": max([from_iso(story["updated_at"]) or 0.0] + [e["at"] for e in timeline]),
        }

    def _suspected(self, incident_id: str) -> dict[str, Any] | None:
        """An open suspected incident's page (customers' reports, no alarm, nobody told):
        where (the areas its element's footprint overlaps) and since when, nothing about
        who reported; None when ``incident_id`` is no open suspicion either."""
        suspicion = self.board.suspicion(incident_id)
        if suspicion is None:
            return None
        since = _epoch(suspicion.get("since", suspicion.get("at")))
        updated = _epoch(suspicion.get("at"))
        return {
            "incident_id": str(suspicion["incident_id"]),
            "suspected": True,
            "state": "suspected",
            "places": self._footprint_places(str(suspicion.get("element_id") or ""), []),
            "since": since,
            "timeline": [{"at": since, "key": "incident.event.suspected"}] if since else [],
            "updated": max(since or 0.0, updated or 0.0),
        }

    # -- parts ---------------------------------------------------------------------------

    def _places_of(self, story: dict[str, Any]) -> list[str]:
        """Names of the areas the incident touches: from its customers while active (as the
        status page answers), remembered after; else the areas its footprint overlaps."""
        incident_id = story["incident_id"]
        if story["active"]:
            names = sorted({a["name"] for a in self.status.incident_areas().get(incident_id, [])})
            if names:
                with self._lock:
                    self._places[incident_id] = names
                    while len(self._places) > KEEP_PLACES:
                        del self._places[next(iter(self._places))]
                return names
        with self._lock:
            if incident_id in self._places:
                return list(self._places[incident_id])
        return self._footprint_places(story["cause_element"], story["services"])

    def _footprint_places(self, cause: str, services: list[str]) -> list[str]:
        return sorted({a["name"] for a in footprint_areas(self.status.shapes, cause, services)})

    def _timeline(self, story: dict[str, Any], state: str) -> list[dict[str, Any]]:
        """Newest first: the start, what customers were sent (first delivery per stage),
        every NOC news, the end."""
        events: list[dict[str, Any]] = []
        if state != "upcoming":
            start_key = "incident.event.window_start" if story["planned"] \
                else "incident.event.started"
            events.append({"at": from_iso(story["started_at"]), "key": start_key})
        for stage, told in (story.get("told") or {}).items():
            at = from_iso(told.get("first_at"))
            if stage in TOLD_EVENTS and at is not None:
                events.append({"at": at, "key": TOLD_EVENTS[stage]})
        for news in story.get("news") or []:
            events.append({"at": from_iso(news["at"]), "key": "incident.event.news",
                           "message": news.get("message"), "eta": from_iso(news.get("eta"))})
        if state == "resolved" and story["ended_at"]:
            events.append({"at": from_iso(story["ended_at"]), "key": "incident.event.resolved"})
        events = [e for e in events if e["at"] is not None]
        order = {"incident.event.started": 0, "incident.event.window_start": 0,
                 "incident.event.resolved": 2}
        events.sort(key=lambda e: (e["at"], order.get(e["key"], 1)), reverse=True)
        return events
