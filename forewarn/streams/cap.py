"""CAP 1.2 alerts of active area incidents, as an Atom feed (``GET /api/v1/cap``).

Why CAP: authorities, warning apps and broadcasters already consume OASIS CAP 1.2
(``urn:oasis:names:tc:emergency:cap:1.2``); an Atom feed of CAP alerts is how such
consumers poll. One alert per incident, the latest message of its story:

* ``Alert`` when an incident is first published;
* ``Update`` when what it says changed (services, ETA, NOC message);
* ``Cancel`` when the incident ended (shown for ``KEEP_CANCELLED_S``).

Every ``Update``/``Cancel`` lists all earlier messages of the incident in ``references``
(``sender,identifier,sent``). The message log lives in memory beside the incident board
(the worker owning the ``alarms`` partition): a restart starts a fresh story whose
identifiers do not collide (they carry the sequence number and the sent time).
Polygons are the incident's footprint (cells, fibre areas; ``lat,lon`` pairs, closed
rings); ``areaDesc`` names the region's areas it touches. Texts come from ``i18n``.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import shapely

from forewarn.streams.i18n import LANGUAGES, strings
from forewarn.streams.status import AreaStatus

__all__ = ["ATOM_NS", "CAP_NS", "KEEP_CANCELLED_S", "CapFeed", "cap_time"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
KEEP_CANCELLED_S = 3600.0
CAP_TOLERANCE_DEG = 0.0005  # ~50 m: warning polygons need no cell-edge precision
ET.register_namespace("", ATOM_NS)
ET.register_namespace("cap", CAP_NS)


def cap_time(epoch: float) -> str:
    """CAP dateTime: seconds, explicit offset (CAP 1.2 forbids the ``Z`` form)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _epoch(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


@dataclass(frozen=True)
class _Message:
    identifier: str
    sent: str
    msg_type: str
    signature: tuple[Any, ...]
    at: float


class CapFeed:
    """The message log per incident and the feed built from it."""

    def __init__(self, status: AreaStatus, *, status_url: str, language: str,
                 clock: Callable[[], float] = time.time) -> None:
        host = urlsplit(status_url).hostname or "forewarn.invalid"
        self.sender = f"forewarn@{host}"
        self.status_url = status_url
        self.language = language
        self.status = status
        self._clock = clock
        self._log: dict[str, list[_Message]] = {}
        self._lock = threading.Lock()

    def _advance(self, incidents: list[dict[str, Any]]) -> None:
        """Append a message to each incident whose published content changed."""
        now = self._clock()
        for incident in incidents:
            log = self._log.get(incident["incident_id"])
            signature = (incident["active"], tuple(incident["services"]), incident["eta"],
                         incident["message"])
            if log and log[-1].signature == signature:
                continue
            if not incident["active"]:
                if not log or log[-1].msg_type == "Cancel":
                    continue
                kind, at = "Cancel", _epoch(incident["ended_at"]) or now
            else:
                kind = "Update" if log else "Alert"
                at = _epoch(incident["started_at"] if not log else incident["updated_at"]) or now
            at = max(at, log[-1].at) if log else at
            seq = len(log or []) + 1
            identifier = f"forewarn-{incident['incident_id']}-{seq}-{int(at)}"
            message = _Message(identifier, cap_time(at), kind, signature, at)
            self._log.setdefault(incident["incident_id"], []).append(message)
        for incident_id in [i for i, log in self._log.items() if log[-1].msg_type == "Cancel"
                            and now - log[-1].at > KEEP_CANCELLED_S]:
            del self._log[incident_id]

    def document(self) -> bytes:
        """The Atom feed (UTF-8 XML) with one CAP alert per incident in the log."""
        incidents = {i["incident_id"]: i for i in self.status.board.incidents()}
        areas = self.status.incident_areas()
        with self._lock:
            self._advance(list(incidents.values()))
            entries = [(incidents[i], log) for i, log in self._log.items() if i in incidents]
        feed = ET.Element(f"{{{ATOM_NS}}}feed")
        _sub(feed, f"{{{ATOM_NS}}}id", f"urn:forewarn:cap:{self.sender}")
        _sub(feed, f"{{{ATOM_NS}}}title", strings(self.language)("cap.event"))
        _sub(feed, f"{{{ATOM_NS}}}updated", cap_time(self._clock()))
        for incident, log in entries:
            entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
            _sub(entry, f"{{{ATOM_NS}}}id", f"urn:forewarn:cap:{log[-1].identifier}")
            _sub(entry, f"{{{ATOM_NS}}}title", log[-1].msg_type + " " + incident["incident_id"])
            _sub(entry, f"{{{ATOM_NS}}}updated", log[-1].sent)
            content = ET.SubElement(entry, f"{{{ATOM_NS}}}content", type="application/cap+xml")
            content.append(self.alert(incident, log, areas.get(incident["incident_id"], [])))
        return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

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
        _sub(alert, f"{{{CAP_NS}}}incidents", incident["incident_id"])
        for language in LANGUAGES:
            alert.append(self._info(language, incident, message, areas))
        return alert

    def _info(self, language: str, incident: dict[str, Any], message: _Message,
              areas: list[dict[str, str]]) -> ET.Element:
        t = strings(language)
        cancel = message.msg_type == "Cancel"
        services = t.join([t(f"service.{s}") for s in incident["services"]])
        cause = t(f"cause.{incident['cause_type']}")
        if cause.startswith("cause."):
            cause = t("cause.unknown")
        since = _epoch(incident["started_at"]) or 0.0
        eta = _epoch(incident["eta"])
        zone = self.status.shapes.display_zone
        info = ET.Element(f"{{{CAP_NS}}}info")
        fields = [
            ("language", language), ("category", "Infra"),
            ("event", t("cap.event_planned" if incident["planned"] else "cap.event")),
            ("urgency", "Past" if cancel else "Immediate"), ("severity", "Minor"),
            ("certainty", "Observed"), ("onset", cap_time(since)),
        ]
        if eta is not None and not cancel:
            fields.append(("expires", cap_time(eta)))
        fields.append(("senderName", "forewarn"))
        description = t("cap.description", cause=cause, services=services,
                        since=t.clock(since, zone))
        if eta is not None and not cancel:
            description += " " + t("cap.description_eta", time=t.clock(eta, zone))
        fields += [
            ("headline", t("cap.headline_cancel" if cancel else "cap.headline",
                           services=services, cause=cause)),
            ("description", description),
        ]
        if not cancel:
            fields.append(("instruction", t("cap.instruction")))
        fields.append(("web", self.status_url.replace("{incident_id}", incident["incident_id"])))
        for tag, text in fields:
            _sub(info, f"{{{CAP_NS}}}{tag}", text)
        info.append(self._area(incident, areas))
        return info

    def _area(self, incident: dict[str, Any], areas: list[dict[str, str]]) -> ET.Element:
        area = ET.Element(f"{{{CAP_NS}}}area")
        names = ", ".join(a["name"] for a in areas) or incident["cause_element"]
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
