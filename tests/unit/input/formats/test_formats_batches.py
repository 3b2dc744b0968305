"""Payloads that carry many records: valid items survive, invalid ones are named by index."""

from __future__ import annotations

import json

import pytest

from forewarn.domain import Alarm, IncidentUpdate, MaintenanceWindow
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.normalise import ParseResult, parse_alarm, parse_line, parse_records
from tests.unit.input.formats.format_samples import load

NATIVE = {
    "alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "critical",
    "event_time": "2024-05-01T10:00:00Z",
}
MAINTENANCE = {
    "type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7"],
    "start": "2024-05-03T01:00:00Z", "end": "2024-05-03T03:00:00Z",
}
UPDATE = {"type": "incident_update", "element_id": "site-7", "message": "crew on site",
          "event_time": "2024-05-01T10:30:00Z"}


def test_mixed_array_keeps_every_valid_item_and_names_each_invalid_one_by_index():
    payload = [
        NATIVE,
        {**NATIVE, "severity": "fatal"},
        load("tmf642/Alarm.example.json"),
        "not an object",
        load("onap_ves/ves7_valid_30_1_1_event.json"),
        {"hello": "world"},
        MAINTENANCE,
        {**UPDATE, "eta": "2024-05-01T12:00"},
        UPDATE,
    ]
    result = parse_records(payload)
    assert [type(r) for r in result.records] == [
        Alarm, Alarm, Alarm, MaintenanceWindow, IncidentUpdate,
    ]
    assert [r.source_format for r in result.records] == [
        "native", "tmf642", "ves", "maintenance", "incident_update",
    ]
    assert [e.field for e in result.errors] == ["[1].severity", "[3]", "[5]", "[7].eta"]
    assert result.format == "mixed"


def test_array_of_one_format_is_that_format():
    assert parse_records([NATIVE, {**NATIVE, "alarm_id": "a-2"}]).format == "native"


def test_array_items_that_are_batches_name_their_inner_index():
    webhook = load("alertmanager/alerts2_webhook.json")
    del webhook["alerts"][4]["labels"]["severity"]
    result = parse_records([NATIVE, webhook])
    assert len(result.records) == 1 + 9
    assert [e.field for e in result.errors] == ["[1].alerts[4].labels.severity"]


def test_ves_batch_with_one_bad_event_keeps_the_other():
    batch = load("onap_ves/ves7_batch_valid.json")
    batch["eventList"][0]["faultFields"]["eventSeverity"] = "SEVERE"
    result = parse_records(batch)
    assert [a.probable_cause for a in result.records] == ["RecordingServerUnreachable"]
    [error] = result.errors
    assert error.field == "eventList[0].faultFields.eventSeverity"
    assert "allowed: CRITICAL, MAJOR, MINOR, WARNING, NORMAL" in error.problem


def test_ves_batch_item_of_another_domain_is_rejected_by_itself():
    batch = load("onap_ves/ves7_batch_valid.json")
    batch["eventList"][1]["commonEventHeader"]["domain"] = "measurement"
    result = parse_records(batch)
    assert len(result.records) == 1
    [error] = result.errors
    assert error.field == "eventList[1].commonEventHeader.domain"
    assert error.problem == "VES domain 'measurement' carries no fault"


@pytest.mark.parametrize(
    ("payload", "field"),
    [([], "<record>"), ({"eventList": []}, "eventList"),
     ({"version": "4", "alerts": []}, "alerts"), ({"eventList": [7]}, "eventList[0]"),
     ({"version": "4", "alerts": [None]}, "alerts[0]"), ([[NATIVE]], "[0]")],
)
def test_empty_batches_and_items_that_are_not_objects_are_errors(payload, field):
    result = parse_records(payload)
    assert result.records == ()
    assert [e.field for e in result.errors] == [field]


def test_every_payload_has_an_outcome():
    for payload in ([], {}, 3, "x", None, [NATIVE], NATIVE, [{}], {"eventList": "x"}):
        result = parse_records(payload)
        assert len(result.records) + len(result.errors) >= 1


def test_parse_line_reads_arrays_and_envelopes():
    result = parse_line(json.dumps([NATIVE, MAINTENANCE]))
    assert len(result.records) == 2
    assert result.errors == ()


def test_parse_alarm_returns_the_one_alarm_of_a_single_alert_webhook():
    webhook = load("alertmanager/alerts2_webhook.json")
    webhook["alerts"] = webhook["alerts"][:1]
    assert parse_alarm(webhook).alarm_id == "2c74f4ec6b57d59e"


def test_parse_alarm_refuses_a_payload_of_many_records_rather_than_drop_some():
    with pytest.raises(AlarmFormatError) as caught:
        parse_alarm(load("alertmanager/alerts2_webhook.json"))
    assert caught.value.field == "<record>"
    assert "carries 10 record(s)" in caught.value.problem


def test_parse_alarm_raises_the_first_error_of_a_batch():
    batch = load("onap_ves/ves7_batch_valid.json")
    del batch["eventList"][1]["commonEventHeader"]["sourceName"]
    with pytest.raises(AlarmFormatError) as caught:
        parse_alarm(batch)
    assert caught.value.field == "eventList[1].commonEventHeader.sourceName"


def test_parse_result_is_immutable():
    result = parse_records(NATIVE)
    assert isinstance(result, ParseResult)
    with pytest.raises(AttributeError):
        result.format = "x"  # type: ignore[misc]
