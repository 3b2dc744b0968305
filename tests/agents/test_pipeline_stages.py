"""The stages the agents call, driven with plain dicts instead of tables (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forewarn.domain import Stage
from forewarn.geo import RegionIndex, load_region
from forewarn.notifiers import Dispatcher, RecordingNotifier
from forewarn.streams import records
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.partitioning import partition_of
from forewarn.templates import MessageRenderer

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "tiny"
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC).timestamp()
PARTITIONS = 3


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    return RegionIndex.build(load_region(TINY))


def alarm_record(alarm_id: str, element: str, state: str, at: float) -> dict:
    raw = (f'{{"alarm_id": "{alarm_id}", "element_id": "{element}", "state": "{state}", '
           f'"severity": "critical", "event_time": '
           f'"{datetime.fromtimestamp(at, tz=UTC).isoformat()}"}}')
    [record], dead = NormaliseStage().handle(raw.encode())
    assert dead == []
    return record


def network(index: RegionIndex) -> NetworkStage:
    return NetworkStage(NetworkCorrelator(index, ElementStates({})), PARTITIONS)


def impacted(out: list[tuple[int, dict]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {"mobile": set(), "fibre": set()}
    for partition, record in out:
        if record.get("kind") == "impact":
            for service, ids in record["out"].items():
                assert all(partition_of(c, PARTITIONS) == partition for c in ids)
                result[service] |= set(ids)
    return result


def test_power_alarm_sends_each_affected_customer_to_its_own_partition(index: RegionIndex) -> None:
    out = network(index).handle(alarm_record("a1", "PWR-1", "raised", T0))
    assert impacted(out) == {k: set(v) for k, v in index.impact(["PWR-1"]).items()}


def test_partitions_without_impact_get_an_event_time_tick(index: RegionIndex) -> None:
    out = network(index).handle(alarm_record("a1", "PON-3", "raised", T0))
    touched = {p for p, r in out if r.get("kind") == "impact"}
    ticked = {p for p, r in out if r.get("kind") == "tick"}
    assert touched | ticked == set(range(PARTITIONS)) and not touched & ticked


def test_alarm_that_changes_no_element_state_sends_no_impact(index: RegionIndex) -> None:
    stage = network(index)
    stage.handle(alarm_record("a1", "A1", "raised", T0))
    again = stage.handle(alarm_record("a1", "A1", "raised", T0 + 0.5))
    assert not [r for _, r in again if r.get("kind") == "impact"]


def test_drain_marker_reaches_every_partition(index: RegionIndex) -> None:
    out = network(index).handle(records.drain_record("t1"))
    assert sorted(p for p, _ in out) == list(range(PARTITIONS))


def test_malformed_record_becomes_dead_letter_naming_the_field() -> None:
    accepted, [dead] = NormaliseStage().handle(
        b'{"alarm_id": "x", "element_id": "A1", "state": "up", "severity": "major", '
        b'"event_time": "2026-05-04T08:00:00+00:00"}')
    assert accepted == []
    assert dead["field"] == "state" and "state" in dead["reason"]


def test_batch_with_one_bad_item_keeps_the_good_ones() -> None:
    stage = NormaliseStage()
    good = ('{"alarm_id": "g", "element_id": "A1", "state": "raised", "severity": "major", '
            '"event_time": "2026-05-04T08:00:00+00:00"}')
    accepted, dead = stage.handle(f'[{good}, {{"alarm_id": "b"}}]'.encode())
    assert [r.alarm_id for r in accepted] == ["g"]
    assert len(dead) == 1 and dead[0]["field"].startswith("[1]")


def run_customers(index: RegionIndex, messages: list[tuple[int, dict]]) -> list[dict]:
    stage = CustomerStage({}, PARTITIONS, 120, 300)
    decisions = []
    for partition, value in messages:
        for record in stage.handle(partition, value):
            decisions.extend(record.get("items", []))
    return decisions


def test_outage_confirmed_by_tick_after_confirm_window(index: RegionIndex) -> None:
    net = network(index)
    messages = net.handle(alarm_record("a1", "PWR-1", "raised", T0))
    messages += [(p, {"kind": "tick", "at": T0 + 119}) for p in range(PARTITIONS)]
    assert run_customers(index, messages) == []
    messages += [(p, {"kind": "tick", "at": T0 + 120}) for p in range(PARTITIONS)]
    decisions = run_customers(index, messages)
    expected = set(index.impact(["PWR-1"])["mobile"]) | set(index.impact(["PWR-1"])["fibre"])
    assert {d["customer_id"] for d in decisions} == expected
    assert {d["stage"] for d in decisions} == {"outage"}
    assert {d["decided_at"] for d in decisions} == {T0 + 120}


def test_drain_fires_pending_resolution_at_its_rule_instant(index: RegionIndex) -> None:
    net = network(index)
    messages = net.handle(alarm_record("a1", "A1", "raised", T0))
    messages += net.handle(alarm_record("a1", "A1", "cleared", T0 + 600))
    messages += net.handle(records.drain_record("t"))
    decisions = run_customers(index, messages)
    told = sorted((d["stage"], d["decided_at"]) for d in decisions if d["customer_id"] == "007")
    assert told == [("outage", T0 + 120), ("resolved", T0 + 900)]


async def test_delivery_sends_a_decision_once_even_when_the_batch_comes_twice(
    index: RegionIndex,
) -> None:
    decisions = list(_confirmed_power_outage(index))
    recorder = RecordingNotifier()
    dispatcher = Dispatcher(dict.fromkeys(("sms", "email", "push"), recorder))
    stage = DeliveryStage(index.customer, MessageRenderer(), dispatcher.deliver, {})
    batch = {"kind": "decisions", "items": decisions}
    first = await stage.handle(batch)
    second = await stage.handle(batch)
    assert len(first.delivered) == len(recorder.delivered) > 0
    assert second.delivered == []
    assert stage.outcomes["duplicate_skipped"] == len(first.delivered)


async def test_delivery_serves_priority_customers_first(index: RegionIndex) -> None:
    recorder = RecordingNotifier()
    dispatcher = Dispatcher(dict.fromkeys(("sms", "email", "push"), recorder))
    stage = DeliveryStage(index.customer, MessageRenderer(), dispatcher.deliver, {}, concurrency=1)
    await stage.handle({"kind": "decisions", "items": _confirmed_power_outage(index)})
    priorities = [index.customer(n.customer_id).priority for n in recorder.delivered]
    assert priorities == sorted(priorities, reverse=True) and priorities[0] == 1


def _confirmed_power_outage(index: RegionIndex) -> list[dict]:
    net = network(index)
    messages = net.handle(alarm_record("a1", "PWR-1", "raised", T0))
    messages += [(p, {"kind": "tick", "at": T0 + 120}) for p in range(PARTITIONS)]
    decisions = run_customers(index, messages)
    assert all(d["stage"] == str(Stage.OUTAGE) for d in decisions)
    return decisions
