"""The NOC's own records: maintenance windows and incident updates (CONTRACT §3).

* ``{"type": "maintenance", "maintenance_id", "elements": [...], "start", "end", "text"?,
  "event_time"?}`` -> :class:`~forewarn.domain.MaintenanceWindow`. ``end`` must be after
  ``start`` (a window that ends before it starts would suppress nothing and announce nonsense);
  ``elements`` is a non-empty list of element ids, duplicates dropped in order.
* ``{"type": "incident_update", "element_id" | "incident_id", "eta"?, "message"?,
  "event_time"}`` -> :class:`~forewarn.domain.IncidentUpdate`. At least one of the two names is
  required; both may be given (the incident id then names the incident, the element is kept
  for the operator's view). ``eta`` and ``message`` are both optional, as the contract says.

Both record types carry ``source_format`` equal to their format name (``maintenance``,
``incident_update``), so per-format counts need nothing but the records.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from forewarn.domain import IncidentUpdate, InputRecord, MaintenanceWindow
from forewarn.errors import AlarmFormatError
from forewarn.streams.formats.common import (
    IsoTime,
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    Text,
    at,
    invalid,
)
from forewarn.streams.formats.schema import Schema, validate

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


def _non_empty(elements: list[str]) -> list[str]:
    if not elements:
        raise invalid("must not be empty (name at least one element)")
    return list(dict.fromkeys(elements))


class MaintenanceRecord(Schema):
    """A planned-works announcement."""

    maintenance_id: Text
    elements: Annotated[list[Text], AfterValidator(_non_empty)]
    start: IsoTime
    end: IsoTime
    text: OptText = None
    event_time: OptIsoTime = None


class IncidentUpdateRecord(Schema):
    """News from the NOC about one incident."""

    incident_id: OptText = None
    element_id: OptText = None
    event_time: IsoTime
    eta: OptIsoTime = None
    message: OptText = None


def looks_maintenance(obj: Record) -> bool:
    return obj.get("type") == MAINTENANCE


def looks_incident_update(obj: Record) -> bool:
    return obj.get("type") == INCIDENT_UPDATE


def _maintenance(obj: Record, path: str) -> list[InputRecord]:
    model = validate(MaintenanceRecord, obj, path)
    if model.end <= model.start:
        raise AlarmFormatError(at(path, "end"), "must be after start")
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
    model = validate(IncidentUpdateRecord, obj, path)
    if model.incident_id is None and model.element_id is None:
        raise AlarmFormatError(
            at(path, "incident_id"),
            "missing (required): name the incident (incident_id) or one of its elements "
            "(element_id)",
        )
    return [
        IncidentUpdate(
            event_time=model.event_time,
            incident_id=model.incident_id,
            element_id=model.element_id,
            eta=model.eta,
            message=model.message,
            source_format=INCIDENT_UPDATE,
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
