"""``check_region``: everything wrong with a region folder, in one report.

``load_region`` stops at the first problem, which is right for a worker at start-up but
painful for an operator fixing an export: fix, rerun, next error. The check keeps going.
Each file is read and validated on its own; when a validation rejects a row, that row is
set aside and the file is validated again without it, so the report lists every rejected
row (up to ``max_rows`` per file) with the exact message the loader would give. Then the
usable parts are indexed to count customers outside every layer, overlapping fibre areas
and unknown technologies.

A region is *usable* when nothing was rejected: the same condition under which
``load_region`` and ``RegionIndex.build`` succeed. Warnings never make it unusable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from forewarn.errors import RegionError
from forewarn.geo._customers import validate_customers
from forewarn.geo._files import LAYER_SUFFIXES, TABLE_SUFFIXES, find_file, read_layer, read_table
from forewarn.geo._layers import PolygonSpec, validate_polygons, validate_topology
from forewarn.geo._routes import validate_routes
from forewarn.geo.region import POLYGON_LAYERS, Region

__all__ = ["Finding", "LayerSummary", "RegionReport", "check_region", "format_report"]

_FORMATS = {".csv": "CSV", ".geojson": "GeoJSON", ".gpkg": "GeoPackage", ".shp": "Shapefile",
            ".parquet": "Parquet"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: ``file``, ``row`` (None: the whole file) and what is wrong."""

    file: str
    problem: str
    row: int | None = None

    def __str__(self) -> str:
        return str(RegionError(self.file, self.problem, self.row))


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """What was read for one layer: file, format, CRS and record counts."""

    layer: str
    file: str
    format: str
    crs: str
    records: int
    accepted: int


@dataclass
class RegionReport:
    """The whole report; ``usable`` is False when any error was found."""

    path: Path
    layers: list[LayerSummary] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    repaired: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``region check --json``)."""
        def finding(f: Finding) -> dict[str, Any]:
            return {"file": f.file, "row": f.row, "problem": f.problem}
        return {
            "region": str(self.path), "usable": self.usable,
            "layers": [vars_of(s) for s in self.layers], "counts": self.counts,
            "repaired": [finding(f) for f in self.repaired],
            "errors": [finding(f) for f in self.errors],
            "warnings": [finding(f) for f in self.warnings],
        }


def vars_of(summary: LayerSummary) -> dict[str, Any]:
    return {name: getattr(summary, name) for name in summary.__slots__}


Validator = Callable[[Any, np.ndarray], Any]


def _polygons(spec: PolygonSpec, file: str, frame: Any, rows: np.ndarray) -> Any:
    """``validate_polygons`` as a ``Validator`` (its repair count is taken elsewhere)."""
    return validate_polygons(frame, rows, file, spec)[0]


def _validate_all(validate: Validator, frame: Any, rows: np.ndarray, file: str,
                  report: RegionReport, max_rows: int) -> tuple[Any, np.ndarray]:
    """Run ``validate``; on a row error record it, drop the row, retry. Returns the
    validated frame (None when the file as a whole is unusable, a missing column say) and
    the row numbers of its records."""
    rejected = 0
    while True:
        try:
            return validate(frame, rows), rows
        except RegionError as exc:
            report.errors.append(Finding(exc.file, exc.problem, exc.row))
            where = np.flatnonzero(rows == exc.row) if exc.row is not None else np.zeros(0)
            if where.size == 0:
                return None, rows
            rejected += 1
            if rejected >= max_rows:
                report.errors.append(Finding(file, f"stopped after {max_rows} rejected rows; "
                                             "later rows were not checked"))
                return None, rows
            keep = np.ones(len(rows), dtype=bool)
            keep[where] = False
            frame = frame.iloc[keep].reset_index(drop=True)
            rows = rows[keep]


def _read(path: Path, stem: str, suffixes: tuple[str, ...], report: RegionReport,
          geometry: bool) -> tuple[Path, Any, np.ndarray] | None:
    try:
        file = find_file(path, stem, suffixes)
        if file is None:
            return None
        frame, rows = read_layer(file) if geometry else read_table(file)
    except RegionError as exc:
        report.errors.append(Finding(exc.file, exc.problem, exc.row))
        return None
    return file, frame, rows


def _summary(layer: str, file: Path, frame: Any, accepted: Any) -> LayerSummary:
    crs = getattr(frame, "crs", None)
    crs_text = crs.to_string() if crs is not None else (
        "EPSG:4326 (lon/lat)" if layer == "customers" else "-")
    n = 0 if accepted is None else len(accepted)
    return LayerSummary(layer, file.name, _FORMATS.get(file.suffix.lower(), file.suffix),
                        crs_text, len(frame), n)


def _invalid_geometries(frame: gpd.GeoDataFrame, rows: np.ndarray, file: str) -> list[Finding]:
    """Rows ``make_valid`` will repair, with GEOS's reason (bow-tie, ring self-intersection)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    bad = np.flatnonzero(present & ~shapely.is_valid(geoms))
    return [Finding(file, f"repaired invalid geometry ({shapely.is_valid_reason(geoms[i])})",
                    int(rows[i])) for i in bad]


