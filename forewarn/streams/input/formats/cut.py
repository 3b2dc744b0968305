"""Cable cuts reported by location (issue 3, item 5), an extension of CONTRACT §3.

``{"type": "cable_cut", "cut_id", "state": "raised"|"cleared", "event_time",
"location": {"lon", "lat", "tolerance_m"?} | "area": <GeoJSON Polygon/MultiPolygon geometry>,
"text"?}`` -> :class:`~forewarn.domain.CableCut`.

Why a record of its own: a digger's cut is known by *where* it is long before anyone maps it
to node ids; the correlator finds the fibre routes it crosses and takes the nodes they feed
down (``forewarn.streams.network.cuts``).

Mapping decisions:

* A raised cut needs exactly one of ``location`` (a point, WGS84 degrees, with an optional
  ``tolerance_m`` >= 0: how far from the point a route still counts as cut; absent means the
  correlator's default) or ``area`` (a GeoJSON geometry, RFC 7946 lon/lat; a Feature must be
  unwrapped to its ``geometry``). Both is rejected: which one was meant cannot be guessed.
* A clear is matched by ``cut_id``; ``location``/``area`` may be left out (if given they are
  validated and kept: they let a clear work even where the raise was never seen).
* Coordinates outside lon -180..180 / lat -90..90 are rejected: they are almost surely
  projected metres sent as GeoJSON, which would silently cut nothing. A self-intersecting
  polygon is accepted (the correlator repairs it): a hand-drawn dig outline often is one.
* An ``area`` of more than ``limits.MAX_AREA_VERTICES`` vertices is rejected (a dig outline
  needs dozens; the limit keeps one record from costing the correlator a city's geometry).
* ``tolerance_m`` above :data:`MAX_TOLERANCE_M` is rejected: a cut is a place, and a
  tolerance of kilometres would take down every route in a town (use ``area`` instead).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
import shapely
import shapely.geometry
from pydantic import PlainValidator

from forewarn.domain import CableCut, InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.common import (
    Id,
    IsoTime,
    OptText,
    Parsed,
    Record,
    at,
    invalid,
    json_type,
    one_of,
)
from forewarn.streams.input.formats.limits import MAX_AREA_VERTICES, shown
from forewarn.streams.input.formats.native import ALARM_STATES
from forewarn.streams.input.formats.schema import Schema, validate

__all__ = [
    "CABLE_CUT",
    "MAX_TOLERANCE_M",
    "CableCutRecord",
    "CutLocation",
    "looks_cable_cut",
    "parse_cable_cut",
]

CABLE_CUT = "cable_cut"
MAX_TOLERANCE_M = 10_000.0
_AREA_TYPES = ("Polygon", "MultiPolygon")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"must be a number, got {json_type(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(f"must be a finite number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise invalid("is a number too large to be a coordinate or distance") from None


def _within(low: float, high: float, unit: str) -> Any:
    def check(value: object) -> float:
        number = _number(value)
        if not low <= number <= high:
            raise invalid(f"{number!r} is outside {low:g}..{high:g} ({unit})")
        return number
    return check


def _tolerance(value: object) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number < 0:
        raise invalid("must not be negative (metres)")
    if number > MAX_TOLERANCE_M:
        raise invalid(f"{number:g} m is more than {MAX_TOLERANCE_M:g} m: a cut is a place "
                      "(locate a larger dig by area)")
    return number


def _object(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(f"must be an object (a GeoJSON geometry), got {json_type(value)}")
    return dict(value)


Longitude = Annotated[float, PlainValidator(_within(-180.0, 180.0, "degrees of longitude"))]
Latitude = Annotated[float, PlainValidator(_within(-90.0, 90.0, "degrees of latitude"))]
Tolerance = Annotated[float | None, PlainValidator(_tolerance)]
Geometry = Annotated[dict[str, Any] | None, PlainValidator(_object)]
State = Annotated[str, PlainValidator(one_of(ALARM_STATES))]


class CutLocation(Schema):
    """A point (WGS84) and how far from it a route still counts as cut."""

    lon: Longitude
    lat: Latitude
    tolerance_m: Tolerance = None


class CableCutRecord(Schema):
    """The cable-cut record; field order is the order problems are reported in."""

    cut_id: Id
    state: State
    event_time: IsoTime
    location: CutLocation | None = None
    area: Geometry = None
    text: OptText = None


def looks_cable_cut(obj: Record) -> bool:
    return obj.get("type") == CABLE_CUT


def check_area(area: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A GeoJSON Polygon/MultiPolygon in lon/lat degrees -> ``{"type", "coordinates"}``
    (other members such as ``bbox`` dropped); raises naming ``area.type``/``area.coordinates``."""
    kind = area.get("type")
    if kind not in _AREA_TYPES:
        hint = " (give the Feature's geometry)" if kind in ("Feature", "FeatureCollection") else ""
        got = shown(kind) if isinstance(kind, str) else json_type(kind)
        raise AlarmFormatError(at(path, "type"),
                               f"must be Polygon or MultiPolygon, got {got}{hint}")
    where = at(path, "coordinates")
    if "coordinates" not in area:
        raise AlarmFormatError(where, "missing (required)")
    try:  # NaN / inf coordinates are refused below, by name, not warned about by numpy
        with np.errstate(invalid="ignore", over="ignore"):
            geometry = shapely.geometry.shape({"type": kind,
                                               "coordinates": area["coordinates"]})
            coords = shapely.get_coordinates(geometry)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError,
            shapely.errors.ShapelyError) as exc:  # whatever shapely makes of odd nesting
        raise AlarmFormatError(where, f"not a valid {kind}: {str(exc)[:200]}") from None
    if geometry.is_empty:
        raise AlarmFormatError(where, "must not be empty")
    if len(coords) > MAX_AREA_VERTICES:
        raise AlarmFormatError(where, f"has {len(coords)} vertices; an area may have at most "
                               f"{MAX_AREA_VERTICES} (simplify the outline)")
    if not np.isfinite(coords).all():
        raise AlarmFormatError(where, "must hold finite numbers only")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise AlarmFormatError(where, "outside lon -180..180 / lat -90..90: GeoJSON is WGS84 "
                               "lon/lat in degrees (RFC 7946), not projected metres")
    return {"type": kind, "coordinates": area["coordinates"]}


def _cable_cut(obj: Record, path: str) -> list[InputRecord]:
    model = validate(CableCutRecord, obj, path)
    if model.location is not None and model.area is not None:
        raise AlarmFormatError(at(path, "area"),
                               "give either location or area, not both")
    if model.state == "raised" and model.location is None and model.area is None:
        raise AlarmFormatError(
            at(path, "location"),
            "missing (required): locate a raised cut by location {lon, lat, tolerance_m?} "
            "or by area (a GeoJSON Polygon or MultiPolygon)",
        )
    area = check_area(model.area, at(path, "area")) if model.area is not None else None
    location = model.location
    return [
        CableCut(
            cut_id=model.cut_id,
            state=model.state,
            event_time=model.event_time,
            lon=location.lon if location else None,
            lat=location.lat if location else None,
            tolerance_m=location.tolerance_m if location else None,
            area=area,
            text=model.text,
            source_format=CABLE_CUT,
        )
    ]


def parse_cable_cut(obj: Record, path: str) -> Parsed:
    """The registry's entry point: one object, one cable cut or one error."""
    parsed = Parsed()
    parsed.add(_cable_cut, obj, path)
    return parsed
