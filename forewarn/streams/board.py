"""What this worker knows about incidents right now: the data behind the incident page.

Fed by the network stage (who went out or came back, for which incident) and by delivery
(who was told what, and when). It lives in memory per worker; the full service-desk views
with routed lookups are a later issue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from forewarn.domain import ImpactChange, Notification, to_iso

__all__ = ["Incident", "IncidentBoard"]


@dataclass
class Incident:
    incident_id: str
    cause_element: str
    cause_type: str
    started_at: float
    affected: dict[str, set[str]] = field(default_factory=lambda: {"mobile": set(), "fibre": set()})
    peak: dict[str, int] = field(default_factory=lambda: {"mobile": 0, "fibre": 0})
    told: dict[str, int] = field(default_factory=dict)  # stage -> notifications delivered
    last_change_at: float = 0.0

    @property
    def active(self) -> bool:
        return any(self.affected.values())

    def summary(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "cause_element": self.cause_element,
            "cause_type": self.cause_type,
            "started_at": to_iso(self.started_at),
            "active": self.active,
            "affected_now": {s: len(c) for s, c in self.affected.items()},
            "affected_peak": dict(self.peak),
            "notifications": dict(self.told),
        }


class IncidentBoard:
    """Incident id -> live counts; thread-safe because the web handlers read it."""

    def __init__(self) -> None:
        self._incidents: dict[str, Incident] = {}
        self._customer_incident: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def record_changes(self, changes: Iterable[ImpactChange]) -> None:
        with self._lock:
            for change in changes:
                key = (change.customer_id, change.service)
                if change.out:
                    incident = self._incidents.get(change.incident_id)
                    if incident is None:
                        incident = self._incidents[change.incident_id] = Incident(
                            change.incident_id, change.cause_element, change.cause_type, change.at)
                    incident.affected[change.service].add(change.customer_id)
                    incident.peak[change.service] = max(
                        incident.peak[change.service], len(incident.affected[change.service]))
                    incident.last_change_at = change.at
                    self._customer_incident[key] = change.incident_id
                else:
                    incident_id = self._customer_incident.pop(key, None)
                    if incident_id and incident_id in self._incidents:
                        self._incidents[incident_id].affected[change.service].discard(change.customer_id)
                        self._incidents[incident_id].last_change_at = change.at

    def record_delivery(self, notification: Notification) -> None:
        with self._lock:
            incident = self._incidents.get(notification.incident_id)
            if incident is not None:
                incident.told[notification.stage] = incident.told.get(notification.stage, 0) + 1

    def incidents(self) -> list[dict[str, Any]]:
        with self._lock:
            items = sorted(self._incidents.values(), key=lambda i: (not i.active, -i.started_at))
            return [i.summary() for i in items]
