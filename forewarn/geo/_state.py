"""``IndexState``: every array a ``RegionIndex`` answers from, and how it is built from a region.

Why a separate value: the same arrays come either from a fresh build (joins over the
region's geometry) or from an index artifact on disk (``_artifact``, memory-mapped), and
``RegionIndex`` must not care which. Nothing here is derived per query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj

from forewarn.geo._coverage import resolve_crs
from forewarn.geo._csr import Csr
from forewarn.geo._graph import ElementGraph
from forewarn.geo._ids import IdColumn
from forewarn.geo._places import element_places
from forewarn.geo._routes import RouteIndex
from forewarn.geo._technology import cell_ranks
from forewarn.geo.region import Region

__all__ = ["CUSTOMER_FIELDS", "IndexState", "state_from_region"]

CUSTOMER_FIELDS = ("services", "language", "channels", "phone", "email", "push_token",
                   "priority", "timezone")


@dataclass(frozen=True, eq=False)
class IndexState:
    """Arrays by customer position (``customer_ids[p]``) and element position.

    ``order`` lists customer positions in plain string order of their ids; ``attached`` is
    element -> customers attached directly (covering cell or serving node); ``tech`` is a
    rank per element (``_technology``); ``places`` lon/lat per element (NaN: no location);
    ``lonlat`` per customer; ``crs`` the metric CRS used for distances.
    """

    customer_ids: list[str] | IdColumn  # a slice's ids stay bytes (``_ids``)
    fields: dict[str, np.ndarray]
    mobile: np.ndarray
    fibre: np.ndarray
    lonlat: np.ndarray
    order: np.ndarray
    graph: ElementGraph
    cover: Csr
    serving: Csr
    attached: Csr
    tech: np.ndarray
    places: np.ndarray
    routes: RouteIndex | None
    crs: pyproj.CRS
    notes: tuple[str, ...]


def service_masks(services: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of mobile and fibre customers (``services`` is canonical text)."""
    text = pd.Series(np.asarray(services, dtype=object))
    return (text.isin(["mobile", "mobile;fibre"]).to_numpy(dtype=bool),
            text.isin(["fibre", "mobile;fibre"]).to_numpy(dtype=bool))


def state_from_region(region: Region, graph: ElementGraph, cover: Csr, serving: Csr,
                      notes: tuple[str, ...]) -> IndexState:
    """Everything but the joins (which ``RegionIndex.build`` does) from a loaded region."""
    customers = region.customers
    ids = customers["customer_id"].to_numpy(dtype=object)
    fields = {name: customers[name].to_numpy(dtype=object) for name in CUSTOMER_FIELDS}
    mobile, fibre = service_masks(fields["services"])
    lonlat = np.column_stack([customers["lon"].to_numpy(dtype=np.float64),
                              customers["lat"].to_numpy(dtype=np.float64)])
    # Fixed-width unicode sorts several times faster than Python string objects and gives
    # the same (code point) order.
    order = np.argsort(ids.astype(str), kind="stable").astype(np.int64)
    attached = Csr.from_pairs(
        np.concatenate([cover.indices, serving.indices]),
        np.concatenate([cover.expand_rows(), serving.expand_rows()]),
        len(graph.ids), unique=False,
    )
    crs = resolve_crs("utm", customers.geometry) or pyproj.CRS.from_epsg(3857)
    n_elements = len(graph.ids)
    routes = None
    if region.fibre_routes is not None and len(region.fibre_routes):
        routes = RouteIndex.build(region.fibre_routes, graph.position, crs)
    return IndexState(
        customer_ids=[str(c) for c in ids], fields=fields, mobile=mobile, fibre=fibre,
        lonlat=lonlat, order=order, graph=graph, cover=cover, serving=serving,
        attached=attached, tech=cell_ranks(region.cells, graph.position, n_elements),
        places=element_places(region, graph.position, n_elements, crs), routes=routes,
        crs=crs, notes=notes,
    )
