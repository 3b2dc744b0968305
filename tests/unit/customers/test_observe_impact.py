"""``EpisodeTracker.observe_impact`` (a message's ids, fresh outs opened directly) and
``observe_many`` (which opens fresh outs the same way) decide, store, count and arm exactly
what the general rules (``_apply`` for every change, as before the fast path) do."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import Decision, ImpactChange
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.notices import merge_decisions
from tests.unit.customers.json_table import JsonTable

CUSTOMERS = [f"c-{n}" for n in range(6)]
T0 = 1_790_000_000.0

group = st.tuples(st.sampled_from(["out", "planned", "back"]),
                  st.sampled_from(["mobile", "fibre"]),
                  st.lists(st.sampled_from(CUSTOMERS), max_size=6))
message = st.tuples(st.floats(0, 900), st.sampled_from(["inc-1", "inc-2"]),
                    st.lists(group, max_size=4))


def changes(at: float, incident: str, groups: list[tuple[str, str, list[str]]]
            ) -> list[ImpactChange]:
    return [ImpactChange(c, service, direction != "back", at, incident, "pwr-1", "power",
                         planned=direction == "planned",
                         maintenance_id="mw-1" if direction == "planned" else None)
            for direction, service, ids in groups for c in ids]


def general_rules(tracker: EpisodeTracker, changes: list[ImpactChange]) -> list[Decision]:
    """The loop of ``observe_many`` with every change through ``_apply``."""
    fired: list[Decision] = []
    direct: list[Decision] = []
    timers = tracker._book.timers
    for change in changes:
        earliest = timers.earliest()
        if change.at > tracker.clock or (earliest is not None and earliest <= tracker.clock):
            fired += tracker.advance(change.at)
        direct += tracker._apply(change)
    return fired + merge_decisions(direct)


def run(messages: list[Any], confirm: float, how: str) -> list[Any]:
    table = JsonTable()
    tracker = EpisodeTracker(table, confirm, 300)
    seen: list[Any] = []
    for offset, incident, groups in messages:
        at = T0 + offset
        if how == "ids":
            decided = tracker.observe_impact(at, incident, "pwr-1", "power", groups, "mw-1")
        elif how == "changes":
            decided = tracker.observe_many(changes(at, incident, groups))
        else:
            decided = general_rules(tracker, changes(at, incident, groups))
        seen.append((decided, table.snapshot(), tracker.clock, sorted(tracker.reasons.items()),
                     sorted(tracker._book.armed.items())))
    seen.append(tracker.advance(math.inf))
    return seen


@settings(max_examples=200, deadline=None)
@given(st.lists(message, max_size=6), st.sampled_from([0.0, 5.0, 120.0]))
def test_observing_a_message_by_ids_or_changes_equals_the_general_rules(
    messages: list[Any], confirm: float,
) -> None:
    messages = sorted(messages, key=lambda m: m[0])
    expected = run(messages, confirm, "general")
    assert run(messages, confirm, "ids") == expected
    assert run(messages, confirm, "changes") == expected


def test_a_fresh_customer_going_out_opens_an_episode_confirmed_later() -> None:
    tracker = EpisodeTracker({}, 5, 300)
    assert tracker.observe_impact(T0, "inc-1", "pwr-1", "power",
                                  [("out", "mobile", ["c-1"])]) == []
    (decision,) = tracker.advance(T0 + 5)
    assert (decision.customer_id, decision.services, decision.since) == ("c-1", ("mobile",), T0)
