"""Plain value types shared by every part of forewarn (no I/O, no Faust).

Times inside the core are POSIX seconds (``float``, UTC); they become ISO-8601 strings only at
the edges (records on topics, notification files, templates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "CHANNELS",
    "CONTACT_CHANNELS",
    "CONTACT_REASONS",
    "SERVICES",
    "SEVERITIES",
    "Alarm",
    "CableCut",
    "Contact",
    "Customer",
    "Decision",
    "ImpactChange",
    "IncidentUpdate",
    "InputRecord",
    "MaintenanceWindow",
    "Notification",
    "Stage",
    "epoch_or_none",
    "from_iso",
    "to_epoch",
    "to_iso",
]

SERVICES: tuple[str, ...] = ("mobile", "fibre")
CHANNELS: tuple[str, ...] = ("sms", "email", "push")
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "warning")


class Stage(StrEnum):
    """The stage of a customer's story a notification tells."""

    OUTAGE = "outage"
    UPDATE = "update"
    RESOLVED = "resolved"
    PLANNED = "planned"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Alarm:
    """One normalised alarm event, whatever format it arrived in."""

    alarm_id: str
    element_id: str
    state: str  # "raised" | "cleared"
    severity: str  # one of SEVERITIES
    event_time: float  # POSIX seconds
    probable_cause: str | None = None
    specific_problem: str | None = None
    text: str | None = None
    source_format: str = "native"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the region folder describes them (CONTRACT §2)."""

    customer_id: str
    services: tuple[str, ...]
    language: str | None
    channels: tuple[str, ...]
    phone: str | None = None
    email: str | None = None
    push_token: str | None = None
    priority: int = 0
    timezone: str = "Europe/Berlin"

    def address(self, channel: str) -> str | None:
        """The address this customer has for ``channel``, or None."""
        return {"sms": self.phone, "email": self.email, "push": self.push_token}.get(channel)

    def first_channel(self) -> tuple[str, str] | None:
        """The first preferred channel for which the customer has an address, with the address."""
        for channel in self.channels:
            to = self.address(channel)
            if to:
                return channel, to
        return None


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Planned works: ``elements`` are effectively down from ``start`` to ``end``."""

    maintenance_id: str
    elements: tuple[str, ...]
    start: float
    end: float
    text: str | None = None
    event_time: float | None = None  # when it was announced; None: long enough in advance
    source_format: str = "native"


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    """News from the NOC about an incident, named by its id or by one of its elements.

    ``confirm``: the NOC confirms a *suspected* incident (CONTRACT §8: customers' reports,
    no alarm) named by its id or element; it becomes an outage of that element from
    ``event_time``."""

    event_time: float
    incident_id: str | None = None
    element_id: str | None = None
    eta: float | None = None
    message: str | None = None
    source_format: str = "native"
    confirm: bool = False


@dataclass(frozen=True, slots=True)
class CableCut:
    """A cable cut reported by *where* it is, not by which elements it takes down.

    Exactly one of a point (``lon``/``lat`` in WGS84, ``tolerance_m``: how far from the point
    a route still counts as cut; None: the correlator's default) or ``area`` (a GeoJSON
    Polygon/MultiPolygon geometry, e.g. a dig site) locates a raised cut; a clear is matched
    by ``cut_id`` and need not repeat the location. ``area`` is kept as the GeoJSON mapping
    (JSON-serialisable, so the record travels on topics as it is) and takes no part in the
    hash.
    """

    cut_id: str
    state: str  # "raised" | "cleared"
    event_time: float  # POSIX seconds
    lon: float | None = None
    lat: float | None = None
    tolerance_m: float | None = None
    area: dict[str, Any] | None = field(default=None, hash=False)
    text: str | None = None
    source_format: str = "cable_cut"


