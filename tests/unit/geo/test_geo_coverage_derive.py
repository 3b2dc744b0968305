"""``coverage derive`` on the real OpenCellID Berlin cells and Lichtenberg address points
(../shared/data/berlin, see PROVENANCE.md: OpenCellID CC BY-SA 4.0; nothing is copied into
the repository), plus small synthetic site lists for sectors and Voronoi borders.

Hand-checked cases: the address ids, streets and cells below were looked up in the two
files (the addresses lie 1.8 m and 2.2 m from an OpenCellID cell position).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region
from forewarn.geo._places import read_area
from forewarn.geo.derive import derive_coverage, write_cells

HEADER = "radio,mcc,net,area,cell,lon,lat,range,azimuth,beamwidth\n"


@pytest.fixture(scope="module")
def berlin_cells(shared_data: Path) -> gpd.GeoDataFrame:
    berlin = shared_data / "berlin"
    return derive_coverage(berlin / "opencellid_berlin_2022-09.csv",
                           outline=read_area(berlin / "berlin-lor-city.geojson"))


@pytest.fixture(scope="module")
def addresses(shared_data: Path) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "berlin" / "hauskoordinaten_lichtenberg_2014.txt", sep=";",
                      header=None, dtype=str, encoding="utf-8")
    return pd.DataFrame({"id": raw[1], "street": raw[13], "number": raw[9],
                         "lon": raw[11].str.replace(",", ".").astype(float),
                         "lat": raw[12].str.replace(",", ".").astype(float)})


def covering(cells: gpd.GeoDataFrame, lon: float, lat: float) -> set[str]:
    hit = shapely.intersects_xy(cells.geometry.values, lon, lat)
    return set(cells["cell_id"][hit])


def address(addresses: pd.DataFrame, address_id: str) -> tuple[float, float]:
    row = addresses.loc[addresses["id"] == address_id].iloc[0]
    return float(row["lon"]), float(row["lat"])


def test_every_real_cell_gets_a_footprint_with_ids_and_technology(berlin_cells) -> None:
    assert len(berlin_cells) == 2525
    assert berlin_cells["cell_id"].is_unique
    assert set(berlin_cells["technology"]) == {"2G", "4G"}
    assert "262-2-308-361" in set(berlin_cells["cell_id"])
    assert shapely.is_valid(berlin_cells.geometry.values).all()


@pytest.mark.parametrize(("address_id", "street", "cell"), [
    ("DEBE000000239849", "Rudolf-Grosse-Straße", "262-2-317-11322"),
    ("DEBE000000808431", "Hubertusstraße", "262-2-317-11803"),
])
def test_an_address_next_to_a_cell_site_is_covered_by_it(berlin_cells, addresses,
                                                         address_id, street, cell) -> None:
    row = addresses.loc[addresses["id"] == address_id].iloc[0]
    assert row["street"] == street
    found = covering(berlin_cells, *address(addresses, address_id))
    assert cell in found
    # One cell per operator's 2G layer: Voronoi footprints of one layer do not overlap.
    operators = [c.split("-")[1] for c in found]
    assert len(operators) == len(set(operators))


def test_a_point_beyond_every_range_is_covered_by_none(shared_data: Path) -> None:
    cells = derive_coverage(shared_data / "berlin" / "opencellid_berlin_2022-09.csv")
    assert covering(cells, 13.90, 52.90) == set()  # ~30 km north-east of Berlin, no outline
    assert covering(cells, 13.40, 52.52)  # Mitte is covered


def test_outline_clips_footprints_to_berlin(berlin_cells) -> None:
    assert covering(berlin_cells, 13.05, 52.40) == set()  # Potsdam, outside the outline


def test_covering_cell_is_the_operators_nearest_site(berlin_cells, addresses) -> None:
    """Voronoi: a covered address is served by its nearest site of that operator's layer."""
    layer = (berlin_cells["cell_id"].str.split("-").str[1] + "/"
             + berlin_cells["technology"]).to_numpy()
    sites = berlin_cells.assign(layer=layer).drop_duplicates(["layer", "site_id"])
    site_pts = gpd.GeoSeries(gpd.points_from_xy(sites["site_lon"], sites["site_lat"]), crs=4326)
    utm = site_pts.estimate_utm_crs()
    site_xy = shapely.get_coordinates(site_pts.to_crs(utm).values)
    site_layer, site_ids = sites["layer"].to_numpy(), sites["site_id"].to_numpy()
    sample = addresses.sample(200, random_state=2)
    pts = gpd.GeoSeries(gpd.points_from_xy(sample["lon"], sample["lat"]), crs=4326).to_crs(utm)
    of_cell = dict(zip(berlin_cells["cell_id"], zip(berlin_cells["site_id"], layer)))
    checked = 0
    for (lon, lat), xy in zip(sample[["lon", "lat"]].to_numpy(),
                              shapely.get_coordinates(pts.values)):
        for cell in covering(berlin_cells, lon, lat):
            site, cell_layer = of_cell[cell]
            mine = site_layer == cell_layer
            d = np.hypot(*(site_xy[mine] - xy).T)
            assert site == site_ids[mine][np.argmin(d)]
            checked += 1
    assert checked > 400


