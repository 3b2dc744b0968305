"""A record with several problems is rejected naming every one (issue 16, finding 12).

One error per rejected item (so rejected counts stay counts of items), whose ``fields`` list
each offending field and whose text (``str``, ``problem``) names them all, so a 400 answer
or a dead letter tells a sender everything to fix in one round trip.
"""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.streams.input.formats.schema import MAX_PROBLEMS
from forewarn.streams.input.normalise import dead_letter_for, parse_records

NATIVE = {"alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
          "event_time": "2024-05-01T10:00:00Z"}
TMF642 = {"id": "1", "alarmedObject": {"id": "site-7"}, "perceivedSeverity": "major",
          "state": "raised", "alarmRaisedTime": "2024-05-01T10:00:00Z"}
VES = {"event": {"commonEventHeader": {"domain": "fault", "sourceName": "site-7",
                                       "lastEpochMicrosec": 1714557600000000},
                 "faultFields": {"eventSeverity": "MAJOR", "alarmCondition": "linkDown"}}}
ALERT = {"status": "firing", "labels": {"element_id": "site-7", "severity": "critical"},
         "startsAt": "2024-05-01T10:00:00Z"}
MAINTENANCE = {"type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7"],
               "start": "2024-05-03T01:00:00Z", "end": "2024-05-03T05:00:00Z"}
UPDATE = {"type": "incident_update", "incident_id": "inc-1", "event_time": "2024-05-01T10:30:00Z"}


def drop(obj: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in names}


CASES: list[tuple[str, Any, list[str]]] = [
    ("native", drop(NATIVE, "element_id") | {"severity": "huge", "event_time": "noon"},
     ["element_id", "severity", "event_time"]),
    ("tmf642 without alarmedObject or time", drop(TMF642, "alarmedObject", "alarmRaisedTime"),
     ["alarmedObject", "alarmRaisedTime"]),
    ("tmf642 event", {"eventType": "AlarmCreateEvent",
                      "event": {"alarm": drop(TMF642, "alarmedObject", "perceivedSeverity")}},
     ["event.alarm.alarmedObject", "event.alarm.perceivedSeverity"]),
    ("ves fault", {"event": {"commonEventHeader": drop(VES["event"]["commonEventHeader"],
                                                       "sourceName"),
                             "faultFields": {"eventSeverity": "LOUD"}}},
     ["event.commonEventHeader.sourceName", "event.faultFields.eventSeverity",
      "event.faultFields.alarmCondition"]),
    ("ves legacy version and missing source",
     {"event": {"commonEventHeader": {"domain": "fault", "version": "3.0",
                                      "lastEpochMicrosec": 1714557600000000},
                "faultFields": VES["event"]["faultFields"]}},
     ["event.commonEventHeader.version", "event.commonEventHeader.sourceName"]),
    ("alertmanager", {"alerts": [{"status": "firing", "labels": {"severity": "loud"}}]},
     ["alerts[0].labels.element_id", "alerts[0].labels.severity", "alerts[0].startsAt"]),
    ("maintenance", drop(MAINTENANCE, "maintenance_id") | {"end": "2024-05-02T00:00:00Z",
                                                           "elements": []},
     ["maintenance_id", "elements", "end"]),
    ("incident update", {"type": "incident_update", "message": 17},
     ["incident_id", "event_time", "message"]),
]


@pytest.mark.parametrize(("payload", "fields"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_every_offending_field_of_one_record_is_named(payload: Any, fields: list[str]) -> None:
    result = parse_records(payload)
    [error] = result.errors  # one error per rejected item
    assert set(fields) <= set(error.fields), error
    for field in fields:
        assert f"{field}: " in str(error)
        assert field == error.field or field in error.problem


def test_the_first_named_field_is_the_first_in_field_order() -> None:
    [error] = parse_records(drop(NATIVE, "alarm_id", "event_time")).errors
    assert error.fields == ("alarm_id", "event_time")


def test_every_field_is_named_inside_an_array_too() -> None:
    bad = drop(NATIVE, "element_id") | {"state": "up"}
    result = parse_records([NATIVE, bad, NATIVE])
    assert len(result.records) == 2
    [error] = result.errors
    assert error.fields == ("[1].element_id", "[1].state")


def test_the_dead_letter_names_every_field() -> None:
    [error] = parse_records(drop(TMF642, "alarmedObject", "perceivedSeverity")).errors
    letter = dead_letter_for(error)
    assert "alarmedObject" in letter["reason"] and "perceivedSeverity" in letter["reason"]
    assert letter["field"] == "alarmedObject"


def test_a_flood_of_bad_labels_lists_a_bounded_number_of_problems() -> None:
    labels: dict[str, Any] = {f"l{i}": i for i in range(5000)}
    alert = ALERT | {"labels": ALERT["labels"] | labels}
    [error] = parse_records({"alerts": [alert]}).errors
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1] == ("...", f"{5000 - MAX_PROBLEMS} more fields are invalid")
