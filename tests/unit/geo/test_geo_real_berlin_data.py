"""The index on real geometry: OpenCellID cells of Berlin, official Berlin forecast areas as
fibre areas (MultiPolygons with ids like '0930'), and real Lichtenberg house coordinates as
customers (all from ../shared/data, see PROVENANCE.md; nothing is copied into the repo).

Checked against plain shapely ``covers`` per customer and polygon and a pure-Python
ancestor walk, like the synthetic property test.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.geo import RegionIndex, load_region

CUSTOMERS = 600
MAX_RADIUS_M = 1200.0


@pytest.fixture(scope="module")
def berlin(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("berlin")
    cells = pd.read_csv(shared_data / "berlin" / "opencellid_berlin_2022-09.csv")
    cells["cell_id"] = [f"{m}-{n}-{a}-{c}" for m, n, a, c in
                        zip(cells["mcc"], cells["net"], cells["area"], cells["cell"])]
    cells["site_id"] = [f"site-{x:.4f}-{y:.4f}" for x, y in zip(cells["lon"], cells["lat"])]
    cells["technology"] = cells["radio"].map({"GSM": "2G", "LTE": "4G"})
    points = gpd.GeoSeries(gpd.points_from_xy(cells["lon"], cells["lat"]), crs=4326)
    utm = points.estimate_utm_crs()
    circles = points.to_crs(utm).buffer(np.minimum(cells["range"], MAX_RADIUS_M), 16)
    gpd.GeoDataFrame(cells[["cell_id", "site_id", "technology"]], geometry=circles.to_crs(4326)
                     ).to_file(folder / "cells.geojson", driver="GeoJSON", engine="pyogrio")

    lor = gpd.read_file(shared_data / "berlin" / "berlin-lor-forecast-areas-from-2021.geojson")
    lor[["id", "geometry"]].rename(columns={"id": "node_id"}).to_file(
        folder / "fibre_areas.geojson", driver="GeoJSON", engine="pyogrio")

    sites = cells.drop_duplicates("site_id")
    topology = pd.concat([
        pd.DataFrame({"element_id": sites["site_id"], "parent_id": [f"LAC-{a}" for a in
                      sites["area"]], "element_type": "site"}),
        pd.DataFrame({"element_id": lor["id"], "parent_id": [f"OLT-{i[:2]}" for i in lor["id"]],
                      "element_type": "pon"}),
    ])
    topology.to_csv(folder / "topology.csv", index=False)

    houses = pd.read_csv(shared_data / "berlin" / "hauskoordinaten_lichtenberg_2014.txt",
                         sep=";", header=None, dtype=str, encoding="utf-8")
    houses = houses.sample(CUSTOMERS, random_state=1)
    rng = np.random.default_rng(1)
    pd.DataFrame({
        "customer_id": houses[1].to_numpy(),
        "lon": houses[11].str.replace(",", ".").to_numpy(),
        "lat": houses[12].str.replace(",", ".").to_numpy(),
        "services": rng.choice(["mobile", "fibre", "mobile;fibre"], size=CUSTOMERS),
    }).to_csv(folder / "customers.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def case(berlin: Path) -> tuple[RegionIndex, dict]:
    region = load_region(berlin)
    index = RegionIndex.build(region)
    cells = list(zip(region.cells["cell_id"], region.cells.geometry))
    areas = list(zip(region.fibre_areas["node_id"], region.fibre_areas.geometry))
    cell_geoms = np.array([g for _, g in cells], dtype=object)
    area_geoms = np.array([g for _, g in areas], dtype=object)
    parents: dict[str, list[str]] = {}
    for cell, site in zip(region.cells["cell_id"], region.cells["site_id"]):
        parents.setdefault(cell, []).append(site)
    for element, parent in zip(region.topology["element_id"], region.topology["parent_id"]):
        parents.setdefault(element, []).append(parent)
    ref = {"parents": parents, "customers": []}
    for cid, services, point in zip(region.customers["customer_id"], region.customers["services"],
                                    region.customers.geometry):
        covering = [cells[i][0] for i in np.flatnonzero(shapely.covers(cell_geoms, point))]
        serving = [areas[i][0] for i in np.flatnonzero(shapely.covers(area_geoms, point))]
        ref["customers"].append((cid, services.split(";"), covering, serving))
    return index, ref


def reference_impact(ref: dict, down: set[str]) -> dict[str, list[str]]:
    def eff(element: str) -> bool:
        stack, seen = [element], set()
        while stack:
            e = stack.pop()
            if e in down:
                return True
            if e not in seen:
                seen.add(e)
                stack.extend(ref["parents"].get(e, []))
        return False

    mobile = [c for c, s, cells, _ in ref["customers"]
              if "mobile" in s and cells and all(eff(x) for x in cells)]
    fibre = [c for c, s, _, nodes in ref["customers"] if "fibre" in s and any(map(eff, nodes))]
    return {"mobile": sorted(mobile), "fibre": sorted(fibre)}


def test_real_ids_with_leading_zeros_survive(case) -> None:
    index, _ = case
    assert index.has_element("0930") and index.element_type("0930") == "pon"
    assert index.ancestors("0930") == ("OLT-09",)


def test_real_geometry_gives_every_customer_a_fibre_area_and_most_a_cell(case) -> None:
    _index, ref = case
    assert all(nodes for _, _, _, nodes in ref["customers"])  # Lichtenberg is in Berlin
    covered = sum(bool(cells) for _, _, cells, _ in ref["customers"])
    assert covered > 0.9 * CUSTOMERS


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_real_region_impact_matches_brute_force(case, data) -> None:
    index, ref = case
    local = sorted({c for _, _, cells, _ in ref["customers"] for c in cells})
    sites = sorted({p for c in local for p in ref["parents"][c]})
    lacs = sorted({p for s in sites for p in ref["parents"].get(s, [])})
    nodes = sorted({n for _, _, _, ns in ref["customers"] for n in ns})
    down = set().union(
        data.draw(st.sets(st.sampled_from(local), max_size=60), label="cells"),
        data.draw(st.sets(st.sampled_from(sites), max_size=20), label="sites"),
        data.draw(st.sets(st.sampled_from(lacs), max_size=1), label="lacs"),
        data.draw(st.sets(st.sampled_from(nodes), max_size=2), label="nodes"),
    )
    assert index.impact(down) == reference_impact(ref, down)
