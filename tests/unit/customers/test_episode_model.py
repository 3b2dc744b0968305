"""EpisodeTracker against the independent interval model of ``episode_model``."""

from __future__ import annotations

import math
from collections import defaultdict

from hypothesis import given, settings

from forewarn.domain import Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from tests.unit.customers.episode_model import (
    changes_of,
    intervals,
    modelled,
    order,
    steps,
    tracked,
    windows,
)

# ------------------------------------------------------------------------------ properties


@settings(max_examples=400, deadline=None)
@given(steps, windows)
def test_tracker_decides_what_the_interval_model_decides(drawn, window):
    confirm, resolve = window
    changes = changes_of(drawn)
    assert order(tracked(changes, confirm, resolve)) == order(modelled(changes, confirm, resolve))


@settings(max_examples=200, deadline=None)
@given(steps, windows)
def test_decisions_come_out_in_event_time_order(drawn, window):
    decided = [d.decided_at for d in tracked(changes_of(drawn), *window)]
    assert decided == sorted(decided)


@settings(max_examples=200, deadline=None)
@given(steps, windows)
def test_each_episode_gets_at_most_one_outage_and_one_resolved_after_it(drawn, window):
    per_incident: dict[tuple[str, str, str], list[Stage]] = defaultdict(list)
    for d in tracked(changes_of(drawn), *window):
        for service in d.services:
            per_incident[(d.customer_id, service, d.incident_id)].append(d.stage)
    for stages in per_incident.values():
        # one incident can open several episodes; each is outage then resolved
        text = "".join("o" if s is Stage.OUTAGE else "r" for s in stages)
        assert text.replace("or", "") in ("", "o")


@settings(max_examples=200, deadline=None)
@given(steps, windows)
def test_after_draining_only_customers_still_out_remain_in_state(drawn, window):
    changes = changes_of(drawn)
    state: dict[str, dict] = {}
    tracker = EpisodeTracker(state, confirm_after_s=window[0], resolve_after_s=window[1])
    for change in changes:
        tracker.observe(change)
    tracker.advance(math.inf)
    still_out = {
        customer for (customer, _), spans in intervals(changes).items() if spans[-1][1] == math.inf
    }
    assert set(state) == still_out
    assert tracker.pending() == 0
