"""What the worker forwards from ``contacts.raw`` onto ``alarms.raw`` (issue 15 item 1):
valid contacts as normalised records, everything else as a dead letter with its reason."""

from __future__ import annotations

import json
from typing import Any

from forewarn.domain import Contact
from forewarn.streams import records
from forewarn.streams.input.contact_forward import CONTACTS_ONLY, ContactForwarder
from forewarn.streams.input.stage import NormaliseStage

CONTACT = {"type": "contact", "contact_id": "c-1", "customer_id": "007", "channel": "call",
           "reason": "no_service", "event_time": "2026-05-04T10:00:00Z"}


def forwarded(values: list[dict[str, Any]]) -> list[Contact]:
    """The contacts the network stage reads from what was forwarded onto alarms.raw."""
    out: list[Contact] = []
    for value in values:
        [record], dead = NormaliseStage().handle(records.encode(value))
        assert not dead and isinstance(record, Contact)
        out.append(record)
    return out


def test_valid_contact_is_forwarded_as_a_normalised_record() -> None:
    forwarder = ContactForwarder()
    values, dead = forwarder.handle(json.dumps(CONTACT).encode())
    assert not dead
    assert [v["control"] for v in values] == ["normalised"]
    [contact] = forwarded(values)
    assert (contact.contact_id, contact.customer_id, contact.channel) == ("c-1", "007", "call")
    assert forwarder.outcomes["contact:accepted"] == 1


def test_array_keeps_the_valid_contacts_in_order_and_dead_letters_the_bad_one() -> None:
    batch = [CONTACT | {"contact_id": "c-1"}, CONTACT | {"channel": "fax"},
             CONTACT | {"contact_id": "c-3"}]
    values, [letter] = ContactForwarder().handle(json.dumps(batch))
    assert [c.contact_id for c in forwarded(values)] == ["c-1", "c-3"]
    assert letter["field"] == "[1].channel" and "allowed: call" in letter["problem"]
    assert letter["source"] == "contacts.raw" and '"fax"' in letter["raw"]


def test_alarm_on_contacts_raw_is_dead_lettered_not_forwarded() -> None:
    alarm = {"alarm_id": "a", "element_id": "S-A", "state": "raised", "severity": "major",
             "event_time": "2026-05-04T10:00:00Z"}
    forwarder = ContactForwarder()
    values, [letter] = forwarder.handle(json.dumps(alarm))
    assert values == []
    assert letter["field"] == "type" and CONTACTS_ONLY in letter["problem"]
    assert forwarder.rejected == 1


def test_not_json_is_a_dead_letter_naming_the_record() -> None:
    values, [letter] = ContactForwarder().handle(b"\xff{not json")
    assert values == [] and letter["field"] == "<record>"
    assert letter["problem"].startswith("not valid JSON")


def test_normalised_contact_from_http_ingest_is_forwarded_unchanged() -> None:
    contact = Contact("c-9", "desk", "degraded", 1_800_000_000.0, phone="0151 2345678")
    wire = records.normalised(contact)
    values, dead = ContactForwarder().handle(records.encode(wire))
    assert not dead and values == [wire]
    assert forwarded(values) == [contact]


def test_normalised_alarm_or_control_record_on_contacts_raw_is_refused() -> None:
    for control in ({"control": "tick", "at": 1.0}, {"control": "drain", "token": "x"},
                    {"control": "what"}):
        values, [letter] = ContactForwarder().handle(json.dumps(control))
        assert values == [] and letter["field"] == "control"


def test_bad_phone_is_named_without_quoting_the_number() -> None:
    secret = "+49 151 9999-8888-7777-6666"  # too many digits
    bad = CONTACT | {"customer_id": None, "phone": secret}
    values, [letter] = ContactForwarder().handle(json.dumps(bad))
    assert values == [] and letter["field"] == "phone"
    assert "9999" not in letter["problem"] and "9999" not in letter["reason"]
