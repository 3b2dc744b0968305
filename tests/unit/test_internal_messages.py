"""Typed internal messages: each encodes to exactly the JSON it travelled as before it had a
type (a rolling upgrade mixes old and new workers), decodes back to an equal value, and an
object no decoder knows is an error naming what is wrong, never a drain."""

from __future__ import annotations

import json
from typing import Any

import pytest

from forewarn.domain import Alarm, IncidentUpdate, MaintenanceWindow
from forewarn.streams import records
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.records import (
    Decisions,
    Drain,
    EventTick,
    ImpactMessage,
    IndexReload,
    MergeMessage,
    Normalised,
    PlannedMessage,
    UnknownRecord,
    UpdateMessage,
    WallClock,
    WindowEndMessage,
)

ALARM = Alarm("a-1", "S-A", "raised", "critical", 1_700_000_000.0, "power")

# Each typed value and the JSON object the code wrote before messages were typed, written
# out by hand in the order of the old dict literals (network/stage.py, records.py, app.py).
IMPACTS_WIRE: list[tuple[Any, str]] = [
    (ImpactMessage(5.0, "inc-1", "S-A", "site", {"mobile": ["c-1"]}, {}),
     '{"kind": "impact", "at": 5.0, "incident_id": "inc-1", "cause_element": "S-A", '
     '"cause_type": "site", "out": {"mobile": ["c-1"]}, "back": {}}'),
    (ImpactMessage(5.0, "mw-1", "S-A", "maintenance", {}, {}, {"fibre": ["c-2"]}, "mw-1", 4.5),
     '{"kind": "impact", "at": 5.0, "incident_id": "mw-1", "cause_element": "S-A", '
     '"cause_type": "maintenance", "out": {}, "back": {}, "planned": {"fibre": ["c-2"]}, '
     '"maintenance_id": "mw-1", "ingested_at": 4.5}'),
    (EventTick(7.0), '{"kind": "tick", "at": 7.0}'),
    (PlannedMessage(10.0, "mw-1", 20.0, 30.0, None, {"mobile": ["c-1"]}, ["S-A"], 1.0),
     '{"kind": "planned", "at": 10.0, "maintenance_id": "mw-1", "start": 20.0, "end": 30.0, '
     '"text": null, "customers": {"mobile": ["c-1"]}, "elements": ["S-A"], "announced": 1.0}'),
    (WindowEndMessage(30.0, "mw-1", {"mobile": ["c-1"]}),
     '{"kind": "window_end", "at": 30.0, "maintenance_id": "mw-1", '
     '"customers": {"mobile": ["c-1"]}}'),
    (UpdateMessage(8.0, "inc-1", 100.0, "crew on site"),
     '{"kind": "update", "at": 8.0, "incident_id": "inc-1", "eta": 100.0, '
     '"message": "crew on site"}'),
    (MergeMessage(9.0, "inc-2", "inc-1", "S-A", "site"),
     '{"kind": "merge", "at": 9.0, "from_incident": "inc-2", "into_incident": "inc-1", '
     '"cause_element": "S-A", "cause_type": "site"}'),
    (Drain("t-1"), '{"control": "drain", "token": "t-1"}'),
]
RAW_WIRE: list[tuple[Any, str]] = [
    (WallClock(12.5), '{"control": "tick", "at": 12.5}'),
    (Drain("t-1"), '{"control": "drain", "token": "t-1"}'),
    (IndexReload("v2", 3.0), '{"control": "reload", "version": "v2", "at": 3.0}'),
    (Normalised(ALARM), '{"control": "normalised", "record": {"record": "alarm", '
     '"alarm_id": "a-1", "element_id": "S-A", "state": "raised", "severity": "critical", '
     '"event_time": 1700000000.0, "probable_cause": "power", "specific_problem": null, '
     '"text": null, "source_format": "native"}}'),
]
OUTBOX_WIRE: list[tuple[Any, str]] = [
    (Decisions([{"customer_id": "c-1"}]),
     '{"kind": "decisions", "items": [{"customer_id": "c-1"}]}'),
    (EventTick(7.0), '{"kind": "tick", "at": 7.0}'),
    (Drain("t-1"), '{"control": "drain", "token": "t-1"}'),
]


