"""``POST /api/v1/contacts`` bodies (issue 15 item 1), without the web framework: one contact
or a list, the ingest limits, 400 naming the field, unknown customers named by the field
that names them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from forewarn.domain import Contact
from forewarn.streams.input.http_ingest import IngestLimits, contact_body

CONTACT = {"contact_id": "c-1", "customer_id": "007", "channel": "desk",
           "reason": "no_service", "event_time": "2026-05-04T10:00:00+02:00"}
KNOWN_IDS = {"007", "0012"}
KNOWN_PHONES = {"+4915112345678"}


def known(contact: Contact) -> tuple[str, str] | None:
    if contact.customer_id is not None:
        return None if contact.customer_id in KNOWN_IDS else ("customer_id", "names no known "
                                                               "customer")
    return None if contact.phone in KNOWN_PHONES else ("phone", "no known customer has this "
                                                       "number")


def post(payload: Any, limits: IngestLimits | None = None) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return contact_body(body, known, limits=limits or IngestLimits())


def test_one_contact_without_type_is_accepted() -> None:
    answer = post(CONTACT)
    assert answer.status == 202 and answer.body == {"accepted": 1, "format": "contact"}
    [record] = answer.records
    assert isinstance(record, Contact) and record.channel == "desk"


def test_list_of_contacts_by_id_and_phone_is_accepted() -> None:
    by_phone = {k: v for k, v in CONTACT.items() if k != "customer_id"} | {
        "phone": "+4915112345678", "contact_id": "c-2", "type": "contact"}
    answer = post([CONTACT, by_phone])
    assert answer.status == 202 and answer.body["accepted"] == 2


def test_unknown_customer_id_is_400_naming_customer_id_and_others_are_kept() -> None:
    answer = post([CONTACT | {"customer_id": "nobody"}, CONTACT | {"contact_id": "c-2"}])
    assert answer.status == 400
    assert answer.body["errors"] == [{"field": "[0].customer_id",
                                      "problem": "names no known customer"}]
    assert answer.body["accepted"] == 1 and len(answer.records) == 1
    [letter] = answer.dead_letters
    assert letter["field"] == "[0].customer_id" and '"nobody"' in letter["raw"]


def test_unknown_phone_is_400_naming_phone() -> None:
    unknown = {k: v for k, v in CONTACT.items() if k != "customer_id"} | {"phone": "0170 1"
                                                                           "234567"}
    answer = post(unknown)
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "phone"
    assert not answer.records


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (CONTACT | {"reason": "angry"}, "reason"),
        (CONTACT | {"type": "maintenance"}, "type"),
        ([CONTACT, "not an object"], "[1]"),
        ([], "<body>"),
        (b"{not json", "<body>"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(payload: Any, field: str) -> None:
    answer = post(payload)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == field
    assert answer.body["accepted"] == len(answer.records)


def test_ingest_limits_hold_at_the_limit() -> None:
    limits = IngestLimits(max_body_bytes=10_000, max_depth=3, max_records=3)
    assert post([CONTACT] * 3, limits).status == 202
    assert post([CONTACT] * 4, limits).status == 413
    small = json.dumps(CONTACT).encode()
    assert post(small, IngestLimits(max_body_bytes=len(small))).status == 202
    assert post(small, IngestLimits(max_body_bytes=len(small) - 1)).status == 413
    assert post([CONTACT | {"lon": 1, "lat": 2}], limits).status == 202  # depth 2
    deep = post([CONTACT | {"extra": {"a": {"b": 1}}}], limits)
    assert deep.status == 400 and "max_depth" in deep.body["error"]
