"""An independent model of CONTRACT §4's episode rules, and random out/back sequences.

The model knows nothing of timers. Per (customer, service) it takes the out-intervals, merges
those whose gap is shorter than ``resolve``, and for each merged episode sends an outage at
``start + confirm`` of the first interval lasting at least ``confirm`` and, if one was sent
and the episode ended, a resolved notice at ``end + resolve``. Records of one customer with the
same (incident, stage, instant) share one record (CONTRACT §6).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable

from hypothesis import strategies as st

from forewarn.domain import SERVICES, Decision, ImpactChange, Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable

__all__ = ["changes_of", "intervals", "modelled", "order", "steps", "tracked", "windows"]

CUSTOMERS = ("c-1", "c-2", "c-3")

# (customer, service, out?, step after the previous change, incident)
steps = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.sampled_from(SERVICES),
        st.booleans(),
        st.integers(0, 7),
        st.sampled_from(("inc-a", "inc-b")),
    ),
    max_size=40,
)
windows = st.tuples(st.integers(1, 6), st.integers(1, 8))


def changes_of(drawn: Iterable[tuple[str, str, bool, int, str]]) -> list[ImpactChange]:
    changes, now = [], 0.0
    for customer, service, is_out, step, incident in drawn:
        now += step
        changes.append(
            ImpactChange(customer, service, is_out, now, incident, "el", f"type-{incident}")
        )
    return changes


def tracked(changes: list[ImpactChange], confirm: float, resolve: float) -> list[Decision]:
    tracker = EpisodeTracker(JsonTable(), confirm_after_s=confirm, resolve_after_s=resolve)
    decisions = [d for change in changes for d in tracker.observe(change)]
    decisions += tracker.advance(math.inf)
    assert tracker.pending() == 0
    return decisions


# ------------------------------------------------------------------------------ the model

Interval = tuple[float, float, str]  # start, end (inf while still out), incident of its start


def intervals(changes: list[ImpactChange]) -> dict[tuple[str, str], list[Interval]]:
    found: dict[tuple[str, str], list[Interval]] = defaultdict(list)
    started: dict[tuple[str, str], tuple[float, str]] = {}
    for change in changes:
        key = (change.customer_id, change.service)
        if change.out and key not in started:
            started[key] = (change.at, change.incident_id)
        elif not change.out and key in started:
            start, incident = started.pop(key)
            found[key].append((start, change.at, incident))
    for key, (start, incident) in started.items():
        found[key].append((start, math.inf, incident))
    return found


def episodes_of(spans: list[Interval], resolve: float) -> list[list[Interval]]:
    """Out-intervals joined into episodes: a gap shorter than ``resolve`` joins them."""
    episodes: list[list[Interval]] = []
    for span in sorted(spans):
        if episodes and span[0] - episodes[-1][-1][1] < resolve:
            episodes[-1].append(span)
        else:
            episodes.append([span])
    return episodes


def modelled(changes: list[ImpactChange], confirm: float, resolve: float) -> list[Decision]:
    single: list[Decision] = []
    for (customer, service), spans in intervals(changes).items():
        for episode in episodes_of(spans, resolve):
            since, end, incident = episode[0][0], episode[-1][1], episode[0][2]
            long_enough = [s for s in episode if s[1] - s[0] >= confirm]
            if not long_enough:
                continue
            notice = Decision(
                customer_id=customer,
                incident_id=incident,
                stage=Stage.OUTAGE,
                services=(service,),
                decided_at=long_enough[0][0] + confirm,
                since=since,
                reason=Reason.CONFIRMED,
                cause_type=f"type-{incident}",
            )
            single.append(notice)
            if end < math.inf:
                single.append(
                    dataclasses.replace(
                        notice,
                        stage=Stage.RESOLVED,
                        decided_at=end + resolve,
                        reason=Reason.SERVICE_RESTORED,
                        ended_at=end,
                    )
                )
    merged: dict[tuple[str, str, str, float], Decision] = {}
    for d in sorted(single, key=lambda d: SERVICES.index(d.services[0])):
        key = (d.customer_id, d.incident_id, d.stage, d.decided_at)
        first = merged.get(key)
        merged[key] = (
            d
            if first is None
            else dataclasses.replace(
                first, services=first.services + d.services, since=min(first.since, d.since)
            )
        )
    return list(merged.values())


def order(decisions: list[Decision]) -> list[Decision]:
    return sorted(decisions, key=lambda d: (d.decided_at, d.customer_id, d.stage, d.services))
