"""RegionIndex on the hand-made ``tiny`` region (see tests/fixtures/regions/tiny/README.md)."""

from __future__ import annotations

import numpy as np
import pytest

from forewarn.domain import Customer
from forewarn.geo import RegionIndex, load_region


def out(index: RegionIndex, *down: str) -> dict[str, list[str]]:
    return index.impact(set(down))


def test_customer_covered_by_live_neighbour_cell_is_not_out(tiny: RegionIndex) -> None:
    assert out(tiny, "A1")["mobile"] == ["007"]  # 0012 is also covered by B1


def test_customer_is_out_when_every_covering_cell_is_down(tiny: RegionIndex) -> None:
    assert out(tiny, "A1", "B1")["mobile"] == ["0012", "007"]


def test_customer_covered_by_no_cell_has_no_mobile_outage(tiny: RegionIndex) -> None:
    everything = set(tiny.element_ids)
    assert "c-out" not in out(tiny, *everything)["mobile"]
    assert tiny.covering_cells("c-out") == ()


def test_fibre_customer_outside_every_area_has_no_fibre_outage(tiny: RegionIndex) -> None:
    assert "c-out" not in out(tiny, *tiny.element_ids)["fibre"]


def test_points_on_a_polygon_boundary_count_as_inside(tiny: RegionIndex) -> None:
    assert tiny.covering_cells("c-east") == ("A2",)
    assert tiny.covering_cells("c-south") == ("A2",)  # on a parallel: exact in lon/lat
    assert tiny.covering_cells("c-diag") == ("C1",)  # on a slanted edge
    assert out(tiny, "A2")["mobile"] == ["c-east", "c-south", "f-fttb"]


def test_site_down_takes_its_cells_down(tiny: RegionIndex) -> None:
    assert out(tiny, "S-A")["mobile"] == ["007", "c-east", "c-south", "f-fttb"]


def test_power_down_takes_sites_and_directly_fed_cells_down(tiny: RegionIndex) -> None:
    # PWR-1 feeds S-A (A1, A2) and is a second parent of B1 (whose site S-B is up).
    assert out(tiny, "PWR-1")["mobile"] == ["0012", "007", "c-east", "c-south", "f-fttb"]


def test_either_parent_of_a_site_takes_it_down(tiny: RegionIndex) -> None:
    assert out(tiny, "TRN-1") == out(tiny, "S-A")


def test_olt_down_takes_its_pon_nodes_down(tiny: RegionIndex) -> None:
    assert out(tiny, "OLT-1")["fibre"] == ["007", "f-explicit", "f-fttb", "f-geo", "f-overlap"]
    assert out(tiny, "OLT-1")["mobile"] == []


def test_explicit_fibre_node_wins_over_the_area_containing_the_customer(
        tiny: RegionIndex) -> None:
    assert tiny.serving_nodes("f-explicit") == ("PON-2",)
    assert "f-explicit" not in out(tiny, "PON-1")["fibre"]
    assert "f-explicit" in out(tiny, "PON-2")["fibre"]


def test_explicit_fibre_node_without_polygon_is_an_element(tiny: RegionIndex) -> None:
    assert tiny.has_element("FTTB-1") and tiny.element_type("FTTB-1") == "pon"
    assert out(tiny, "FTTB-1") == {"mobile": [], "fibre": ["f-fttb"]}


def test_customer_in_two_fibre_areas_is_out_when_either_node_is_down(tiny: RegionIndex) -> None:
    assert tiny.serving_nodes("f-overlap") == ("PON-2", "PON-3")
    assert out(tiny, "PON-3")["fibre"] == ["f-overlap"]
    assert any("more than one fibre area" in note for note in tiny.notes)


def test_unknown_down_ids_are_ignored(tiny: RegionIndex) -> None:
    assert out(tiny, "nope") == {"mobile": [], "fibre": []}
    assert out(tiny, "nope", "A1") == out(tiny, "A1")


def test_services_gate_outages(tiny: RegionIndex) -> None:
    # f-geo has fibre only; f-explicit has no mobile service although no cell covers it anyway.
    assert "f-geo" not in out(tiny, *tiny.element_ids)["mobile"]
    assert "0012" not in out(tiny, *tiny.element_ids)["fibre"]


def test_impact_ids_are_in_plain_string_order(tiny: RegionIndex) -> None:
    mobile = out(tiny, *tiny.element_ids)["mobile"]
    assert mobile == sorted(mobile)


