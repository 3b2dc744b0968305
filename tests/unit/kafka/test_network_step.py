"""``NetworkStep``: one raw record through the input and network stages, reported through
``PipelineHooks`` (no broker: the stages are plain objects, the network a recording stub)."""

from __future__ import annotations

import json
import time
from typing import Any

from forewarn.domain import Alarm, from_iso
from forewarn.geo import RegionIndex, load_region
from forewarn.streams import records
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.hooks import NO_HOOKS, PipelineHooks
from forewarn.streams.kafka.network_step import NetworkStep
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.network.events import ContactSeen, SuspicionEvent
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.incident_lifecycle import IncidentLifecycle
from forewarn.streams.network.stage import NetworkStage
from tests.forewarn_testing import TINY
from tests.unit.network.network_helpers import correlator

NAMES = TopicNames("t.")
ALARM = {"alarm_id": "a-1", "element_id": "S-A", "state": "raised", "severity": "critical",
         "event_time": "2026-11-22T14:00:00+01:00"}


class StubNetwork:
    """Answers every parsed record with one impact on partition 1; remembers what it got."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.lifecycle = IncidentLifecycle()
        self.sensed: list[Any] = []  # what the next take_sensed hands over

    def take_incident_events(self) -> list[Any]:
        return []

    def take_sensed(self) -> list[Any]:
        taken, self.sensed = self.sensed, []
        return taken

    def take_local(self) -> list[tuple[int, Any]]:
        return []  # per-customer messages for the board: none

    def handle(self, value: Any, received_at: float | None = None) -> list[tuple[int, Any]]:
        self.seen.append(value)
        if isinstance(value, records.WallClock):
            return [(0, records.EventTick(value.at).to_wire())]
        return [(1, records.ImpactMessage(1.0, "inc-1", "S-A", "site",
                                          {"mobile": ["c-1"]}, {}).to_wire())]


class Recording(PipelineHooks):
    def __init__(self) -> None:
        self.records: list[float] = []

    def on_record(self, timestamp: float) -> None:
        self.records.append(timestamp)


class StubWebhook:
    def __init__(self) -> None:
        self.submitted: list[SuspicionEvent] = []

    def submit(self, event: SuspicionEvent) -> None:
        self.submitted.append(event)


def step(hooks: PipelineHooks = NO_HOOKS, webhook: StubWebhook | None = None,
         board: IncidentBoard | None = None) -> tuple[NetworkStep, StubNetwork]:
    network = StubNetwork()
    return NetworkStep(NormaliseStage(), network,  # type: ignore[arg-type]
                       board if board is not None else IncidentBoard(), NAMES,
                       clock=time.time, hooks=hooks, webhook=webhook), network  # type: ignore[arg-type]


def test_a_record_is_reported_once_and_its_impact_carries_the_ingest_timestamp() -> None:
    hooks = Recording()
    network_step, network = step(hooks)
    out = network_step(json.dumps(ALARM).encode(), 123.5)
    assert isinstance(network.seen[0], Alarm)  # parsed once, handed on as the record
    assert [(o.topic, o.partition) for o in out] == [(NAMES.impacts, 1)]
    assert json.loads(out[0].value)["ingested_at"] == 123.5
    assert hooks.records == [123.5]


def test_a_wall_clock_tick_is_not_reported_as_a_record() -> None:
    hooks = Recording()
    network_step, network = step(hooks)
    out = network_step(json.dumps(records.tick_record(50.0)).encode(), 50.0)
    assert network.seen == [records.WallClock(50.0)]
    assert json.loads(out[0].value) == {"kind": "tick", "at": 50.0}
    assert hooks.records == []


def test_an_unknown_control_record_goes_to_the_dead_letters_not_to_the_network() -> None:
    network_step, network = step()
    out = network_step(b'{"control": "flush"}', 1.0)
    assert network.seen == []
    assert [o.topic for o in out] == [NAMES.alarms_dead_letter]
    assert "flush" in json.loads(out[0].value)["reason"]


def suspicion(event: str, at: float, reports: int) -> SuspicionEvent:
    return SuspicionEvent(event, "INC-20261122-1300-abcdef", "PON-1", "pon", at, reports, 40)


def test_suspicion_events_reach_the_board_and_the_noc_webhook_and_contacts_do_not() -> None:
    board, webhook = IncidentBoard(), StubWebhook()
    network_step, network = step(webhook=webhook, board=board)
    network.sensed = [ContactSeen(10.0, "k-1", "c-1", "app", "no_service", False),
                      suspicion("suspected", 10.0, 5)]
    network_step(json.dumps(ALARM).encode(), 10.0)
    network.sensed = [suspicion("updated", 70.0, 7)]
    network_step(json.dumps(ALARM).encode(), 70.0)
    [open_one] = board.suspicions()
    assert (open_one["event"], open_one["reports"], open_one["since"], open_one["at"]) == (
        "updated", 7, 10.0, 70.0)
    assert [e.event for e in webhook.submitted] == ["suspected", "updated"]
    network.sensed = [suspicion("confirmed", 90.0, 7)]
    network_step(json.dumps(ALARM).encode(), 90.0)
    assert board.suspicions() == []
    assert [e.event for e in webhook.submitted] == ["suspected", "updated", "confirmed"]


def test_a_contact_naming_no_known_customer_is_dead_lettered_naming_its_field_the_next_goes_on(
        ) -> None:
    sent_at = from_iso(ALARM["event_time"])  # the broker's timestamp: event times believed
    network = NetworkStage(correlator(RegionIndex.build(load_region(TINY))), 2)
    network_step = NetworkStep(NormaliseStage(), network, IncidentBoard(), NAMES,
                               clock=time.time, hooks=NO_HOOKS)

    def contact(contact_id: str, **who: str) -> bytes:
        return json.dumps({"type": "contact", "contact_id": contact_id, "channel": "call",
                           "reason": "no_service", "event_time": ALARM["event_time"],
                           **who}).encode()

    for n, who in enumerate([{"customer_id": "nobody"}, {"phone": "+49 30 1234567"}]):
        [letter] = network_step(contact(f"k-{n}", **who), sent_at)
        body = json.loads(letter.value)
        assert letter.topic == NAMES.alarms_dead_letter
        assert (body["field"], body["refusal"]) == (next(iter(who)), "unknown_customer")
        assert "1234567" not in letter.value.decode()  # a refused number is masked
    network_step(contact("k-9", customer_id="007"), sent_at)
    assert network.correlator.counts.contacts == {("call", "no_service"): 1}  # the valid one
    assert network.correlator.counts.refused == {"unknown_customer": 2}
