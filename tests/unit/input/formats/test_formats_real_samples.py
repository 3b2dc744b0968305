"""Every real sample in ../shared/data/alarms, read unmodified, is parsed or rejected as decided.

Samples that carry a fault become alarms (element, severity, state, time asserted for some);
samples that carry none are rejected with a reason that says why: TMF642 acknowledgement and
grouping tasks, the legacy VES 4 event, the O-RAN templates with unfilled placeholders, and
the O-RAN M-plane XML notification (not JSON).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from forewarn.domain import Alarm
from forewarn.streams.input.normalise import parse_line, parse_records
from tests.unit.input.formats.format_samples import ALARMS, load, markdown_payloads, read_text


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


FAULT_SAMPLES = {
    # file: (format, number of alarms)
    "tmf642/Alarm.example.json": ("tmf642", 1),
    "tmf642/ClearAlarms.example.json": ("tmf642", 2),
    "onap_ves/ves7_valid_30_1_1_event.json": ("ves", 1),
    "onap_ves/ves7_batch_valid.json": ("ves", 2),
    "onap_ves/ves7_batch_valid_two_different_domain.json": ("ves", 2),
    "onap_ves/ves7_batch_with_stndDefined_valid.json": ("ves", 2),
    "onap_ves/ves_stdnDefined_valid.json": ("ves", 1),
    "alertmanager/alerts2_webhook.json": ("alertmanager", 10),
    "alertmanager/example_with_external_labels_webhook.json": ("alertmanager", 10),
}


@pytest.mark.parametrize("name", sorted(FAULT_SAMPLES))
def test_every_sample_that_carries_a_fault_is_parsed_unmodified(name):
    fmt, count = FAULT_SAMPLES[name]
    result = parse_line(read_text(name))
    assert result.errors == ()
    assert result.format == fmt
    assert len(result.records) == count
    assert all(isinstance(r, Alarm) and r.source_format == fmt for r in result.records)


def test_the_shared_samples_are_all_accounted_for():
    if not ALARMS.is_dir():
        pytest.skip("shared samples not available")
    decided = {*FAULT_SAMPLES, *NO_FAULT_SAMPLES, "oran_sc_oam/alarm_notif.xml",
               "alertmanager/Testing.md"}
    present = {
        p.relative_to(ALARMS).as_posix() for p in ALARMS.rglob("*")
        if p.suffix in {".json", ".xml", ".md"} and "swagger" not in p.name
        and not p.name.startswith("CommonEventFormat")
    }
    assert present <= decided


def test_tmf642_alarm_resource_is_a_raise_at_its_changed_time():
    [alarm] = parse_records(load("tmf642/Alarm.example.json")).records
    assert alarm == Alarm(
        alarm_id="8675309", element_id="93051825", state="raised", severity="major",
        event_time=utc(2019, 7, 3, 3, 32, 52) + 0.744, probable_cause="rectifierLowVoltage",
        specific_problem="ps=3,sl=1,in=8", text="voltage=95", source_format="tmf642",
    )


def test_tmf642_clear_alarms_task_clears_each_cleared_alarm_at_its_cleared_time():
    alarms = parse_records(load("tmf642/ClearAlarms.example.json")).records
    assert [(a.alarm_id, a.element_id, a.state) for a in alarms] == [
        ("8675309", "93051825", "cleared"), ("8675399", "95830731", "cleared"),
    ]
    assert {a.event_time for a in alarms} == {utc(2019, 7, 3, 3, 55, 45) + 0.937}


def test_tmf642_clear_matches_the_raise_it_clears():
    [raised] = parse_records(load("tmf642/Alarm.example.json")).records
    first_clear = parse_records(load("tmf642/ClearAlarms.example.json")).records[0]
    assert (first_clear.alarm_id, first_clear.element_id) == (raised.alarm_id, raised.element_id)


def test_ves_fault_event_names_source_severity_condition_and_microsecond_time():
    [alarm] = parse_records(load("onap_ves/ves7_valid_30_1_1_event.json")).records
    assert alarm.element_id == "scfx0001vm002cap001"
    assert (alarm.state, alarm.severity) == ("raised", "critical")
    assert alarm.event_time == 1413378172.0
    assert alarm.probable_cause == "PilotNumberPoolExhaustion"
    assert alarm.specific_problem == "Calls cannot complete - pilot numbers are unavailable"
    assert alarm.alarm_id == "scfx0001vm002cap001|PilotNumberPoolExhaustion"


def test_ves_batch_keeps_each_event_with_its_own_time():
    alarms = parse_records(load("onap_ves/ves7_batch_valid.json")).records
    assert [a.event_time for a in alarms] == [1413378172.0, 1413378172.00001]
    assert len({a.alarm_id for a in alarms}) == 2


def test_ves_stnd_defined_new_alarm_is_a_raise_with_indeterminate_as_warning():
    [alarm] = parse_records(load("onap_ves/ves_stdnDefined_valid.json")).records
    assert (alarm.element_id, alarm.state, alarm.severity) == (
        "scfx0001vm002cap001", "raised", "warning",
    )
    assert (alarm.alarm_id, alarm.probable_cause, alarm.specific_problem) == (
        "scfx0001vm002cap001|1", "1", "xyz",
    )


def test_ves_batch_of_two_domains_yields_the_fault_and_the_stnd_defined_alarm():
    alarms = parse_records(load("onap_ves/ves7_batch_valid_two_different_domain.json")).records
    assert [a.severity for a in alarms] == ["critical", "warning"]


def test_alertmanager_webhook_yields_one_alarm_per_alert_keyed_by_fingerprint():
    payload = load("alertmanager/alerts2_webhook.json")
    alarms = parse_records(payload).records
    assert [a.alarm_id for a in alarms] == [alert["fingerprint"] for alert in payload["alerts"]]
    first = alarms[0]
    assert first.element_id == "ansibleic.devops.iskratel.cloud:9100"
    assert (first.state, first.severity) == ("raised", "major")
    assert first.event_time == utc(2021, 12, 7, 16, 16, 52) + 0.795
    assert (first.probable_cause, first.text) == (
        "Server Is Not Monitored", "Exporter node-exporter is down",
    )


def test_alertmanager_nanosecond_start_times_are_read():
    alarms = parse_records(load("alertmanager/example_with_external_labels_webhook.json")).records
    assert alarms[0].event_time == pytest.approx(utc(2021, 12, 7, 14, 26, 49) + 0.066423235)
    assert {a.severity for a in alarms} == {"critical", "warning"}


def test_alertmanager_payloads_in_testing_md_fire_and_resolved_without_end_is_rejected():
    firing, resolved = markdown_payloads("alertmanager/Testing.md")
    fired = parse_records(firing)
    assert [a.element_id for a in fired.records] == ["172.29.254.30", "172.29.254.50",
                                                     "172.29.254.66"]
    assert fired.errors == ()
    # Its "resolved" alerts keep Go's zero endsAt: no instant to clear at, so each is named.
    gone = parse_records(resolved)
    assert gone.records == ()
    assert [e.field for e in gone.errors] == [f"alerts[{i}].endsAt" for i in range(3)]


NO_FAULT_SAMPLES = {
    # file: (field, words in the problem)
    "tmf642/AckAlarms.example.json": ("<record>", "an acknowledgement, not a fault"),
    "tmf642/GroupAlarms.example.json": ("<record>", "a grouping of alarms, not a fault"),
    "onap_ves/ves4_valid.json": ("event.commonEventHeader.version", "legacy VES"),
    "oran_sc_oam/fault.json": ("event.commonEventHeader.domain", "placeholder @domain@"),
    "oran_sc_oam/stndDefined-r18-notify-new-alarm.json": (
        "event.commonEventHeader.domain", "placeholder @domain@",
    ),
    "oran_sc_oam/stndDefined-r18-notify-cleared-alarm.json": (
        "event.commonEventHeader.domain", "placeholder @domain@",
    ),
}


@pytest.mark.parametrize("name", sorted(NO_FAULT_SAMPLES))
def test_samples_without_a_fault_are_rejected_with_the_reason(name):
    field, words = NO_FAULT_SAMPLES[name]
    result = parse_line(read_text(name))
    assert result.records == ()
    [error] = result.errors
    assert error.field == field
    assert words in error.problem


def test_xml_alarm_notification_is_not_json():
    result = parse_line(read_text("oran_sc_oam/alarm_notif.xml"))
    [error] = result.errors
    assert error.field == "<line>"
    assert error.problem.startswith("not valid JSON")


FILLED = {
    "@domain@": None, "@timestamp@": 1722506403120000, "@eventTime@": "2024-08-01T10:00:03Z",
    "@severity@": "MAJOR", "@pnfId@": "o-ru-11", "@alarm@": "TCA", "@eventId@": "e-1",
    "@eventType@": "O_RAN_COMPONENT", "@controllerName@": "sdnr", "@type@": "O-RU",
    "@vendor@": "acme", "@model@": "m1", "@interface@": "port-1",
}


@pytest.mark.parametrize(
    ("name", "domain", "state"),
    [
        ("oran_sc_oam/fault.json", "fault", "raised"),
        ("oran_sc_oam/stndDefined-r18-notify-new-alarm.json", "stndDefined", "raised"),
        ("oran_sc_oam/stndDefined-r18-notify-cleared-alarm.json", "stndDefined", "cleared"),
    ],
)
def test_oran_templates_parse_once_their_placeholders_are_filled(name, domain, state):
    text = read_text(name)
    for placeholder, value in {**FILLED, "@domain@": domain}.items():
        text = text.replace(f'"{placeholder}"', json.dumps(value)).replace(placeholder, str(value))
    [alarm] = parse_line(text).records
    assert (alarm.element_id, alarm.state, alarm.event_time) == ("o-ru-11", state, 1722506403.12)