def check_region(path: Path, *, max_rows: int = 20) -> RegionReport:
    """Check every file of the region at ``path``; never raises for bad data."""
    from forewarn.geo._check_index import index_findings

    path = Path(path)
    report = RegionReport(path)
    parts: dict[str, Any] = {}
    kept: dict[str, np.ndarray] = {}
    read = _read(path, "customers", TABLE_SUFFIXES, report, geometry=False)
    if read is None and not report.errors:
        report.errors.append(Finding("customers.csv", f"required file is missing in {path}"))
    if read is not None:
        file, frame, rows = read
        parts["customers"], kept["customers"] = _validate_all(
            lambda f, r: validate_customers(f, r, file.name), frame, rows, file.name, report,
            max_rows)
        report.layers.append(_summary("customers", file, frame, parts["customers"]))
    if not path.is_dir():
        return report
    for stem, spec in POLYGON_LAYERS:
        read = _read(path, stem, LAYER_SUFFIXES, report, geometry=True)
        if read is None:
            continue
        file, frame, rows = read
        report.repaired.extend(_invalid_geometries(frame, rows, file.name))
        parts[stem], kept[stem] = _validate_all(
            partial(_polygons, spec, file.name), frame, rows, file.name, report, max_rows)
        report.layers.append(_summary(stem, file, frame, parts[stem]))
    for stem, geometry, check in (
            ("topology", False, validate_topology), ("fibre_routes", True, validate_routes)):
        read = _read(path, stem, LAYER_SUFFIXES if geometry else TABLE_SUFFIXES, report,
                     geometry)
        if read is None:
            continue
        file, frame, rows = read
        parts[stem], kept[stem] = _validate_all(partial(check, file=file.name),
                                                frame, rows, file.name, report, max_rows)
        report.layers.append(_summary(stem, file, frame, parts[stem]))
    if parts.get("customers") is not None:
        region = Region(path=path, customers=parts["customers"], cells=parts.get("cells"),
                        fibre_areas=parts.get("fibre_areas"), areas=parts.get("areas"),
                        topology=_frame_or_none(parts.get("topology")),
                        files={s.layer: s.file for s in report.layers},
                        fibre_routes=parts.get("fibre_routes"))
        index_findings(region, kept, report)
    order = {name: k for k, name in enumerate(dict.fromkeys(f.file for f in report.errors))}
    report.errors.sort(key=lambda f: (order[f.file], f.row is None, f.row or 0))
    return report


def _frame_or_none(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return frame if frame is not None and len(frame) else None


def format_report(report: RegionReport) -> str:
    """The report as text for a terminal: verdict first, then layers, counts, findings."""
    verdict = "usable" if report.usable else "UNUSABLE"
    lines = [(f"region {report.path}: {verdict} ({len(report.errors)} errors, "
             f"{len(report.warnings)} warnings, {len(report.repaired)} repaired geometries)")]
    lines.append("layers:")
    for s in report.layers:
        lines.append(f"  {s.layer:<12} {s.file:<24} {s.format:<10} {s.crs:<28} "
                     f"{s.accepted}/{s.records} records accepted")
    if not report.layers:
        lines.append("  (none read)")
    if report.counts:
        lines.append("counts:")
        lines.extend(f"  {name}: {value}" for name, value in report.counts.items())
    for title, findings in (("rejected (errors):", report.errors),
                            ("repaired geometries:", report.repaired),
                            ("warnings:", report.warnings)):
        if findings:
            lines.append(title)
            lines.extend(f"  {f}" for f in findings)
    return "\n".join(lines)
