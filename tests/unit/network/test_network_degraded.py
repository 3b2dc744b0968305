"""Degraded mobile service is counted per incident, never sent (``layered``: m-all has
N5 (5G), L4 (4G), G2 (2G); m-4g has L4, G2; m-3g has G2, U3 (3G); m-2g has G2 only;
N5 and L4 stand on site S1 under PWR-1, G2 and U3 on site S2)."""

from __future__ import annotations

from forewarn.domain import MaintenanceWindow
from forewarn.geo import RegionIndex
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.stage import NetworkStage
from tests.unit.network.network_helpers import cleared, correlator, raised


def incident(net: NetworkCorrelator, root: str) -> str:
    return str(net.incidents[root]["incident_id"])


def test_losing_the_5g_cell_degrades_its_customers_under_that_incident(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    assert net.apply(raised("n5", "N5", 100)) == []  # nobody out: nothing to send
    assert net.degraded_customers() == {incident(net, "N5"): ["m-all"]}
    assert net.degraded_counts == {incident(net, "N5"): 1}


def test_power_failure_of_the_upper_site_degrades_everyone_left_on_2g(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    net.apply(raised("p", "PWR-1", 100))
    assert net.degraded_customers() == {incident(net, "PWR-1"): ["m-4g", "m-all"]}


def test_each_degraded_customer_is_counted_under_the_cause_that_explains_it(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    net.apply(raised("n5", "N5", 100))
    net.apply(raised("u3", "U3", 200))
    assert net.degraded_counts == {incident(net, "N5"): 1, incident(net, "U3"): 1}
    assert net.degraded_customers()[incident(net, "U3")] == ["m-3g"]


def test_customer_out_is_not_degraded(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    net.apply(raised("s2", "S2", 100))  # m-2g loses its only cell: out, not degraded
    assert net.degraded_counts == {}


def test_clear_ends_the_degradation(layered_index: RegionIndex) -> None:
    net = correlator(layered_index)
    net.apply(raised("n5", "N5", 100))
    net.apply(cleared("n5", "N5", 200))
    assert net.degraded_counts == {}


def test_maintenance_on_the_5g_cell_is_counted_under_the_window(
    layered_index: RegionIndex,
) -> None:
    net = correlator(layered_index)
    net.apply(MaintenanceWindow("M1", ("N5",), 100, 1000, None, 0))
    net.advance(100)
    assert net.degraded_counts == {"M1": 1}


def test_counts_survive_a_restart_because_they_derive_from_the_state(
    layered_index: RegionIndex,
) -> None:
    state: dict = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    correlator(layered_index, state).apply(raised("n5", "N5", 100))
    restarted = correlator(layered_index, state)
    assert restarted.degraded_counts == {state["incidents"]["N5"]["incident_id"]: 1}


def test_degradation_sends_nothing_on_impacts(layered_index: RegionIndex) -> None:
    stage = NetworkStage(correlator(layered_index), 3)
    out = stage.handle({"record": "alarm", "alarm_id": "n5", "element_id": "N5",
                        "state": "raised", "severity": "critical", "event_time": 100.0})
    assert {r["kind"] for _, r in out} == {"tick"}
    assert stage.correlator.degraded_counts != {}
