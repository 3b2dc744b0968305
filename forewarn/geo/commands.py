"""What the geo commands do, minus argument parsing: ``impact`` and ``synth`` (CONTRACT §5),
``region check``, ``index build`` and ``coverage derive``.

The CLI prints the returned dict as JSON on stdout; everything else (warnings about ids
that are not in the region, progress) goes through logging to stderr, so stdout stays the
bare result that scripts consume.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from pathlib import Path

import numpy as np
import shapely

from forewarn.errors import RegionError
from forewarn.geo._places import read_area
from forewarn.geo.index import RegionIndex
from forewarn.geo.region import load_region
from forewarn.geo.synth import write_synthetic_region

__all__ = ["impact_report", "parse_down", "run_check", "run_coverage_derive", "run_impact",
           "run_index_build", "run_synth"]

log = logging.getLogger("forewarn.geo")


def parse_down(down: list[str] | str) -> list[str]:
    """Element ids from ``--down`` values, each of which may be comma-separated."""
    items = [down] if isinstance(down, str) else down
    seen: dict[str, None] = {}
    for item in items:
        for part in item.split(","):
            element = part.strip()
            if element:
                seen.setdefault(element)
    return list(seen)


def run_impact(region: Path, down: list[str] | str | None = None, *, degraded: bool = False,
               area: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """``{"outage": {"mobile": [...], "fibre": [...]}}`` for ``down`` elements down now.

    No time rules apply (no confirm delay, no maintenance): this answers "who would be out".
    Ids that name no element of the region are ignored with a warning, because a typo must
    not look like "nobody affected" without a hint. ``degraded`` adds
    ``"degraded": {"mobile": [...]}``; ``area`` (a polygon file) adds the area's elements
    to ``down`` for the customers inside it (see ``impact_report``). Raises
    ``RegionError`` for a bad region or area file.
    """
    elements = parse_down(down or [])
    if area is not None and Path(area).is_dir():
        raise RegionError(str(area), "area file is a directory, not a file")
    shape = read_area(area) if area is not None else None
    index = RegionIndex.build(load_region(Path(region)))
    unknown = [e for e in elements if not index.has_element(e)]
    if unknown:
        log.warning("not an element of region %s (ignored): %s", region, ", ".join(unknown))
    return impact_report(index, elements, degraded=degraded, area=shape)


def impact_report(index: RegionIndex, down: Collection[str], *, degraded: bool = False,
                  area: shapely.Geometry | None = None) -> dict[str, dict[str, list[str]]]:
    """The ``impact`` result for an index: the contract's shape, plus ``degraded`` if asked.

    With ``area`` (WGS84), customers *inside* it are judged with ``down`` plus every
    element located inside (``RegionIndex.elements_in``), customers outside with ``down``
    alone: a power cut or flood takes out what stands in it and the customers there who
    depend on it, while customers elsewhere hear about those elements through their own
    alarms.
    """
    down = set(down)
    if area is None:
        out = index.out_positions(down)
        result: dict[str, dict[str, list[str]]] = {
            "outage": {s: index.ids_of(p) for s, p in out.items()}}
        if degraded:
            result["degraded"] = {"mobile": index.ids_of(index.degraded_positions(down))}
        return result
    inside = index.customers_in(area)
    located = index.elements_in(area)
    log.info("area: %d elements and %d customers inside", len(located), len(inside))
    hit = down | set(located)
    by_area = index.out_positions(hit, within=inside)
    plain = index.out_positions(down)
    result = {"outage": {s: index.ids_of(np.union1d(by_area[s], plain[s])) for s in plain}}
    if degraded:
        worse = np.union1d(index.degraded_positions(hit, within=inside),
                           np.setdiff1d(index.degraded_positions(down), inside))
        result["degraded"] = {"mobile": index.ids_of(worse)}
    return result


def run_check(region: Path, *, as_json: bool = False, max_rows: int = 20) -> tuple[str, int]:
    """(report text, exit code): 0 when the region is usable, 1 when it is not.

    Never raises for bad data: every problem is a line of the report.
    """
    from forewarn.geo.check import check_region, format_report

    report = check_region(Path(region), max_rows=max_rows)
    text = (json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json
            else format_report(report))
    return text, 0 if report.usable else 1


def run_index_build(region: Path, out: Path, *, partitions: int | None = None) -> Path:
    """Build the index of ``region`` and write it as a new version under ``out``: one
    whole-region artifact, or with ``partitions`` one slice per partition, built streaming
    (``slice_build``)."""
    from forewarn.geo.artifact import write_index

    _folder_to_write(Path(out), "index folder")
    if partitions is not None:
        from forewarn.geo.slice_build import build_slices

        return build_slices(Path(region), Path(out), partitions)
    index = RegionIndex.build(load_region(Path(region)))
    return write_index(index, Path(out), Path(region))


def run_coverage_derive(cells_csv: Path, out: Path, *, outline: Path | None = None,
                        max_range_m: float | None = None) -> int:
    """Derive cell footprints from an OpenCellID-style CSV; returns the number of cells."""
    from forewarn.geo.derive import DEFAULT_MAX_RANGE_M, derive_coverage, write_cells
    from forewarn.paths import output_file, readable_file

    readable_file(Path(cells_csv), "cells file")
    output_file(Path(out), "--out")
    shape = read_area(outline) if outline is not None else None
    cells = derive_coverage(Path(cells_csv), outline=shape,
                            max_range_m=max_range_m or DEFAULT_MAX_RANGE_M)
    write_cells(cells, Path(out))
    return len(cells)


def run_synth(region_dir: Path, customers: int, seed: int) -> None:
    """Write a synthetic region with ``customers`` customers, deterministic for ``seed``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    _folder_to_write(Path(region_dir), "region folder")
    write_synthetic_region(Path(region_dir), customers, seed)
    log.info("wrote a synthetic region with %d customers (seed %d) to %s",
             customers, seed, region_dir)


def _folder_to_write(path: Path, what: str) -> None:
    """Raise ``RegionError`` naming ``path`` unless it is a folder or can become one."""
    if path.exists() and not path.is_dir():
        raise RegionError(str(path), f"{what} is a file, not a folder")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise RegionError(str(path), f"{what} cannot be created: {parent} is a file")
