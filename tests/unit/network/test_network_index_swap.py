"""Swapping in a new index version emits exactly the differences between what the old and
the new index say for the current down sets (``tiny``; in the new version customer 007
moved from A1/PON-1 to A2/PON-2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forewarn.domain import MaintenanceWindow
from forewarn.geo import RegionIndex
from forewarn.geo.artifact import write_index
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.network.correlation import IncidentMerge, PlannedNotice
from forewarn.streams.network.index_reload import (
    IndexReloader,
    ReloadingNetworkStage,
    reload_record,
)
from tests.unit.network.network_helpers import changes, correlator, cut_at, raised, who

OLD_007 = "007,13.405,52.51,"
NEW_007 = "007,13.43,52.518,"
DAY = 86400.0


@pytest.fixture
def moved(region_variant: Any) -> RegionIndex:
    return region_variant("tiny", {"customers.csv": {OLD_007: NEW_007}})


def test_customer_moved_out_of_a_down_cell_comes_back_and_nobody_else_changes(
    tiny_index: RegionIndex, moved: RegionIndex,
) -> None:
    net = correlator(tiny_index)
    incident = changes(net.apply(raised("a1", "A1", 100)))[0].incident_id
    events = net.swap_index(moved, 200)
    assert [(c.customer_id, c.service, c.out, c.at, c.incident_id) for c in changes(events)] \
        == [("007", "mobile", False, 200, incident)]


def test_customer_moved_into_a_down_cell_goes_out_in_its_incident(
    tiny_index: RegionIndex, moved: RegionIndex,
) -> None:
    net = correlator(tiny_index)
    net.apply(raised("a2", "A2", 100))
    [change] = changes(net.swap_index(moved, 200))
    assert (change.customer_id, change.service, change.out) == ("007", "mobile", True)
    assert (change.incident_id, change.cause_element, change.cause_type) == (
        net.incidents["A2"]["incident_id"], "A2", "cell")


def test_fibre_customer_follows_the_node_of_their_new_area(
    tiny_index: RegionIndex, moved: RegionIndex,
) -> None:
    net = correlator(tiny_index)
    net.apply(raised("p1", "PON-1", 100))
    net.apply(raised("p2", "PON-2", 100))
    assert changes(net.swap_index(moved, 200)) == []  # out under both: nothing to tell


def test_fibre_customer_leaving_a_down_node_comes_back(tiny_index: RegionIndex,
                                                      moved: RegionIndex) -> None:
    net = correlator(tiny_index)
    net.apply(raised("p1", "PON-1", 100))
    assert who(net.swap_index(moved, 200)) == {("007", "fibre")}


def test_swap_to_an_equal_index_changes_nothing(tiny_index: RegionIndex,
                                                region_variant: Any) -> None:
    net = correlator(tiny_index)
    net.apply(raised("p", "PWR-1", 100))
    assert net.swap_index(region_variant("tiny", {}), 200) == []


def test_customer_dropped_by_the_new_version_comes_back_and_one_added_goes_out(
    tiny_index: RegionIndex, region_variant: Any,
) -> None:
    c_east = "c-east,13.44,52.505,mobile,,,push;sms,+4915212345678,,tok-c-east,,Europe/London\n"
    newcomer = "new-1,13.43,52.518,mobile,,de,sms,+4915700000000,,,0,Europe/Berlin\n"
    index = region_variant("tiny", {"customers.csv": {c_east: newcomer}})
    net = correlator(tiny_index)
    net.apply(raised("a2", "A2", 100))
    events = net.swap_index(index, 200)
    assert who(events, out=False) == {("c-east", "mobile")}
    assert who(events, out=True) == {("new-1", "mobile")}


def test_confirm_windows_running_at_the_swap_are_kept(tiny_index: RegionIndex,
                                                      moved: RegionIndex, tmp_path: Path) -> None:
    assert moved.region is not None
    version = write_index(moved, tmp_path, moved.region.path).name
    net = ReloadingNetworkStage(correlator(tiny_index), 1, IndexReloader(tmp_path))
    messages = net.handle({"record": "alarm", "alarm_id": "a2", "element_id": "A2",
                           "state": "raised", "severity": "critical", "event_time": 1000.0})
    messages += net.handle(reload_record(version, 1060.0))
    messages += [(0, {"kind": "tick", "at": 1300.0})]
    customers = CustomerStage({}, 1, 120, 300)
    decided = [(d["customer_id"], d["decided_at"]) for p, m in messages
               for r in customers.handle(p, m) for d in r.get("items", [])]
    assert sorted(decided) == [("007", 1180.0), ("c-east", 1120.0), ("c-south", 1120.0),
                               ("f-fttb", 1120.0)]


def test_root_with_a_down_parent_in_the_new_topology_is_merged_into_its_incident(
    tiny_index: RegionIndex, region_variant: Any,
) -> None:
    index = region_variant("tiny", {"topology.csv": {"OLT-1,,olt": "OLT-1,PWR-2,olt"}})
    net = correlator(tiny_index)
    pon = changes(net.apply(raised("p1", "PON-1", 100)))[0].incident_id
    net.apply(raised("p2", "PWR-2", 110))
    power = net.incidents["PWR-2"]["incident_id"]
    events = net.swap_index(index, 200)
    assert [e for e in events if isinstance(e, IncidentMerge)] == [
        IncidentMerge(200, pon, power, "PWR-2", "power")]
    assert who(events, out=True) == {("f-explicit", "fibre"), ("f-fttb", "fibre"),
                                     ("f-geo", "fibre"), ("f-overlap", "fibre")}
    assert {c.incident_id for c in changes(events)} == {power}
    assert set(net.incidents) == {"PWR-2"}


def test_element_that_becomes_a_root_keeps_the_incident_its_customers_know(
    tiny_index: RegionIndex, region_variant: Any,
) -> None:
    under_power = region_variant("tiny", {"topology.csv": {"OLT-1,,olt": "OLT-1,PWR-2,olt"}})
    net = correlator(under_power)
    net.apply(raised("p1", "PON-1", 100))
    net.apply(raised("p2", "PWR-2", 110))
    power = net.incidents["PWR-2"]["incident_id"]
    events = net.swap_index(tiny_index, 200)
    assert net.incidents["PON-1"]["incident_id"] == power
    assert not [e for e in events if isinstance(e, IncidentMerge)]
    assert who(events, out=False) == {("f-explicit", "fibre"), ("f-fttb", "fibre"),
                                      ("f-geo", "fibre"), ("f-overlap", "fibre")}


def test_customer_moved_into_an_announced_window_gets_its_planned_notice(
    tiny_index: RegionIndex, moved: RegionIndex,
) -> None:
    net = correlator(tiny_index)
    net.apply(MaintenanceWindow("M1", ("A2",), 5 * DAY, 5 * DAY + 3600, "Umbau", 0.0))
    [notice] = [e for e in net.swap_index(moved, DAY) if isinstance(e, PlannedNotice)]
    assert notice.customers == {"mobile": ["007"]}
    assert notice.at == 3 * DAY and notice.window.maintenance_id == "M1"


def test_customer_moved_into_a_running_window_is_planned_not_out(
    tiny_index: RegionIndex, moved: RegionIndex,
) -> None:
    net = correlator(tiny_index)
    net.apply(MaintenanceWindow("M1", ("A2",), 100, 5000, None, 0.0))
    net.advance(100)
    [change] = changes(net.swap_index(moved, 200))
    assert (change.customer_id, change.planned, change.incident_id) == ("007", True, "M1")


def test_raised_cut_is_mapped_onto_the_new_routes(layered_index: RegionIndex,
                                                  region_variant: Any) -> None:
    rerouted = region_variant("layered", {"fibre_routes.geojson": {
        '"route_id": "R1", "feeds": "PON-A"': '"route_id": "R1", "feeds": "PON-B"'}})
    net = correlator(layered_index)
    net.apply(cut_at("dig-1", 13.395, 52.51, 100, tolerance_m=5))
    events = net.swap_index(rerouted, 200)
    assert who(events, out=False) == {("f-1", "fibre"), ("f-in", "fibre")}
    assert who(events, out=True) == {("f-2", "fibre")}
    assert net.cuts.active() == {"dig-1": ["PON-B"]}


def test_swap_before_any_event_time_needs_one(tiny_index: RegionIndex) -> None:
    with pytest.raises(ValueError):
        correlator(tiny_index).swap_index(tiny_index)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[RegionIndex, RegionIndex]:
    """Two synthetic regions sharing customer and most element ids, laid out differently."""
    from forewarn.geo import load_region, write_synthetic_region

    folder = tmp_path_factory.mktemp("versions")
    write_synthetic_region(folder / "old", 400, 1)
    write_synthetic_region(folder / "new", 450, 2)
    return (RegionIndex.build(load_region(folder / "old")),
            RegionIndex.build(load_region(folder / "new")))


@pytest.mark.parametrize("seed", range(8))
def test_what_customers_were_told_plus_the_swap_equals_the_new_index(
    two_versions: tuple[RegionIndex, RegionIndex], seed: int,
) -> None:
    import numpy as np

    old, new = two_versions
    rng = np.random.default_rng(seed)
    elements = sorted(set(old.element_ids) | set(new.element_ids))
    down = set(rng.choice(elements, 6, replace=False).tolist())
    window = tuple(rng.choice(elements, 2, replace=False).tolist())
    net = correlator(old)
    events = [e for n, element in enumerate(sorted(down))
              for e in net.apply(raised(f"a{n}", element, 100 + n))]
    events += net.apply(MaintenanceWindow("M1", window, 200, 9000, None, 0.0))
    events += net.advance(200)
    swap = net.swap_index(new, 300)
    assert len({(c.customer_id, c.service) for c in changes(swap)}) == len(changes(swap))
    told: dict[tuple[str, str], tuple[bool, bool]] = {}  # the customer side's view
    for change in changes(events + swap):
        told[(change.customer_id, change.service)] = (change.out, change.planned)
    expected_out = {(c, s) for s, ids in new.impact(down | set(window)).items() for c in ids}
    planned = {(c, s) for s, ids in new.impact(set(window)).items() for c in ids}
    assert {k for k, (out, _) in told.items() if out} == expected_out
    assert {k for k, (out, p) in told.items() if out and p} == planned
