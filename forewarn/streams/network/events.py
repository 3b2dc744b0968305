"""What the network's view reports, one record at a time: the correlator's output types.

Kept apart from ``correlation`` so that the modules that also produce them (``reload`` when
an index version is swapped in, ``cuts``) need not import the correlator, and the correlator
stays readable. ``forewarn.streams.network.correlation`` re-exports every name here.

An :class:`Impact` is columnar (numpy arrays, one row per changed customer service): one
power failure changes hundreds of thousands of customers, and one object per change cost
more than all the rest of the network stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from forewarn.domain import ImpactChange, MaintenanceWindow
from forewarn.geo import IdArray
from forewarn.streams.network.operator_zone import DEFAULT_ZONE, zone_info
from forewarn.streams.network.service_states import OK, PLANNED, SERVICE_NAMES, Cause

__all__ = [
    "ContactSeen",
    "ElementChange",
    "Impact",
    "IncidentMerge",
    "IncidentNews",
    "NetworkEvent",
    "PlannedNotice",
    "SuspicionEvent",
    "WindowAnnounced",
    "WindowChange",
    "WindowEnd",
    "incident_id_for",
]


def incident_id_for(root_element: str, since: float, zone: str = DEFAULT_ZONE) -> str:
    """A readable, stable incident id: ``INC-<date>-<HHMM>-<6 hex of root and instant>``.

    Date and minute are the operator's local time (``zone``, as the pages show times:
    ``operator_zone``), so "INC-20250314-1402" reads like the page's "since 14:02"; the
    digest is of the root and the instant, so two incidents never share an id, not even
    in the hour a DST change repeats.
    """
    when = datetime.fromtimestamp(since, tz=zone_info(zone))
    digest = hashlib.sha256(f"{root_element}|{since:.3f}".encode()).hexdigest()[:6]
    return f"INC-{when:%Y%m%d}-{when:%H%M}-{digest}"


@dataclass(frozen=True, eq=False)
class Impact:
    """Customers' services that went out, came back or became planned at one instant.

    Row ``k``: the service ``SERVICE_NAMES[services[k]]`` of customer
    ``customer_ids[positions[k]]`` changed to ``states[k]`` (``OK``/``OUT``/``PLANNED``),
    filed under ``causes[cause_of[k]]``. Rows are in the order customers are told; the
    causes are distinct. ``customer_ids`` (an object array) is usually the index's own
    ``customer_id_array``, so a storm's ids are not copied.
    """

    customer_ids: IdArray
    positions: np.ndarray
    services: np.ndarray
    states: np.ndarray
    causes: tuple[Cause, ...]
    cause_of: np.ndarray

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, int, Cause]]) -> Impact:
        """From changes found one at a time: ``(customer_id, service, state, cause)``."""
        ids: list[str] = []
        services: list[int] = []
        states: list[int] = []
        cause_of: list[int] = []
        causes: dict[Cause, int] = {}
        for customer_id, service, state, cause in rows:
            ids.append(customer_id)
            services.append(SERVICE_NAMES.index(service))
            states.append(state)
            cause_of.append(causes.setdefault(cause, len(causes)))
        return cls(np.asarray(ids, dtype=object), np.arange(len(ids)),
                   np.asarray(services, dtype=np.int64),
                   np.asarray(states, dtype=np.int64), tuple(causes),
                   np.asarray(cause_of, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def changes(self) -> list[ImpactChange]:
        """One ``ImpactChange`` per row, built on demand (for tests and small consumers)."""
        changes: list[ImpactChange] = []
        for p, s, state, c in zip(self.positions.tolist(), self.services.tolist(),
                                  self.states.tolist(), self.cause_of.tolist(), strict=True):
            at, incident_id, element, cause_type, maintenance_id = self.causes[c]
            changes.append(ImpactChange(
                self.customer_ids[p], SERVICE_NAMES[s], state != OK, at, incident_id, element,
                cause_type, planned=state == PLANNED, maintenance_id=maintenance_id))
        return changes


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


@dataclass(frozen=True)
class SuspicionEvent:
    """A suspected incident (CONTRACT §8: customers' reports, no alarm) opened, changed, was
    confirmed (by the NOC, or an alarm on its element joined it: it goes on as an ordinary
    incident under the same id) or cancelled (reports stopped, nobody confirmed)."""

    event: str  # "suspected" | "updated" | "confirmed" | "cancelled"
    incident_id: str
    element_id: str
    cause_type: str
    at: float
    reports: int  # distinct customers who reported no service within the window
    customers: int  # customers the element serves


@dataclass(frozen=True)
class ContactSeen:
    """A customer's contact reached the network's view, in its order (who got in touch, and
    whether they were already known to be out), for incident lifecycles and calls saved."""

    at: float
    contact_id: str
    customer_id: str
    channel: str
    reason: str
    known_outage: bool


@dataclass(frozen=True)
class ElementChange:
    """Element-level (docs/architecture.md): ``element_id`` went down (or came back) by its
    own alarms at ``at``; what changes is filed under ``incident_id`` with ``cause_element``
    (the root) of ``cause_type``. Each customer partition works out its customers' impact."""

    at: float
    element_id: str
    down: bool
    incident_id: str
    cause_element: str
    cause_type: str
    local: tuple[NetworkEvent, ...] = ()  # what it means per customer (see ``WindowAnnounced``)


@dataclass(frozen=True)
class WindowChange:
    """Element-level: the maintenance window ``maintenance_id`` on ``elements`` started or
    ended (``event``) at ``at``; changes are filed under ``incident_id`` / ``cause_element``
    (on an end: the incident of an outage still holding its elements down, if any)."""

    at: float
    event: str  # "start" | "end"
    maintenance_id: str
    elements: tuple[str, ...]
    incident_id: str
    cause_element: str
    cause_type: str
    local: tuple[NetworkEvent, ...] = ()  # what it means per customer (see ``WindowAnnounced``)


@dataclass(frozen=True)
class WindowAnnounced:
    """Element-level: a window was announced; each partition tells its customers it takes
    out at ``at`` (the notice instant). ``announced``: the network's clock then.

    ``local`` (on every element-level event): the per-customer events it stands for, for the
    network's own worker only (incident lifecycle and board counts); never sent."""

    at: float
    window: MaintenanceWindow
    announced: float
    local: tuple[NetworkEvent, ...] = ()


NetworkEvent = (Impact | PlannedNotice | WindowEnd | IncidentNews | IncidentMerge | SuspicionEvent
                | ContactSeen | ElementChange | WindowChange | WindowAnnounced)
