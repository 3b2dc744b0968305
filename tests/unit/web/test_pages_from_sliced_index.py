"""A worker started from a sliced index (no region files) shows the same pages as one built
from the region: areas, places and footprints come from the index's shared part."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.config import Settings
from forewarn.geo import RegionIndex
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import SlicedIndex, load_slices
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.operator_zone import operator_zone
from forewarn.streams.partitioning import partition_of
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.metrics import StreamMetrics
from tests.unit.web.web_helpers import T0, change

PARTITIONS = 2


@pytest.fixture(scope="module")
def sliced(areas_region: Path, tmp_path_factory: pytest.TempPathFactory) -> SlicedIndex:
    out = tmp_path_factory.mktemp("sliced-web")
    build_slices(areas_region, out, PARTITIONS)
    return load_slices(out)


def _api(index: RegionIndex) -> WebApi:
    """A worker's handlers over ``index`` and a board with one site outage (two customers in
    Mitte West), one fibre outage under the same site and an announced window."""
    board = IncidentBoard()
    board.record_changes([change("007", cause="S-A"), change("0012", cause="S-A"),
                          change("f-geo", "fibre", cause="S-A")])
    board.record_window({"kind": "planned", "at": T0, "maintenance_id": "MW-1",
                         "elements": ["S-B"], "start": T0 + 3600, "end": T0 + 7200,
                         "announced": T0, "customers": {"mobile": ["c-east"]}})
    settings = Settings.model_validate({"notify": {"default_language": "de"},
                                        "legal": {"country": "DE"}})
    return WebApi(board=board, index=index, settings=settings, tables={},
                  partitions=PARTITIONS, metrics=StreamMetrics(board=board, index=index),
                  clock=lambda: T0 + 60)


@pytest.mark.parametrize("query", [{"q": "10115"}, {"q": "Mitte West"}, {"q": "prenzlauer"},
                                   {"q": "BER"}, {"lat": "52.51", "lon": "13.405"},
                                   {"lat": "52.505", "lon": "13.43"}])
def test_status_answers_a_postcode_or_place_identically_from_region_and_sliced_index(
        index: RegionIndex, sliced: SlicedIndex, query: dict[str, str]) -> None:
    from_region, from_slices = _api(index).area_status(query), _api(sliced).area_status(query)
    assert from_region.status == from_slices.status == 200
    assert from_slices.body == from_region.body
    assert from_slices.body["areas_layer"] is True


def test_the_status_search_finds_the_disrupted_district_from_the_sliced_index(
        sliced: SlicedIndex) -> None:
    (west,) = _api(sliced).area_status({"q": "10115"}).body["areas"]
    assert west["name"] == "Mitte West" and west["disrupted"]
    assert west["services"] == ["mobile"]


def test_desk_banners_name_the_same_places_from_region_and_sliced_index(
        index: RegionIndex, sliced: SlicedIndex) -> None:
    for language in ("en", "de"):
        from_region = _api(index).banners({"lang": language}).payload().decode()
        from_slices = _api(sliced).banners({"lang": language}).payload().decode()
        assert from_slices == from_region
    page = _api(sliced).banners({"lang": "en"}).payload().decode()
    assert "in Mitte West (10115)" in page
    planned = page[page.index('id="planned-works"'):]
    assert "Prenzlauer Berg (10405)" in planned  # the window's customer's place


def test_map_incident_page_and_cap_feed_are_the_same_from_region_and_sliced_index(
        index: RegionIndex, sliced: SlicedIndex) -> None:
    region_api, sliced_api = _api(index), _api(sliced)
    features = sliced_api.areas_geojson().body["features"]
    assert {f["properties"]["kind"] for f in features} == {"area", "footprint"}
    assert features == region_api.areas_geojson().body["features"]
    incident_id = region_api.board.incidents()[0]["incident_id"]
    page = sliced_api.incident_page(incident_id, {"lang": "en"})
    assert page.status == 200 and "Mitte West" in page.body
    assert page.body == region_api.incident_page(incident_id, {"lang": "en"}).body
    assert sliced_api.cap_feed().body == region_api.cap_feed().body


def test_operator_zone_counts_every_partition_even_with_one_slice_held(
        index: RegionIndex, sliced: SlicedIndex) -> None:
    one = SlicedIndex(sliced.path, partitions=[1])
    assert one.timezone_counts() == sliced.timezone_counts() == index.timezone_counts()
    assert operator_zone(one) == operator_zone(index) == "Europe/Berlin"


def test_areas_follow_the_slices_a_worker_maps_and_drops(index: RegionIndex,
                                                         sliced: SlicedIndex) -> None:
    partial = SlicedIndex(sliced.path, partitions=[])
    status = _api(partial).status
    owner = partition_of("007", PARTITIONS)
    assert status.shapes.areas_of_customers(["007"]) == []  # not held: no place known here
    partial.add_slice(owner)
    (west,) = status.shapes.areas_of_customers(["007"])
    assert status.shapes.describe(west)["name"] == "Mitte West"
    partial.drop_slice(owner)
    assert status.shapes.areas_of_customers(["007"]) == []
