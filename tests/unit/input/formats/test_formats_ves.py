"""VES 7: NORMAL clears, raise and clear share an alarm id, stndDefined notifications, versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from forewarn.domain import Alarm
from forewarn.streams.input.normalise import parse_records
from tests.unit.input.formats.format_samples import load


def fault(**fields: Any) -> dict[str, Any]:
    event = load("onap_ves/ves7_valid_30_1_1_event.json")
    event["event"]["faultFields"].update(fields)
    return event


def stnd(**data: Any) -> dict[str, Any]:
    event = load("onap_ves/ves_stdnDefined_valid.json")
    event["event"]["stndDefinedFields"]["data"].update(data)
    return event


def one(payload: Any) -> Alarm:
    result = parse_records(payload)
    assert result.errors == ()
    [alarm] = result.records
    assert isinstance(alarm, Alarm)
    return alarm


@pytest.mark.parametrize(
    ("word", "severity"),
    [("CRITICAL", "critical"), ("MAJOR", "major"), ("minor", "minor"), ("WARNING", "warning")],
)
def test_event_severity_maps_to_forewarn_severity(word, severity):
    alarm = one(fault(eventSeverity=word))
    assert (alarm.state, alarm.severity) == ("raised", severity)


def test_normal_severity_is_a_clear_with_the_raise_s_alarm_id():
    raised = one(fault())
    clear_event = fault(eventSeverity="NORMAL")
    clear_event["event"]["commonEventHeader"]["eventId"] = "fault0000999"  # ids often differ
    clear_event["event"]["commonEventHeader"]["lastEpochMicrosec"] = 1413378232000000
    cleared = one(clear_event)
    assert cleared.state == "cleared"
    assert (cleared.alarm_id, cleared.element_id) == (raised.alarm_id, raised.element_id)
    assert (cleared.probable_cause, cleared.specific_problem) == (
        raised.probable_cause, raised.specific_problem,
    )
    assert cleared.event_time == raised.event_time + 60


def test_alarm_interface_is_part_of_the_alarm_id():
    port1 = one(fault(alarmInterfaceA="port-1"))
    port2 = one(fault(alarmInterfaceA="port-2"))
    assert port1.alarm_id != port2.alarm_id
    assert port1.alarm_id.endswith("|port-1")


def test_stnd_defined_cleared_alarm_is_a_clear_of_the_same_alarm_id():
    raised = one(stnd())
    cleared = one(stnd(notificationType="notifyClearedAlarm", perceivedSeverity="CLEARED"))
    assert (cleared.state, cleared.alarm_id) == ("cleared", raised.alarm_id)


def test_stnd_defined_clear_needs_no_severity_but_a_new_alarm_does():
    data_path = ("event", "stndDefinedFields", "data")
    clear_event = stnd(notificationType="notifyClearedAlarm")
    del clear_event["event"]["stndDefinedFields"]["data"]["perceivedSeverity"]
    assert one(clear_event).state == "cleared"
    new = stnd()
    del new["event"]["stndDefinedFields"]["data"]["perceivedSeverity"]
    [error] = parse_records(new).errors
    assert error.field == ".".join([*data_path, "perceivedSeverity"])


def test_stnd_defined_changed_alarm_is_a_raise_with_the_new_severity():
    alarm = one(stnd(notificationType="notifyChangedAlarm", perceivedSeverity="MAJOR"))
    assert (alarm.state, alarm.severity) == ("raised", "major")


@pytest.mark.parametrize("kind", ["notifyAckStateChanged", "notifyComments",
                                  "notifyAlarmListRebuilt"])
def test_stnd_defined_notifications_without_a_fault_are_rejected(kind):
    [error] = parse_records(stnd(notificationType=kind)).errors
    assert error.field == "event.stndDefinedFields.data.notificationType"
    assert error.problem == f"3GPP {kind} carries no fault"


def test_stnd_defined_of_another_namespace_is_rejected_naming_it():
    event = stnd()
    event["event"]["commonEventHeader"]["stndDefinedNamespace"] = "3GPP-Provisioning"
    [error] = parse_records(event).errors
    assert error.field == "event.commonEventHeader.stndDefinedNamespace"


@pytest.mark.parametrize("domain", ["measurement", "heartbeat", "notification", "other"])
def test_non_fault_domains_are_rejected_as_carrying_no_fault(domain):
    event = load("onap_ves/ves7_valid_30_1_1_event.json")
    event["event"]["commonEventHeader"]["domain"] = domain
    [error] = parse_records(event).errors
    assert (error.field, error.problem) == (
        "event.commonEventHeader.domain", f"VES domain {domain!r} carries no fault",
    )


@pytest.mark.parametrize(
    ("field", "value"), [("vesEventListenerVersion", "5.4.1"), ("version", "3.0"),
                         ("version", 1.0)],
)
def test_legacy_versions_are_rejected_naming_the_version(field, value):
    event = load("onap_ves/ves7_valid_30_1_1_event.json")
    header = event["event"]["commonEventHeader"]
    header.pop("vesEventListenerVersion")
    header[field] = value
    [error] = parse_records(event).errors
    assert error.field == f"event.commonEventHeader.{field}"


def test_event_without_any_version_is_read_as_ves_7():
    event = load("onap_ves/ves7_valid_30_1_1_event.json")
    header = event["event"]["commonEventHeader"]
    del header["vesEventListenerVersion"], header["version"]
    assert one(event).severity == "critical"


def test_unknown_extra_fields_everywhere_are_tolerated():
    event = copy.deepcopy(load("onap_ves/ves7_valid_30_1_1_event.json"))
    event["vendor"] = {"x": 1}
    event["event"]["vendorFields"] = [1, 2]
    event["event"]["commonEventHeader"]["internalHeaderFields"] = {"y": "z"}
    event["event"]["faultFields"]["eventCategory"] = "link"
    assert one(event) == one(load("onap_ves/ves7_valid_30_1_1_event.json"))
