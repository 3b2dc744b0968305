"""The build half of the index: the element graph and the two spatial joins.

Customers are joined to cells (mobile customers only) and to fibre areas (fibre customers
without an explicit ``fibre_node_id``), producing customer -> element CSR tables. Data
problems come back as (log level, note) pairs so that the index can log them and
``region check`` can report them.
"""

from __future__ import annotations

import logging
from typing import cast

import geopandas as gpd
import numpy as np
import pyproj

from forewarn.geo._coverage import points_in_polygons, resolve_crs
from forewarn.geo._csr import Csr
from forewarn.geo._graph import ElementGraph, build_graph
from forewarn.geo._routes import split_feeds
from forewarn.geo._state import service_masks
from forewarn.geo.region import Region

__all__ = ["join_region"]


def join_region(region: Region, crs: pyproj.CRS | str | None
                ) -> tuple[ElementGraph, Csr, Csr, list[tuple[int, str]]]:
    """(graph, customer -> covering cells, customer -> serving nodes, notes).

    Raises ``RegionError`` when the topology has a cycle.
    """
    customers = region.customers
    n = len(customers)
    has_mobile, has_fibre = service_masks(customers["services"].to_numpy(dtype=object))
    mobile, fibre = np.flatnonzero(has_mobile), np.flatnonzero(has_fibre)
    explicit = customers["fibre_node_id"].to_numpy(dtype=object)
    node_ids = {e for e in explicit[fibre] if e is not None}
    if region.fibre_routes is not None:
        node_ids.update(n for f in region.fibre_routes["feeds"] for n in split_feeds(f))
    graph = build_graph(region.cells, region.fibre_areas, region.topology, sorted(node_ids),
                        region.files.get("topology", "topology.csv"))
    join_crs = resolve_crs(crs, customers.geometry)
    notes: list[tuple[int, str]] = [
        (logging.INFO, f"{file}: repaired {k} invalid geometries")
        for file, k in region.repaired.items()]

    cover = Csr.from_pairs(np.zeros(0), np.zeros(0), n)
    if region.cells is not None:
        pts, cells = points_in_polygons(cast(gpd.GeoSeries, customers.geometry.iloc[mobile]),
                                        region.cells.geometry, join_crs, sort=False)
        cell_pos = np.asarray([graph.position[c] for c in region.cells["cell_id"]])
        cover = Csr.from_pairs(mobile[pts], cell_pos[cells], n)
    uncovered = int(np.count_nonzero(cover.counts()[mobile] == 0))
    if uncovered:
        notes.append((logging.INFO, f"{uncovered} mobile customers are covered by no cell"))
    serving, fibre_notes = _serving_nodes(region, graph, fibre, explicit, join_crs)
    notes.extend(fibre_notes)
    return graph, cover, serving, notes


def _serving_nodes(region: Region, graph: ElementGraph, fibre: np.ndarray,
                   explicit: np.ndarray,
                   crs: pyproj.CRS | None) -> tuple[Csr, list[tuple[int, str]]]:
    """Customer -> serving fibre nodes: explicit ``fibre_node_id`` wins over geography.

    Data problems come back as (log level, note): a customer in two fibre areas or a
    ``fibre_node_id`` nothing else names is a warning, being outside all areas is not.
    """
    n = len(region.customers)
    notes: list[tuple[int, str]] = []
    has_explicit = np.fromiter((e is not None for e in explicit[fibre]), dtype=bool,
                               count=len(fibre))
    rows = [fibre[has_explicit]]
    cols = [np.asarray([graph.position[e] for e in explicit[fibre[has_explicit]]],
                       dtype=np.int64)]
    known = set(region.fibre_areas["node_id"]) if region.fibre_areas is not None else set()
    if region.topology is not None:
        known |= set(region.topology["element_id"])
    unknown = sorted({e for e in explicit[fibre[has_explicit]] if e not in known})
    if unknown:
        text = (f"{len(unknown)} fibre_node_id values name no fibre area or topology "
                f"element (e.g. {unknown[0]})")
        notes.append((logging.WARNING, text))
    if region.fibre_areas is not None:
        geographic = fibre[~has_explicit]
        pts, areas = points_in_polygons(region.customers.geometry.iloc[geographic],
                                        region.fibre_areas.geometry, crs, sort=False)
        node_pos = np.asarray([graph.position[e] for e in region.fibre_areas["node_id"]])
        rows.append(geographic[pts])
        cols.append(node_pos[areas])
    serving = Csr.from_pairs(np.concatenate(rows), np.concatenate(cols), n)
    counts = serving.counts()[fibre]
    several = int(np.count_nonzero(counts > 1))
    if several:
        notes.append((logging.WARNING,
                      f"{several} fibre customers lie in more than one fibre area"))
    without = int(np.count_nonzero(counts == 0))
    if without:
        notes.append((logging.INFO, f"{without} fibre customers have no serving fibre node"))
    return serving, notes