CONTACT_CHANNELS: tuple[str, ...] = ("call", "ivr", "app", "chat", "desk")
CONTACT_REASONS: tuple[str, ...] = ("no_service", "degraded", "other")


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer got in touch (CONTRACT §8): the call centre, the IVR, the app, a chat or the
    service desk. Customers notice silent failures before any alarm does, and a told customer
    who still calls is a notice that did not work, so contacts are a signal of their own.

    Exactly one of ``customer_id`` / ``phone`` names the customer as it arrived; which
    customer that is gets resolved against the region index later (a number may be unknown).
    """

    contact_id: str
    channel: str  # one of CONTACT_CHANNELS
    reason: str  # one of CONTACT_REASONS
    event_time: float  # POSIX seconds
    customer_id: str | None = None
    phone: str | None = None
    lon: float | None = None
    lat: float | None = None
    source_format: str = "contact"


InputRecord = Alarm | MaintenanceWindow | IncidentUpdate | CableCut | Contact


@dataclass(frozen=True, slots=True)
class ImpactChange:
    """A customer's service went out or came back at ``at`` (event time).

    ``planned`` marks an outage that a started maintenance window explains on its own
    (``maintenance_id`` names it): such an outage yields no ``outage`` notice.
    """

    customer_id: str
    service: str
    out: bool
    at: float
    incident_id: str
    cause_element: str
    cause_type: str  # element_type of the root cause, e.g. "power", "site", "cell", "olt"
    planned: bool = False
    maintenance_id: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The core decided that a customer must be told something; ``reason`` says why."""

    customer_id: str
    incident_id: str
    stage: Stage
    services: tuple[str, ...]
    decided_at: float
    since: float  # when the episode began (event time)
    reason: str
    cause_type: str = "unknown"
    ended_at: float | None = None  # for resolved notices: when service came back
    eta: float | None = None
    message: str | None = None

    @property
    def notification_id(self) -> str:
        """Stable idempotency key: the same decision always yields the same id."""
        import hashlib

        raw = "|".join(
            [self.customer_id, self.incident_id, str(self.stage), ",".join(self.services),
             f"{self.decided_at:.3f}"]
        )
        return "n-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Notification:
    """A rendered notification ready for (or after) delivery: the record of CONTRACT §6."""

    notification_id: str
    customer_id: str
    incident_id: str
    stage: str
    services: list[str]
    channel: str
    to: str
    language: str
    subject: str | None
    text: str
    decided_at: str
    delivered_at: str | None = None
    html: str | None = field(default=None, compare=False)
    title: str | None = field(default=None, compare=False)
    priority: int = field(default=0, compare=False)

    def record(self) -> dict[str, object]:
        """The JSON object of CONTRACT §6 (no HTML body, no internal fields)."""
        return {
            "notification_id": self.notification_id,
            "customer_id": self.customer_id,
            "incident_id": self.incident_id,
            "stage": self.stage,
            "services": list(self.services),
            "channel": self.channel,
            "to": self.to,
            "language": self.language,
            "subject": self.subject,
            "text": self.text,
            "decided_at": self.decided_at,
            "delivered_at": self.delivered_at,
        }


def to_epoch(value: datetime) -> float:
    """POSIX seconds of an aware datetime (naive ones are rejected by callers before this)."""
    return value.timestamp()


def from_iso(iso: str | None) -> float | None:
    """POSIX seconds of an ISO-8601 instant with offset (as ``to_iso`` writes); None stays
    None, and so does an empty string."""
    return datetime.fromisoformat(iso).timestamp() if iso else None



def epoch_or_none(value: Any) -> float | None:
    """POSIX seconds from stored state that may hold epoch numbers or ISO-8601 text (older
    entries, NOC news); None for None, "" or text that is not a time (a page must render)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return from_iso(str(value))
    except ValueError:
        return None

def to_iso(epoch: float) -> str:
    """ISO-8601 in UTC with offset, second precision unless sub-second matters."""
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    if dt.microsecond:
        return dt.isoformat(timespec="milliseconds")
    return dt.isoformat(timespec="seconds")
