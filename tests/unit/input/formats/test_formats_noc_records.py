"""Maintenance windows and incident updates from the NOC (CONTRACT §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from forewarn.domain import IncidentUpdate, MaintenanceWindow
from forewarn.streams.input.normalise import parse_records

START = datetime(2024, 5, 3, 1, 0, tzinfo=UTC).timestamp()


def maintenance(**fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7", "olt-2"],
        "start": "2024-05-03T03:00:00+02:00", "end": "2024-05-03T05:00:00Z",
    }
    obj.update(fields)
    return {k: v for k, v in obj.items() if v is not None}


def update(**fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "incident_update", "event_time": "2024-05-01T10:30:00Z"}
    obj.update(fields)
    return obj


def test_maintenance_window_becomes_posix_times_with_its_elements():
    [window] = parse_records(maintenance(text="Upgrade", event_time="2024-05-01T09:00:00Z")).records
    assert window == MaintenanceWindow(
        maintenance_id="m-1", elements=("site-7", "olt-2"), start=START, end=START + 4 * 3600,
        text="Upgrade", event_time=datetime(2024, 5, 1, 9, tzinfo=UTC).timestamp(),
        source_format="maintenance",
    )


def test_maintenance_without_announcement_time_leaves_it_unset():
    [window] = parse_records(maintenance()).records
    assert window.event_time is None


def test_maintenance_repeating_an_element_names_it_once():
    [window] = parse_records(maintenance(elements=["a", "b", "a"])).records
    assert window.elements == ("a", "b")


@pytest.mark.parametrize("end", ["2024-05-03T01:00:00Z", "2024-05-03T00:00:00Z"])
def test_maintenance_ending_before_or_at_its_start_is_rejected_naming_end(end):
    [error] = parse_records(maintenance(end=end)).errors
    assert (error.field, error.problem) == ("end", "must be after start")


@pytest.mark.parametrize(
    ("elements", "field"), [([], "elements"), (["site-7", ""], "elements[1]"),
                            (["site-7", 3], "elements[1]"), ("site-7", "elements")],
)
def test_maintenance_elements_must_be_a_non_empty_list_of_ids(elements, field):
    [error] = parse_records(maintenance(elements=elements)).errors
    assert error.field == field


@pytest.mark.parametrize(
    "names", [{"incident_id": "inc-1"}, {"element_id": "site-7"},
              {"incident_id": "inc-1", "element_id": "site-7"}],
)
def test_incident_update_names_its_incident_or_an_element_of_it(names):
    [record] = parse_records(update(eta="2024-05-01T14:00:00+02:00", **names)).records
    assert isinstance(record, IncidentUpdate)
    assert (record.incident_id, record.element_id) == (
        names.get("incident_id"), names.get("element_id"),
    )
    assert record.eta == datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp()
    assert record.source_format == "incident_update"


def test_incident_update_naming_neither_incident_nor_element_is_rejected():
    [error] = parse_records(update(message="crew on site")).errors
    assert error.field == "incident_id"
    assert "element_id" in error.problem


def test_incident_update_message_without_eta_is_kept():
    [record] = parse_records(update(incident_id="inc-1", message="crew on site")).records
    assert (record.eta, record.message) == (None, "crew on site")


def test_unknown_record_type_is_rejected_naming_type():
    [error] = parse_records({"type": "outage_report", "site": "x"}).errors
    assert error.field == "type"


def test_incident_update_confirm_true_confirms_a_suspected_incident():
    [record] = parse_records(update(incident_id="INC-1", confirm=True)).records
    assert isinstance(record, IncidentUpdate) and record.confirm is True


def test_incident_update_without_confirm_is_no_confirmation():
    [record] = parse_records(update(incident_id="INC-1")).records
    assert isinstance(record, IncidentUpdate) and record.confirm is False


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_incident_update_confirm_other_than_a_json_boolean_is_rejected_naming_confirm(value):
    [error] = parse_records(update(element_id="PON-1", confirm=value)).errors
    assert error.field == "confirm"
