"""Fibre cuts: a point with a tolerance, or a dig polygon, finds the routes it crosses and
the nodes they feed (``layered`` fixture: R1 feeds PON-A, R2 PON-B, R0 both)."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region
from tests.unit.geo.geo_helpers import feature_collection

LAYERED = Path(__file__).resolve().parents[2] / "fixtures" / "regions" / "layered"
METRES_PER_DEG_LAT = 111_200


@pytest.fixture(scope="module")
def layered() -> RegionIndex:
    return RegionIndex.build(load_region(LAYERED))


def test_point_on_a_route_cuts_its_nodes(layered: RegionIndex) -> None:
    assert layered.cut_at((13.395, 52.51), 1.0) == ["PON-A"]


def test_tolerance_is_in_metres(layered: RegionIndex) -> None:
    # 50 m north of R1 (lat 52.51): inside a 60 m tolerance, outside a 40 m one.
    lat = 52.51 + 50 / METRES_PER_DEG_LAT
    assert layered.cut_at((13.395, lat), 60.0) == ["PON-A"]
    assert layered.cut_at((13.395, lat), 40.0) == []


def test_a_cut_near_two_routes_takes_the_nodes_of_both(layered: RegionIndex) -> None:
    # R0 runs along lon 13.38; R1 starts at 13.39: 13.385 is ~340 m from each.
    assert layered.cut_at((13.385, 52.51), 400.0) == ["PON-A", "PON-B"]


def test_dig_polygon_crossing_a_route(layered: RegionIndex) -> None:
    dig = shapely.box(13.425, 52.494, 13.426, 52.496)
    assert layered.cut_by(dig) == ["PON-B"]
    assert layered.cut_by(shapely.box(13.50, 52.49, 13.51, 52.50)) == []


def test_cut_nodes_taken_down_put_their_customers_out(layered: RegionIndex) -> None:
    down = layered.cut_at((13.395, 52.51), 5.0)
    assert layered.impact(down)["fibre"] == ["f-1", "f-in"]


def test_region_without_routes_has_no_cuts() -> None:
    from tests.unit.geo.geo_helpers import TINY

    index = RegionIndex.build(load_region(TINY))
    assert index.cut_at((13.4, 52.5), 1000) == [] and index.cut_by(shapely.box(0, 0, 90, 90)) == []


def test_negative_tolerance_is_rejected(layered: RegionIndex) -> None:
    with pytest.raises(ValueError):
        layered.cut_at((13.4, 52.5), -1)


@pytest.mark.parametrize(("feature", "row", "words"), [
    (('{"type": "Feature", "properties": {"route_id": "R9", "feeds": "P"}, "geometry": '
     '{"type": "Point", "coordinates": [13.4, 52.5]}}'), 2, "not a LineString"),
    (('{"type": "Feature", "properties": {"route_id": "R1", "feeds": "P"}, "geometry": '
     '{"type": "LineString", "coordinates": [[13.4, 52.5], [13.5, 52.5]]}}'), 2,
     "duplicate route_id 'R1'"),
    (('{"type": "Feature", "properties": {"route_id": null, "feeds": "P"}, "geometry": '
     '{"type": "LineString", "coordinates": [[13.4, 52.5], [13.5, 52.5]]}}'), 2,
     "route_id is empty"),
])
def test_bad_routes_name_row_and_problem(region_copy, feature: str, row: int, words: str) -> None:
    good = ('{"type": "Feature", "properties": {"route_id": "R1", "feeds": "PON-1"}, '
            '"geometry": {"type": "LineString", "coordinates": [[13.4, 52.5], [13.5, 52.5]]}}')
    folder = region_copy(fibre_routes_geojson=feature_collection(good, feature))
    with pytest.raises(RegionError) as caught:
        load_region(folder)
    assert (caught.value.file, caught.value.row) == ("fibre_routes.geojson", row)
    assert words in caught.value.problem
