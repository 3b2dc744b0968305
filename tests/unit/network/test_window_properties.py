"""Properties of the episode machine with windows, news and clocks (CONTRACT §4, issue 4 part 8).

* the tracker decides what the planned-aware interval model decides;
* a live run (the same messages with many extra ticks at arbitrary times in between) decides
  exactly what a replay run (ticks only where messages are, plus a final drain) decides;
* crashing and rebuilding from the table at any points decides the same, in the same order.

Live ticks never run ahead of the next message's event time: a live clock that overtakes
event time (alarms arriving late) legitimately decides differently, as CONTRACT §4 allows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import Decision, Stage
from forewarn.streams import records
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.partitioning import partition_of
from tests.unit.customers.episode_model import changes_of, modelled, order, steps, windows
from tests.unit.customers.json_table import JsonTable
from tests.unit.network.window_model import (
    QuickClocks,
    changes_with_windows,
    modelled_with_windows,
    stories,
    window_steps,
)

PARTITIONS = 2
BROADCAST = {"tick", "update", "merge"}


def tracked(changes, confirm: float, resolve: float) -> list[Decision]:
    tracker = EpisodeTracker(JsonTable(), confirm_after_s=confirm, resolve_after_s=resolve)
    decisions = [d for change in changes for d in tracker.observe(change)]
    return decisions + tracker.advance(math.inf)


# ------------------------------------------------------------------------------ the model


@settings(max_examples=400, deadline=None)
@given(window_steps, windows)
def test_tracker_with_windows_decides_what_the_interval_model_decides(drawn, window):
    changes = changes_with_windows(drawn)
    assert order(tracked(changes, *window)) == order(modelled_with_windows(changes, *window))


@settings(max_examples=100, deadline=None)
@given(steps, windows)
def test_without_windows_the_window_model_is_the_plain_model(drawn, window):
    changes = changes_of(drawn)
    assert order(modelled_with_windows(changes, *window)) == order(modelled(changes, *window))


# ------------------------------------------------------------------------------ the stage


def split(value: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """One story message as the network stage sends it: per partition, or to every one;
    partitions it names no customer of get a tick at its event time instead."""
    if records.is_control(value) or value["kind"] in BROADCAST:
        return [(p, value) for p in range(PARTITIONS)]
    now = value.get("announced", value["at"])
    ticks: dict[int, dict[str, Any]] = {p: {"kind": "tick", "at": now} for p in range(PARTITIONS)}
    return sorted((ticks | dict(_per_partition(value))).items(), key=lambda item: item[0])


def _per_partition(value: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    field = "customers" if value["kind"] in ("planned", "window_end") else None
    parts: dict[int, dict[str, Any]] = {}
    for direction in [field] if field else ["out", "back", "planned"]:
        for service, ids in value.get(direction, {}).items():
            for customer in ids:
                part = parts.setdefault(
                    partition_of(customer, PARTITIONS),
                    {**value, **({field: {}} if field else {"out": {}, "back": {}, "planned": {}})},
                )
                part[direction].setdefault(service, []).append(customer)
    return list(parts.items())


def stage_for(table: JsonTable, window: tuple[int, int]) -> CustomerStage:
    return CustomerStage(table, PARTITIONS, *window, legal=QuickClocks())


def run(
    story: list[tuple[float, dict[str, Any]]],
    window: tuple[int, int],
    *,
    ticks: dict[int, list[float]] | None = None,
    crash_before: Collection[int] = (),
) -> list[dict[str, Any]]:
    """Every decision of the story then a drain; ``ticks[i]``: extra ticks before message i;
    before each index in ``crash_before`` the stage loses everything but its table."""
    stage = stage_for(JsonTable(), window)
    decided: list[dict[str, Any]] = []
    messages = [value for _, value in story] + [records.drain_record("end")]
    for index, value in enumerate(messages):
        if index in crash_before:
            stage.forget()
        sent = [(p, {"kind": "tick", "at": at}) for at in (ticks or {}).get(index, [])
                for p in range(PARTITIONS)]
        for partition, part in sent + split(value):
            for out in stage.handle(partition, part):
                decided.extend(out.get("items", []))
    return decided


def live_ticks(
    data: st.DataObject, story: list[tuple[float, dict[str, Any]]]
) -> dict[int, list[float]]:
    """Ticks before each message (and before the drain), between the previous and its time."""
    ticks: dict[int, list[float]] = {}
    previous = 0.0
    times = [t for t, _ in story] + [story[-1][0] if story else 0.0]
    for index, now in enumerate(times):
        drawn = data.draw(st.lists(st.floats(previous, now), max_size=3), label=f"ticks {index}")
        ticks[index] = sorted(drawn)
        previous = now
    return ticks


def canonical(decided: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(d.items())) for d in decided)


@settings(max_examples=200, deadline=None)
@given(stories(), windows, st.data())
def test_live_run_with_extra_ticks_decides_exactly_what_the_replay_decides(story, window, data):
    ticks = live_ticks(data, story)
    assert canonical(run(story, window, ticks=ticks)) == canonical(run(story, window))


@settings(max_examples=200, deadline=None)
@given(stories(), windows, st.data())
def test_rebuilding_the_stage_from_its_table_at_any_points_decides_the_same(story, window, data):
    crashes = data.draw(st.sets(st.integers(0, len(story))), label="crash before")
    assert run(story, window, crash_before=crashes) == run(story, window)


@settings(max_examples=150, deadline=None)
@given(stories(), windows)
def test_customers_hear_of_windows_once_each_way_and_get_updates_only_once_told(story, window):
    decided = [records.decision_from_record(d) for d in run(story, window)]
    planned = Counter((d.customer_id, d.incident_id) for d in decided if d.stage is Stage.PLANNED)
    assert all(n == 1 for n in planned.values())
    completed = Counter(
        (d.customer_id, d.incident_id, s) for d in decided if d.stage is Stage.COMPLETED
        for s in d.services
    )
    assert all(n == 1 for n in completed.values())
    for customer, window_id, _ in completed:  # only after being told of the window
        assert (customer, window_id) in planned
    told: dict[tuple[str, str], float] = {}
    for d in sorted(decided, key=lambda d: (d.decided_at, d.stage is not Stage.OUTAGE)):
        for service in d.services:
            if d.stage is Stage.OUTAGE:
                told.setdefault((d.customer_id, service), d.decided_at)
            elif d.stage is Stage.UPDATE:
                assert told.get((d.customer_id, service), math.inf) <= d.decided_at, d
