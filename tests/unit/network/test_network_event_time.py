"""Issue 16, finding 3: one record's timestamp must not poison event time. Event times too
far ahead of the broker's timestamp, or implausibly old, are refused before they change
anything, so the network clock never moves on them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import Alarm, MaintenanceWindow
from forewarn.streams import records
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.event_time import EventTimeGuard
from forewarn.streams.network.refusals import EVENT_TIME_FUTURE, EVENT_TIME_OLD, RecordRefused
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.windows import MaintenanceSchedule

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC).timestamp()
YEAR_3000 = datetime(3000, 1, 1, tzinfo=UTC).timestamp()
PARTITIONS = 2
SKEW = 300.0
MAX_AGE = 7 * 86400.0


def stage(index: Any, *, live: bool = True) -> NetworkStage:
    guard = EventTimeGuard(SKEW, MAX_AGE, live=live)
    correlator = NetworkCorrelator(index, ElementStates({}), MaintenanceSchedule({}), {},
                                   event_time=guard)
    return NetworkStage(correlator, PARTITIONS)


def alarm(alarm_id: str, element: str, state: str, at: float, severity: str = "critical") -> Alarm:
    return Alarm(alarm_id, element, state, severity, at, "cause")


class Pipeline:
    """Network stage and customer stage in process order; each decision is noted with the
    broker time of the message whose processing made it."""

    def __init__(self, index: Any) -> None:
        self.network = stage(index)
        self.customers = CustomerStage({}, PARTITIONS, 120, 300)
        self.decisions: list[tuple[float, dict[str, Any]]] = []
        self.refused: list[RecordRefused] = []

    def send(self, value: Any, broker_time: float) -> None:
        try:
            out = self.network.handle(value, broker_time)
        except RecordRefused as refused:
            self.refused.append(refused)
            return
        for partition, message in out:
            for record in self.customers.handle(partition, message):
                self.decisions += [(broker_time, d) for d in record.get("items", [])]

    def tick(self, broker_time: float) -> None:
        self.send(records.tick_record(broker_time), broker_time)


def test_far_future_warning_on_unknown_element_leaves_an_eight_second_flap_silent(
        tiny_index: Any) -> None:
    pipe = Pipeline(tiny_index)
    pipe.send(alarm("poison", "NO-SUCH-ELEMENT", "raised", YEAR_3000, "warning"), T0)
    pipe.send(alarm("f1", "PWR-1", "raised", T0 + 10), T0 + 10)
    pipe.send(alarm("f1", "PWR-1", "cleared", T0 + 18), T0 + 18)
    for second in range(20, 1000, 5):
        pipe.tick(T0 + second)
    assert pipe.decisions == []
    assert [r.reason for r in pipe.refused] == [EVENT_TIME_FUTURE]
    assert pipe.network.correlator.clock < T0 + 1000


def test_refused_record_does_not_move_the_network_clock(tiny_index: Any) -> None:
    net = stage(tiny_index)
    net.handle(alarm("a", "A1", "raised", T0), T0)
    with pytest.raises(RecordRefused) as refused:
        net.handle(alarm("b", "B1", "raised", T0 + SKEW + 1), T0)
    assert refused.value.field == "event_time" and "max_future_skew_s" in str(refused.value)
    assert net.correlator.clock == T0
    assert not net.correlator.elements.is_down("B1")
    assert net.correlator.counts.refused == {EVENT_TIME_FUTURE: 1}


def test_event_time_exactly_at_the_skew_limit_is_accepted() -> None:
    guard = EventTimeGuard(SKEW, MAX_AGE)
    guard.check(T0 + SKEW, T0, clock=T0)
    with pytest.raises(RecordRefused):
        guard.check(T0 + SKEW + 0.001, T0, clock=T0)


def test_event_time_exactly_at_the_age_limit_is_accepted() -> None:
    guard = EventTimeGuard(SKEW, MAX_AGE)
    guard.check(T0 - MAX_AGE, T0, clock=T0)
    with pytest.raises(RecordRefused) as refused:
        guard.check(T0 - MAX_AGE - 0.001, T0, clock=T0)
    assert refused.value.reason == EVENT_TIME_OLD and "broker" in str(refused.value)


def test_replay_ignores_broker_timestamps_and_judges_age_by_the_network_clock() -> None:
    guard = EventTimeGuard(SKEW, MAX_AGE, live=False)
    a_year_ago = T0 - 365 * 86400.0
    guard.check(a_year_ago, T0, clock=a_year_ago - 3 * 86400.0)  # an old log, days apart
    guard.check(YEAR_3000, T0, clock=a_year_ago)  # no future reference in replay
    with pytest.raises(RecordRefused) as refused:
        guard.check(a_year_ago - MAX_AGE - 1, T0, clock=a_year_ago)
    assert "network clock" in str(refused.value)


def test_non_finite_event_time_is_refused() -> None:
    with pytest.raises(RecordRefused):
        EventTimeGuard().check(float("inf"), T0, clock=T0)


def test_maintenance_announced_now_for_next_month_is_accepted(tiny_index: Any) -> None:
    net = stage(tiny_index)
    start = T0 + 30 * 86400.0
    window = MaintenanceWindow("MW-1", ("A1",), start, start + 3600, None, T0)
    out = net.handle(window, T0)
    assert any(m.get("kind") == "planned" for _, m in out)
    assert net.correlator.clock == T0


def test_record_without_event_time_is_never_refused(tiny_index: Any) -> None:
    net = stage(tiny_index)
    window = MaintenanceWindow("MW-2", ("A1",), T0 + 86400.0, T0 + 90000.0, None, None)
    net.handle(window, T0)


# -- property: no single record makes a later decision happen before its instant ------------

ELEMENTS = ["PWR-1", "S-A", "A1", "A2", "B1", "OLT-1", "NO-SUCH-ELEMENT"]


@st.composite
def inserted_record(draw: st.DrawFn) -> tuple[int, Alarm]:
    element = draw(st.sampled_from(ELEMENTS))
    state = draw(st.sampled_from(["raised", "cleared"]))
    severity = draw(st.sampled_from(["critical", "major", "minor", "warning"]))
    at = draw(st.one_of(
        st.floats(T0 - 30 * 86400.0, YEAR_3000),
        st.sampled_from([YEAR_3000, T0 + SKEW, T0 + SKEW + 1, T0 - MAX_AGE - 1, 0.0]),
        st.floats(T0 - 600, T0 + 1200)))
    alarm_id = draw(st.sampled_from(["f1", "x", "y"]))
    return draw(st.integers(0, 40)), Alarm(alarm_id, element, state, severity, at, "cause")


@settings(max_examples=150, deadline=None)
@given(inserted_record())
def test_no_single_record_makes_a_decision_happen_before_its_instant(
        tiny_index: Any, insert: tuple[int, Alarm]) -> None:
    """A flap of PWR-1 and ticks, with one arbitrary record slipped in at some point: every
    decision is made at a broker time no earlier than its ``decided_at`` (less the allowed
    clock skew): no record can pull a decision forward in time."""
    position, extra = insert
    stream: list[tuple[Any, float]] = [(alarm("f1", "PWR-1", "raised", T0 + 10), T0 + 10),
                                       (alarm("f1", "PWR-1", "cleared", T0 + 18), T0 + 18)]
    stream += [(records.tick_record(T0 + s), T0 + s) for s in range(20, 1200, 30)]
    broker_time = stream[min(position, len(stream) - 1)][1]
    stream.insert(position, (extra, broker_time))
    pipe = Pipeline(tiny_index)
    for value, at in stream:
        pipe.send(value, at)
    for made_at, decision in pipe.decisions:
        assert decision["decided_at"] <= made_at + SKEW, decision
