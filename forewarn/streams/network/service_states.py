"""A customer's service in the network's view: ok, out, or planned (CONTRACT §4).

* ``PLANNED``: the started maintenance windows alone take the service away;
* ``OUT``: alarms (with the windows) take it away;
* ``OK``: otherwise.

Shared by the correlator (before/after one record) and by ``reload`` (old/new index), so
both say exactly the same thing about the same down sets, and file changes the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

import numpy as np

__all__ = ["OK", "OUT", "PLANNED", "SERVICE_NAMES", "Cause", "OutageIndex", "filed_under",
           "filing", "service_states", "service_states_each"]

OK, OUT, PLANNED = 0, 1, 2
SERVICE_NAMES: tuple[str, ...] = ("mobile", "fibre")

#: What a change is filed under, and one impact message names:
#: ``(at, incident_id, cause_element, cause_type, maintenance_id)``.
Cause = tuple[float, str, str, str, str | None]


class OutageIndex(Protocol):
    """Who is out given the elements whose own state is down (``RegionIndex`` provides it)."""

    def outages_each(self, downs: Sequence[Any],
                     positions: np.ndarray | None = None) -> list[dict[str, np.ndarray]]: ...


def service_states(index: OutageIndex, positions: np.ndarray, down: AbstractSet[str],
                   maintenance: AbstractSet[str]) -> dict[str, np.ndarray]:
    """ok/out/planned per service, aligned with ``positions``."""
    return service_states_each(index, positions, [(down, maintenance)])[0]


def service_states_each(
    index: OutageIndex, positions: np.ndarray,
    conditions: Sequence[tuple[AbstractSet[str], AbstractSet[str]]],
) -> list[dict[str, np.ndarray]]:
    """``service_states`` for each ``(down, maintenance)`` at the same ``positions``, which
    the index then looks up once (before and after a record are always asked together)."""
    downs: list[AbstractSet[str]] = []
    for down, maintenance in conditions:
        downs += [maintenance, set(down) | set(maintenance)] if maintenance else [down]
    outages = iter(index.outages_each(downs, positions))
    each: list[dict[str, np.ndarray]] = []
    for _, maintenance in conditions:
        planned = next(outages) if maintenance else None
        out = next(outages)
        states: dict[str, np.ndarray] = {}
        for service in SERVICE_NAMES:
            state = np.where(out[service], OUT, OK)
            if planned is not None:
                state = np.where(planned[service], PLANNED, state)
            states[service] = state
        each.append(states)
    return each


def filed_under(state: int, at: float, incident_id: str, cause_element: str, cause_type: str,
                maintenance_id: str | None) -> Cause:
    """What the change that brings a customer's service to ``state`` is filed under.

    A planned outage is filed under its window (``maintenance_id`` as incident, cause type
    ``maintenance``): it yields no outage notice, and its ``completed`` notice names the window.
    """
    if state == PLANNED:
        return at, maintenance_id or incident_id, cause_element, "maintenance", maintenance_id
    return at, incident_id, cause_element, cause_type, None


def filing(states: np.ndarray, at: float, incident_id: str, cause_element: str,
           cause_type: str, maintenance_id: str | None) -> tuple[tuple[Cause, ...], np.ndarray]:
    """``filed_under`` for many changes of one instant: the distinct causes, and per change
    the position of its own among them."""
    by_state = {state: filed_under(state, at, incident_id, cause_element, cause_type,
                                   maintenance_id) for state in (OK, OUT, PLANNED)}
    causes = tuple(dict.fromkeys(by_state.values()))
    code = np.zeros(max(by_state) + 1, dtype=np.int64)
    for state, cause in by_state.items():
        code[state] = causes.index(cause)
    return causes, code[states]
