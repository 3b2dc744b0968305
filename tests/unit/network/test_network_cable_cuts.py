"""Cable cuts in the pipeline: a located cut takes down exactly the nodes downstream of the
routes it crosses, through the normal alarm path, and its clear brings exactly them back
(``layered``: R1 along lat 52.51 feeds PON-A (f-1, f-in), R2 along lat 52.495 feeds PON-B
(f-2), R0 along lon 13.38 feeds both)."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.geo import RegionIndex
from forewarn.streams.network.cuts import CUT_CAUSE, cut_alarm_id
from tests.unit.network.network_helpers import changes, correlator, cut_at, cut_by, raised, who

METRES_PER_DEG_LAT = 111_200
ON_R1 = (13.395, 52.51)
DIG_ON_R2 = [(13.425, 52.494), (13.426, 52.494), (13.426, 52.496), (13.425, 52.496)]
PON_A = {("f-1", "fibre"), ("f-in", "fibre")}
PON_B = {("f-2", "fibre")}


def test_point_cut_takes_out_exactly_the_customers_of_the_downstream_node(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    events = net.apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    assert who(events, out=True) == PON_A
    assert who(events, out=False) == set()
    [incident] = {c.incident_id for c in changes(events)}
    assert {(c.cause_element, c.cause_type) for c in changes(events)} == {("PON-A", "pon")}
    assert net.incidents["PON-A"]["incident_id"] == incident


def test_clear_brings_back_exactly_the_customers_the_cut_took_out(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    out = net.apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    back = net.apply(cut_at("dig-1", 0, 0, 700, state="cleared"))  # a clear names only the id
    assert who(back, out=False) == PON_A and who(back, out=True) == set()
    assert {c.incident_id for c in changes(back)} == {c.incident_id for c in changes(out)}
    assert net.elements.down_elements() == set() and net.cuts.active() == {}


def test_cut_raises_a_critical_cable_cut_alarm_per_node(layered_index: RegionIndex) -> None:
    state: dict[str, Any] = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    net = correlator(layered_index, state)
    net.apply(cut_at("dig-1", 13.385, 52.51, 100, tolerance_m=400))  # near R0 and R1
    assert net.cuts.active() == {"dig-1": ["PON-A", "PON-B"]}
    for node in ("PON-A", "PON-B"):
        alarm = state["elements"][node]["alarms"][cut_alarm_id("dig-1", node)]
        assert (alarm["severity"], alarm["probable_cause"]) == ("critical", CUT_CAUSE)


@pytest.mark.parametrize(("tolerance", "hit"), [(60.0, PON_A), (40.0, set())])
def test_point_tolerance_is_in_metres(layered_index: RegionIndex, tolerance: float,
                                      hit: set[tuple[str, str]]) -> None:
    net = correlator(layered_index)
    lat = ON_R1[1] + 50 / METRES_PER_DEG_LAT  # 50 m north of R1
    assert who(net.apply(cut_at("dig-1", ON_R1[0], lat, 100, tolerance_m=tolerance))) == hit


def test_point_without_tolerance_uses_the_default(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    lat = ON_R1[1] + 20 / METRES_PER_DEG_LAT  # within the 25 m default
    assert who(net.apply(cut_at("dig-1", ON_R1[0], lat, 100)), out=True) == PON_A


def test_dig_polygon_takes_out_the_node_fed_by_the_route_it_crosses(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    assert who(net.apply(cut_by("dig-2", DIG_ON_R2, 100)), out=True) == PON_B
    assert who(net.apply(cut_by("dig-2", DIG_ON_R2, 900, state="cleared")), out=False) == PON_B


def test_self_intersecting_dig_polygon_is_repaired_not_fatal(layered_index: RegionIndex) -> None:
    bowtie = [(13.425, 52.494), (13.426, 52.496), (13.426, 52.494), (13.425, 52.496)]
    assert who(correlator(layered_index).apply(cut_by("dig-3", bowtie, 100)), out=True) == PON_B


def test_cut_crossing_no_route_is_counted_and_changes_nothing(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    assert net.apply(cut_at("dig-9", 13.6, 52.6, 100, tolerance_m=10)) == []
    assert net.cuts.counts.without_route == 1
    assert net.apply(cut_at("dig-9", 0, 0, 200, state="cleared")) == []


def test_second_cut_on_a_node_keeps_it_down_when_the_first_clears(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    net.apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    on_r0 = net.apply(cut_at("dig-2", 13.38, 52.52, 200, tolerance_m=5))  # R0: PON-A and PON-B
    assert who(on_r0, out=True) == PON_B
    assert who(net.apply(cut_at("dig-1", 0, 0, 300, state="cleared"))) == set()
    assert who(net.apply(cut_at("dig-2", 0, 0, 400, state="cleared")), out=False) == PON_A | PON_B


def test_clear_after_a_restart_clears_the_remembered_nodes(layered_index: RegionIndex) -> None:
    state: dict[str, Any] = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    correlator(layered_index, state).apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    restarted = correlator(layered_index, state)  # same mappings, new in-memory views
    assert who(restarted.apply(cut_at("dig-1", 0, 0, 700, state="cleared")), out=False) == PON_A


def test_clear_of_a_forgotten_cut_clears_by_its_own_location(layered_index: RegionIndex) -> None:
    state: dict[str, Any] = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    correlator(layered_index, state).apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    state["cuts"].clear()  # the raise's memory is lost, the element alarms are not
    net = correlator(layered_index, state)
    assert who(net.apply(cut_at("dig-1", *ON_R1, 700, tolerance_m=5, state="cleared")),
               out=False) == PON_A
    assert net.cuts.counts.unknown_clears == 1


def test_cut_raised_again_elsewhere_moves_the_outage(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    net.apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    moved = net.apply(cut_by("dig-1", DIG_ON_R2, 200))
    assert who(moved, out=False) == PON_A and who(moved, out=True) == PON_B
    assert net.cuts.active() == {"dig-1": ["PON-B"]}


def test_repeated_raise_changes_nothing(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    net.apply(cut_at("dig-1", *ON_R1, 100, tolerance_m=5))
    assert net.apply(cut_at("dig-1", *ON_R1, 160, tolerance_m=5)) == []


def test_cut_below_a_down_olt_joins_the_olts_incident(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    olt = changes(net.apply(raised("o", "OLT-1", 100)))
    assert net.apply(cut_at("dig-1", *ON_R1, 200, tolerance_m=5)) == []  # already out
    assert {c.incident_id for c in olt} == {net.incidents["OLT-1"]["incident_id"]}
    assert set(net.incidents) == {"OLT-1"}
