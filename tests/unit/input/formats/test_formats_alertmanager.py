"""Alertmanager: element and severity labels, ids, firing/resolved times."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.domain import Alarm
from forewarn.streams.input.formats.alertmanager import fingerprint
from forewarn.streams.input.normalise import parse_records
from tests.unit.input.formats.format_samples import load


def webhook(*, alert: dict[str, Any] | None = None, **labels: str | None) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "SiteDown", "element_id": "site-7", "severity": "critical"},
        "annotations": {"summary": "Site 7 is down", "description": "no heartbeat"},
        "startsAt": "2024-05-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    base.update(alert or {})
    for key, value in labels.items():
        if value is None:
            base["labels"].pop(key, None)
        else:
            base["labels"][key] = value
    return {"version": "4", "status": base["status"], "receiver": "forewarn", "alerts": [base]}


def one(payload: dict[str, Any]) -> Alarm:
    result = parse_records(payload)
    assert result.errors == ()
    [alarm] = result.records
    assert isinstance(alarm, Alarm)
    return alarm


def test_element_id_label_wins_over_instance():
    assert one(webhook(instance="10.0.0.7:9100")).element_id == "site-7"


def test_instance_is_kept_as_it_is_when_there_is_no_element_id_label():
    assert one(webhook(element_id=None, instance="olt-3:9100")).element_id == "olt-3:9100"


def test_alert_naming_no_element_is_rejected_naming_element_id():
    [error] = parse_records(webhook(element_id=None)).errors
    assert error.field == "alerts[0].labels.element_id"


@pytest.mark.parametrize(
    ("label", "severity"),
    [("critical", "critical"), ("MAJOR", "major"), ("minor", "minor"), ("warning", "warning"),
     ("page", "critical"), ("error", "major"), ("info", "warning"), ("none", "warning"),
     ("informational", "warning")],
)
def test_severity_label_maps_to_forewarn_severity(label, severity):
    assert one(webhook(severity=label)).severity == severity


@pytest.mark.parametrize("label", ["high", "low", "P1", ""])
def test_unknown_severity_label_is_rejected_naming_it(label):
    [error] = parse_records(webhook(severity=label)).errors
    assert error.field == "alerts[0].labels.severity"


def test_firing_is_raised_at_starts_at_and_resolved_is_cleared_at_ends_at():
    raised = one(webhook())
    cleared = one(webhook(alert={"status": "resolved", "endsAt": "2024-05-01T10:07:30Z"}))
    assert (raised.state, cleared.state) == ("raised", "cleared")
    assert cleared.event_time - raised.event_time == 450
    assert raised.alarm_id == cleared.alarm_id


def test_resolved_alert_with_zero_end_is_rejected_naming_ends_at():
    [error] = parse_records(webhook(alert={"status": "resolved"})).errors
    assert error.field == "alerts[0].endsAt"
    assert "zero time" in error.problem


def test_without_fingerprint_the_id_is_alertmanager_s_own_fingerprint_of_the_labels():
    sample = load("alertmanager/alerts2_webhook.json")
    for alert in sample["alerts"]:
        assert fingerprint(alert["labels"]) == alert["fingerprint"]
    del sample["alerts"][0]["fingerprint"]
    assert parse_records(sample).records[0].alarm_id == "2c74f4ec6b57d59e"


def test_alertname_is_the_cause_and_summary_the_text():
    alarm = one(webhook())
    assert (alarm.probable_cause, alarm.text) == ("SiteDown", "Site 7 is down")
    alarm = one(webhook(alert={"annotations": {"description": "no heartbeat"}}))
    assert alarm.text == "no heartbeat"


def test_other_webhook_versions_are_rejected_naming_the_version():
    payload = webhook()
    payload["version"] = "3"
    [error] = parse_records(payload).errors
    assert error.field == "version"
