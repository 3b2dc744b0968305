"""The board's "customers told" from receipts: each notification counted once, bounded
memory, planned notices held until their window, bad records refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.domain import ImpactChange
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.receipts import (
    MAX_FIELD_CHARS,
    ReceiptError,
    SeenIds,
    receipt_notification,
)

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def receipt(customer: str, *, stage: str = "outage", channel: str = "sms",
            incident: str = "INC-1", at: str = "2023-11-14T22:15:21+00:00") -> dict[str, Any]:
    """A CONTRACT §6 record as the delivery agent writes it to notifications.delivered."""
    return {"notification_id": f"n-{customer}-{incident}-{stage}", "customer_id": customer,
            "incident_id": incident, "stage": stage, "services": ["mobile"],
            "channel": channel, "to": "+49***78", "language": "de", "subject": None,
            "text": "Wir wissen Bescheid.", "decided_at": "2023-11-14T22:15:20+00:00",
            "delivered_at": at}


def out(customer: str, incident: str = "INC-1", at: float = T0,
        cause_type: str = "site") -> ImpactChange:
    return ImpactChange(customer, "mobile", True, at, incident, "S-A", cause_type)


def test_a_repeated_receipt_is_counted_once() -> None:
    board = IncidentBoard()
    board.record_changes([out("007"), out("0012")])
    assert board.record_receipt(receipt("007")) is True
    assert board.record_receipt(receipt("007")) is False  # the same notification again
    assert board.record_receipt(receipt("0012", channel="email")) is True
    told = board.incident("INC-1")["told"]["outage"]
    assert told["count"] == 2 and told["channels"] == {"sms": 1, "email": 1}


def test_receipts_of_one_customer_for_different_stages_all_count() -> None:
    board = IncidentBoard()
    board.record_changes([out("007")])
    for stage in ("outage", "update", "resolved"):
        assert board.record_receipt(receipt("007", stage=stage))
    assert board.incident("INC-1")["notifications"] == {"outage": 1, "update": 1,
                                                        "resolved": 1}


def test_repeated_planned_receipts_before_the_window_are_counted_once() -> None:
    board = IncidentBoard()
    for customer in ("007", "0012", "007"):  # 007's receipt repeats before the window is known
        board.record_receipt(receipt(customer, stage="planned", incident="MW-1"))
    board.record_window({"kind": "planned", "at": T0, "maintenance_id": "MW-1",
                         "elements": ["S-A"], "start": T0 + 3600, "end": T0 + 7200,
                         "announced": T0, "customers": {"mobile": ["007", "0012"]}})
    assert board.upcoming()[0]["told"]["planned"]["count"] == 2
    board.record_receipt(receipt("0012", stage="planned", incident="MW-1"))  # again
    board.record_changes([out("007", "MW-1", T0 + 3600, "maintenance")])
    assert board.incident("MW-1")["told"]["planned"] == {
        "count": 2, "channels": {"sms": 2}, "first_at": "2023-11-14T22:15:21+00:00"}


def test_seen_ids_forget_the_oldest_beyond_the_limit() -> None:
    seen = SeenIds(max_ids=3)
    assert [seen.first_time(i) for i in ("a", "b", "c", "a")] == [True, True, True, False]
    assert seen.first_time("d") is True  # "a" is forgotten now
    assert len(seen) == 3
    assert seen.first_time("c") is False  # still held
    assert seen.first_time("a") is True  # forgotten, so counted again: the bound's price


def test_seen_ids_need_room_for_one_id() -> None:
    with pytest.raises(ValueError, match="max_ids"):
        SeenIds(max_ids=0)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("notification_id", None, "notification_id"),
    ("incident_id", "", "incident_id"),
    ("channel", 7, "channel"),
    ("stage", "gossip", "stage"),
    ("delivered_at", 12, "delivered_at"),
    ("customer_id", "c" * (MAX_FIELD_CHARS + 1), "customer_id"),
])
def test_a_record_that_is_not_a_receipt_is_refused_naming_the_field(
        field: str, value: object, named: str) -> None:
    record = receipt("007")
    record[field] = value
    with pytest.raises(ReceiptError, match=named):
        receipt_notification(record)


def test_ids_at_the_length_limit_are_accepted() -> None:
    record = receipt("007")
    record["customer_id"] = "c" * MAX_FIELD_CHARS
    assert receipt_notification(record).customer_id == "c" * MAX_FIELD_CHARS


def test_a_refused_record_changes_no_count() -> None:
    board = IncidentBoard()
    board.record_changes([out("007")])
    bad = receipt("007")
    del bad["channel"]
    with pytest.raises(ReceiptError, match="channel"):
        board.record_receipt(bad)
    assert board.incident("INC-1")["told"] == {}
    assert board.record_receipt(receipt("007")) is True  # its valid twin still counts


def test_a_new_owner_reading_every_receipt_from_the_start_reaches_the_same_counts() -> None:
    planned = {"kind": "planned", "at": T0, "maintenance_id": "MW-1", "elements": ["S-A"],
               "start": T0 + 3600, "end": T0 + 7200, "announced": T0,
               "customers": {"mobile": ["007", "0012"]}}
    log = [receipt("007", stage="planned", incident="MW-1"),
           receipt("0012", stage="planned", incident="MW-1", channel="email"),
           receipt("007", stage="planned", incident="MW-1"),  # repeated after a crash
           receipt("c-east", incident="INC-2"), receipt("c-east", incident="INC-2")]
    old = IncidentBoard()  # saw the window and the incident as they happened
    old.record_window(planned)
    for record in log[:3]:
        old.record_receipt(record)
    old.record_changes([out("007", "MW-1", T0 + 3600, "maintenance"),
                        out("c-east", "INC-2", T0 + 3700)])
    for record in log[3:]:
        old.record_receipt(record)
    new = IncidentBoard()  # took over: reads the whole log before the incidents reach it
    for record in log:
        new.record_receipt(record)
    new.record_changes([out("007", "MW-1", T0 + 3600, "maintenance"),
                        out("c-east", "INC-2", T0 + 3700)])
    for incident in ("MW-1", "INC-2"):
        assert new.incident(incident)["told"] == old.incident(incident)["told"]
    assert old.incident("MW-1")["told"]["planned"]["channels"] == {"sms": 1, "email": 1}
    assert old.incident("INC-2")["told"]["outage"]["count"] == 1


def test_a_merge_carries_per_channel_counts_into_the_root_incident() -> None:
    board = IncidentBoard()
    board.record_changes([out("007", "INC-cell"), out("0012", "INC-site")])
    board.record_receipt(receipt("007", incident="INC-cell", channel="email"))
    board.record_receipt(receipt("0012", incident="INC-site"))
    board.record_merge("INC-cell", "INC-site")
    assert board.incident("INC-site")["told"]["outage"] == {
        "count": 2, "channels": {"sms": 1, "email": 1},
        "first_at": "2023-11-14T22:15:21+00:00"}
    board.record_receipt(receipt("c-east", incident="INC-cell"))  # late, under the old id
    assert board.incident("INC-site")["told"]["outage"]["channels"] == {"sms": 2, "email": 1}
