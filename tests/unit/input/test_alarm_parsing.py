"""parse_alarm / parse_line: the native alarm format and every way it can be wrong (CONTRACT §3).

The other formats have their own tests in ``tests/unit/formats``; here they only show that
detection hands them to their parser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from forewarn.domain import SEVERITIES, IncidentUpdate, MaintenanceWindow
from forewarn.errors import AlarmFormatError, ForewarnError
from forewarn.streams.input.normalise import (
    ALARM_STATES,
    detect_format,
    parse_alarm,
    parse_line,
    parse_records,
)

REQUIRED = ("alarm_id", "element_id", "state", "severity", "event_time")
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC).timestamp()


def rejected(obj: object) -> AlarmFormatError:
    with pytest.raises(AlarmFormatError) as caught:
        parse_alarm(obj)
    return caught.value


# ------------------------------------------------------------------------------ accepted


def test_native_alarm_becomes_alarm_with_posix_event_time(native):
    alarm = parse_alarm(native())
    assert alarm.alarm_id == "a-1"
    assert alarm.element_id == "site-7"
    assert alarm.state == "raised"
    assert alarm.severity == "critical"
    assert alarm.event_time == T0
    assert alarm.source_format == "native"
    assert (alarm.probable_cause, alarm.specific_problem, alarm.text) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T08:00:00Z",
        "2024-05-01T08:00:00+00:00",
        "2024-05-01T10:00:00+02:00",
        "2024-05-01T03:00:00-05:00",
        "2024-05-01T10:00:00.000+0200",
    ],
)
def test_event_time_offsets_all_mean_the_same_instant(native, text):
    assert parse_alarm(native(event_time=text)).event_time == T0


def test_sub_second_event_time_is_kept(native):
    alarm = parse_alarm(native(event_time="2024-05-01T08:00:00.250Z"))
    assert alarm.event_time == T0 + 0.25


def test_optional_cause_problem_and_text_are_kept(native):
    alarm = parse_alarm(
        native(probable_cause="powerProblem", specific_problem="mains lost", text="Site on battery")
    )
    assert alarm.probable_cause == "powerProblem"
    assert alarm.specific_problem == "mains lost"
    assert alarm.text == "Site on battery"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_null_or_empty_optional_field_means_not_given(native, value):
    alarm = parse_alarm(native(probable_cause=value, specific_problem=value, text=value))
    assert (alarm.probable_cause, alarm.specific_problem, alarm.text) == (None, None, None)


@pytest.mark.parametrize("state", ALARM_STATES)
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_state_and_severity_is_accepted(native, state, severity):
    alarm = parse_alarm(native(state=state, severity=severity))
    assert (alarm.state, alarm.severity) == (state, severity)


def test_unknown_extra_fields_are_tolerated(native):
    alarm = parse_alarm(native(vendor="acme", ticket={"id": 3}, perceivedSeverity="x"))
    assert alarm.alarm_id == "a-1"


def test_parse_line_reads_one_json_object(native):
    result = parse_line(json.dumps(native()))
    assert result.records == (parse_alarm(native()),)
    assert (result.errors, result.format) == ((), "native")


# ------------------------------------------------------------------------------ rejected


@pytest.mark.parametrize(
    ("value", "kind"), [([], "array"), ("alarm", "string"), (3, "number"), (None, "null")]
)
def test_value_that_is_not_an_object_is_rejected(value, kind):
    error = rejected(value)
    assert error.field == "<record>"
    assert f"expected a JSON object, got {kind}" in error.problem


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_field_is_named(native, field):
    error = rejected(native(drop=(field,)))
    assert (error.field, error.problem) == (field, "missing (required)")


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("value", ["", "   "])
def test_empty_required_field_is_named(native, field, value):
    error = rejected(native(**{field: value}))
    assert error.field == field
    assert "must not be empty" in error.problem


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("alarm_id", 17, "number"),
        ("element_id", None, "null"),
        ("state", True, "boolean"),
        ("severity", ["major"], "array"),
        ("event_time", 1714550400, "number"),
        ("probable_cause", 4, "number"),
        ("specific_problem", {"code": 1}, "object"),
        ("text", False, "boolean"),
    ],
)
def test_wrong_type_is_named(native, field, value, kind):
    error = rejected(native(**{field: value}))
    assert error.field == field
    assert f"got {kind}" in error.problem


def test_unknown_state_names_the_allowed_values(native):
    error = rejected(native(state="acknowledged"))
    assert error.field == "state"
    assert "'acknowledged'" in error.problem
    assert "allowed: raised, cleared" in error.problem


def test_unknown_severity_names_the_allowed_values(native):
    error = rejected(native(severity="CRITICAL"))
    assert error.field == "severity"
    assert "allowed: critical, major, minor, warning" in error.problem


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", "01/05/2024 10:00 +02:00"])
def test_event_time_that_is_not_iso_8601_is_rejected(native, text):
    error = rejected(native(event_time=text))
    assert error.field == "event_time"
    assert "not an ISO-8601 time" in error.problem


@pytest.mark.parametrize("text", ["2024-05-01T10:00:00", "2024-05-01"])
def test_event_time_without_offset_is_rejected(native, text):
    error = rejected(native(event_time=text))
    assert error.field == "event_time"
    assert "no UTC offset" in error.problem


@pytest.mark.parametrize("line", ["", "{", "alarm", '{"alarm_id": "a",}'])
def test_line_that_is_not_json_is_rejected_naming_the_line(line):
    result = parse_line(line)
    assert result.records == ()
    [error] = result.errors
    assert error.field == "<line>"
    assert error.problem.startswith("not valid JSON: ")


def test_format_errors_belong_to_the_one_exception_tree(native):
    assert isinstance(rejected(native(drop=("state",))), ForewarnError)
    assert str(rejected(native(drop=("state",)))) == "state: missing (required)"


# ------------------------------------------------------------- other formats (detected)


@pytest.mark.parametrize(
    "obj",
    [
        {
            "type": "maintenance",
            "maintenance_id": "m-1",
            "elements": ["site-7"],
            "start": "2024-05-02T01:00:00Z",
            "end": "2024-05-02T03:00:00Z",
        },
        {
            "type": "incident_update",
            "incident_id": "inc-1",
            "eta": "2024-05-01T12:00:00Z",
            "event_time": "2024-05-01T10:00:00Z",
        },
        {
            "type": "incident_update",
            "element_id": "site-7",
            "message": "crew on site",
            "event_time": "2024-05-01T10:00:00Z",
        },
    ],
)
def test_maintenance_and_incident_updates_are_detected_by_type_and_are_not_alarms(obj):
    assert detect_format(obj).name == obj["type"]
    [record] = parse_records(obj).records
    assert isinstance(record, MaintenanceWindow if obj["type"] == "maintenance" else IncidentUpdate)
    error = rejected(obj)
    assert error.field == "<record>"
    assert "not one alarm" in error.problem


TMF642_RESOURCE = {
    "id": "4711",
    "alarmedObject": {"id": "site-7"},
    "perceivedSeverity": "critical",
    "state": "raised",
    "alarmRaisedTime": "2024-05-01T10:00:00Z",
    "probableCause": "powerProblem",
}
TMF642_EVENT = {
    "eventId": "e-1",
    "eventType": "AlarmCreateEvent",
    "eventTime": "2024-05-01T10:00:00Z",
    "event": {"alarm": TMF642_RESOURCE},
}
VES_FAULT = {
    "event": {
        "commonEventHeader": {
            "domain": "fault",
            "sourceName": "site-7",
            "lastEpochMicrosec": 1714557600000000,
        },
        "faultFields": {"alarmCondition": "powerProblem", "eventSeverity": "CRITICAL"},
    }
}
ALERTMANAGER = {
    "version": "4",
    "status": "firing",
    "receiver": "forewarn",
    "groupKey": "{}:{}",
    "alerts": [
        {
            "status": "firing",
            "labels": {"element_id": "site-7", "severity": "critical"},
            "startsAt": "2024-05-01T10:00:00Z",
        }
    ],
}


@pytest.mark.parametrize(
    ("obj", "name"),
    [
        (TMF642_RESOURCE, "tmf642"),
        (TMF642_EVENT, "tmf642"),
        (VES_FAULT, "ves"),
        ({"eventList": [VES_FAULT["event"]]}, "ves"),
        (ALERTMANAGER, "alertmanager"),
    ],
)
def test_foreign_alarm_formats_are_detected_and_parsed(obj, name):
    assert detect_format(obj).name == name
    alarm = parse_alarm(obj)
    assert (alarm.element_id, alarm.state, alarm.severity) == ("site-7", "raised", "critical")
    assert alarm.event_time == datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp()
    assert alarm.source_format == name


def test_object_with_native_ids_is_native_even_with_foreign_field_names(native):
    obj = native(alarmedObject={"id": "x"}, alerts=[], version="4")
    assert detect_format(obj).name == "native"


def test_object_with_some_native_fields_is_read_as_native_to_name_the_missing_field():
    assert detect_format({"element_id": "site-7"}).name == "native"
    assert rejected({"element_id": "site-7"}).field == "alarm_id"


def test_object_of_no_known_format_is_rejected_as_unrecognised():
    assert detect_format({"hello": "world"}).name == "unknown"
    error = rejected({"hello": "world"})
    assert error.field == "<record>"
    assert error.problem.startswith("not a recognised alarm format (expected native, TMF642")


def test_other_type_values_are_not_special(native):
    assert parse_alarm(native(type="alarm")).alarm_id == "a-1"
