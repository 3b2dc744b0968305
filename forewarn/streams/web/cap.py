"""CAP 1.2 alerts of area incidents and announced planned works, as an Atom feed
(``GET /api/v1/cap``).

Why CAP: authorities, warning apps and broadcasters already consume OASIS CAP 1.2
(``urn:oasis:names:tc:emergency:cap:1.2``); an Atom feed (RFC 4287) of CAP alerts is how
such consumers poll. One alert per incident, the latest message of its story:

* ``Alert`` when an incident (or an announced maintenance window) is first published;
* ``Update`` when what it says changed (services, ETA, NOC message, severity, works began);
* ``Cancel`` when the incident ended (shown for ``KEEP_CANCELLED_S``).

Every ``Update``/``Cancel`` lists all earlier messages of the incident in ``references``
(``sender,identifier,sent``). ``sent`` is when forewarn published that message (the clock
at the time the feed first showed it), not the incident's start, which ``effective`` and
``onset`` carry. Planned works: ``urgency`` Future and ``certainty`` Likely before the window
starts, Immediate and Observed while it runs, ``expires`` at the window's end; an outage's
``expires`` is its ETA when one is known.

``severity`` is the share of the region's customers the incident affects (its peak, the
larger of the per-service counts): ``Severe`` from ``SEVERE_SHARE`` (10 %), ``Moderate``
from ``MODERATE_SHARE`` (1 %), else ``Minor``; never ``Extreme`` (CAP's "extraordinary
threat to life or property": a telecom outage is not one by itself). ``instruction`` says
there is no need to call and what helps meanwhile (i18n ``advice.*``: fibre out, the phone's
hotspot; mobile out, Wi-Fi calling; both, emergency calls still work), the same advice as
the incident page. ``web`` is the incident page (``notify.status_url``).

The message log lives in memory beside the incident board (the worker owning the
``alarms`` partition): a restart starts a fresh story whose identifiers do not collide
(they carry the sequence number and the sent time). Polygons are the incident's footprint
(cells, fibre areas; ``lat,lon`` pairs, closed rings); ``areaDesc`` names the region's areas
it touches. Texts come from ``i18n``.
"""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import shapely

from forewarn.domain import from_iso
from forewarn.streams.web.i18n import LANGUAGES, strings
from forewarn.streams.web.incident_page import advice_key, footprint_areas
from forewarn.streams.web.status import AreaStatus

