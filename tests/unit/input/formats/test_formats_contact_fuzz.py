"""Fuzzing the contact parser (issue 15 item 1), like the alarm formats' fuzz tests: no JSON
value in any field of a contact can crash it or slip past the limits.

Properties: ``parse_records`` never raises; every contact it accepts keeps the limits (ids,
exactly one of customer_id/phone, the enumerations, times 2000..2100, coordinates in range
and both-or-neither); every error names a field of the record and carries a bounded excerpt.
Bounded for CI: 200 examples per property, no deadline (the machine is shared).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import CONTACT_CHANNELS, CONTACT_REASONS, Contact
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.contact import MAX_PHONE_DIGITS, MAX_PHONE_LENGTH
from forewarn.streams.input.formats.limits import EARLIEST, LATEST, MAX_EXCERPT, id_problem
from forewarn.streams.input.normalise import parse_line, parse_records
from tests.fuzz_payloads import json_values, time_values

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CONTACT = {"type": "contact", "contact_id": "c-1", "customer_id": "C000042", "channel": "app",
           "reason": "no_service", "event_time": "2026-05-04T10:00:00+02:00",
           "lon": 13.4, "lat": 52.5}
BY_PHONE = {k: v for k, v in CONTACT.items() if k != "customer_id"} | {"phone": "+49 151 1234567"}
FIELDS = ("contact_id", "customer_id", "phone", "channel", "reason", "event_time", "lon", "lat")


@st.composite
def mutated_contacts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid contact with one to three fields replaced by any JSON value, or dropped."""
    payload = copy.deepcopy(draw(st.sampled_from([CONTACT, BY_PHONE])))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(FIELDS))
        if key == "event_time" and draw(st.booleans()):
            payload[key] = draw(time_values)
        elif draw(st.booleans()):
            payload.pop(key, None)
        else:
            payload[key] = draw(json_values)
    return payload


def check_contact(record: Contact) -> None:
    assert id_problem(record.contact_id) is None and record.contact_id.strip()
    assert (record.customer_id is None) != (record.phone is None)
    if record.customer_id is not None:
        assert id_problem(record.customer_id) is None and record.customer_id.strip()
    if record.phone is not None:
        assert len(record.phone) <= MAX_PHONE_LENGTH
        assert sum(c.isdigit() for c in record.phone) <= MAX_PHONE_DIGITS
    assert record.channel in CONTACT_CHANNELS and record.reason in CONTACT_REASONS
    assert math.isfinite(record.event_time) and EARLIEST <= record.event_time < LATEST
    assert (record.lon is None) == (record.lat is None)
    if record.lon is not None and record.lat is not None:
        assert -180 <= record.lon <= 180 and -90 <= record.lat <= 90


def check(payload: Any) -> None:
    result = parse_records(payload)
    assert result.records or result.errors
    for error in result.errors:
        assert isinstance(error, AlarmFormatError)
        assert error.fields and all(f for f in error.fields)
        assert error.excerpt is None or len(error.excerpt) <= MAX_EXCERPT
    for record in result.records:
        assert isinstance(record, Contact)
        check_contact(record)


@FUZZ
@given(mutated_contacts())
def test_mutated_contact_is_parsed_or_rejected_within_the_limits(payload: dict[str, Any]) -> None:
    check(payload)


@FUZZ
@given(st.lists(mutated_contacts(), min_size=1, max_size=4), st.integers(0, 4))
def test_valid_contact_stays_accepted_among_mutated_ones(batch: list[Any], where: int) -> None:
    payload = [*batch[:where], CONTACT, *batch[where:]]
    check(payload)
    assert CONTACT["contact_id"] in {r.contact_id for r in parse_records(payload).records
                                     if isinstance(r, Contact)}


@FUZZ
@given(st.text(max_size=80))
def test_any_phone_text_is_parsed_or_rejected_naming_phone(phone: str) -> None:
    result = parse_records(BY_PHONE | {"phone": phone})
    if result.errors:
        [error] = result.errors
        assert error.fields[0] in ("phone", "customer_id")
    else:
        [record] = result.records
        assert isinstance(record, Contact)
        check_contact(record)


def test_pathological_contact_lines_are_rejected_not_raised() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = {"a": deep}
    for payload in (CONTACT | {"contact_id": deep}, CONTACT | {"lon": 10**400}):
        check(payload)
    assert parse_line('{"type": "contact", "lon": ' + "9" * 5000 + "}").errors
