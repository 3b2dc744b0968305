"""CustomerStage: every ``impacts`` message kind, decoded and decided, with dicts for tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forewarn.config import LegalSettings, NotifySettings, Settings
from forewarn.domain import Customer
from forewarn.streams import records
from forewarn.streams.customers.legal_clocks import NoLegalClocks, UkAutomaticCompensation
from forewarn.streams.customers.stage import CustomerStage, changes_from_message
from forewarn.streams.partitioning import partition_of
from tests.unit.customers.json_table import JsonTable

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 21, 14, 0, tzinfo=BERLIN).timestamp()


def customer(customer_id: str, timezone: str = "Europe/Berlin") -> Customer:
    return Customer(customer_id, ("mobile", "fibre"), "de", ("sms",), phone="+49151",
                    timezone=timezone)


@pytest.fixture
def stage() -> CustomerStage:
    return CustomerStage(JsonTable(), 1, 120, 300, customer=customer)


def impact(at: float, **moves: Any) -> dict[str, Any]:
    return {"kind": "impact", "at": at, "incident_id": "inc-1", "cause_element": "pwr-1",
            "cause_type": "power", "maintenance_id": "mw-1", **moves}


def decided(stage: CustomerStage, *messages: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        for out in stage.handle(0, message):
            items.extend(out.get("items", []))
    return items


def brief(items: list[dict[str, Any]]) -> list[tuple]:
    return [(d["customer_id"], d["stage"], tuple(d["services"]), d["decided_at"], d["reason"])
            for d in items]


def test_impact_message_decodes_out_planned_and_back_in_that_order() -> None:
    changes = changes_from_message(
        impact(5.0, back={"mobile": ["c-3"]}, planned={"fibre": ["c-2"]}, out={"mobile": ["c-1"]})
    )
    assert [(c.customer_id, c.out, c.planned, c.maintenance_id) for c in changes] == [
        ("c-1", True, False, None),
        ("c-2", True, True, "mw-1"),
        ("c-3", False, False, None),
    ]


def test_an_impact_message_without_planned_is_the_old_shape() -> None:
    value = impact(5.0, out={"mobile": ["c-1"]}, back={})
    del value["maintenance_id"]
    assert [c.planned for c in changes_from_message(value)] == [False]


def test_maintenance_story_through_the_stage(stage: CustomerStage) -> None:
    start, end = T0 + 3600, T0 + 7200
    items = decided(
        stage,
        {"kind": "planned", "at": T0, "announced": T0 - 10, "maintenance_id": "mw-1",
         "start": start, "end": end, "text": "Umbau", "customers": {"mobile": ["c-1", "c-2"]}},
        {"kind": "tick", "at": T0},
        impact(start, planned={"mobile": ["c-1", "c-2"]}),
        impact(end, back={"mobile": ["c-1"]}, out={"mobile": ["c-2"]}),
        {"kind": "window_end", "at": end, "maintenance_id": "mw-1",
         "customers": {"mobile": ["c-1", "c-2"]}},
        records.drain_record("t"),
    )
    assert brief(items) == [
        ("c-1", "planned", ("mobile",), T0, "planned_notice"),
        ("c-2", "planned", ("mobile",), T0, "planned_notice"),
        ("c-1", "completed", ("mobile",), end, "works_completed"),
        ("c-2", "outage", ("mobile",), end + 120, "confirmed"),
    ]
    planned = items[0]
    assert (planned["incident_id"], planned["since"], planned["eta"], planned["message"]) == (
        "mw-1", start, end, "Umbau")


def test_update_and_merge_messages(stage: CustomerStage) -> None:
    items = decided(
        stage,
        impact(T0, out={"mobile": ["c-1"]}),
        impact(T0 + 100, out={"fibre": ["c-1"]}),
        {"kind": "merge", "at": T0 + 150, "from_incident": "inc-1", "into_incident": "inc-pwr",
         "cause_element": "pwr-9", "cause_type": "power"},
        {"kind": "update", "at": T0 + 300, "incident_id": "inc-pwr",
         "eta": datetime(2026, 11, 21, 16, 0, tzinfo=BERLIN).isoformat(), "message": "vor Ort"},
    )
    assert [(d["incident_id"], d["stage"], tuple(d["services"])) for d in items] == [
        ("inc-1", "outage", ("mobile",)),  # notified before the merge: keeps its id
        ("inc-pwr", "outage", ("fibre",)),
        ("inc-1", "update", ("mobile",)),
        ("inc-pwr", "update", ("fibre",)),
    ]
    assert items[-1]["eta"] == datetime(2026, 11, 21, 16, 0, tzinfo=BERLIN).timestamp()
    assert items[-1]["message"] == "vor Ort"


def test_legal_clocks_follow_the_customers_timezone_and_fire_with_time(
    stage: CustomerStage,
) -> None:
    items = decided(
        stage,
        impact(T0, out={"mobile": ["c-1"]}),
        {"kind": "tick", "at": T0 + 86400},
    )
    assert [d["reason"] for d in items] == ["confirmed", "legal_day1"]
    assert items[1]["decided_at"] == datetime(2026, 11, 22, 9, 0, tzinfo=BERLIN).timestamp()


def test_drain_decides_what_the_input_decided_and_is_forwarded(stage: CustomerStage) -> None:
    stage.handle(0, impact(T0, out={"mobile": ["c-1"]}))
    out = stage.handle(0, records.drain_record("tok"))
    assert [d["reason"] for d in out[0]["items"]] == ["confirmed"]  # not the legal clocks
    assert out[-1] == records.drain_record("tok")


def test_unknown_message_kind_is_skipped_and_counted(stage: CustomerStage) -> None:
    assert stage.handle(0, {"kind": "gossip", "at": T0}) == []
    assert stage.skipped == {"gossip": 1}


def test_an_unknown_customer_does_not_stop_the_partition() -> None:
    def lookup(customer_id: str) -> Customer:
        raise KeyError(customer_id)

    stage = CustomerStage({}, 1, 120, 300, customer=lookup)
    items = decided(stage, impact(T0, out={"mobile": ["c-x"]}), {"kind": "tick", "at": T0 + 86400})
    assert [d["reason"] for d in items] == ["confirmed", "legal_day1"]


def test_stage_from_settings_uses_the_configured_country_and_eta_switch() -> None:
    settings = Settings(legal=LegalSettings(country="GB"),
                        notify=NotifySettings(eta_passed_update=False))
    stage = CustomerStage.from_settings({}, 1, settings, customer=customer)
    assert isinstance(stage.notices.legal, UkAutomaticCompensation)
    assert stage.notices.eta_passed is False
    off = CustomerStage.from_settings({}, 1, Settings(legal=LegalSettings(country="")))
    assert isinstance(off.notices.legal, NoLegalClocks)


def test_trackers_rebuild_their_own_partitions_from_the_shared_table() -> None:
    table = JsonTable()
    first = CustomerStage(table, 2, 120, 300)
    ids = [f"c-{i}" for i in range(8)]
    for cid in ids:
        first.handle(partition_of(cid, 2), impact(T0, out={"mobile": [cid]}))
    second = CustomerStage(table, 2, 120, 300)  # a new worker after a rebalance
    items = decided(second, {"kind": "tick", "at": T0 + 120})  # partition 0 only
    assert sorted(d["customer_id"] for d in items) == sorted(
        c for c in ids if partition_of(c, 2) == 0
    )


def test_a_batch_decides_what_its_messages_decide_one_by_one_with_ticks_in_place() -> None:
    messages = [
        impact(T0, out={"mobile": ["c-1", "c-2"]}),
        impact(T0 + 30, out={"fibre": ["c-3"]}),
        {"kind": "tick", "at": T0 + 125},
        impact(T0 + 130, back={"mobile": ["c-2"]}),
        {"kind": "tick", "at": T0 + 200},
        records.drain_record("tok"),
    ]
    one_by_one = CustomerStage(JsonTable(), 1, 120, 300, customer=customer)
    expected = [out for m in messages for out in one_by_one.handle(0, m)]
    batched = CustomerStage(JsonTable(), 1, 120, 300, customer=customer)
    got = batched.handle(0, {"kind": "batch", "messages": messages})
    assert got == expected
    kinds = [out.get("kind") or out.get("control") for out in got]
    assert kinds == ["decisions", "tick", "decisions", "tick", "decisions", "drain"]
    assert [d["customer_id"] for d in got[0]["items"]] == ["c-1", "c-2"]  # due by the tick
    assert [d["customer_id"] for d in got[2]["items"]] == ["c-3"]
    assert [(d["customer_id"], d["stage"]) for d in got[4]["items"]] == [("c-2", "resolved")]


def test_a_tick_is_forwarded_to_the_outbox_after_the_decisions_it_caused(
    stage: CustomerStage,
) -> None:
    stage.handle(0, impact(T0, out={"mobile": ["c-1"]}))
    out = stage.handle(0, {"kind": "tick", "at": T0 + 120})
    assert [o["kind"] for o in out] == ["decisions", "tick"]
    assert out[-1] == {"kind": "tick", "at": T0 + 120}


@pytest.mark.parametrize("unknown", [{"control": "flush"}, {"kind": "impacts", "at": T0},
                                     {"kind": "tick"}, "text"])
def test_an_unknown_impacts_message_is_dead_lettered_and_never_drains(
    stage: CustomerStage, unknown: Any
) -> None:
    out = stage.handle(0, {"kind": "batch", "messages": [
        impact(T0, out={"mobile": ["c-1"]}), unknown, {"kind": "tick", "at": T0 + 60}]})
    assert [o.get("kind") for o in out] == ["tick"]  # nothing decided: the 120 s still run
    letters = stage.take_dead_letters()
    assert len(letters) == 1 and letters[0]["topic"] == "impacts" and letters[0]["reason"]
    assert stage.take_dead_letters() == []
    later = decided(stage, {"kind": "tick", "at": T0 + 120})  # the batch's valid messages counted
    assert brief(later) == [("c-1", "outage", ("mobile",), T0 + 120, "confirmed")]
