"""Approximate cell footprints from a site list (``forewarn coverage derive``).

Many operators (and OpenCellID, "OpenCellID, opencellid.org", CC BY-SA 4.0) know where cells
are, not what they cover. The approximation, all in a metric CRS (the UTM zone of the cells):

* **sites**: cells of one operator (``mcc``, ``net``) within ``site_tolerance_m`` of each
  other are one site (one mast), placed at their mean; ``site_id`` names operator and place;
* **Voronoi per technology**: for each operator and technology, the plane is split between
  that technology's sites (``shapely.voronoi_polygons``): a phone camps on the nearest
  site of a layer, so within one layer footprints do not overlap, across layers they do;
* **range**: each footprint is clipped to a disc of the cell's ``range`` (clamped to
  ``min_range_m``..``max_range_m``; OpenCellID's range is a rough estimate);
* **sectors**: where ``azimuth`` is known, the disc becomes a wedge of ``beamwidth``
  degrees (default 120) around it;
* **outline**: optionally everything is clipped to a region outline.

Ids: ``cell_id`` = ``mcc-net-area-cell``; technology from ``radio`` (GSM 2G, UMTS/CDMA 3G,
LTE 4G, NR 5G). The output is a ``cells`` layer (CONTRACT §2) with ``site_lon``/``site_lat``
(the mast, used by area impact) and ``range_m``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from forewarn.errors import RegionError
from forewarn.geo._files import read_table

__all__ = ["DEFAULT_MAX_RANGE_M", "RADIO_TECHNOLOGY", "derive_coverage", "write_cells"]

RADIO_TECHNOLOGY = {"GSM": "2G", "UMTS": "3G", "CDMA": "3G", "LTE": "4G", "NR": "5G"}
DEFAULT_MAX_RANGE_M = 5000.0
_REQUIRED = ("radio", "mcc", "net", "area", "cell", "lon", "lat", "range")


def _numbers(frame: pd.DataFrame, rows: np.ndarray, file: str, column: str,
             required: bool = True) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    text = frame[column].to_numpy(dtype=object)
    bad = ~np.isfinite(values) & ((text != "") | required)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RegionError(file, f"{column} '{text[i]}' is not a number", int(rows[i]))
    return values


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    frame, rows = read_table(path)
    file = path.name
    for column in _REQUIRED:
        if column not in frame.columns:
            raise RegionError(file, f"missing column '{column}' (have: "
                              f"{', '.join(frame.columns)})")
    radio = np.asarray([r.upper() for r in frame["radio"]], dtype=object)
    known = np.isin(radio, list(RADIO_TECHNOLOGY))
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise RegionError(file, f"unknown radio '{frame['radio'].iloc[i]}' (expected "
                          f"{', '.join(RADIO_TECHNOLOGY)})", int(rows[i]))
    nums = {c: _numbers(frame, rows, file, c) for c in ("lon", "lat", "range")}
    for column in ("azimuth", "beamwidth"):
        if column in frame.columns:
            nums[column] = _numbers(frame, rows, file, column, required=False)
    bad = (np.abs(nums["lon"]) > 180) | (np.abs(nums["lat"]) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RegionError(file, "lon/lat outside the WGS84 range", int(rows[i]))
    ids = [f"{m}-{n}-{a}-{c}" for m, n, a, c in
           zip(frame["mcc"], frame["net"], frame["area"], frame["cell"])]
    dup = pd.Series(ids).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise RegionError(file, f"duplicate cell '{ids[i]}'", int(rows[i]))
    cells = pd.DataFrame({"cell_id": ids, "operator": [f"{m}-{n}" for m, n in
                                                        zip(frame["mcc"], frame["net"])],
                          "radio": radio, "technology": [RADIO_TECHNOLOGY[r] for r in radio]})
    return cells, nums


def _sites(xy: np.ndarray, operator: np.ndarray, tolerance: float) -> np.ndarray:
    """Site label per cell: connected components of 'same operator, within tolerance'."""
    label = np.arange(len(xy))
    points = cast(np.ndarray, shapely.points(xy))
    a, b = shapely.STRtree(points).query(points, predicate="dwithin", distance=tolerance)
    same = (a != b) & (operator[a] == operator[b])
    a, b = a[same], b[same]
    while True:  # min-label propagation: converges in (cluster diameter) rounds
        new = label.copy()
        np.minimum.at(new, a, label[b])
        new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def _voronoi(points: np.ndarray, envelope: shapely.Geometry) -> np.ndarray:
    """One region per point (in order), covering ``envelope``."""
    if len(points) == 1:
        return np.asarray([envelope], dtype=object)
    regions = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope,
                                       ordered=True)
    return shapely.intersection(np.asarray(shapely.get_parts(regions), dtype=object), envelope)


def _wedges(xy: np.ndarray, radius: np.ndarray, azimuth: np.ndarray,
            width: np.ndarray) -> np.ndarray:
    steps = np.linspace(-0.5, 0.5, 25)
    bearing = np.radians(azimuth[:, None] + width[:, None] * steps[None, :])
    ax = xy[:, :1] + radius[:, None] * np.sin(bearing)
    ay = xy[:, 1:] + radius[:, None] * np.cos(bearing)
    rings = np.stack([np.column_stack([xy[:, 0], ax, xy[:, 0]]),
                      np.column_stack([xy[:, 1], ay, xy[:, 1]])], axis=-1)
    return cast(np.ndarray, shapely.make_valid(shapely.polygons(rings)))


def derive_coverage(path: Path, *, outline: shapely.Geometry | None = None,
                    max_range_m: float = DEFAULT_MAX_RANGE_M, min_range_m: float = 100.0,
                    site_tolerance_m: float = 30.0,
                    default_beamwidth: float = 120.0) -> gpd.GeoDataFrame:
    """Footprints for the cells in ``path`` (WGS84 frame; see the module docstring).

    Raises ``RegionError`` naming file and row for an unreadable CSV.
    """
    cells, nums = _read(Path(path))
    lonlat = np.column_stack([nums["lon"], nums["lat"]])
    points = gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=4326)
    crs = pyproj.CRS.from_user_input(points.estimate_utm_crs()) if len(points) else None
    if crs is None:
        return gpd.GeoDataFrame(cells.assign(site_id=[]), geometry=[], crs=4326)
    xy = shapely.get_coordinates(points.to_crs(crs).values)
    operator = cells["operator"].to_numpy(dtype=object)
    label = _sites(xy, operator, site_tolerance_m)
    _, site, count = np.unique(label, return_inverse=True, return_counts=True)
    site_xy = (np.column_stack([np.bincount(site, xy[:, 0]), np.bincount(site, xy[:, 1])])
               / count[:, None])
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    site_lon, site_lat = back.transform(site_xy[:, 0], site_xy[:, 1])
    radius = np.clip(nums["range"], min_range_m, max_range_m)
    cell_xy = site_xy[site]
    shape = shapely.buffer(shapely.points(cell_xy), radius, quad_segs=16)
    azimuth = nums.get("azimuth", np.full(len(cells), np.nan))
    sector = np.isfinite(azimuth)
    if sector.any():
        width = nums.get("beamwidth", np.full(len(cells), np.nan))[sector]
        width = np.where(np.isfinite(width) & (width > 0) & (width < 360), width,
                         default_beamwidth)
        shape[sector] = _wedges(cell_xy[sector], radius[sector], azimuth[sector], width)
    box = shapely.box(*(xy.min(axis=0) - max_range_m), *(xy.max(axis=0) + max_range_m))
    layer = cells["operator"] + "/" + cells["technology"]
    for key in pd.unique(layer):
        members = np.flatnonzero(layer.to_numpy() == key)
        sites = np.unique(site[members])
        regions = _voronoi(site_xy[sites], box)
        where = np.searchsorted(sites, site[members])
        shape[members] = shapely.intersection(shape[members], regions[where])
    if outline is not None:
        fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        metric_outline = shapely.transform(
            outline, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
        shape = shapely.intersection(shape, metric_outline)
    keep = ~shapely.is_empty(shape) & (shapely.area(shape) > 1.0)
    out = cells.assign(site_id=[f"site-{operator[i]}-{site_lon[s]:.5f}-{site_lat[s]:.5f}"
                                for i, s in enumerate(site)],
                       site_lon=np.round(site_lon[site], 6), site_lat=np.round(site_lat[site], 6),
                       range_m=radius)
    frame = gpd.GeoDataFrame(out.drop(columns=["operator"]), geometry=shape, crs=crs)
    return frame.loc[keep].to_crs(4326).reset_index(drop=True)


def write_cells(cells: gpd.GeoDataFrame, out: Path) -> None:
    """GeoJSON (RFC 7946), one feature per line, coordinates to 7 decimals (~1 cm)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    geoms = shapely.to_geojson(shapely.set_precision(cells.geometry.values, 1e-7))
    props = cells.drop(columns=cells.geometry.name).to_dict("records")
    with out.open("w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "features": [\n')
        for i, (g, row) in enumerate(zip(geoms, props)):
            p = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            f.write(("" if i == 0 else ",\n")
                    + f'{{"type": "Feature", "properties": {json.dumps(p)}, "geometry": {g}}}')
        f.write("\n]}\n")
