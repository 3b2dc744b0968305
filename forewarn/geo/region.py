"""Loading a region folder (CONTRACT §2) into validated frames: ``load_region(path)``.

A region is read once at start-up, so every problem is reported there, precisely, rather
than surfacing later as a customer who silently never hears about an outage. Errors are
``RegionError(file, problem, row)``. Row numbers: in CSV files the header is row 1 (the
first customer is row 2, the line an editor shows); in every other format (GeoJSON,
GeoPackage, Shapefile, Parquet) row N is the N-th feature or record, counting from 1.

Files are found by stem: geometry layers as ``.geojson``, ``.gpkg``, ``.shp`` or ``.parquet``
(GeoParquet), tables as ``.csv`` or ``.parquet``. GeoJSON is WGS84; other files carry their
CRS, which is kept (the index joins points in each layer's own CRS).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from forewarn.errors import RegionError
from forewarn.geo._customers import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, validate_customers
from forewarn.geo._files import LAYER_SUFFIXES, TABLE_SUFFIXES, find_file, read_layer, read_table
from forewarn.geo._layers import PolygonSpec, validate_polygons, validate_topology
from forewarn.geo._routes import validate_routes

__all__ = ["POLYGON_LAYERS", "Region", "customers_path", "load_network", "load_region"]

log = logging.getLogger("forewarn.geo")

_CELLS = PolygonSpec(("cell_id", "site_id"), text=("technology",))
_FIBRE_AREAS = PolygonSpec(("node_id",), unique=False)  # one node may serve several polygons
_AREAS = PolygonSpec(("area_id",), text=("name",))
POLYGON_LAYERS: tuple[tuple[str, PolygonSpec], ...] = (
    ("cells", _CELLS), ("fibre_areas", _FIBRE_AREAS), ("areas", _AREAS))


@dataclass(frozen=True, eq=False)
class Region:
    """One network and its customers, validated; frames keep their file's order.

    ``customers`` is a WGS84 point layer (see ``_customers.validate_customers`` for the
    normalised columns); polygon layers keep their file's CRS; ``topology`` holds one row
    per (element, parent) edge with its source ``row``; ``fibre_routes`` (optional, not in
    CONTRACT §2) holds cable LineStrings with ``route_id`` and ``feeds`` (see ``_routes``).
    ``repaired`` counts geometries made valid per file name; ``files`` names the file each
    layer came from.
    """

    path: Path
    customers: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame | None = None
    fibre_areas: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    topology: pd.DataFrame | None = None
    repaired: Mapping[str, int] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    fibre_routes: gpd.GeoDataFrame | None = None


def load_region(path: Path) -> Region:
    """Read and validate the region folder at ``path``; raise ``RegionError`` when unusable."""
    path = Path(path)
    files: dict[str, str] = {}
    repaired: dict[str, int] = {}

    customers_file = customers_path(path)
    files["customers"] = customers_file.name
    frame, rows = read_table(customers_file)
    customers = validate_customers(frame, rows, customers_file.name)
    return _with_network(path, customers, files, repaired)


def customers_path(path: Path) -> Path:
    """The region's customers table (``RegionError`` when there is none)."""
    customers_file = find_file(Path(path), "customers", TABLE_SUFFIXES)
    if customers_file is None:
        raise RegionError("customers.csv", f"required file is missing in {path}")
    return customers_file


def load_network(path: Path) -> Region:
    """The region's network layers without its customers (``customers`` is empty): what a
    streaming index build (``forewarn.geo.slice_build``) needs before it reads customers in
    chunks."""
    path = Path(path)
    customers_file = customers_path(path)
    empty = pd.DataFrame({c: pd.Series([], dtype=object)
                          for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)})
    customers = validate_customers(empty, np.zeros(0, dtype=np.int64), customers_file.name)
    return _with_network(path, customers, {"customers": customers_file.name}, {})


def _with_network(path: Path, customers: gpd.GeoDataFrame, files: dict[str, str],
                  repaired: dict[str, int]) -> Region:
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    for stem, spec in POLYGON_LAYERS:
        layer_file = find_file(path, stem, LAYER_SUFFIXES)
        if layer_file is None:
            layers[stem] = None
            continue
        files[stem] = layer_file.name
        raw, layer_rows = read_layer(layer_file)
        layer, count = validate_polygons(raw, layer_rows, layer_file.name, spec)
        if count:
            repaired[layer_file.name] = count
            log.warning("%s: repaired %d invalid geometries with make_valid", layer_file.name,
                        count)
        layers[stem] = layer
    areas = layers["areas"]
    if areas is not None and "name" not in areas.columns:
        areas = areas.assign(name=areas["area_id"])

    topology = None
    topology_file = find_file(path, "topology", TABLE_SUFFIXES)
    if topology_file is not None:
        files["topology"] = topology_file.name
        table, table_rows = read_table(topology_file)
        topology = validate_topology(table, table_rows, topology_file.name)

    routes = None
    routes_file = find_file(path, "fibre_routes", LAYER_SUFFIXES)
    if routes_file is not None:
        files["fibre_routes"] = routes_file.name
        routes = validate_routes(*read_layer(routes_file), routes_file.name)

    return Region(
        path=path,
        customers=customers,
        cells=layers["cells"],
        fibre_areas=layers["fibre_areas"],
        areas=areas,
        topology=topology,
        repaired=MappingProxyType(repaired),
        files=MappingProxyType(files),
        fibre_routes=routes,
    )
