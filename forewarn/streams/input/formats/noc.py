"""The NOC's own records: maintenance windows and incident updates (CONTRACT §3).

* ``{"type": "maintenance", "maintenance_id", "elements": [...], "start", "end", "text"?,
  "event_time"?}`` -> :class:`~forewarn.domain.MaintenanceWindow`. ``end`` must be after
  ``start`` (a window that ends before it starts would suppress nothing and announce nonsense);
  ``elements`` is a non-empty list of at most ``limits.MAX_ELEMENTS`` element ids,
  duplicates dropped in order.
* ``{"type": "incident_update", "element_id" | "incident_id", "eta"?, "message"?,
  "event_time"}`` -> :class:`~forewarn.domain.IncidentUpdate`. At least one of the two names is
  required; both may be given (the incident id then names the incident, the element is kept
  for the operator's view). ``eta`` and ``message`` are both optional, as the contract says.
  ``"confirm": true`` (CONTRACT §8, a JSON boolean; default false) confirms a suspected
  incident: the network turns it into an outage of its element from ``event_time``.

Ids and texts are held to :mod:`.limits`. A record with several problems is rejected naming
every one of them (a missing ``maintenance_id`` *and* an ``end`` before ``start`` are both
named), in field order.

Both record types carry ``source_format`` equal to their format name (``maintenance``,
``incident_update``), so per-format counts need nothing but the records.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Strict

from forewarn.domain import IncidentUpdate, InputRecord, MaintenanceWindow
from forewarn.streams.input.formats.common import (
    Id,
    IsoTime,
    OptId,
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    at,
    invalid,
)
from forewarn.streams.input.formats.limits import MAX_ELEMENTS
from forewarn.streams.input.formats.schema import Problems, Schema

__all__ = [
    "INCIDENT_UPDATE",
    "MAINTENANCE",
    "IncidentUpdateRecord",
    "MaintenanceRecord",
    "looks_incident_update",
    "looks_maintenance",
    "parse_incident_update",
    "parse_maintenance",
]

MAINTENANCE = "maintenance"
INCIDENT_UPDATE = "incident_update"


def _elements(elements: list[str]) -> list[str]:
    if not elements:
        raise invalid("must not be empty (name at least one element)")
    if len(elements) > MAX_ELEMENTS:
        raise invalid(f"names {len(elements)} elements; a window may name at most "
                      f"{MAX_ELEMENTS} (announce larger works as several windows)")
    return list(dict.fromkeys(elements))


class MaintenanceRecord(Schema):
    """A planned-works announcement."""

    maintenance_id: Id
    elements: Annotated[list[Id], AfterValidator(_elements)]
    start: IsoTime
    end: IsoTime
    text: OptText = None
    event_time: OptIsoTime = None


class IncidentUpdateRecord(Schema):
    """News from the NOC about one incident."""

    incident_id: OptId = None
    element_id: OptId = None
    event_time: IsoTime
    eta: OptIsoTime = None
    message: OptText = None
    confirm: Annotated[bool, Strict()] = False  # "true" or 1 are no confirmation


class _WindowTimes(Schema):
    start: IsoTime
    end: IsoTime


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def looks_maintenance(obj: Record) -> bool:
    return obj.get("type") == MAINTENANCE


def looks_incident_update(obj: Record) -> bool:
    return obj.get("type") == INCIDENT_UPDATE


def _maintenance(obj: Record, path: str) -> list[InputRecord]:
    problems = Problems()
    model = problems.model(MaintenanceRecord, obj, path)
    if model is None:
        # Still tell an inverted window when both times are readable by themselves.
        times = problems.model(_WindowTimes, obj, path)
        if times is not None and times.end <= times.start:
            problems.add(at(path, "end"), "must be after start")
    elif model.end <= model.start:
        problems.add(at(path, "end"), "must be after start")
    problems.raise_any()
    assert model is not None
    return [
        MaintenanceWindow(
            maintenance_id=model.maintenance_id,
            elements=tuple(model.elements),
            start=model.start,
            end=model.end,
            text=model.text,
            event_time=model.event_time,
            source_format=MAINTENANCE,
        )
    ]


def _incident_update(obj: Record, path: str) -> list[InputRecord]:
    problems = Problems()
    if all(_blank(obj.get(name)) for name in ("incident_id", "element_id")):
        problems.add(
            at(path, "incident_id"),
            "missing (required): name the incident (incident_id) or one of its elements "
            "(element_id)",
        )
    model = problems.model(IncidentUpdateRecord, obj, path)
    problems.raise_any()
    assert model is not None
    return [
        IncidentUpdate(
            event_time=model.event_time,
            incident_id=model.incident_id,
            element_id=model.element_id,
            eta=model.eta,
            message=model.message,
            source_format=INCIDENT_UPDATE,
            confirm=model.confirm,
        )
    ]


def parse_maintenance(obj: Record, path: str) -> Parsed:
    parsed = Parsed()
    parsed.add(_maintenance, obj, path)
    return parsed


def parse_incident_update(obj: Record, path: str) -> Parsed:
    parsed = Parsed()
    parsed.add(_incident_update, obj, path)
    return parsed
