"""Which polygons contain which customer points: the one spatial step of the index.

Where the join happens: by default in each polygon layer's *own* CRS, with the customer
points projected into it. Points project exactly, polygon edges do not: a GeoJSON edge is a
straight line in lon/lat (RFC 7946 §3.1.1), and after reprojection to UTM the same two
vertices span a slightly different line (a parallel bows by ~3 m over 10 km at 52°N). A
customer placed on a cell's border in the file would then fall in or out depending on the
edge's direction. Joining in the layer's CRS keeps the file's geometry exact; pass a metric
``crs`` (e.g. ``"utm"``) to join in one projected CRS instead.

Boundary points count as inside (``intersects``). Because decimal coordinates of a point
"on" a slanted edge are rarely exactly collinear in floating point, polygons are grown by
0.1 mm before the join, so such points are inside as the author of the file meant.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

__all__ = ["BOUNDARY_TOLERANCE_M", "points_in_polygons", "resolve_crs", "spatial_order"]

BOUNDARY_TOLERANCE_M = 1e-4
_METRES_PER_DEGREE = 111_320.0


def resolve_crs(crs: pyproj.CRS | str | None, points: gpd.GeoSeries) -> pyproj.CRS | None:
    """None keeps each layer's CRS; ``"utm"`` is the UTM zone of the customers' centroid."""
    if crs is None:
        return None
    if isinstance(crs, str) and crs.lower() == "utm":
        if len(points) == 0:
            return None
        estimated = points.estimate_utm_crs()
        assert estimated is not None
        return pyproj.CRS.from_user_input(estimated)
    return pyproj.CRS.from_user_input(crs)


def _tolerance(crs: pyproj.CRS) -> float:
    """0.1 mm in the CRS's own units (degrees, metres or feet)."""
    if crs.is_geographic:
        return BOUNDARY_TOLERANCE_M / _METRES_PER_DEGREE
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return BOUNDARY_TOLERANCE_M / (factor or 1.0)


def points_in_polygons(points: gpd.GeoSeries, polygons: gpd.GeoSeries,
                       crs: pyproj.CRS | None = None, *,
                       sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All (point position, polygon position) pairs where the polygon covers the point,
    sorted by point then polygon (``sort=False``: in no particular order, cheaper when
    the caller sorts anyway).

    Uses the polygons' spatial index (the STRtree behind ``geopandas.sjoin``) directly, which
    returns the pairs as arrays without building a joined frame of millions of rows.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return empty, empty
    target = pyproj.CRS.from_user_input(crs if crs is not None else polygons.crs)
    polys = polygons if polygons.crs == target else polygons.to_crs(target)
    pts = points if points.crs == target else points.to_crs(target)
    grown = shapely.buffer(np.asarray(polys.values, dtype=object), _tolerance(target),
                           quad_segs=1, join_style="mitre", mitre_limit=2.0)
    tree = shapely.STRtree(grown)
    geoms = np.asarray(pts.values, dtype=object)
    walk = spatial_order(shapely.get_coordinates(geoms))
    point_pos, poly_pos = tree.query(geoms[walk], predicate="intersects")
    point_pos = walk[point_pos]
    if not sort:
        return point_pos.astype(np.int64), poly_pos.astype(np.int64)
    order = np.lexsort((poly_pos, point_pos))
    return point_pos[order].astype(np.int64), poly_pos[order].astype(np.int64)


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Insert a zero bit between the low 16 bits of each value (for a Morton key)."""
    v = v & 0xFFFF
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return (v | (v << 1)) & 0x55555555


def spatial_order(xy: np.ndarray) -> np.ndarray:
    """Positions of ``xy`` along a Z-order (Morton) curve on a 65536² grid.

    Why: querying the STRtree with points in file order jumps all over the tree for every
    point; neighbouring points in Z-order visit the same nodes, which stay in the CPU
    cache. On 1M customers x 25k cells this halves the join (see BENCHMARKS.md).
    """
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    low, span = xy.min(axis=0), np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    grid = ((xy - low) / span * 65535).astype(np.int64)
    key = _spread_bits(grid[:, 0]) | (_spread_bits(grid[:, 1]) << 1)
    return np.argsort(key, kind="stable").astype(np.int64)
