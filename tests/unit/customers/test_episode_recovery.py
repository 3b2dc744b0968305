"""Crash and table recovery: a new tracker rebuilt from the same state decides the same things."""

from __future__ import annotations

import math
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import Decision, ImpactChange
from forewarn.streams.customers.episodes import EpisodeTracker
from tests.unit.customers.episode_model import changes_of, steps, tracked, windows
from tests.unit.customers.json_table import JsonTable


def with_crashes(
    changes: list[ImpactChange], crash_before: set[int], confirm: float, resolve: float
) -> list[Decision]:
    """Run the changes, replacing the tracker by a rebuilt one before each index in
    ``crash_before``.

    Only the state mapping survives a crash, as only the table's changelog survives in
    production; the heap, counters and clock are lost.
    """
    state = JsonTable()
    tracker = EpisodeTracker(state, confirm_after_s=confirm, resolve_after_s=resolve)
    decisions: list[Decision] = []
    for index, change in enumerate(changes):
        if index in crash_before:
            tracker = EpisodeTracker(state, confirm_after_s=confirm, resolve_after_s=resolve)
            tracker.rebuild()
        decisions += tracker.observe(change)
    if len(changes) in crash_before:
        tracker = EpisodeTracker(state, confirm_after_s=confirm, resolve_after_s=resolve)
        tracker.rebuild()
    return decisions + tracker.advance(math.inf)


@settings(max_examples=300, deadline=None)
@given(steps, windows, st.data())
def test_rebuilding_from_state_at_any_point_gives_the_same_decisions(drawn, window, data):
    changes = changes_of(drawn)
    crashes = data.draw(st.sets(st.integers(0, len(changes))), label="crash before")
    assert with_crashes(changes, crashes, *window) == tracked(changes, *window)


def partition(customer_id: str, partitions: int = 2) -> int:
    return zlib.crc32(customer_id.encode()) % partitions


@settings(max_examples=200, deadline=None)
@given(steps, windows)
def test_trackers_owning_disjoint_customers_together_decide_what_one_tracker_decides(drawn, window):
    changes = changes_of(drawn)
    shared = JsonTable()  # e.g. a store that also holds standby partitions
    trackers = []
    for p in (0, 1):
        tracker = EpisodeTracker(shared, confirm_after_s=window[0], resolve_after_s=window[1])
        tracker.rebuild(owns=lambda customer_id, p=p: partition(customer_id) == p)
        trackers.append(tracker)
    decisions: list[Decision] = []
    for change in changes:
        decisions += trackers[partition(change.customer_id)].observe(change)
    for tracker in trackers:
        decisions += tracker.advance(math.inf)

    def key(d: Decision) -> tuple[float, str, str]:
        return (d.decided_at, d.customer_id, d.stage)

    assert sorted(decisions, key=key) == sorted(tracked(changes, *window), key=key)
