"""TMF642: what counts as a clear, which time is used, severities, events and task resources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from forewarn.streams.input.normalise import parse_records
from tests.unit.input.formats.format_samples import load

RAISED = datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp()
CHANGED = RAISED + 60
CLEARED = RAISED + 600
EVENT = RAISED + 900


def resource(**fields: Any) -> dict[str, Any]:
    alarm: dict[str, Any] = {
        "id": "4711", "alarmedObject": {"id": "site-7"}, "perceivedSeverity": "MAJOR",
        "state": "raised", "alarmRaisedTime": "2024-05-01T10:00:00Z",
        "probableCause": "powerProblem", "specificProblem": "mains lost",
    }
    alarm.update(fields)
    return {k: v for k, v in alarm.items() if v is not None}


def event(event_type: str, alarm: dict[str, Any]) -> dict[str, Any]:
    return {"eventId": "e-1", "eventType": event_type, "eventTime": "2024-05-01T10:15:00Z",
            "event": {"alarm": alarm}}


def one(payload: Any) -> Any:
    result = parse_records(payload)
    assert result.errors == ()
    [alarm] = result.records
    return alarm


@pytest.mark.parametrize(
    ("word", "severity"),
    [("CRITICAL", "critical"), ("major", "major"), ("Minor", "minor"), ("WARNING", "warning"),
     ("INDETERMINATE", "warning")],
)
def test_perceived_severity_maps_case_insensitively_and_indeterminate_is_a_warning(word, severity):
    alarm = one(resource(perceivedSeverity=word))
    assert (alarm.state, alarm.severity) == ("raised", severity)


@pytest.mark.parametrize(
    "fields",
    [{"state": "cleared", "alarmClearedTime": "2024-05-01T10:10:00Z"},
     {"perceivedSeverity": "CLEARED", "alarmClearedTime": "2024-05-01T10:10:00Z"},
     {"state": "CLEARED", "perceivedSeverity": "cleared",
      "alarmClearedTime": "2024-05-01T10:10:00Z"}],
)
def test_cleared_state_or_cleared_severity_is_a_clear_at_the_cleared_time(fields):
    alarm = one(resource(**fields))
    assert (alarm.alarm_id, alarm.element_id, alarm.state) == ("4711", "site-7", "cleared")
    assert alarm.event_time == CLEARED


def test_updated_state_is_a_raise_at_its_changed_time():
    alarm = one(resource(state="updated", alarmChangedTime="2024-05-01T10:01:00Z"))
    assert (alarm.state, alarm.event_time) == ("raised", CHANGED)


def test_missing_state_is_derived_from_the_severity():
    assert one(resource(state=None)).state == "raised"
    assert one(resource(state=None, perceivedSeverity="cleared",
                        alarmClearedTime="2024-05-01T10:10:00Z")).state == "cleared"


def test_integer_id_of_the_v4_swagger_is_accepted_as_text():
    assert one(resource(id=4711)).alarm_id == "4711"


@pytest.mark.parametrize(
    ("event_type", "state"),
    [("AlarmCreateEvent", "raised"), ("AlarmAttributeValueChangeEvent", "raised"),
     ("AlarmStateChangeEvent", "raised"), ("AlarmClearedEvent", "cleared"),
     ("AlarmDeleteEvent", "cleared")],
)
def test_alarm_events_carry_their_alarm_and_cleared_or_deleted_events_clear_it(event_type, state):
    alarm = one(event(event_type, resource()))
    assert (alarm.alarm_id, alarm.state) == ("4711", state)


def test_a_clear_without_cleared_time_is_placed_at_the_event_time_not_the_raise():
    alarm = one(event("AlarmClearedEvent", resource(alarmChangedTime="2024-05-01T10:01:00Z")))
    assert alarm.event_time == EVENT


def test_a_raise_without_own_times_is_placed_at_the_event_time():
    assert one(event("AlarmCreateEvent", resource(alarmRaisedTime=None))).event_time == EVENT


def test_a_resource_without_any_usable_time_names_the_time_it_lacks():
    result = parse_records(resource(alarmRaisedTime=None))
    assert [e.field for e in result.errors] == ["alarmRaisedTime"]
    result = parse_records(resource(state="cleared"))
    assert [e.field for e in result.errors] == ["alarmClearedTime"]


def test_envelope_without_event_type_is_read_from_its_alarm():
    envelope = event("AlarmCreateEvent", resource())
    del envelope["eventType"]
    assert one(envelope).state == "raised"


def test_unknown_event_type_is_named():
    result = parse_records(event("AlarmEscalatedEvent", resource()))
    [error] = result.errors
    assert error.field == "eventType"
    assert "unknown TMF642 event type 'AlarmEscalatedEvent'" in error.problem


def test_clear_alarms_task_event_yields_the_clears():
    task = load("tmf642/ClearAlarms.example.json")
    payload = {"eventType": "ClearAlarmsStateChangeEvent", "event": {"clearAlarms": task}}
    assert [a.state for a in parse_records(payload).records] == ["cleared", "cleared"]


def test_clear_alarms_task_entry_that_is_only_a_reference_is_rejected_by_itself():
    task = load("tmf642/ClearAlarms.example.json")
    task["clearedAlarm"][0] = {"id": "8675309", "href": "/alarmManagement/v4/alarm/8675309"}
    result = parse_records(task)
    assert [a.alarm_id for a in result.records] == ["8675399"]
    [error] = result.errors
    assert error.field == "clearedAlarm[0].alarmedObject"
    assert "a clear by reference alone names no element" in error.problem


def test_clear_alarms_entry_without_own_cleared_time_uses_the_task_time():
    task = load("tmf642/ClearAlarms.example.json")
    del task["clearedAlarm"][1]["alarmClearedTime"]
    alarms = parse_records(task).records
    assert alarms[1].event_time == alarms[0].event_time


@pytest.mark.parametrize(
    ("event_type", "key", "words"),
    [("AckAlarmsCreateEvent", "ackAlarms", "an acknowledgement"),
     ("UnAckAlarmsStateChangeEvent", "unAckAlarms", "an acknowledgement"),
     ("CommentAlarmsCreateEvent", "commentAlarms", "a comment"),
     ("GroupAlarmsCreateEvent", "groupAlarms", "a grouping of alarms"),
     ("UnGroupAlarmsCreateEvent", "unGroupAlarms", "a grouping of alarms")],
)
def test_task_events_that_change_no_fault_are_rejected_saying_so(event_type, key, words):
    result = parse_records({"eventType": event_type, "event": {key: {"id": "1"}}})
    [error] = result.errors
    assert error.field == f"event.{key}"
    assert error.problem.endswith(f"{words}, not a fault")
