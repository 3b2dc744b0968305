"""An interval model of episodes with maintenance windows, and random stage message stories.

The model extends ``episode_model``'s: per (customer, service) the state is ok, out or
planned. Out-segments form episodes as before (gaps shorter than ``resolve`` join). A planned
segment that begins while an episode is open either *holds* it (the episode was notified by
then: the segment counts as out) or *drops* it (not notified: no notice ever); otherwise it is
no part of any episode. Timers fire before changes at one instant, hence the ``<=``/``<``.

``stories`` draws whole message sequences for ``CustomerStage``: impacts (out, back,
planned), window announcements and ends, NOC updates and merges, at non-decreasing event time.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from forewarn.domain import SERVICES, Decision, ImpactChange, Stage
from forewarn.streams.reasons import Reason

__all__ = ["QuickClocks", "changes_with_windows", "modelled_with_windows", "stories",
           "window_steps"]

CUSTOMERS = ("c-1", "c-2", "c-3")
INCIDENTS = ("inc-a", "inc-b")
WINDOWS = ("mw-1", "mw-2")

# (customer, service, "out" | "back" | "planned", step after the previous change, incident, window)
window_steps = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.sampled_from(SERVICES),
        st.sampled_from(("out", "back", "planned")),
        st.integers(0, 7),
        st.sampled_from(INCIDENTS),
        st.sampled_from(WINDOWS),
    ),
    max_size=40,
)


def changes_with_windows(
    drawn: Iterable[tuple[str, str, str, int, str, str]],
) -> list[ImpactChange]:
    changes, now = [], 0.0
    for customer, service, state, step, incident, window in drawn:
        now += step
        planned = state == "planned"
        changes.append(
            ImpactChange(customer, service, state != "back", now, incident, "el",
                         f"type-{incident}", planned=planned,
                         maintenance_id=window if planned else None)
        )
    return changes


Segment = tuple[float, float, str, str]  # start, end, state, incident


def _segments(changes: list[ImpactChange]) -> dict[tuple[str, str], list[Segment]]:
    """Per (customer, service): (start, end, state, incident) with repeated states collapsed."""
    starts: dict[tuple[str, str], list[tuple[float, str, str]]] = defaultdict(list)
    for change in changes:
        key = (change.customer_id, change.service)
        state = "planned" if change.planned else ("out" if change.out else "ok")
        previous = starts[key][-1][1] if starts[key] else "ok"
        if state != previous:
            starts[key].append((change.at, state, change.incident_id))
    return {
        key: [(a, seq[i + 1][0] if i + 1 < len(seq) else math.inf, state, incident)
              for i, (a, state, incident) in enumerate(seq)]
        for key, seq in starts.items()
    }


def _notified_by(spans: list[list[float]], at: float, confirm: float) -> bool:
    return any(min(end, at) - start >= confirm for start, end in spans)


def modelled_with_windows(
    changes: list[ImpactChange], confirm: float, resolve: float
) -> list[Decision]:
    single: list[Decision] = []
    for (customer, service), segments in _segments(changes).items():
        episodes: list[dict[str, Any]] = []
        episode: dict[str, Any] | None = None
        for start, end, state, incident in segments:
            if state == "ok":
                continue
            is_open = episode is not None and start - episode["spans"][-1][1] < resolve
            if state == "out" and is_open:
                episode["spans"].append([start, end])  # type: ignore[index]
            elif state == "out":
                if episode is not None:
                    episodes.append(episode)
                episode = {"spans": [[start, end]], "incident": incident}
            elif is_open and _notified_by(episode["spans"], start, confirm):  # type: ignore[index]
                episode["spans"].append([start, end])  # type: ignore[index]  # held
            elif is_open:
                episode = None  # dropped: the window explains it
            else:
                if episode is not None:
                    episodes.append(episode)
                episode = None
        if episode is not None:
            episodes.append(episode)
        for found in episodes:
            spans, incident = found["spans"], found["incident"]
            long_enough = [s for s in spans if s[1] - s[0] >= confirm]
            if not long_enough:
                continue
            notice = Decision(customer, incident, Stage.OUTAGE, (service,),
                              long_enough[0][0] + confirm, spans[0][0], Reason.CONFIRMED,
                              cause_type=f"type-{incident}")
            single.append(notice)
            if spans[-1][1] < math.inf:
                single.append(dataclasses.replace(
                    notice, stage=Stage.RESOLVED, decided_at=spans[-1][1] + resolve,
                    reason=Reason.SERVICE_RESTORED, ended_at=spans[-1][1]))
    merged: dict[tuple[str, str, str, float], Decision] = {}
    for d in sorted(single, key=lambda d: SERVICES.index(d.services[0])):
        key = (d.customer_id, d.incident_id, d.stage, d.decided_at)
        first = merged.get(key)
        merged[key] = d if first is None else dataclasses.replace(
            first, services=first.services + d.services, since=min(first.since, d.since))
    return list(merged.values())


# ------------------------------------------------------------------------------ stories


@dataclass(frozen=True, slots=True)
class QuickClocks:
    """A legal policy with clocks seconds apart, so short stories reach them."""

    country: str = "XX"
    services: tuple[str, ...] = SERVICES

    def clocks(self, since: float, timezone: str) -> list[tuple[float, Reason]]:
        return [(since + 15, Reason.LEGAL_DAY1), (since + 40, Reason.LEGAL_COMPENSATION)]


_pairs = st.lists(st.tuples(st.sampled_from(CUSTOMERS), st.sampled_from(SERVICES)),
                  min_size=1, max_size=4, unique=True)


def _customers(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for customer, service in pairs:
        found.setdefault(service, []).append(customer)
    return found


@st.composite
def _event(draw: st.DrawFn, now: float) -> dict[str, Any]:
    kind = draw(st.sampled_from(("impact", "impact", "impact", "planned", "window_end",
                                 "update", "merge")))
    window = draw(st.sampled_from(WINDOWS))
    incident = draw(st.sampled_from(INCIDENTS))
    if kind == "impact":
        moves: dict[str, dict[str, list[str]]] = {"out": {}, "back": {}, "planned": {}}
        for customer, service in draw(_pairs):
            state = draw(st.sampled_from(("out", "back", "planned")))
            moves[state].setdefault(service, []).append(customer)
        return {"kind": "impact", "at": now, "incident_id": incident, "cause_element": "el",
                "cause_type": f"type-{incident}", "maintenance_id": window, **moves}
    if kind == "planned":
        at = now + draw(st.integers(-5, 30))
        start = max(at, now) + draw(st.integers(0, 20))
        return {"kind": "planned", "at": at, "announced": now, "maintenance_id": window,
                "start": start,
                "end": start + draw(st.integers(1, 40)), "text": "works",
                "customers": _customers(draw(_pairs))}
    if kind == "window_end":
        return {"kind": "window_end", "at": now, "maintenance_id": window,
                "customers": _customers(draw(_pairs))}
    if kind == "update":
        eta = draw(st.one_of(st.none(), st.integers(-5, 30)))
        return {"kind": "update", "at": now, "incident_id": incident,
                "eta": None if eta is None else now + eta,
                "message": draw(st.sampled_from((None, "on site")))}
    other = "inc-b" if incident == "inc-a" else "inc-a"
    return {"kind": "merge", "at": now, "from_incident": incident, "into_incident": other,
            "cause_element": "pwr", "cause_type": "power"}


@st.composite
def stories(draw: st.DrawFn, max_events: int = 30) -> list[tuple[float, dict[str, Any]]]:
    """``[(story time, message)]``; event times never go back (``planned`` names a future
    instant but happens at the story time)."""
    now, story = 0.0, []
    for _ in range(draw(st.integers(0, max_events))):
        now += draw(st.integers(0, 6))
        story.append((now, draw(_event(now))))
    return story
