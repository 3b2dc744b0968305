"""The second half of ``region check``: what only the joined index can tell.

A region can load cleanly and still tell nobody: customers outside every cell, fibre areas
that overlap (a customer in two areas is attributed to both nodes), cells whose technology
is unknown (they never count as anyone's best technology, so "degraded" cannot be said).
These are warnings with counts, example ids and row numbers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import shapely

from forewarn.errors import RegionError
from forewarn.geo._coverage import resolve_crs
from forewarn.geo._technology import TECHNOLOGIES
from forewarn.geo.index import RegionIndex
from forewarn.geo.region import Region

if TYPE_CHECKING:
    from forewarn.geo.check import RegionReport

__all__ = ["index_findings"]

log = logging.getLogger("forewarn.geo")
_EXAMPLES = 5
_MIN_OVERLAP_M2 = 1.0  # shared edges and float noise are not overlaps


def _some(values: list[str] | np.ndarray) -> str:
    values = [str(v) for v in values]
    more = f", ... ({len(values)} in all)" if len(values) > _EXAMPLES else ""
    return ", ".join(values[:_EXAMPLES]) + more


def index_findings(region: Region, rows: dict[str, np.ndarray], report: RegionReport) -> None:
    """Add counts and warnings to ``report``; an index that cannot be built is an error."""
    from forewarn.geo.check import Finding

    files = dict(region.files)
    _technologies(region, rows.get("cells"), files.get("cells", "cells"), report)
    _overlaps(region, rows.get("fibre_areas"), files.get("fibre_areas", "fibre_areas"), report)
    quiet, log.disabled = log.disabled, True  # the report says it all; no duplicate logs
    try:
        index = RegionIndex.build(region)
    except RegionError as exc:
        report.errors.append(Finding(exc.file, exc.problem, exc.row))
        return
    except Exception as exc:  # a region check must never end in a traceback
        log.debug("index build failed", exc_info=True)
        report.errors.append(Finding(str(region.path), f"cannot build the index: {exc}"))
        return
    finally:
        log.disabled = quiet
    customers_file = files.get("customers", "customers.csv")
    state = index._state
    mobile, fibre = state.mobile, state.fibre
    no_cell = mobile & (state.cover.counts() == 0)
    no_node = fibre & (state.serving.counts() == 0)
    nothing = (~mobile | no_cell) & (~fibre | no_node)
    counts = {"customers": len(index), "mobile customers": int(mobile.sum()),
              "fibre customers": int(fibre.sum()), "elements": len(index.element_ids)}
    report.counts = {**counts, **report.counts}
    ids = np.asarray(index.customer_ids, dtype=object)
    for mask, what in ((nothing, "customers are outside every layer (no service covered)"),
                       (no_cell, "mobile customers are outside every cell"),
                       (no_node, "fibre customers have no serving fibre node")):
        if mask.any():
            report.warnings.append(Finding(
                customers_file, f"{int(mask.sum())} {what}: {_some(ids[mask])}"))
    for note in index.notes:
        if "fibre_node_id" in note or "more than one fibre area" in note:
            report.warnings.append(Finding(customers_file, note))


def _technologies(region: Region, rows: np.ndarray | None, file: str,
                  report: RegionReport) -> None:
    from forewarn.geo.check import Finding

    cells = region.cells
    if cells is None or rows is None:
        return
    raw = (cells["technology"] if "technology" in cells.columns
           else np.full(len(cells), None, dtype=object))
    techs = np.asarray([("" if t is None else str(t).strip().upper()) for t in raw], dtype=object)
    for tech in TECHNOLOGIES:
        report.counts[f"cells {tech}"] = int(np.count_nonzero(techs == tech))
    unknown = ~np.isin(techs, TECHNOLOGIES)
    for value in sorted(set(techs[unknown])):
        where = rows[techs == value]
        label = f"technology '{value}' is unknown" if value else "technology is empty"
        report.warnings.append(Finding(
            file, f"{label} (expected 2G, 3G, 4G or 5G) in {len(where)} cells, rows "
            f"{_some(where)}", int(where[0])))


def _overlaps(region: Region, rows: np.ndarray | None, file: str, report: RegionReport) -> None:
    """Pairs of fibre areas of different nodes sharing more than 1 m², in metres."""
    from forewarn.geo.check import Finding

    areas = region.fibre_areas
    if areas is None or rows is None or len(areas) < 2:
        return
    crs = resolve_crs("utm", region.customers.geometry) or areas.crs
    if crs is None:  # no customers and no CRS on the layer: no metres to measure in
        return
    geoms = np.asarray(areas.geometry.to_crs(crs).values, dtype=object)
    nodes = areas["node_id"].to_numpy(dtype=object)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = (a < b) & (nodes[a] != nodes[b])
    a, b = a[pair], b[pair]
    shared = shapely.area(shapely.intersection(geoms[a], geoms[b])) if a.size else np.zeros(0)
    hit = np.flatnonzero(shared > _MIN_OVERLAP_M2)
    report.counts["overlapping fibre area pairs"] = int(hit.size)
    for k in hit[:_EXAMPLES]:
        i, j = a[k], b[k]
        report.warnings.append(Finding(
            file, f"fibre areas of {nodes[i]} (row {rows[i]}) and {nodes[j]} (row {rows[j]}) "
            f"overlap by {shared[k]:,.0f} m²", int(rows[j])))
    if hit.size > _EXAMPLES:
        report.warnings.append(Finding(file, f"{hit.size} overlapping fibre area pairs in all"))
