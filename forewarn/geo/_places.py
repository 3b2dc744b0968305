"""Where elements are: one WGS84 point per located element, for questions asked by place.

A power-company outage area or a flood zone names no element ids; what is "inside" has to
be decided from geometry, once, at index build. The rule (docs/geo.md):

* a **cell** is at its footprint's centroid;
* a **site** is at its mast: the ``site_lon``/``site_lat`` columns of the cells layer when
  given (``coverage derive`` writes them), else the mean of its cells' footprint centroids
  (for a sectorised site, the sectors' centroids surround the mast);
* a **fibre node** is at the area-weighted centroid of its fibre-area polygons;
* other elements (power, OLT, transport, ...) have no location and are never inside.

Centroids are taken in a metric CRS (a lon/lat centroid is skewed by the meridians'
convergence) and stored as lon/lat, so an area in WGS84 is tested without projection.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from forewarn.errors import RegionError
from forewarn.geo._files import read_layer
from forewarn.geo.region import Region

__all__ = ["element_places", "points_inside", "read_area"]


def element_places(region: Region, position: dict[str, int], n_elements: int,
                   crs: pyproj.CRS) -> np.ndarray:
    """(n_elements, 2) float array of lon/lat, NaN where an element has no location."""
    xy = np.full((n_elements, 2), np.nan)
    if region.cells is not None:
        cells = region.cells
        centroids = _centroids(cells.geometry, crs)
        cell_pos = np.asarray([position[c] for c in cells["cell_id"]], dtype=np.int64)
        xy[cell_pos] = centroids
        has_site = np.asarray([s is not None for s in cells["site_id"]], dtype=bool)
        site_pos = np.asarray([position[s] for s in cells["site_id"][has_site]], dtype=np.int64)
        xy[site_pos] = _site_means(centroids[has_site], site_pos, crs)
        given = _given_site_places(cells)
        if given is not None:
            ok = has_site & np.isfinite(given).all(axis=1)
            xy[[position[s] for s in cells["site_id"][ok]]] = given[ok]
    if region.fibre_areas is not None:
        areas = region.fibre_areas
        metric = areas.geometry.to_crs(crs)
        weight = metric.area.to_numpy()
        cxy = shapely.get_coordinates(metric.centroid.values)
        node_pos = np.asarray([position[n] for n in areas["node_id"]], dtype=np.int64)
        total = np.bincount(node_pos, weight, n_elements)
        sx = np.bincount(node_pos, weight * cxy[:, 0], n_elements)
        sy = np.bincount(node_pos, weight * cxy[:, 1], n_elements)
        nodes = np.unique(node_pos)
        lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        xy[nodes] = np.column_stack(lonlat.transform(sx[nodes] / total[nodes],
                                                     sy[nodes] / total[nodes]))
    return xy


def _centroids(geoms: gpd.GeoSeries, crs: pyproj.CRS) -> np.ndarray:
    metric = gpd.GeoSeries(geoms.to_crs(crs).centroid, crs=crs)
    return shapely.get_coordinates(metric.to_crs(4326).values)


def _site_means(lonlat: np.ndarray, site_pos: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Mean (in metres) of each site's cell centroids, returned per input row."""
    if site_pos.size == 0:
        return np.zeros((0, 2))
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    _, inverse = np.unique(site_pos, return_inverse=True)
    count = np.bincount(inverse)
    mx, my = np.bincount(inverse, x) / count, np.bincount(inverse, y) / count
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = back.transform(mx, my)
    return np.column_stack([lon, lat])[inverse]


def _given_site_places(cells: gpd.GeoDataFrame) -> np.ndarray | None:
    if "site_lon" not in cells.columns or "site_lat" not in cells.columns:
        return None
    lon = np.asarray(pd.to_numeric(cells["site_lon"], errors="coerce"), dtype=np.float64)
    lat = np.asarray(pd.to_numeric(cells["site_lat"], errors="coerce"), dtype=np.float64)
    return np.column_stack([lon, lat])


def points_inside(area: shapely.Geometry, lonlat: np.ndarray) -> np.ndarray:
    """Boolean per row of ``lonlat``: inside or on the boundary of ``area`` (WGS84).

    A bounding-box filter first, so a town-sized area against a million customers tests
    only the few thousand near it; NaN rows (no location) are never inside.
    """
    inside = np.zeros(len(lonlat), dtype=bool)
    if len(lonlat) == 0 or shapely.is_empty(area):
        return inside
    xmin, ymin, xmax, ymax = shapely.bounds(area)
    x, y = lonlat[:, 0], lonlat[:, 1]
    near = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    if near.size:
        shapely.prepare(area)
        inside[near] = shapely.intersects_xy(area, x[near], y[near])
    return inside


def read_area(path: str | Path) -> shapely.Geometry:
    """The union of every polygon in an area file (GeoJSON, GeoPackage, ...) in WGS84.

    Raises ``RegionError`` naming the file (and row) when it cannot be read or holds no
    polygon; invalid polygons are repaired, since a hand-drawn flood zone often crosses
    itself.
    """
    file = Path(path)
    if not file.is_file():
        raise RegionError(file.name, "area file does not exist")
    frame, rows = read_layer(file)
    geoms = np.asarray(frame.to_crs(4326).geometry.values, dtype=object)
    if geoms.size == 0:
        raise RegionError(file.name, "area file has no features")
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.all():
        raise RegionError(file.name, "geometry is not a Polygon or MultiPolygon",
                          int(rows[np.flatnonzero(~polygonal)[0]]))
    return shapely.make_valid(shapely.union_all(shapely.make_valid(geoms)))
