"""Validating the polygon layers (cells, fibre areas, areas) and the topology table.

Geometry problems are repaired when that cannot change what the operator meant
(``shapely.make_valid`` on a bow-tie keeps both lobes) and counted, so that the load can
report them; a geometry with no area left after repair is an error naming its row.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from forewarn.errors import RegionError
from forewarn.geo._files import column_text

__all__ = ["PolygonSpec", "id_strings", "validate_polygons", "validate_topology"]


@dataclass(frozen=True, slots=True)
class PolygonSpec:
    """What one polygon layer must hold.

    ``required`` starts with the id column; ``text`` names optional columns normalised like
    ids (str, None when empty); ``unique`` is False where one id may own several polygons.
    """

    required: tuple[str, ...]
    unique: bool = True
    text: tuple[str, ...] = ()

    @property
    def id_column(self) -> str:
        return self.required[0]


def id_strings(values: pd.Series) -> np.ndarray:
    """Column values as stripped strings, None when empty; ids read as numbers lose '.0'."""
    out = column_text(values)
    out[out == ""] = None
    return out


def _missing_column(frame: pd.DataFrame, required: tuple[str, ...], file: str) -> None:
    for column in required:
        if column not in frame.columns:
            have = ", ".join(str(c) for c in frame.columns if c != "geometry")
            raise RegionError(file, f"missing column '{column}' (have: {have})")


def _duplicates(ids: np.ndarray, rows: np.ndarray, file: str, column: str) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in seen:
            raise RegionError(
                file, f"duplicate {column} '{value}' (rows {rows[seen[value]]} and {rows[i]})",
                int(rows[i]),
            )
        seen[value] = i


def validate_polygons(frame: gpd.GeoDataFrame, rows: np.ndarray, file: str,
                      spec: PolygonSpec) -> tuple[gpd.GeoDataFrame, int]:
    """Check ids and geometries of a polygon layer; return it repaired and the repair count."""
    _missing_column(frame, spec.required, file)
    ids = id_strings(frame[spec.id_column])
    empty = [i for i, v in enumerate(ids) if v is None]
    if empty:
        raise RegionError(file, f"{spec.id_column} is empty", int(rows[empty[0]]))
    if spec.unique:
        _duplicates(ids, rows, file, spec.id_column)

    geoms = np.asarray(frame.geometry.values, dtype=object)
    missing = np.flatnonzero(shapely.is_missing(geoms))
    if missing.size:
        raise RegionError(file, "geometry is missing", int(rows[missing[0]]))
    hollow = np.flatnonzero(shapely.is_empty(geoms))
    if hollow.size:
        raise RegionError(file, "geometry is empty", int(rows[hollow[0]]))
    kinds = shapely.get_type_id(geoms)
    wrong = np.flatnonzero(~np.isin(kinds, (3, 6, 7)))  # Polygon, MultiPolygon, Collection
    if wrong.size:
        kind = shapely.get_type_id(geoms[wrong[0]])
        name = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                "MultiLineString")[int(kind)]
        raise RegionError(file, f"geometry is a {name}; expected a Polygon or MultiPolygon",
                          int(rows[wrong[0]]))
    _check_wgs84_range(geoms, rows, file, frame.crs)

    repaired = 0
    invalid = np.flatnonzero(~shapely.is_valid(geoms) | (kinds == 7))
    for i in invalid:
        fixed = _repair(geoms[i])
        if fixed is None:
            reason = shapely.is_valid_reason(geoms[i])
            raise RegionError(
                file, f"invalid geometry ({reason}) cannot be repaired into a polygon",
                int(rows[i]),
            )
        geoms[i] = fixed
        repaired += 1

    out = frame.copy()
    out[spec.id_column] = pd.Series(ids, dtype=object)
    for column in spec.required[1:] + spec.text:
        if column in out.columns:
            out[column] = pd.Series(id_strings(frame[column]), dtype=object)
    out = out.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs, index=out.index))
    return out, repaired


def _repair(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of ``make_valid(geom)``, or None when nothing with area is left."""
    valid = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(valid) if shapely.get_type_id(p) in (3, 6)]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty and q.area > 0]
    if not polys:
        return None
    # Union, not MultiPolygon(polys): parts of a collection may overlap.
    return polys[0] if len(polys) == 1 else shapely.union_all(polys)


def _check_wgs84_range(geoms: np.ndarray, rows: np.ndarray, file: str, crs: object) -> None:
    """Projected coordinates labelled as WGS84 would silently cover nobody; say so instead."""
    if crs is None or not getattr(crs, "is_geographic", False):
        return
    bounds = shapely.bounds(geoms)
    bad = np.flatnonzero((np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
                         | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1))
    if bad.size:
        raise RegionError(
            file, "coordinates are outside the WGS84 lon/lat range (is the CRS right?)",
            int(rows[bad[0]]),
        )


def validate_topology(frame: pd.DataFrame, rows: np.ndarray, file: str) -> pd.DataFrame:
    """Check topology edges; return ``element_id``, ``parent_id`` (None for roots),
    ``element_type`` (None when empty) and ``row``.

    An element may appear on several rows (one per parent: topology is a DAG); the same
    edge twice is harmless and dropped; two different non-empty types for one element are
    an error because the type decides how customers are told about a cause.
    """
    _missing_column(frame, ("element_id", "parent_id"), file)
    elements = id_strings(frame["element_id"])
    parents = id_strings(frame["parent_id"])
    types = (id_strings(frame["element_type"]) if "element_type" in frame.columns
             else np.full(len(frame), None, dtype=object))
    seen_type: dict[str, tuple[str, int]] = {}
    seen_edge: set[tuple[str, str | None]] = set()
    keep: list[int] = []
    for i, (element, parent, kind) in enumerate(zip(elements, parents, types)):
        row = int(rows[i])
        if element is None:
            raise RegionError(file, "element_id is empty", row)
        if parent == element:
            raise RegionError(file, f"element '{element}' is its own parent (cycle)", row)
        if kind is not None:
            kind_lower = kind.lower()
            types[i] = kind_lower
            before = seen_type.get(element)
            if before is not None and before[0] != kind_lower:
                raise RegionError(
                    file, f"element '{element}' has element_type '{before[0]}' in row "
                    f"{before[1]} but '{kind_lower}' here", row,
                )
            seen_type[element] = (kind_lower, row)
        if (element, parent) in seen_edge:
            continue
        seen_edge.add((element, parent))
        keep.append(i)
    index = np.asarray(keep, dtype=np.int64)
    return pd.DataFrame({
        "element_id": pd.Series(elements[index], dtype=object),
        "parent_id": pd.Series(parents[index], dtype=object),
        "element_type": pd.Series(types[index], dtype=object),
        "row": rows[index],
    })
