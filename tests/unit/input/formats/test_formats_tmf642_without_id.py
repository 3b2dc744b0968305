"""TMF642 alarms without ``id`` (issue 16, finding 12): accepted, and their clears match.

TMF642 does not require ``id`` on create (the server assigns it); OpenSlice and ServiceNow post
alarms without one. The payloads below are shaped after those implementations' AlarmCreate
bodies (extra fields such as ``ackState``, ``alarmType``, ``sourceSystemId``, ``externalAlarmId``
are theirs and ignored by forewarn).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from forewarn.domain import Alarm
from forewarn.streams.input.formats.limits import MAX_ID_LENGTH
from forewarn.streams.input.normalise import parse_alarm, parse_records
from forewarn.streams.network.elements import ElementStates

#: Shaped after an OpenSlice (osl) TMF642 AlarmCreate: no id, no href.
OPENSLICE: dict[str, Any] = {
    "@type": "Alarm",
    "alarmRaisedTime": "2024-05-01T10:00:00Z",
    "alarmReportingTime": "2024-05-01T10:00:01Z",
    "state": "raised",
    "ackState": "unacknowledged",
    "perceivedSeverity": "major",
    "probableCause": "equipmentMalfunction",
    "specificProblem": "rectifier 3 output low",
    "alarmType": "equipmentAlarm",
    "isRootCause": True,
    "sourceSystemId": "mano-client-service",
    "alarmDetails": "voltage=95",
    "alarmedObject": {"id": "site-7", "@referredType": "Site"},
}

#: Shaped after a ServiceNow TMF642 Alarm Management createAlarm: its own external id only.
SERVICENOW: dict[str, Any] = {
    "externalAlarmId": "EVT0012345",
    "alarmType": "communicationsAlarm",
    "perceivedSeverity": "CRITICAL",
    "probableCause": "lossOfSignal",
    "state": "raised",
    "alarmRaisedTime": "2024-05-01T10:05:00+02:00",
    "sourceSystemId": "now-em",
    "alarmedObject": {"id": "olt-2", "name": "OLT Berlin 2"},
    "affectedService": [{"id": "fibre-access"}],
}


def cleared(alarm: dict[str, Any], at: str = "2024-05-01T11:00:00Z") -> dict[str, Any]:
    out = copy.deepcopy(alarm)
    out.update(state="cleared", perceivedSeverity="cleared", alarmClearedTime=at)
    return out


@pytest.mark.parametrize("payload", [OPENSLICE, SERVICENOW], ids=["openslice", "servicenow"])
def test_a_tmf642_alarm_without_id_is_accepted(payload: dict[str, Any]) -> None:
    alarm = parse_alarm(payload)
    assert alarm.element_id == payload["alarmedObject"]["id"]
    assert alarm.state == "raised"
    assert alarm.severity in ("major", "critical")


def test_an_alarm_without_id_gets_its_element_and_cause_as_id() -> None:
    alarm = parse_alarm(OPENSLICE)
    assert alarm.alarm_id == "site-7|equipmentMalfunction|rectifier 3 output low"


def test_an_alarm_without_id_or_cause_is_keyed_by_its_element_alone() -> None:
    bare = {k: v for k, v in SERVICENOW.items() if k != "probableCause"}
    assert parse_alarm(bare).alarm_id == "olt-2||"


def test_raise_and_clear_without_id_get_the_same_id() -> None:
    assert parse_alarm(OPENSLICE).alarm_id == parse_alarm(cleared(OPENSLICE)).alarm_id


def test_a_clear_without_id_brings_the_element_back() -> None:
    states = ElementStates({})
    assert states.apply(parse_alarm(SERVICENOW)).is_down
    back = states.apply(parse_alarm(cleared(SERVICENOW)))
    assert (back.was_down, back.is_down) == (True, False)


def test_a_clear_with_the_servers_id_matches_an_id_less_raise_by_cause() -> None:
    states = ElementStates({})
    states.apply(parse_alarm(OPENSLICE))
    clear = cleared(OPENSLICE) | {"id": "server-assigned-42"}
    assert not states.apply(parse_alarm(clear)).is_down


def test_two_causes_on_one_element_are_two_alarms() -> None:
    states = ElementStates({})
    other = OPENSLICE | {"probableCause": "powerProblem"}
    states.apply(parse_alarm(OPENSLICE))
    states.apply(parse_alarm(other))
    assert states.apply(parse_alarm(cleared(OPENSLICE))).is_down  # powerProblem still active


def test_a_derived_id_stays_within_the_id_limit_and_stable() -> None:
    long = OPENSLICE | {"probableCause": "c" * 1000, "specificProblem": "p" * 1000}
    first, again = parse_alarm(long), parse_alarm(cleared(long))
    assert len(first.alarm_id) <= MAX_ID_LENGTH
    assert first.alarm_id == again.alarm_id
    other = parse_alarm(long | {"specificProblem": "p" * 999 + "q"})
    assert other.alarm_id != first.alarm_id


def test_an_event_envelope_and_a_clear_task_without_ids_are_accepted() -> None:
    event = {"eventType": "AlarmCreateEvent", "eventTime": "2024-05-01T10:00:00Z",
             "event": {"alarm": {k: v for k, v in OPENSLICE.items() if k != "alarmRaisedTime"}}}
    task = {"@type": "ClearAlarms", "alarmClearedTime": "2024-05-01T11:00:00Z",
            "clearedAlarm": [{"alarmedObject": {"id": "site-7"},
                              "probableCause": "equipmentMalfunction",
                              "specificProblem": "rectifier 3 output low"}]}
    [raised] = parse_records(event).records
    [clear] = parse_records(task).records
    assert isinstance(raised, Alarm) and isinstance(clear, Alarm)
    assert (raised.alarm_id, clear.state) == (clear.alarm_id, "cleared")


def test_a_missing_alarmed_object_is_named_not_the_id() -> None:
    payload = {k: v for k, v in OPENSLICE.items() if k != "alarmedObject"}
    [error] = parse_records(payload).errors
    assert error.field == "alarmedObject"
    assert "id" not in error.fields


@pytest.mark.parametrize("value", [True, 1.5, ["x"], {"x": 1}, "a" * 129])
def test_an_id_that_is_given_must_still_be_a_valid_id(value: object) -> None:
    [error] = parse_records(OPENSLICE | {"id": value}).errors
    assert error.field == "id"
