"""Area impact: elements located inside an area are down for the customers inside it.

Rule (docs/geo.md): cells by footprint centroid, sites by mast (mean of their cells'
centroids unless given), fibre nodes by area centroid; customers inside the area are judged
with those elements down, customers outside with ``--down`` alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region
from forewarn.geo.commands import impact_report, run_impact

LAYERED = Path(__file__).resolve().parents[2] / "fixtures" / "regions" / "layered"
WEST = shapely.box(13.395, 52.495, 13.412, 52.512)  # holds N5, L4 (so S1) and PON-A centroids


@pytest.fixture(scope="module")
def layered() -> RegionIndex:
    return RegionIndex.build(load_region(LAYERED))


def write_area(path: Path, geom: shapely.Geometry, crs: str = "EPSG:4326") -> Path:
    frame = gpd.GeoDataFrame({"name": ["flood"]}, geometry=[geom], crs=4326).to_crs(crs)
    frame.to_file(path, engine="pyogrio")
    return path


def test_elements_inside_are_located_by_the_documented_rule(layered: RegionIndex) -> None:
    assert sorted(layered.elements_in(WEST)) == ["L4", "N5", "PON-A", "S1"]
    # G2's centroid (13.42, 52.51) is outside; OLT-1 and PWR-1 have no location.
    assert "G2" not in layered.elements_in(shapely.box(13.3, 52.4, 13.415, 52.6))


def test_only_customers_inside_the_area_are_reported(layered: RegionIndex) -> None:
    result = impact_report(layered, set(), area=WEST)
    # f-1 is also fed by PON-A but lives outside the area: not reported.
    assert result == {"outage": {"mobile": [], "fibre": ["f-in"]}}


def test_area_with_degraded_reports_lower_technology_inside(layered: RegionIndex) -> None:
    result = impact_report(layered, set(), area=WEST, degraded=True)
    assert result["degraded"] == {"mobile": ["m-all"]}  # m-4g is outside the area


def test_explicit_down_elements_still_count_everywhere(layered: RegionIndex) -> None:
    result = impact_report(layered, {"PON-B"}, area=WEST)
    assert result["outage"]["fibre"] == ["f-2", "f-in"]


def test_area_file_in_another_crs_and_format_gives_the_same_answer(tmp_path: Path) -> None:
    geojson = run_impact(LAYERED, [], area=write_area(tmp_path / "a.geojson", WEST))
    gpkg = run_impact(LAYERED, [], area=write_area(tmp_path / "a.gpkg", WEST, "EPSG:25833"))
    assert geojson == gpkg == {"outage": {"mobile": [], "fibre": ["f-in"]}}
    assert list(json.loads(json.dumps(geojson))) == ["outage"]


def test_customers_in_matches_shapely(layered: RegionIndex) -> None:
    inside = {layered.customer_ids[p] for p in layered.customers_in(WEST)}
    assert inside == {"m-all", "f-in"}


def test_bad_area_files_name_file_and_row(tmp_path: Path) -> None:
    with pytest.raises(RegionError, match="does not exist"):
        run_impact(LAYERED, [], area=tmp_path / "none.geojson")
    line = write_area(tmp_path / "line.geojson", shapely.LineString([(13.4, 52.5), (13.5, 52.6)]))
    with pytest.raises(RegionError) as caught:
        run_impact(LAYERED, [], area=line)
    assert (caught.value.file, caught.value.row) == ("line.geojson", 1)


def test_area_matches_brute_force_on_a_synthetic_region(tmp_path: Path) -> None:
    from forewarn.geo import write_synthetic_region

    write_synthetic_region(tmp_path, 2000, 5)
    region = load_region(tmp_path)
    index = RegionIndex.build(region)
    cells = region.cells.to_crs(index._state.crs)
    centroids = gpd.GeoSeries(cells.centroid, crs=cells.crs).to_crs(4326)
    area = shapely.Point(13.40, 52.51).buffer(0.03)
    expected_cells = {c for c, p in zip(region.cells["cell_id"], centroids) if area.covers(p)}
    located = set(index.elements_in(area))
    assert expected_cells <= located
    inside = [i for i, p in enumerate(region.customers.geometry) if area.covers(p)]
    result = impact_report(index, set(), area=area)
    out = index.outages(located, None)
    expected = {s: sorted(index.customer_ids[p] for p in inside if out[s][p]) for s in out}
    assert result["outage"] == expected
