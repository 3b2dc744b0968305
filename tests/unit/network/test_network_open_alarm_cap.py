"""Issue 16, finding 2: one element's open alarms are bounded. A new raise beyond the cap is
refused (``RecordRefused``, nothing changed, counted), and the element still goes down and
comes back as its alarms say."""

from __future__ import annotations

import pytest

from forewarn.domain import Alarm
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.refusals import TOO_MANY_OPEN_ALARMS, RecordRefused
from forewarn.streams.network.windows import MaintenanceSchedule
from tests.unit.network.network_helpers import cleared, correlator, raised, who

T0 = 1_780_000_000.0
CAP = 5


def warning(alarm_id: str, element: str, at: float) -> Alarm:
    return Alarm(alarm_id, element, "raised", "warning", at, f"cause-{alarm_id}")


def capped(index: object, cap: int = CAP) -> NetworkCorrelator:
    net = NetworkCorrelator(index, ElementStates({}, max_open=cap), MaintenanceSchedule({}), {})
    net.rebuild()
    return net


def fill_with_warnings(net: NetworkCorrelator, element: str, n: int) -> None:
    for i in range(n):
        net.apply(warning(f"w{i}", element, T0 + i))


def test_raise_beyond_the_cap_is_refused_and_changes_nothing(tiny_index: object) -> None:
    net = capped(tiny_index)
    fill_with_warnings(net, "A1", CAP)
    before = {k: dict(v) for k, v in net.elements._state.items()}
    clock = net.clock
    with pytest.raises(RecordRefused) as refused:
        net.apply(warning("one-too-many", "A1", T0 + 3600))
    assert refused.value.reason == TOO_MANY_OPEN_ALARMS and refused.value.field == "alarm_id"
    assert "A1" in str(refused.value)
    assert net.elements._state == before
    assert net.clock == clock  # a refused record does not move event time
    assert net.counts.refused == {TOO_MANY_OPEN_ALARMS: 1}


def test_state_stays_at_the_cap_whatever_the_flood(tiny_index: object) -> None:
    net = capped(tiny_index)
    refused = 0
    for i in range(10 * CAP):
        try:
            net.apply(warning(f"w{i}", "A1", T0 + i))
        except RecordRefused:
            refused += 1
    assert len(net.elements._state["A1"]["alarms"]) == CAP
    assert refused == 9 * CAP


def test_critical_raise_on_an_element_full_of_warnings_still_takes_it_down(
    tiny_index: object,
) -> None:
    net = capped(tiny_index)
    fill_with_warnings(net, "A1", CAP)
    events = net.apply(raised("crit", "A1", T0 + 100))
    assert net.elements.is_down("A1")
    assert who(events, out=True)  # customers of A1 are told they are out
    back = net.apply(cleared("crit", "A1", T0 + 200))
    assert not net.elements.is_down("A1") and who(back, out=False)


def test_update_of_an_open_alarm_on_a_full_element_is_applied(tiny_index: object) -> None:
    net = capped(tiny_index)
    fill_with_warnings(net, "A1", CAP)
    net.apply(Alarm("w0", "A1", "raised", "major", T0 + 50, "cause-w0"))
    assert net.elements.is_down("A1")


def test_down_raise_is_refused_only_when_the_element_is_down_anyway(tiny_index: object) -> None:
    net = capped(tiny_index)
    for i in range(CAP):
        net.apply(raised(f"c{i}", "A1", T0 + i))
    with pytest.raises(RecordRefused):
        net.apply(raised("c-extra", "A1", T0 + 10))
    assert net.elements.is_down("A1")


def test_clear_of_a_refused_raise_is_harmless(tiny_index: object) -> None:
    net = capped(tiny_index)
    net.apply(raised("crit", "A1", T0))
    fill_with_warnings(net, "A1", CAP)
    with pytest.raises(RecordRefused):
        net.apply(warning("refused", "A1", T0 + 10))
    events = net.apply(Alarm("refused", "A1", "cleared", "warning", T0 + 11))
    assert events == [] and net.elements.is_down("A1")
    assert len(net.elements._state["A1"]["alarms"]) == CAP + 1


def test_cap_survives_a_restart_from_the_same_state(tiny_index: object) -> None:
    state = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    first = correlator(tiny_index, state)
    first.elements.max_open = CAP
    fill_with_warnings(first, "A1", CAP)
    again = correlator(tiny_index, state)
    again.elements.max_open = CAP
    with pytest.raises(RecordRefused):
        again.apply(warning("after-restart", "A1", T0 + 100))


def test_cap_below_one_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="max_open"):
        ElementStates({}, max_open=0)
