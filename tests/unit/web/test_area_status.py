"""Public status by area and place: disrupted areas, footprints, search, no personal data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex
from forewarn.geo.artifact import write_index
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.status import AreaStatus
from tests.unit.web.web_helpers import T0, change


@pytest.fixture
def status(board: IncidentBoard, index: RegionIndex) -> AreaStatus:
    return AreaStatus(board, index, clock=iter(range(0, 10_000, 5)).__next__)


def test_area_with_an_affected_customer_is_disrupted_and_its_neighbour_is_not(
        board: IncidentBoard, status: AreaStatus) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    board.record_news("INC-1", T0 + 1, eta=T0 + 3600, message=None)
    (west,) = status.search("10115").areas
    assert west["disrupted"] and west["services"] == ["mobile"]
    assert west["since"] == "2023-11-14T22:13:20+00:00"
    assert west["until"] == "2023-11-14T23:13:20+00:00"
    (east,) = status.search("Prenzlauer Berg").areas
    assert not east["disrupted"] and east["until"] is None


def test_until_is_unknown_while_any_incident_has_no_eta(board: IncidentBoard,
                                                       status: AreaStatus) -> None:
    board.record_changes([change("007")])
    (west,) = status.search("BER-10115").areas
    assert west["disrupted"] and west["until"] is None


def test_search_finds_by_postcode_name_and_offers_candidates(status: AreaStatus) -> None:
    assert [a["area_id"] for a in status.search(" mitte west ").areas] == ["BER-10115"]
    assert [a["area_id"] for a in status.search("104").areas] == ["BER-10405"]
    vague = status.search("e")
    assert vague.areas == [] and len(vague.candidates) == 2
    assert status.search("Hamburg").as_dict()["areas"] == []


def test_coordinates_answer_from_the_footprint_of_down_cells(board: IncidentBoard,
                                                              status: AreaStatus) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    inside = status.at(52.51, 13.41).location
    assert inside is not None and inside["disrupted"] and inside["services"] == ["mobile"]
    outside = status.at(52.51, 13.46).location
    assert outside is not None and not outside["disrupted"]


def test_answers_carry_no_customer_data(board: IncidentBoard, status: AreaStatus) -> None:
    board.record_changes([change("007"), change("c-east")])
    text = json.dumps([status.search("10115").as_dict(), status.current(),
                       status.map_features()])
    for secret in ("007", "c-east", "+49", "example.org"):
        assert secret not in text


def test_map_has_footprints_per_service_and_the_area_outlines(board: IncidentBoard,
                                                              status: AreaStatus) -> None:
    board.record_changes([change("007", cause="S-A"), change("f-geo", "fibre", cause="S-A")])
    features = status.map_features()["features"]
    kinds = sorted((f["properties"]["kind"], f["properties"].get("service")) for f in features)
    assert kinds == [("area", None), ("area", None), ("footprint", "mobile")]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


def test_whole_region_index_artifact_without_geometry_has_no_areas(
        board: IncidentBoard, index: RegionIndex, areas_region: Path, tmp_path: Path) -> None:
    write_index(index, tmp_path / "index", areas_region)  # arrays only, no polygons
    status = AreaStatus(board, RegionIndex.load(tmp_path / "index"))
    assert status.search("10115").as_dict() == {"query": "10115", "areas": [], "location": None,
                                                 "candidates": [], "areas_layer": False}


def test_district_with_one_of_its_cells_down_is_partly_disrupted(
        board: IncidentBoard, status: AreaStatus) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    (west,) = status.search("10115").areas
    assert west["disrupted"] and west["partly"]
    assert west["parts"] == {"down": 1, "of": 3}  # A1 of A1, A2, B1 (mobile only)


def test_district_whose_every_cell_is_down_is_fully_disrupted(
        board: IncidentBoard, status: AreaStatus) -> None:
    board.record_changes([change("007", cause="PWR-1", cause_type="power"),
                          change("0012", cause="PWR-1", cause_type="power")])
    (west,) = status.search("10115").areas
    assert west["disrupted"] and not west["partly"]
    assert west["parts"] == {"down": 3, "of": 3}


def test_point_and_its_district_tell_one_story(board: IncidentBoard,
                                               status: AreaStatus) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    board.record_news("INC-1", T0 + 1, eta=T0 + 3600, message=None)
    inside = status.at(52.51, 13.405)
    assert inside.location["disrupted"] and inside.location["until"] is not None
    (district,) = inside.areas
    assert district["partly"] and district["incidents"] == inside.location["incidents"]
    beside = status.at(52.51, 13.4225)  # West too, but in cells A2 and B1, which are up
    assert not beside.location["disrupted"]
    assert [a["area_id"] for a in beside.areas] == ["BER-10115"] and beside.areas[0]["partly"]
