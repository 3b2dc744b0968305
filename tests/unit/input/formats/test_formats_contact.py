"""Customer contacts (CONTRACT §8, issue 15 item 1): parsed into ``Contact`` with the same
limits and error style as the other formats, carried on ``alarms.raw`` as normalised
records, and accepted by the correlator (which for now only moves event time on them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from forewarn.domain import CONTACT_CHANNELS, CONTACT_REASONS, Contact
from forewarn.streams import records
from forewarn.streams.input.formats.contact import (
    MAX_PHONE_DIGITS,
    MAX_PHONE_LENGTH,
    MIN_PHONE_DIGITS,
)
from forewarn.streams.input.formats.limits import MAX_ID_LENGTH
from forewarn.streams.input.normalise import detect_format, parse_line, parse_records
from forewarn.streams.input.stage import NormaliseStage

AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC).timestamp()


def contact(**fields: Any) -> dict[str, Any]:
    """A valid contact with ``fields`` changed; a field set to None is left out."""
    obj: dict[str, Any] = {"type": "contact", "contact_id": "c-1", "customer_id": "C000042",
                           "channel": "app", "reason": "no_service",
                           "event_time": "2026-05-04T10:00:00+02:00"}
    obj.update(fields)
    return {k: v for k, v in obj.items() if v is not None}


def rejected(obj: Any) -> tuple[str, ...]:
    result = parse_records(obj)
    assert not result.records, result.records
    [error] = result.errors
    return error.fields


def test_contact_by_customer_id_becomes_a_contact_record() -> None:
    result = parse_records(contact())
    assert result.format == "contact"
    assert list(result.records) == [Contact("c-1", "app", "no_service", AT,
                                            customer_id="C000042")]


def test_contact_by_phone_keeps_the_number_as_sent() -> None:
    [record] = parse_records(contact(customer_id=None, phone="+49 151 1234-5678")).records
    assert isinstance(record, Contact)
    assert record.phone == "+49 151 1234-5678" and record.customer_id is None


def test_contact_with_location_keeps_lon_and_lat() -> None:
    [record] = parse_records(contact(lon=13.4, lat=52.5)).records
    assert isinstance(record, Contact) and (record.lon, record.lat) == (13.4, 52.5)


@pytest.mark.parametrize("channel", CONTACT_CHANNELS)
@pytest.mark.parametrize("reason", CONTACT_REASONS)
def test_every_channel_and_reason_of_the_contract_is_accepted(channel: str, reason: str) -> None:
    [record] = parse_records(contact(channel=channel, reason=reason)).records
    assert isinstance(record, Contact) and (record.channel, record.reason) == (channel, reason)


def test_type_contact_is_detected_as_the_contact_format() -> None:
    assert detect_format(contact()).name == "contact"
    # even when it carries a native alarm's field names as extras
    assert detect_format(contact(element_id="site-7", alarm_id="a")).name == "contact"


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"contact_id": None}, "contact_id", "missing (required)"),
        ({"contact_id": "x" * (MAX_ID_LENGTH + 1)}, "contact_id", "at most 128"),
        ({"contact_id": "a<b"}, "contact_id", "must not contain"),
        ({"customer_id": "C\n1"}, "customer_id", "printable"),
        ({"customer_id": None}, "customer_id", "name the customer by customer_id or by phone"),
        ({"phone": "+49 151 1234567"}, "phone", "either customer_id or phone, not both"),
        ({"customer_id": None, "phone": "call me"}, "phone", "is not a phone number"),
        ({"customer_id": None, "phone": 491511234567}, "phone", "must be a string"),
        ({"channel": "email"}, "channel", "allowed: call, ivr, app, chat, desk"),
        ({"channel": "APP"}, "channel", "unknown value"),
        ({"reason": "angry"}, "reason", "allowed: no_service, degraded, other"),
        ({"event_time": None}, "event_time", "missing (required)"),
        ({"event_time": "2026-05-04T10:00:00"}, "event_time", "no UTC offset"),
        ({"event_time": "1999-12-31T23:59:59Z"}, "event_time", "not a plausible instant"),
        ({"event_time": "2100-01-01T00:00:00Z"}, "event_time", "not a plausible instant"),
        ({"lon": 181, "lat": 52.5}, "lon", "outside -180..180"),
        ({"lon": 13.4, "lat": -90.5}, "lat", "outside -90..90"),
        ({"lon": "13.4", "lat": 52.5}, "lon", "must be a number"),
        ({"lon": 13.4}, "lat", "give lon and lat together"),
        ({"lat": 52.5}, "lon", "give lon and lat together"),
    ],
)
def test_invalid_contact_is_rejected_naming_the_field(fields: dict[str, Any], field: str,
                                                      problem: str) -> None:
    result = parse_records(contact(**fields))
    assert not result.records
    [error] = result.errors
    assert error.field == field
    assert problem in error.problem
    assert error.excerpt is not None and '"contact"' in error.excerpt


def test_limits_hold_exactly_at_the_edges() -> None:
    at_limit = contact(contact_id="x" * MAX_ID_LENGTH, customer_id="y" * MAX_ID_LENGTH,
                       event_time="2000-01-01T00:00:00Z", lon=-180, lat=90)
    [record] = parse_records(at_limit).records
    assert isinstance(record, Contact) and record.event_time == 946_684_800.0
    assert parse_records(contact(event_time="2099-12-31T23:59:59Z")).records


def test_phone_number_limits_hold_at_the_edges() -> None:
    def by_phone(phone: str) -> Any:
        return contact(customer_id=None, phone=phone)

    assert parse_records(by_phone("0" + "1" * (MIN_PHONE_DIGITS - 1))).records
    assert rejected(by_phone("0" + "1" * (MIN_PHONE_DIGITS - 2))) == ("phone",)
    assert parse_records(by_phone("+" + "1" * MAX_PHONE_DIGITS)).records
    assert rejected(by_phone("+" + "1" * (MAX_PHONE_DIGITS + 1))) == ("phone",)
    at_limit = "(+1--" + "-".join("1" * (MAX_PHONE_DIGITS - 1))
    assert len(at_limit) == MAX_PHONE_LENGTH
    assert parse_records(by_phone(at_limit)).records
    assert rejected(by_phone(at_limit.replace("--", "---"))) == ("phone",)


def test_every_offending_field_is_named_at_once() -> None:
    fields = rejected(contact(contact_id=None, channel="fax", reason="x",
                              event_time="yesterday"))
    assert fields == ("contact_id", "channel", "reason", "event_time")


def test_valid_contact_stays_accepted_beside_invalid_ones() -> None:
    result = parse_records([contact(channel="fax"), contact(contact_id="c-2")])
    assert [e.field for e in result.errors] == ["[0].channel"]
    assert [r.contact_id for r in result.records if isinstance(r, Contact)] == ["c-2"]


def test_contact_survives_the_alarms_raw_round_trip_as_a_normalised_record() -> None:
    [record] = parse_records(contact(customer_id=None, phone="0151 2345678", lon=1.0,
                                     lat=2.0)).records
    wire = records.encode(records.normalised(record))
    [again], dead = NormaliseStage().handle(wire)
    assert again == record and not dead


def test_bad_contact_line_becomes_a_dead_letter_naming_the_field() -> None:
    line = parse_line('{"type": "contact", "contact_id": "c-9", "customer_id": "C1", '
                      '"channel": "app", "reason": "broken", "event_time": "2026-05-04T08:00Z"}')
    [error] = line.errors
    assert error.field == "reason"
    [letter] = NormaliseStage().handle(json.dumps(contact(reason="broken")))[1]
    assert letter["field"] == "reason" and "no_service" in letter["problem"]
