"""The region's geometry as the web pages need it: named areas, footprints, in WGS84.

Why apart from ``forewarn.geo``: the index answers impact questions with arrays and keeps
no polygons at alarm time; the pages need the polygons themselves (to search areas by
name, to test a point, to draw a map). Everything is built on first use from the index's
``page_layers()`` (``geo.page_layers``: the region's layers for an index built from a
region, the shared part's GeoParquet for a sliced index) and ``customer_lonlat()`` (one
STRtree query joins the customers the index holds to areas) and kept. A whole-region index
artifact carries no polygons: then there are no areas and no footprints.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from forewarn.streams.network.operator_zone import DEFAULT_ZONE, operator_zone

__all__ = ["DEFAULT_ZONE", "MAP_TOLERANCE_DEG", "RegionShapes"]

MAP_TOLERANCE_DEG = 0.0001  # ~10 m: invisible on a desk map, shrinks large polygons a lot
_SPACE = re.compile(r"\s+")


def _wgs84(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or len(frame) == 0:
        return None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        return frame.to_crs("EPSG:4326")
    return frame


def _norm(text: Any) -> str:
    return _SPACE.sub(" ", str(text or "")).strip().casefold()


class RegionShapes:
    """Lazily prepared areas, cells and fibre areas of ``index.page_layers()`` (thread-safe)."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._ready = False
        self._areas: gpd.GeoDataFrame | None = None
        self._cells: gpd.GeoDataFrame | None = None
        self._fibre: gpd.GeoDataFrame | None = None
        self._pairs = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # customer, area
        self._keys: list[tuple[str, ...]] = []
        self._held: tuple[int, ...] | None = None  # the slices the pairs were joined for
        self.display_zone = DEFAULT_ZONE
        self.footprint = lru_cache(maxsize=4096)(self._footprint)
        self._units = lru_cache(maxsize=100_000)(self._units_uncached)

    def prepare(self) -> RegionShapes:
        """Build everything now (the web layer calls this off the event loop)."""
        with self._lock:
            if not self._ready:
                self._build()
                self._ready = True
        return self

    def _build(self) -> None:
        layers = self.index.page_layers()
        self._areas = _wgs84(layers.areas)
        self._cells = _wgs84(layers.cells)
        self._fibre = _wgs84(layers.fibre_areas)
        self.display_zone = operator_zone(self.index)  # the zone incident ids are named in
        if self._areas is None:
            return
        areas = self._areas
        has_postcode = "postcode" in areas.columns
        self._keys = [
            (_norm(a), _norm(n), _norm(p) if has_postcode else "", "".join(re.findall(r"\d", a)))
            for a, n, p in zip(areas["area_id"], areas["name"],
                               areas["postcode"] if has_postcode else areas["area_id"])
        ]
        self._join_customers()

    def _join_customers(self) -> None:
        """Customer position -> area pairs for the customers the index holds now (a sliced
        index may map or drop slices later: ``areas_of_customers`` joins again then)."""
        self._held = getattr(self.index, "loaded", None)
        if self._areas is None:
            return
        tree = shapely.STRtree(np.asarray(self._areas.geometry.values, dtype=object))
        positions, lonlat = self.index.customer_lonlat()
        pairs = tree.query(shapely.points(lonlat[:, 0], lonlat[:, 1]), predicate="intersects")
        self._pairs = (positions[pairs[0]].astype(np.int64), pairs[1].astype(np.int64))

    # -- areas -------------------------------------------------------------------------

    @property
    def has_areas(self) -> bool:
        return self.prepare()._areas is not None

    def describe(self, i: int) -> dict[str, str]:
        areas = self.prepare()._areas
        assert areas is not None
        row = areas.iloc[int(i)]
        out = {"area_id": str(row["area_id"]), "name": str(row["name"] or row["area_id"])}
        if "postcode" in areas.columns and row["postcode"] is not None:
            out["postcode"] = str(row["postcode"])
        return out

    def area_geometries(self) -> list[shapely.Geometry]:
        areas = self.prepare()._areas
        if areas is None:
            return []
        return list(shapely.simplify(np.asarray(areas.geometry.values, dtype=object),
                                     MAP_TOLERANCE_DEG, preserve_topology=True))

    def find(self, query: str) -> tuple[list[int], list[int]]:
        """``(matches, candidates)``: exact id/postcode/name matches, else one unambiguous
        partial name or postcode match, else up to ten partial matches to offer."""
        self.prepare()
        q = _norm(query)
        if not q or not self._keys:
            return [], []
        exact = [i for i, keys in enumerate(self._keys) if q in keys]
        if exact:
            return exact, []
        partial = [i for i, (a, n, p, d) in enumerate(self._keys)
                   if q in n or (q.isdigit() and (p.startswith(q) or d.startswith(q)))
                   or a.startswith(q)]
        if len(partial) == 1:
            return partial, []
        return [], partial[:10]

    def areas_at(self, lon: float, lat: float) -> list[int]:
        areas = self.prepare()._areas
        if areas is None:
            return []
        hit = shapely.intersects_xy(np.asarray(areas.geometry.values, dtype=object), lon, lat)
        return [int(i) for i in np.flatnonzero(hit)]

    def areas_of_customers(self, customer_ids: Iterable[str]) -> list[int]:
        """Areas containing any of these customers (unknown ids, and customers of slices
        this worker does not hold, are skipped)."""
        self.prepare()
        if getattr(self.index, "loaded", None) != self._held:
            with self._lock:
                if getattr(self.index, "loaded", None) != self._held:
                    self._join_customers()
        customers, areas = self._pairs
        if customers.size == 0:
            return []
        position = self.index.position
        found = []
        for cid in customer_ids:
            try:
                found.append(position(cid))
            except KeyError:
                continue
        mask = np.isin(customers, np.asarray(found, dtype=np.int64))
        return [int(a) for a in np.unique(areas[mask])]

    def units_in_area(self, i: int) -> tuple[tuple[str, str], ...]:
        """``(service, element)`` of the cells (mobile) and fibre areas (fibre) overlapping
        area ``i`` (touching its edge is not overlapping): the parts a district is served by,
        so the status page can say how much of it is out."""
        return self._units(int(i))

    def _units_uncached(self, i: int) -> tuple[tuple[str, str], ...]:
        areas = self.prepare()._areas
        if areas is None:
            return ()
        shape = areas.geometry.values[i]
        out: list[tuple[str, str]] = []
        for service, layer, column in (("mobile", self._cells, "cell_id"),
                                       ("fibre", self._fibre, "node_id")):
            if layer is None:
                continue
            geometries = np.asarray(layer.geometry.values, dtype=object)
            hit = np.flatnonzero(shapely.intersects(geometries, shape))
            overlap = shapely.area(shapely.intersection(geometries[hit], shape)) > 0
            out += sorted({(service, str(layer[column].iloc[int(j)])) for j in hit[overlap]})
        return tuple(out)

    def under(self, element: str, cause: str) -> bool:
        """Whether ``element`` is ``cause`` or lies below it (topology; cell -> site)."""
        return self._under(element, cause)

    # -- footprints ----------------------------------------------------------------------

    def _under(self, element: str, cause: str) -> bool:
        return element == cause or cause in self.index.ancestors(element)

    def _footprint(self, cause: str) -> tuple[tuple[str, shapely.Geometry], ...]:
        """``(service, polygon)`` of the cells (mobile) and fibre areas (fibre) at or below
        ``cause``: what an incident with that root cause takes down, simplified."""
        self.prepare()
        out: list[tuple[str, shapely.Geometry]] = []
        for service, layer, column in (("mobile", self._cells, "cell_id"),
                                       ("fibre", self._fibre, "node_id")):
            if layer is None:
                continue
            mask = np.fromiter((self._under(str(e), cause) for e in layer[column]), dtype=bool,
                               count=len(layer))
            if mask.any():
                merged = shapely.union_all(np.asarray(layer.geometry.values[mask], dtype=object))
                out.append((service, shapely.simplify(merged, MAP_TOLERANCE_DEG,
                                                      preserve_topology=True)))
        return tuple(out)

    def footprint_services(self, cause: str, lon: float, lat: float,
                           services: Iterable[str]) -> list[str]:
        """Services of ``services`` whose footprint under ``cause`` contains the point."""
        wanted = set(services)
        return [s for s, geometry in self.footprint(cause)
                if s in wanted and shapely.intersects_xy(geometry, lon, lat)]
