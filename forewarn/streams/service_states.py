"""A customer's service in the network's view: ok, out, or planned (CONTRACT §4).

* ``PLANNED``: the started maintenance windows alone take the service away;
* ``OUT``: alarms (with the windows) take it away;
* ``OK``: otherwise.

Shared by the correlator (before/after one record) and by ``reload`` (old/new index), so
both say exactly the same thing about the same down sets.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any, Protocol

import numpy as np

from forewarn.domain import ImpactChange

__all__ = ["OK", "OUT", "PLANNED", "SERVICE_NAMES", "OutageIndex", "change_to", "service_states"]

OK, OUT, PLANNED = 0, 1, 2
SERVICE_NAMES: tuple[str, ...] = ("mobile", "fibre")


class OutageIndex(Protocol):
    """Who is out given the elements whose own state is down (``RegionIndex`` provides it)."""

    def outages(self, down: Any, positions: np.ndarray | None = None) -> dict[str, np.ndarray]: ...


def service_states(index: OutageIndex, positions: np.ndarray, down: AbstractSet[str],
                   maintenance: AbstractSet[str]) -> dict[str, np.ndarray]:
    """ok/out/planned per service, aligned with ``positions``."""
    if maintenance:
        planned = index.outages(maintenance, positions)
        out = index.outages(set(down) | set(maintenance), positions)
    else:
        planned = None
        out = index.outages(down, positions)
    states: dict[str, np.ndarray] = {}
    for service in SERVICE_NAMES:
        state = np.where(out[service], OUT, OK)
        if planned is not None:
            state = np.where(planned[service], PLANNED, state)
        states[service] = state
    return states


def change_to(state: int, customer_id: str, service: str, at: float, incident_id: str,
              cause_element: str, cause_type: str, maintenance_id: str | None) -> ImpactChange:
    """The change that brings a customer's service to ``state``.

    A planned outage is filed under its window (``maintenance_id`` as incident, cause type
    ``maintenance``): it yields no outage notice, and its ``completed`` notice names the window.
    """
    planned = state == PLANNED
    return ImpactChange(
        customer_id, service, state != OK, at,
        maintenance_id if planned and maintenance_id else incident_id,
        cause_element, "maintenance" if planned else cause_type,
        planned=planned, maintenance_id=maintenance_id if planned else None,
    )
