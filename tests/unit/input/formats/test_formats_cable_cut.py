"""Cable cuts located by a point with a tolerance or by a dig polygon (issue 3, item 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from forewarn.domain import CableCut
from forewarn.streams import records
from forewarn.streams.input.normalise import parse_records

AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC).timestamp()
DIG = {"type": "Polygon",
       "coordinates": [[[13.425, 52.494], [13.426, 52.494], [13.426, 52.496], [13.425, 52.494]]]}


def cut(**fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "cable_cut", "cut_id": "dig-7", "state": "raised",
                           "event_time": "2026-05-04T10:00:00+02:00",
                           "location": {"lon": 13.395, "lat": 52.51, "tolerance_m": 30}}
    obj.update(fields)
    return {k: v for k, v in obj.items() if v is not None}


def test_point_cut_becomes_a_cable_cut_with_its_tolerance() -> None:
    result = parse_records(cut(text="Bagger"))
    assert result.format == "cable_cut"
    assert list(result.records) == [CableCut("dig-7", "raised", AT, 13.395, 52.51, 30.0,
                                             None, "Bagger", "cable_cut")]


def test_point_cut_without_tolerance_leaves_it_to_the_correlator() -> None:
    [record] = parse_records(cut(location={"lon": 13.395, "lat": 52.51})).records
    assert isinstance(record, CableCut) and record.tolerance_m is None


@pytest.mark.parametrize("kind", ["Polygon", "MultiPolygon"])
def test_dig_polygon_is_kept_as_its_geojson_geometry(kind: str) -> None:
    coords = DIG["coordinates"] if kind == "Polygon" else [DIG["coordinates"]]
    area = {"type": kind, "coordinates": coords, "bbox": [0, 0, 1, 1]}
    [record] = parse_records(cut(location=None, area=area)).records
    assert isinstance(record, CableCut)
    assert record.area == {"type": kind, "coordinates": coords}
    assert record.lon is None and record.lat is None


def test_clear_needs_only_the_cut_id() -> None:
    [record] = parse_records(cut(state="cleared", location=None)).records
    assert isinstance(record, CableCut) and record.state == "cleared"


def test_cable_cut_survives_the_topic_round_trip() -> None:
    [record] = parse_records(cut(location=None, area=DIG)).records
    assert records.input_from_record(records.input_to_record(record)) == record


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"cut_id": None}, "cut_id", "missing (required)"),
        ({"state": "open"}, "state", "unknown value 'open' (allowed: raised, cleared)"),
        ({"event_time": "2026-05-04T10:00:00"}, "event_time", "has no UTC offset"),
        ({"location": None}, "location", "missing (required): locate a raised cut"),
        ({"area": DIG}, "area", "give either location or area, not both"),
        ({"location": "13.4,52.5"}, "location", "must be an object, got string"),
        ({"location": {"lat": 52.5}}, "location.lon", "missing (required)"),
        ({"location": {"lon": "13.4", "lat": 52.5}}, "location.lon", "must be a number"),
        ({"location": {"lon": 13.4, "lat": 95}}, "location.lat", "outside -90..90"),
        ({"location": {"lon": 13.4, "lat": 52.5, "tolerance_m": -1}},
         "location.tolerance_m", "must not be negative"),
        ({"location": {"lon": 13.4, "lat": 52.5, "tolerance_m": 50_000}},
         "location.tolerance_m", "a cut is a place"),
    ],
)
def test_invalid_cut_is_rejected_naming_the_field(fields: dict[str, Any], field: str,
                                                  problem: str) -> None:
    obj = cut()
    for key, value in fields.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    [error] = parse_records(obj).errors
    assert error.field == field
    assert problem in error.problem


@pytest.mark.parametrize(
    ("area", "field", "problem"),
    [
        ({"type": "Feature", "geometry": DIG}, "area.type", "give the Feature's geometry"),
        ({"type": "LineString", "coordinates": [[13.4, 52.5], [13.5, 52.5]]}, "area.type",
         "must be Polygon or MultiPolygon"),
        ({"type": "Polygon"}, "area.coordinates", "missing (required)"),
        ({"type": "Polygon", "coordinates": [[[13.4, 52.5], [13.5, 52.5]]]}, "area.coordinates",
         "not a valid Polygon"),
        ({"type": "Polygon", "coordinates": [[[390000, 5800000], [391000, 5800000],
                                              [391000, 5801000], [390000, 5800000]]]},
         "area.coordinates", "not projected metres"),
        # an unclosed ring with NaN: shapely's closing it warned (an error under -W error)
        ({"type": "Polygon", "coordinates": [[[13.4, 52.5], [float("nan"), 52.5],
                                              [13.5, 52.6]]]},
         "area.coordinates", "finite numbers only"),
        ([1, 2], "area", "must be an object"),
    ],
)
def test_invalid_area_is_rejected_naming_the_geojson_member(area: Any, field: str,
                                                            problem: str) -> None:
    [error] = parse_records(cut(location=None, area=area)).errors
    assert error.field == field
    assert problem in error.problem


def test_bad_cut_in_a_batch_keeps_the_good_ones() -> None:
    result = parse_records([cut(), cut(cut_id="dig-8", location={"lon": 13.4})])
    assert [r.cut_id for r in result.records if isinstance(r, CableCut)] == ["dig-7"]
    assert [e.field for e in result.errors] == ["[1].location.lat"]
