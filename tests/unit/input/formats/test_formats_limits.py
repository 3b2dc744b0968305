"""Ids, texts, times and lists from outside are held to limits (issue 16, finding 8).

Each limit is tested at the limit (accepted) and one past it (rejected naming the field and
the limit), in every format that carries such a field; the ids of every shipped region and
sample stay valid.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from forewarn.domain import Alarm
from forewarn.streams.input.formats.limits import (
    MAX_AREA_VERTICES,
    MAX_ELEMENTS,
    MAX_EXCERPT,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TIME_LENGTH,
    bounded_id,
    id_problem,
)
from forewarn.streams.input.normalise import (
    MAX_RAW_IN_DEAD_LETTER,
    dead_letter,
    dead_letter_for,
    parse_records,
)
from tests.unit.input.formats.format_samples import FieldPath, dotted, replaced

ROOT = Path(__file__).resolve().parents[4]

NATIVE = {"alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
          "event_time": "2024-05-01T10:00:00Z"}
TMF642 = {"id": "1", "alarmedObject": {"id": "site-7"}, "perceivedSeverity": "major",
          "alarmRaisedTime": "2024-05-01T10:00:00Z"}
HEADER = {"domain": "fault", "sourceName": "site-7", "lastEpochMicrosec": 1714557600000000}
VES = {"event": {"commonEventHeader": HEADER,
                 "faultFields": {"eventSeverity": "MAJOR", "alarmCondition": "linkDown"}}}
VES_3GPP = {"event": {"commonEventHeader": HEADER | {"domain": "stndDefined"},
                      "stndDefinedFields": {"data": {"notificationType": "notifyNewAlarm",
                                                     "alarmId": "7",
                                                     "perceivedSeverity": "MAJOR"}}}}
WEBHOOK = {"alerts": [{"status": "firing", "labels": {"element_id": "site-7",
                                                       "severity": "critical"},
                       "startsAt": "2024-05-01T10:00:00Z"}]}
MAINTENANCE = {"type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7"],
               "start": "2024-05-03T01:00:00Z", "end": "2024-05-03T05:00:00Z"}
UPDATE = {"type": "incident_update", "incident_id": "inc-1", "event_time": "2024-05-01T10:30:00Z"}
CUT = {"type": "cable_cut", "cut_id": "cut-1", "state": "raised",
       "event_time": "2024-05-01T10:00:00Z", "location": {"lon": 13.4, "lat": 52.5}}

ALERT = ("alerts", 0)
IDS: list[tuple[str, dict[str, Any], FieldPath]] = [
    ("native", NATIVE, ("alarm_id",)),
    ("native", NATIVE, ("element_id",)),
    ("tmf642", TMF642, ("id",)),
    ("tmf642", TMF642, ("alarmedObject", "id")),
    ("ves", VES, ("event", "commonEventHeader", "sourceName")),
    ("ves 3gpp", VES_3GPP, ("event", "stndDefinedFields", "data", "alarmId")),
    ("alertmanager", WEBHOOK, (*ALERT, "labels", "element_id")),
    ("alertmanager", WEBHOOK, (*ALERT, "fingerprint")),
    ("maintenance", MAINTENANCE, ("maintenance_id",)),
    ("maintenance", MAINTENANCE, ("elements", 0)),
    ("incident_update", UPDATE, ("incident_id",)),
    ("incident_update", UPDATE | {"element_id": "site-7"}, ("element_id",)),
    ("cable_cut", CUT, ("cut_id",)),
]
TEXTS: list[tuple[str, dict[str, Any], FieldPath]] = [
    ("native", NATIVE, ("text",)),
    ("native", NATIVE, ("probable_cause",)),
    ("native", NATIVE, ("specific_problem",)),
    ("tmf642", TMF642, ("probableCause",)),
    ("tmf642", TMF642, ("specificProblem",)),
    ("tmf642", TMF642, ("alarmDetails",)),
    ("ves", VES, ("event", "faultFields", "alarmCondition")),
    ("ves", VES, ("event", "faultFields", "specificProblem")),
    ("ves", VES, ("event", "commonEventHeader", "eventName")),
    ("ves 3gpp", VES_3GPP, ("event", "stndDefinedFields", "data", "additionalText")),
    ("alertmanager", WEBHOOK, (*ALERT, "labels", "alertname")),
    ("alertmanager", WEBHOOK, (*ALERT, "annotations")),  # set to {"summary": ...} below
    ("maintenance", MAINTENANCE, ("text",)),
    ("incident_update", UPDATE, ("message",)),
    ("cable_cut", CUT, ("text",)),
]


def ids(table: list[tuple[str, dict[str, Any], FieldPath]]) -> list[Any]:
    return [pytest.param(base, path, id=f"{name}:{dotted(path)}") for name, base, path in table]


def with_value(base: dict[str, Any], path: FieldPath, value: str) -> tuple[Any, str]:
    """``base`` with ``value`` at ``path`` (annotations get it as their summary)."""
    if path[-1] == "annotations":
        return replaced(base, path, {"summary": value}), dotted((*path, "summary"))
    return replaced(base, path, value), dotted(path)


@pytest.mark.parametrize(("base", "path"), ids(IDS))
def test_an_id_at_the_length_limit_is_accepted(base: dict[str, Any], path: FieldPath) -> None:
    payload, _ = with_value(base, path, "i" * MAX_ID_LENGTH)
    result = parse_records(payload)
    assert not result.errors, result.errors
    assert len(result.records) == 1


@pytest.mark.parametrize(("base", "path"), ids(IDS))
def test_an_id_one_past_the_length_limit_is_rejected_naming_field_and_limit(
    base: dict[str, Any], path: FieldPath
) -> None:
    payload, field = with_value(base, path, "i" * (MAX_ID_LENGTH + 1))
    [error] = parse_records(payload).errors
    assert error.field == field
    assert f"at most {MAX_ID_LENGTH}" in error.problem


@pytest.mark.parametrize(("base", "path"), ids(TEXTS))
def test_a_text_at_the_length_limit_is_accepted(base: dict[str, Any], path: FieldPath) -> None:
    payload, _ = with_value(base, path, "t" * MAX_TEXT_LENGTH)
    result = parse_records(payload)
    assert not result.errors, result.errors
    assert len(result.records) == 1


@pytest.mark.parametrize(("base", "path"), ids(TEXTS))
def test_a_text_one_past_the_length_limit_is_rejected_naming_field_and_limit(
    base: dict[str, Any], path: FieldPath
) -> None:
    payload, field = with_value(base, path, "t" * (MAX_TEXT_LENGTH + 1))
    [error] = parse_records(payload).errors
    assert error.field == field
    assert f"at most {MAX_TEXT_LENGTH}" in error.problem


@pytest.mark.parametrize(
    "value", ["site\n7", "site\x00", "site\u202e7", "site\u200b", "<img src=x>", 'a"b', "a'b",
              "a`b", "tab\there"],
)
def test_an_id_with_control_or_markup_characters_is_rejected(value: str) -> None:
    for name, base, path in IDS:
        payload, field = with_value(base, path, value)
        [error] = parse_records(payload).errors
        assert error.field == field, name


@pytest.mark.parametrize(
    "value", ["Müllerstraße 7", "262-2-308-361", "host.example:9100", "scfx|1", "CHG0012345",
              "A/B#3@x+y=z~", "基站-7"],
)
def test_ids_of_any_script_and_the_usual_punctuation_stay_valid(value: str) -> None:
    for name, base, path in IDS:
        payload, _ = with_value(base, path, value)
        assert not parse_records(payload).errors, name


def test_a_text_may_hold_line_breaks_and_tabs_but_no_other_control_character() -> None:
    assert not parse_records(NATIVE | {"text": "line 1\r\nline 2\tend"}).errors
    [error] = parse_records(NATIVE | {"text": "bell\x07"}).errors
    assert error.field == "text"
    assert "U+0007" in error.problem


def _region_ids() -> set[str]:
    found: set[str] = set()
    folders = [ROOT / "forewarn" / "data" / "sample_region",
               *sorted((ROOT / "tests" / "fixtures" / "regions").glob("*"))]
    for folder in folders:
        for path in folder.rglob("*.geojson"):
            try:
                features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
            except (ValueError, UnicodeDecodeError):
                continue  # the deliberately broken fixtures
            for feature in features:
                props = feature.get("properties") or {}
                found.update(str(props[k]) for k in ("cell_id", "site_id", "node_id")
                             if props.get(k) not in (None, ""))
        for path in folder.rglob("topology.csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    found.update(v for v in (row.get("element_id"), row.get("parent_id")) if v)
    return found


def test_every_element_id_of_the_shipped_regions_is_a_valid_id() -> None:
    region_ids = _region_ids()
    assert len(region_ids) > 50  # the sample region and fixtures were read
    assert {i: id_problem(i) for i in region_ids if id_problem(i)} == {}


@pytest.mark.parametrize(
    ("value", "ok"),
    [("2000-01-01T00:00:00Z", True), ("1999-12-31T23:59:59Z", False),
     ("2099-12-31T23:59:59Z", True), ("2100-01-01T00:00:00Z", False),
     ("3000-01-01T00:00:00Z", False), ("0002-01-01T00:00:00+14:00", False),
     ("9999-12-31T23:59:59-14:00", False)],
)
def test_times_outside_2000_to_2100_are_rejected(value: str, ok: bool) -> None:
    for payload, field in [(NATIVE | {"event_time": value}, "event_time"),
                           (TMF642 | {"alarmRaisedTime": value}, "alarmRaisedTime"),
                           (UPDATE | {"eta": value}, "eta"),
                           (replaced(WEBHOOK, (*ALERT, "startsAt"), value), "alerts[0].startsAt"),
                           (replaced(replaced(WEBHOOK, (*ALERT, "status"), "resolved"),
                                     (*ALERT, "endsAt"), value), "alerts[0].endsAt"),
                           (MAINTENANCE | {"event_time": value}, "event_time")]:
        errors = parse_records(payload).errors
        assert (not errors) == ok, (field, errors)
        if not ok:
            assert errors[0].field == field


def test_a_time_string_longer_than_its_limit_is_rejected_without_parsing() -> None:
    at_limit = "2024-05-01T10:00:00Z".ljust(MAX_TIME_LENGTH, "0")
    [error] = parse_records(NATIVE | {"event_time": at_limit}).errors
    assert "not an ISO-8601 time" in error.problem
    [error] = parse_records(NATIVE | {"event_time": at_limit + "0"}).errors
    assert f"at most {MAX_TIME_LENGTH}" in error.problem


def test_a_maintenance_window_names_at_most_the_element_limit() -> None:
    at_limit = [f"e{i}" for i in range(MAX_ELEMENTS)]
    assert not parse_records(MAINTENANCE | {"elements": at_limit}).errors
    [error] = parse_records(MAINTENANCE | {"elements": [*at_limit, "one-more"]}).errors
    assert error.field == "elements"
    assert f"at most {MAX_ELEMENTS}" in error.problem


def test_a_cable_cut_area_has_at_most_the_vertex_limit() -> None:
    def ring(n: int) -> list[list[float]]:
        points = [[13.0 + i * 1e-6, 52.0 + (i % 2) * 1e-6] for i in range(n - 1)]
        return [*points, points[0]]

    base = {k: v for k, v in CUT.items() if k != "location"}
    at_limit = base | {"area": {"type": "Polygon", "coordinates": [ring(MAX_AREA_VERTICES)]}}
    assert not parse_records(at_limit).errors
    past = base | {"area": {"type": "Polygon", "coordinates": [ring(MAX_AREA_VERTICES + 1)]}}
    [error] = parse_records(past).errors
    assert error.field == "area.coordinates"
    assert f"at most {MAX_AREA_VERTICES}" in error.problem


@pytest.mark.parametrize("coordinates", [
    [[[10**400, 0], [1, 1], [0, 1], [10**400, 0]]], {"0": [[0, 0]]}, [{"x": 1}], [[None]],
])
def test_odd_coordinates_are_rejected_not_raised(coordinates: Any) -> None:
    area = {"type": "Polygon", "coordinates": coordinates}
    [error] = parse_records({k: v for k, v in CUT.items() if k != "location"}
                            | {"area": area}).errors
    assert error.field == "area.coordinates"


def test_a_derived_ves_alarm_id_stays_within_the_id_limit() -> None:
    long_cause = replaced(VES, ("event", "faultFields", "alarmCondition"), "c" * MAX_TEXT_LENGTH)
    [alarm] = parse_records(long_cause).records
    assert isinstance(alarm, Alarm)
    assert len(alarm.alarm_id) == MAX_ID_LENGTH
    assert alarm.alarm_id == bounded_id("site-7", "c" * MAX_TEXT_LENGTH)


def test_bounded_id_leaves_short_ids_readable() -> None:
    assert bounded_id("site-7", "linkDown") == "site-7|linkDown"


def test_a_derived_id_holds_no_character_an_id_may_not_hold() -> None:
    derived = bounded_id("site-7", "link <down>\n\x00")
    assert id_problem(derived) is None
    assert derived == bounded_id("site-7", "link <down>\n\x00")  # stable: raise meets clear


def test_an_error_quotes_a_huge_value_only_briefly() -> None:
    huge = "x" * 1_000_000
    for payload in (NATIVE | {"severity": huge}, NATIVE | {"event_time": huge},
                    TMF642 | {"state": huge}):
        [error] = parse_records(payload).errors
        assert len(str(error)) < 400, str(error)[:500]


def test_a_dead_letter_holds_a_bounded_excerpt_of_its_own_record_only() -> None:
    neighbours = [NATIVE | {"alarm_id": f"ok-{i}", "text": "n" * 900} for i in range(20)]
    bad = NATIVE | {"alarm_id": "the-bad-one", "severity": "loud"}
    payload = [*neighbours[:10], bad, *neighbours[10:]]
    text = json.dumps(payload)
    [error] = parse_records(payload).errors
    letter = dead_letter_for(error, text)
    assert "the-bad-one" in letter["raw"]
    assert "ok-" not in letter["raw"]
    assert json.loads(letter["raw"]) == bad


def test_a_dead_letter_of_one_alert_holds_that_alert_not_the_webhook() -> None:
    webhook = {"receiver": "x", "alerts": [WEBHOOK["alerts"][0], {"status": "firing",
                                           "labels": {"element_id": "lonely"}}]}
    [error] = parse_records(webhook).errors
    assert json.loads(dead_letter_for(error)["raw"]) == webhook["alerts"][1]


def test_a_huge_rejected_record_is_cut_in_its_dead_letter() -> None:
    bad = NATIVE | {"severity": "loud", "extra": "x" * 100_000}
    [error] = parse_records(bad).errors
    letter = dead_letter_for(error, json.dumps(bad))
    assert len(letter["raw"]) <= MAX_RAW_IN_DEAD_LETTER == MAX_EXCERPT
    assert letter["raw"].endswith("...")


def test_dead_letter_without_an_excerpt_keeps_only_the_start_of_the_text() -> None:
    letter = dead_letter("y" * 1_000_000, "reason", "<record>", "problem")
    assert len(letter["raw"]) == MAX_RAW_IN_DEAD_LETTER
