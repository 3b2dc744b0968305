"""Customer contacts (CONTRACT §8, issue 15): a customer got in touch about their service.

``{"type": "contact", "contact_id", "customer_id" | "phone", "channel":
"call"|"ivr"|"app"|"chat"|"desk", "reason": "no_service"|"degraded"|"other", "event_time",
"lon"?, "lat"?}`` -> :class:`~forewarn.domain.Contact`.

Why a record of its own: customers notice silent failures before any alarm does, and a told
customer who still calls is a notice that failed; both need contacts in the network's one
order beside the alarms.

Mapping decisions:

* Exactly one of ``customer_id`` (an id, :mod:`.limits`) or ``phone`` names the customer.
  Both is rejected naming ``phone``: which one is right cannot be guessed, and the two may
  name different customers. Whether the customer exists is not the parser's question (it
  knows no region); HTTP ingest asks the index, the network stage dead-letters the rest.
* ``phone`` is kept as sent (the desk's lookup normalises it the same way for every source);
  an invalid one is never quoted back in the error (errors are logged; numbers are PII).
  It must look like a number: optionally ``+`` or ``00``, then digits with spaces, dashes,
  dots, slashes or brackets, at most :data:`MAX_PHONE_LENGTH` characters and
  :data:`MIN_PHONE_DIGITS`..:data:`MAX_PHONE_DIGITS` digits (E.164 numbers have at most 15).
* ``channel`` and ``reason`` are exact values of ``CONTACT_CHANNELS`` / ``CONTACT_REASONS``
  (our own format: nothing to be lenient about).
* ``lon``/``lat`` (where the customer is, e.g. from the app) are WGS84 degrees in
  -180..180 / -90..90 and come together or not at all.

Every invalid field is named at once, in field order.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import PlainValidator

from forewarn.domain import CONTACT_CHANNELS, CONTACT_REASONS, Contact, InputRecord
from forewarn.streams.input.formats.common import (
    Id,
    IsoTime,
    OptId,
    Parsed,
    Record,
    at,
    invalid,
    json_type,
    one_of,
)
from forewarn.streams.input.formats.limits import shown
from forewarn.streams.input.formats.schema import Problems, Schema

__all__ = [
    "CONTACT",
    "MAX_PHONE_DIGITS",
    "MAX_PHONE_LENGTH",
    "MIN_PHONE_DIGITS",
    "ContactRecord",
    "looks_contact",
    "parse_contact",
]

CONTACT = "contact"
MAX_PHONE_LENGTH = 32
MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 15
_PHONE = re.compile(r"^\(?(\+|00)?[0-9][0-9 ()./-]*$")


def _phone(value: object) -> str | None:
    """An optional phone number in a shape a person or a switch would write it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise invalid(f"must be a string or null, got {json_type(value)}")
    text = value.strip()
    if len(text) > MAX_PHONE_LENGTH:
        raise invalid(f"is {len(text)} characters long; a phone number may have at most "
                      f"{MAX_PHONE_LENGTH}")
    digits = sum(c.isdigit() for c in text)
    if not _PHONE.match(text) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        # The value is not quoted back: it may well be someone's number, and errors are logged.
        raise invalid(f"is not a phone number (digits, optionally + or 00 first, "
                      f"{MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} of them)")
    return text


def _coordinate(limit: float, unit: str) -> PlainValidator:
    def check(value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(f"must be a number or null, got {json_type(value)}")
        try:
            number = float(value)
        except OverflowError:
            raise invalid(f"is a number too large for {unit}") from None
        if not math.isfinite(number) or not -limit <= number <= limit:
            raise invalid(f"{shown(str(value))} is outside -{limit:g}..{limit:g} ({unit})")
        return number
    return PlainValidator(check)


Phone = Annotated[str | None, PlainValidator(_phone)]
Channel = Annotated[str, PlainValidator(one_of(CONTACT_CHANNELS))]
Reason = Annotated[str, PlainValidator(one_of(CONTACT_REASONS))]
Longitude = Annotated[float | None, _coordinate(180.0, "degrees of longitude")]
Latitude = Annotated[float | None, _coordinate(90.0, "degrees of latitude")]


class ContactRecord(Schema):
    """The contact record; field order is the order problems are reported in."""

    contact_id: Id
    customer_id: OptId = None
    phone: Phone = None
    channel: Channel
    reason: Reason
    event_time: IsoTime
    lon: Longitude = None
    lat: Latitude = None


def looks_contact(obj: Record) -> bool:
    return obj.get("type") == CONTACT


def _given(obj: Record, name: str) -> bool:
    value = obj.get(name)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _contact(obj: Record, path: str) -> list[InputRecord]:
    problems = Problems()
    by_id, by_phone = _given(obj, "customer_id"), _given(obj, "phone")
    if not by_id and not by_phone:
        problems.add(at(path, "customer_id"),
                     "missing (required): name the customer by customer_id or by phone")
    model = problems.model(ContactRecord, obj, path)
    if by_id and by_phone:
        problems.add(at(path, "phone"), "give either customer_id or phone, not both")
    if ("lon" in obj and obj["lon"] is not None) != ("lat" in obj and obj["lat"] is not None):
        missing = "lat" if obj.get("lat") is None else "lon"
        problems.add(at(path, missing), "missing: give lon and lat together, or neither")
    problems.raise_any()
    assert model is not None
    return [
        Contact(
            contact_id=model.contact_id,
            channel=model.channel,
            reason=model.reason,
            event_time=model.event_time,
            customer_id=model.customer_id,
            phone=model.phone,
            lon=model.lon,
            lat=model.lat,
            source_format=CONTACT,
        )
    ]


def parse_contact(obj: Record, path: str) -> Parsed:
    """The registry's entry point: one object, one contact or one error."""
    parsed = Parsed()
    parsed.add(_contact, obj, path)
    return parsed

