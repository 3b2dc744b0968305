"""Fibre cable routes (the optional ``fibre_routes`` layer) and where a cut hits them.

Why routes at all: a digger that cuts a duct takes down every node fed through it, and the
NOC learns *where* the cut is (a point with a tolerance, or the dig's polygon) long before
anyone has mapped it to node ids. Routes are LineStrings with ``route_id`` (unique) and
``feeds`` (``;``-separated node ids: the nodes downstream of the route). A cut returns those
node ids; marking them down makes their own descendants effectively down through the
topology, so "downstream" needs nothing more than the feeds list.

Distances are metres: routes are kept in a metric CRS (the region's UTM zone), and a cut's
point or polygon (WGS84 lon/lat) is projected into it before the query.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from forewarn.errors import RegionError
from forewarn.geo._csr import Csr, sorted_unique
from forewarn.geo._layers import id_strings

__all__ = ["RouteIndex", "split_feeds", "validate_routes"]

_LINES = (1, 5)  # LineString, MultiLineString


def split_feeds(text: str | None) -> list[str]:
    """``"PON-1; PON-2"`` -> ``["PON-1", "PON-2"]`` (order kept, empties and repeats dropped)."""
    seen: dict[str, None] = {}
    for part in (text or "").split(";"):
        if part.strip():
            seen.setdefault(part.strip())
    return list(seen)


def validate_routes(frame: gpd.GeoDataFrame, rows: np.ndarray, file: str) -> gpd.GeoDataFrame:
    """Check a routes layer: ``route_id`` unique and present, ``feeds`` column, line geometry."""
    for column in ("route_id", "feeds"):
        if column not in frame.columns:
            have = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            raise RegionError(file, f"missing column '{column}' (have: {have})")
    ids = id_strings(frame["route_id"])
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value is None:
            raise RegionError(file, "route_id is empty", int(rows[i]))
        if value in seen:
            raise RegionError(file, f"duplicate route_id '{value}' (rows {rows[seen[value]]} "
                              f"and {rows[i]})", int(rows[i]))
        seen[value] = i
    geoms = np.asarray(frame.geometry.values, dtype=object)
    for problem, bad in (("geometry is missing", shapely.is_missing(geoms)),
                         ("geometry is empty", shapely.is_empty(geoms)),
                         ("geometry is not a LineString or MultiLineString",
                          ~np.isin(shapely.get_type_id(geoms), _LINES))):
        where = np.flatnonzero(bad)
        if where.size:
            raise RegionError(file, problem, int(rows[where[0]]))
    out = frame.copy()
    out["route_id"] = pd.Series(ids, dtype=object)
    out["feeds"] = pd.Series(id_strings(frame["feeds"]), dtype=object)
    return out


class RouteIndex:
    """Routes in a metric CRS with an STRtree; ``feeds`` row r = element positions of route r."""

    def __init__(self, ids: list[str], feeds: Csr, lines: np.ndarray, crs: pyproj.CRS) -> None:
        self.ids = ids
        self.feeds = feeds
        self.lines = lines
        self.crs = crs
        self._tree = shapely.STRtree(lines)
        self._from_wgs84 = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    @classmethod
    def build(cls, routes: gpd.GeoDataFrame, position: dict[str, int],
              crs: pyproj.CRS) -> RouteIndex:
        lines = np.asarray(routes.to_crs(crs).geometry.values, dtype=object)
        feeds = Csr.from_lists([[position[n] for n in split_feeds(f)] for f in routes["feeds"]])
        return cls([str(r) for r in routes["route_id"]], feeds, lines, crs)

    def _project(self, geom: shapely.Geometry) -> shapely.Geometry:
        def to_metric(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(self._from_wgs84.transform(xy[:, 0], xy[:, 1]))
        return shapely.transform(geom, to_metric)

    def _fed(self, routes: np.ndarray) -> np.ndarray:
        return sorted_unique(self.feeds.take(np.asarray(routes, dtype=np.int64)).indices)

    def cut_at(self, lon: float, lat: float, tolerance_m: float) -> np.ndarray:
        """Element positions fed by routes passing within ``tolerance_m`` of the point."""
        if tolerance_m < 0:
            raise ValueError("tolerance_m must not be negative")
        point = self._project(shapely.Point(lon, lat))
        return self._fed(self._tree.query(point, predicate="dwithin", distance=tolerance_m))

    def cut_by(self, polygon: shapely.Geometry) -> np.ndarray:
        """Element positions fed by routes intersecting ``polygon`` (WGS84 lon/lat)."""
        return self._fed(self._tree.query(self._project(polygon), predicate="intersects"))
