"""What the network's view reports, one record at a time: the correlator's output types.

Kept apart from ``correlation`` so that the modules that also produce them (``reload`` when
an index version is swapped in, ``cuts``) need not import the correlator, and the correlator
stays readable. ``forewarn.streams.correlation`` re-exports every name here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from forewarn.domain import ImpactChange, MaintenanceWindow

__all__ = [
    "Impact",
    "IncidentMerge",
    "IncidentNews",
    "NetworkEvent",
    "PlannedNotice",
    "WindowEnd",
    "incident_id_for",
]


def incident_id_for(root_element: str, since: float) -> str:
    """A readable, stable incident id: ``INC-<date>-<HHMM>-<6 hex of root and instant>``."""
    when = datetime.fromtimestamp(since, tz=UTC)
    digest = hashlib.sha256(f"{root_element}|{since:.3f}".encode()).hexdigest()[:6]
    return f"INC-{when:%Y%m%d}-{when:%H%M}-{digest}"


@dataclass(frozen=True)
class Impact:
    """Customers' services that went out, came back or became planned at one instant."""

    changes: list[ImpactChange]


@dataclass(frozen=True)
class PlannedNotice:
    """Tell these customers about a maintenance window at ``at``."""

    at: float  # when customers are to be told
    window: MaintenanceWindow
    customers: dict[str, list[str]]


@dataclass(frozen=True)
class WindowEnd:
    """A window ended; ``customers`` were inside it (``completed`` notices if service is back)."""

    at: float
    maintenance_id: str
    customers: dict[str, list[str]]


@dataclass(frozen=True)
class IncidentNews:
    """A NOC update for one incident."""

    at: float
    incident_id: str
    eta: float | None
    message: str | None


@dataclass(frozen=True)
class IncidentMerge:
    """A root cause was found above an earlier incident: its customers now share one id."""

    at: float
    from_incident: str
    into_incident: str
    cause_element: str
    cause_type: str


NetworkEvent = Impact | PlannedNotice | WindowEnd | IncidentNews | IncidentMerge