def test_an_address_beyond_its_nearest_sites_range_has_no_cell_of_that_operator(
        berlin_cells, addresses) -> None:
    # An der Bucht 60: operators 1 and 3 cover it; operator 2's nearest site is out of range.
    lon, lat = address(addresses, "DEBE000000798682")
    found = covering(berlin_cells, lon, lat)
    assert {c.split("-")[1] for c in found} == {"1", "3"}


def test_most_lichtenberg_addresses_are_covered_by_every_operator(berlin_cells,
                                                                  addresses) -> None:
    tree = shapely.STRtree(berlin_cells.geometry.values)
    pts = shapely.points(addresses[["lon", "lat"]].to_numpy())
    a, b = tree.query(pts, predicate="intersects")
    ops = berlin_cells["cell_id"].str.split("-").str[1].to_numpy()
    for op in ("1", "2", "3"):
        share = np.unique(a[ops[b] == op]).size / len(addresses)
        assert share > 0.97, (op, share)


def test_derived_cells_load_as_a_region_with_masts_for_area_impact(
        berlin_cells, addresses, tmp_path: Path) -> None:
    write_cells(berlin_cells, tmp_path / "cells.geojson")
    sample = addresses.sample(300, random_state=1)
    pd.DataFrame({"customer_id": sample["id"], "lon": sample["lon"], "lat": sample["lat"],
                  "services": "mobile"}).to_csv(tmp_path / "customers.csv", index=False)
    index = RegionIndex.build(load_region(tmp_path))
    site = "site-262-2-13.53181-52.48903"
    assert site in index.elements_in(shapely.Point(13.53181, 52.48903).buffer(0.0005))
    covered = sum(1 for c in index.customer_ids if index.covering_cells(c))
    assert covered == len(index)  # every Lichtenberg address lies in some footprint


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def test_sector_wedge_covers_only_its_direction(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "c.csv", "LTE,262,1,7,1,13.40,52.50,1000,90,60")
    cells = derive_coverage(csv)
    east, west = 13.40 + 500 / 67_900, 13.40 - 500 / 67_900  # ~500 m at 52.5°N
    assert covering(cells, east, 52.50) == {"262-1-7-1"}
    assert covering(cells, west, 52.50) == set()
    assert covering(cells, 13.40 + 1200 / 67_900, 52.50) == set()  # beyond range
    assert cells["technology"].tolist() == ["4G"]


def test_voronoi_border_between_two_sites_of_one_layer(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "c.csv", "GSM,262,1,7,1,13.40,52.50,5000,,",
                    "GSM,262,1,7,2,13.43,52.50,5000,,", "NR,262,1,7,3,13.43,52.50,5000,,")
    cells = derive_coverage(csv)
    # The 2G layer is split halfway (13.415); the lone 5G site covers both halves.
    assert covering(cells, 13.41, 52.50) == {"262-1-7-1", "262-1-7-3"}
    assert covering(cells, 13.42, 52.50) == {"262-1-7-2", "262-1-7-3"}
    assert covering(cells, 13.34, 52.50) == {"262-1-7-1"}  # beyond the 5G range


def test_colocated_cells_share_a_site_per_operator(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "c.csv", "GSM,262,1,7,1,13.40,52.50,900,,",
                    "LTE,262,1,7,2,13.40010,52.50010,900,,",  # ~13 m away: same mast
                    "GSM,262,2,9,1,13.40,52.50,900,,")  # another operator: its own site
    cells = derive_coverage(csv)
    site = dict(zip(cells["cell_id"], cells["site_id"]))
    assert site["262-1-7-1"] == site["262-1-7-2"] != site["262-2-9-1"]


@pytest.mark.parametrize(("row", "words"), [
    ("WIMAX,262,1,7,1,13.4,52.5,900,,", "unknown radio 'WIMAX'"),
    ("GSM,262,1,7,1,east,52.5,900,,", "lon 'east' is not a number"),
    ("GSM,262,1,7,1,13.4,52.5,,,", "range '' is not a number"),
])
def test_bad_rows_name_file_and_row(tmp_path: Path, row: str, words: str) -> None:
    csv = write_csv(tmp_path / "c.csv", "GSM,262,1,7,9,13.4,52.5,900,,", row)
    with pytest.raises(RegionError) as caught:
        derive_coverage(csv)
    assert (caught.value.file, caught.value.row) == ("c.csv", 3)
    assert words in caught.value.problem