@pytest.mark.parametrize(("message", "wire"), IMPACTS_WIRE)
def test_impacts_messages_keep_their_wire_format_and_decode_back(message: Any, wire: str) -> None:
    assert json.dumps(message.to_wire()) == wire
    assert records.decode_impacts(json.loads(wire)) == [message]


@pytest.mark.parametrize(("message", "wire"), RAW_WIRE)
def test_alarms_raw_controls_keep_their_wire_format_and_decode_back(message: Any,
                                                                    wire: str) -> None:
    assert json.dumps(message.to_wire()) == wire
    assert records.decode_raw_control(json.loads(wire)) == message


@pytest.mark.parametrize(("message", "wire"), OUTBOX_WIRE)
def test_outbox_messages_keep_their_wire_format_and_decode_back(message: Any, wire: str) -> None:
    assert json.dumps(message.to_wire()) == wire
    assert records.decode_outbox(json.loads(wire)) == message


def test_a_maintenance_window_travels_parsed_with_its_elements_as_a_tuple() -> None:
    window = MaintenanceWindow("mw-1", ("S-A", "S-B"), 20.0, 30.0, "works", 1.0)
    wire = json.loads(json.dumps(Normalised(window).to_wire()))
    assert wire["record"]["elements"] == ["S-A", "S-B"]
    assert records.decode_raw_control(wire) == Normalised(window)


def test_a_batch_decodes_to_its_messages_in_order_with_unknown_ones_in_place() -> None:
    batch = json.loads(records.join_batch([json.dumps(m.to_wire()).encode()
                                           for m, _ in IMPACTS_WIRE[:3]]
                                          + [b'{"kind": "surprise"}']))
    decoded = records.decode_impacts(batch)
    assert decoded[:3] == [m for m, _ in IMPACTS_WIRE[:3]]
    assert isinstance(decoded[3], UnknownRecord) and "surprise" in decoded[3].reason


@pytest.mark.parametrize(("value", "named"), [
    ({"control": "flush"}, "'flush'"),
    ({"control": "tick"}, "'tick'"),             # no "at"
    ({"control": "reload", "at": 1.0}, "'reload'"),  # no version
])
def test_an_unknown_or_malformed_control_on_alarms_raw_is_an_error_naming_it(
    value: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnknownRecord, match=named) as raised:
        records.decode_raw_control(value)
    assert raised.value.topic == "alarms.raw"


def test_the_input_stage_dead_letters_an_unknown_control_and_takes_the_next_record() -> None:
    stage = NormaliseStage()
    accepted, dead = stage.handle(b'{"control": "flush", "token": "x"}')
    assert accepted == [] and len(dead) == 1
    assert dead[0]["field"] == "control" and "flush" in dead[0]["reason"]
    accepted, dead = stage.handle(json.dumps(records.tick_record(5.0)))
    assert accepted == [WallClock(5.0)] and dead == []
    accepted, _ = stage.handle(json.dumps(records.normalised(ALARM)))
    assert accepted == [ALARM]  # HTTP ingest's parsed record, not parsed again


def test_an_impact_message_counts_its_changes_without_building_them() -> None:
    message = ImpactMessage(1.0, "i", "e", "site", {"mobile": ["a", "b"]}, {"fibre": ["c"]},
                            {"mobile": ["d"]})
    assert message.changes() == 4


def test_a_noc_confirmation_keeps_confirm_on_alarms_raw_and_an_ordinary_update_travels_as_before():
    confirm = IncidentUpdate(1_700_000_000.0, incident_id="INC-1", confirm=True)
    plain = IncidentUpdate(1_700_000_000.0, element_id="PON-1", message="crew on site")
    assert records.input_from_record(records.input_to_record(confirm)) == confirm
    assert "confirm" not in records.input_to_record(plain)
    assert records.input_from_record(records.input_to_record(plain)) == plain
