"""Layers in GeoPackage, Shapefile and (Geo)Parquet give the same answers as GeoJSON."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from forewarn.errors import RegionError
from forewarn.geo import Region, RegionIndex, load_region

HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None
INTERIOR = ["007", "0012", "f-explicit", "f-geo", "f-overlap"]  # not on any polygon edge


def convert(region_copy, tiny_region: Region, layer: str, suffix: str,
            crs: str | None = None) -> Path:
    folder = region_copy()
    frame = getattr(tiny_region, layer)
    (folder / f"{layer}.geojson").unlink()
    if crs:
        frame = frame.to_crs(crs)
    if suffix == ".parquet":
        frame.to_parquet(folder / f"{layer}.parquet")
    else:
        frame.to_file(folder / f"{layer}{suffix}", engine="pyogrio")
    return folder


def same_answers(index: RegionIndex, tiny: RegionIndex, customers: list[str]) -> None:
    for cid in customers:
        assert index.covering_cells(cid) == tiny.covering_cells(cid), cid
        assert index.serving_nodes(cid) == tiny.serving_nodes(cid), cid


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_cells_from_ogr_formats_match_geojson(region_copy, tiny_region: Region,
                                              tiny: RegionIndex, suffix: str) -> None:
    folder = convert(region_copy, tiny_region, "cells", suffix)
    index = RegionIndex.build(load_region(folder))
    same_answers(index, tiny, tiny.customer_ids)


def test_projected_layer_keeps_its_crs_and_matches_inside_polygons(
        region_copy, tiny_region: Region, tiny: RegionIndex) -> None:
    folder = convert(region_copy, tiny_region, "fibre_areas", ".gpkg", crs="EPSG:25833")
    region = load_region(folder)
    assert region.fibre_areas is not None and region.fibre_areas.crs.to_epsg() == 25833
    same_answers(RegionIndex.build(region), tiny, INTERIOR)


@pytest.mark.skipif(not HAS_PYARROW, reason="pyarrow is not installed")
def test_geoparquet_layer_matches_geojson(region_copy, tiny_region: Region,
                                          tiny: RegionIndex) -> None:
    folder = convert(region_copy, tiny_region, "cells", ".parquet")
    same_answers(RegionIndex.build(load_region(folder)), tiny, tiny.customer_ids)


@pytest.mark.skipif(not HAS_PYARROW, reason="pyarrow is not installed")
def test_parquet_customer_table_keeps_ids_as_text(region_copy) -> None:
    folder = region_copy()
    table = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    (folder / "customers.csv").unlink()
    table.to_parquet(folder / "customers.parquet")
    assert list(load_region(folder).customers["customer_id"])[:2] == ["007", "0012"]


@pytest.mark.skipif(HAS_PYARROW, reason="pyarrow is installed")
def test_parquet_without_pyarrow_is_a_clear_region_error(region_copy) -> None:
    folder = region_copy()
    (folder / "topology.csv").unlink()
    (folder / "topology.parquet").write_bytes(b"PAR1")
    with pytest.raises(RegionError, match="pyarrow") as caught:
        load_region(folder)
    assert caught.value.file == "topology.parquet"


@pytest.mark.skipif(not HAS_PYARROW, reason="pyarrow is not installed")
def test_parquet_typed_columns_become_text_and_missing_values_empty(region_copy) -> None:
    folder = region_copy(customers_csv=None)
    pd.DataFrame({
        "customer_id": pd.array([12, 13], dtype="Int64"),
        "lon": [13.405, 13.415], "lat": [52.51, 52.51],
        "services": ["mobile", "mobile;fibre"],
        "language": pd.array(["en", None], dtype="string"),
        "priority": [1.0, float("nan")],
    }).to_parquet(folder / "customers.parquet")
    customers = load_region(folder).customers
    assert list(customers["customer_id"]) == ["12", "13"]
    assert list(customers["language"]) == ["en", None]
    assert list(customers["priority"]) == [1, 0]