__all__ = ["ATOM_NS", "CAP_NS", "KEEP_CANCELLED_S", "MODERATE_SHARE", "SEVERE_SHARE",
           "CapFeed", "cap_time", "severity"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
KEEP_CANCELLED_S = 3600.0
CAP_TOLERANCE_DEG = 0.0005  # ~50 m: warning polygons need no cell-edge precision
SEVERE_SHARE = 0.10  # of the region's customers affected: Severe
MODERATE_SHARE = 0.01  # ... Moderate; below: Minor
_NOT_IN_IDENTIFIER = re.compile(r"[^A-Za-z0-9._:-]")  # CAP: no spaces, commas, < or &
ET.register_namespace("", ATOM_NS)
ET.register_namespace("cap", CAP_NS)


def severity(affected: int, customers: int) -> str:
    """CAP ``severity`` of an incident affecting ``affected`` of ``customers`` (see module)."""
    share = affected / customers if customers > 0 else 0.0
    if share >= SEVERE_SHARE:
        return "Severe"
    if share >= MODERATE_SHARE:
        return "Moderate"
    return "Minor"


def cap_time(epoch: float) -> str:
    """CAP dateTime: seconds, explicit offset (CAP 1.2 forbids the ``Z`` form)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class _Message:
    identifier: str
    sent: str
    msg_type: str
    signature: tuple[Any, ...]
    at: float  # publication time (epoch)


class CapFeed:
    """The message log per incident and the feed built from it."""

    def __init__(self, status: AreaStatus, *, status_url: str, language: str,
                 clock: Callable[[], float] = time.time) -> None:
        parts = urlsplit(status_url)
        host = parts.hostname or "forewarn.invalid"
        self.sender = f"forewarn@{host}"
        self.status_url = status_url
        # The feed is served where the incident pages are (same worker, same origin).
        self.self_url = (f"{parts.scheme}://{parts.netloc}/api/v1/cap" if parts.netloc
                         else "/api/v1/cap")
        self.language = language
        self.status = status
        self._clock = clock
        self._log: dict[str, list[_Message]] = {}
        self._lock = threading.Lock()

    def page_url(self, incident_id: str) -> str:
        return self.status_url.replace("{incident_id}", quote(incident_id, safe=""))

    def _customers(self) -> int:
        ids = getattr(self.status.shapes.index, "customer_ids", None)
        return len(ids) if ids is not None else 0

    def _severity(self, incident: dict[str, Any]) -> str:
        peak = max((incident.get("affected_peak") or {}).values(), default=0)
        return severity(int(peak), self._customers())

    def _advance(self, incidents: list[dict[str, Any]]) -> None:
        """Append a message to each incident whose published content changed."""
        now = self._clock()
        for incident in incidents:
            log = self._log.get(incident["incident_id"])
            live = incident["active"] or incident.get("upcoming", False)
            signature = (live, bool(incident.get("upcoming")), tuple(incident["services"]),
                         incident["eta"], incident["message"], self._severity(incident))
            if log and log[-1].signature == signature:
                continue
            if not live:
                if not log or log[-1].msg_type == "Cancel":
                    continue
                kind = "Cancel"
            else:
                kind = "Update" if log else "Alert"
            at = max(now, log[-1].at) if log else now
            seq = len(log or []) + 1
            name = _NOT_IN_IDENTIFIER.sub("_", incident["incident_id"])
            identifier = f"forewarn-{name}-{seq}-{int(at)}"
            message = _Message(identifier, cap_time(at), kind, signature, at)
            self._log.setdefault(incident["incident_id"], []).append(message)
        for incident_id in [i for i, log in self._log.items() if log[-1].msg_type == "Cancel"
                            and now - log[-1].at > KEEP_CANCELLED_S]:
            del self._log[incident_id]

    def _published(self) -> list[dict[str, Any]]:
        """Incidents on the board, and announced works that have not ended yet."""
        now = self._clock()
        board = self.status.board
        upcoming = [w for w in board.upcoming()
                    if (from_iso(w["window"]["end"]) or 0.0) > now and w["services"]]
        return board.incidents() + upcoming

    def document(self) -> bytes:
        """The Atom feed (UTF-8 XML) with one CAP alert per incident in the log."""
        incidents = {i["incident_id"]: i for i in self._published()}
        areas = self.status.incident_areas()
        with self._lock:
            self._advance(list(incidents.values()))
            entries = [(incidents[i], log) for i, log in self._log.items() if i in incidents]
        t = strings(self.language)
        feed = ET.Element(f"{{{ATOM_NS}}}feed")
        _sub(feed, f"{{{ATOM_NS}}}id", f"urn:forewarn:cap:{self.sender}")
        _sub(feed, f"{{{ATOM_NS}}}title", t("cap.event"))
        _sub(feed, f"{{{ATOM_NS}}}updated", cap_time(self._clock()))
        author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
        _sub(author, f"{{{ATOM_NS}}}name", self.sender)
        ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=self.self_url,
                      type="application/atom+xml")
        for incident, log in entries:
            known = areas.get(incident["incident_id"]) or footprint_areas(
                self.status.shapes, incident["cause_element"], incident["services"])
            alert = self.alert(incident, log, known)
            entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
            _sub(entry, f"{{{ATOM_NS}}}id", f"urn:forewarn:cap:{log[-1].identifier}")
            info = alert.find(f"{{{CAP_NS}}}info[{{{CAP_NS}}}language='{self.language}']")
            headline = info.findtext(f"{{{CAP_NS}}}headline") if info is not None else None
            _sub(entry, f"{{{ATOM_NS}}}title", headline or log[-1].msg_type)
            _sub(entry, f"{{{ATOM_NS}}}updated", log[-1].sent)
            ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html",
                          href=self.page_url(incident["incident_id"]))
            content = ET.SubElement(entry, f"{{{ATOM_NS}}}content", type="application/cap+xml")
            content.append(alert)
        document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return document

    def alert(self, incident: dict[str, Any], log: list[_Message],
              areas: list[dict[str, str]]) -> ET.Element:
        """One CAP ``alert`` element for the newest message of ``log``."""
        message = log[-1]
        alert = ET.Element(f"{{{CAP_NS}}}alert")
        for tag, text in (("identifier", message.identifier), ("sender", self.sender),
                          ("sent", message.sent), ("status", "Actual"),
                          ("msgType", message.msg_type), ("scope", "Public")):
            _sub(alert, f"{{{CAP_NS}}}{tag}", text)
        if len(log) > 1:
            _sub(alert, f"{{{CAP_NS}}}references",
                 " ".join(f"{self.sender},{m.identifier},{m.sent}" for m in log[:-1]))
        _sub(alert, f"{{{CAP_NS}}}incidents", _NOT_IN_IDENTIFIER.sub("_", incident["incident_id"]))
        for language in LANGUAGES:
            alert.append(self._info(language, incident, message, areas))
        return alert

    def _info(self, language: str, incident: dict[str, Any], message: _Message,
              areas: list[dict[str, str]]) -> ET.Element:
        t = strings(language)
        cancel = message.msg_type == "Cancel"
        planned = bool(incident["planned"])
        upcoming = bool(incident.get("upcoming"))
        window = incident.get("window") or {}
        services = t.join([t(f"service.{s}") for s in incident["services"]])
        cause = t(f"cause.{incident['cause_type']}")
        if cause.startswith("cause."):
            cause = t("cause.unknown")
        since = from_iso(window.get("start")) or from_iso(incident["started_at"]) or 0.0
        eta = from_iso(incident["eta"])
        expires = from_iso(window.get("end")) if planned else eta
        zone = self.status.shapes.display_zone
        info = ET.Element(f"{{{CAP_NS}}}info")
        urgency = "Past" if cancel else "Future" if upcoming else "Immediate"
        fields = [
            ("language", language), ("category", "Infra"),
            ("event", t("cap.event_planned" if planned else "cap.event")),
            ("urgency", urgency), ("severity", self._severity(incident)),
            ("certainty", "Likely" if upcoming else "Observed"),
            ("effective", cap_time(since)), ("onset", cap_time(since)),
        ]
        if expires is not None and not cancel:
            fields.append(("expires", cap_time(expires)))
        fields.append(("senderName", "forewarn"))
        if planned and window:
            description = t("cap.description_planned", services=services,
                            start=t.clock(since, zone), end=t.clock(expires, zone))
        else:
            description = t("cap.description", cause=cause, services=services,
                            since=t.clock(since, zone))
            if eta is not None and not cancel:
                description += " " + t("cap.description_eta", time=t.clock(eta, zone))
        headline = ("cap.headline_cancel" if cancel else "cap.headline_planned" if planned
                    else "cap.headline")
        fields += [
            ("headline", t(headline, services=services, cause=cause)),
            ("description", description),
        ]
        advice = advice_key(list(incident["services"]))
        if not cancel:
            fields.append(("instruction", " ".join(
                [t("cap.instruction")] + ([t(advice)] if advice else []))))
        fields.append(("web", self.page_url(incident["incident_id"])))
        for tag, text in fields:
            _sub(info, f"{{{CAP_NS}}}{tag}", text)
        info.append(self._area(t, incident, areas))
        return info

    def _area(self, t: Any, incident: dict[str, Any], areas: list[dict[str, str]]) -> ET.Element:
        area = ET.Element(f"{{{CAP_NS}}}area")
        names = ", ".join(a["name"] for a in areas) or t("incident.where_unknown")
        _sub(area, f"{{{CAP_NS}}}areaDesc", names)
        for _, geometry in self.status.shapes.footprint(incident["cause_element"]):
            simple = shapely.simplify(geometry, CAP_TOLERANCE_DEG, preserve_topology=True)
            for polygon in shapely.get_parts(simple):
                if shapely.get_type_id(polygon) != 3:
                    continue
                ring = list(polygon.exterior.coords)
                if len(ring) >= 4:
                    _sub(area, f"{{{CAP_NS}}}polygon",
                         " ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in ring))
        for found in areas:
            geocode = ET.SubElement(area, f"{{{CAP_NS}}}geocode")
            _sub(geocode, f"{{{CAP_NS}}}valueName", "area_id")
            _sub(geocode, f"{{{CAP_NS}}}value", found["area_id"])
        return area


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element