def test_outages_for_given_positions_align_with_them(tiny: RegionIndex) -> None:
    positions = np.array([tiny.position("0012"), tiny.position("007"), tiny.position("f-geo")])
    result = tiny.outages({"A1"}, positions)
    assert result["mobile"].tolist() == [False, True, False]
    assert result["fibre"].tolist() == [False, False, False]
    whole = tiny.outages({"A1"})
    assert whole["mobile"].shape == (len(tiny),)


def test_dependents_include_customers_of_descendant_cells_and_nodes(tiny: RegionIndex) -> None:
    ids = [tiny.customer_ids[p] for p in tiny.dependents(["PWR-1"])]
    assert ids == ["007", "0012", "c-east", "c-south", "f-fttb"]
    ids = [tiny.customer_ids[p] for p in tiny.dependents(["OLT-1", "nope"])]
    assert sorted(ids) == ["007", "f-explicit", "f-fttb", "f-geo", "f-overlap"]
    assert tiny.dependents(["nope"]).size == 0
    assert tiny.dependents("A1").tolist() == [0, 1]  # a single id is not split into letters


def test_dependents_are_a_superset_of_everyone_an_element_can_take_out(tiny: RegionIndex) -> None:
    for element in tiny.element_ids:
        hit = tiny.outages({element})
        out_positions = np.flatnonzero(hit["mobile"] | hit["fibre"])
        assert set(out_positions) <= set(tiny.dependents([element]).tolist())


def test_ancestors_are_nearest_first_and_deduplicated(tiny: RegionIndex) -> None:
    assert tiny.ancestors("A1") == ("S-A", "PWR-1", "TRN-1")
    assert tiny.ancestors("B1") == ("S-B", "PWR-1", "PWR-2")
    assert tiny.ancestors("PON-1") == ("OLT-1",)
    assert tiny.ancestors("PWR-1") == ()
    assert tiny.ancestors("nope") == ()


def test_element_types_prefer_topology_then_layers(tiny: RegionIndex) -> None:
    assert [tiny.element_type(e) for e in ("A1", "S-A", "PWR-1", "PON-1", "OLT-1", "nope")] == [
        "cell", "site", "power", "pon", "olt", "unknown"]


def test_element_types_are_derived_when_topology_is_silent(region_copy) -> None:
    index = RegionIndex.build(load_region(region_copy(topology_csv=None)))
    assert [index.element_type(e) for e in ("A1", "S-A", "PON-1", "FTTB-1")] == [
        "cell", "site", "fibre_node", "fibre_node"]
    assert index.ancestors("A1") == ("S-A",)


def test_root_cause_is_the_farthest_ancestor_that_is_down(tiny: RegionIndex) -> None:
    assert tiny.root_cause("A1", {"S-A", "PWR-1"}) == "PWR-1"
    assert tiny.root_cause("A1", {"S-A"}) == "S-A"
    assert tiny.root_cause("A1", {"A1"}) == "A1"
    assert tiny.root_cause("A1", set()) == "A1"
    assert tiny.root_cause("nope", {"nope"}) == "nope"


def test_customer_record_is_built_from_the_row(tiny: RegionIndex) -> None:
    assert tiny.customer("007") == Customer(
        customer_id="007", services=("mobile", "fibre"), language="de",
        channels=("sms", "email"), phone="+4915112345678", email="007@example.org",
        push_token=None, priority=0, timezone="Europe/Berlin")
    east = tiny.customer("c-east")
    assert east.language is None and east.channels == ("push", "sms")
    assert east.timezone == "Europe/London" and east.push_token == "tok-c-east"


def test_unknown_customer_raises_key_error(tiny: RegionIndex) -> None:
    with pytest.raises(KeyError):
        tiny.position("nobody")
    with pytest.raises(KeyError):
        tiny.customer("nobody")


def test_positions_follow_file_order(tiny: RegionIndex) -> None:
    assert len(tiny) == 10
    assert tiny.customer_ids[tiny.position("c-diag")] == "c-diag"
    assert tiny.position("007") == 0


def test_region_without_cells_or_fibre_has_no_outages(region_copy) -> None:
    folder = region_copy(cells_geojson=None, fibre_areas_geojson=None, topology_csv=None)
    index = RegionIndex.build(load_region(folder))
    assert index.impact(["A1", "PON-1"]) == {"mobile": [], "fibre": []}
    assert index.has_element("PON-2")  # named by a customer's fibre_node_id


def test_metric_crs_join_agrees_away_from_boundaries(tiny_region) -> None:
    utm = RegionIndex.build(tiny_region, crs="utm")
    assert utm.covering_cells("0012") == ("A1", "B1")
    assert utm.impact({"A1"}) == {"mobile": ["007"], "fibre": []}
