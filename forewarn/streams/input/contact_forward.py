"""Contacts from ``contacts.raw`` onto ``alarms.raw`` (issue 15 item 1), as a plain class.

Why a hop at all: contact systems (call centre, IVR, app back end) produce to a topic of their
own, ``contacts.raw``, so they need no write access to the NOC's ``alarms.raw`` and a flood of
reports cannot be mistaken for alarms; but the network stage must see contacts in its *one*
order beside alarms, windows and updates (whether a reporting customer is in a known outage
depends on what was processed before). So every valid contact is forwarded onto
``alarms.raw`` as a normalised record (parsed once, here, not again by the network stage),
and everything else on ``contacts.raw`` becomes a dead letter on ``alarms.dead-letter`` with
the reason and the field, like bad alarms. The Kafka shell (``kafka/contact_forward.py``)
only decodes, calls :meth:`ContactForwarder.handle`, sends what it returns and acknowledges
the input after the broker acknowledged the forward.

Accepted on ``contacts.raw``: a contact object (CONTRACT §8), an array of them, or a
``normalised`` control record carrying a contact (what ``POST /api/v1/contacts`` publishes,
already parsed). Whether the named customer exists is not decided here: the network stage
resolves it against the index it holds.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from forewarn.domain import Contact
from forewarn.errors import AlarmFormatError
from forewarn.streams import records
from forewarn.streams.input.formats.limits import excerpt
from forewarn.streams.input.log_limit import LogLimiter
from forewarn.streams.input.normalise import dead_letter_for, parse_records, raw_text

__all__ = ["CONTACTS_ONLY", "ContactForwarder"]

log = logging.getLogger(__name__)

CONTACTS_ONLY = 'contacts.raw takes contact records only (type "contact")'
SOURCE = "contacts.raw"


class ContactForwarder:
    """One ``contacts.raw`` value -> (``alarms.raw`` values, dead letters).

    ``outcomes`` counts forwarded and rejected contacts (``contact:accepted``,
    ``contact:rejected``) for metrics and tests."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self._rejections = LogLimiter(log)  # a flood of bad reports must not drown the log

    def handle(self, raw: bytes | str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The normalised records to forward (in input order) and the dead letters."""
        text = raw_text(raw)
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)[:200]
            return [], [self._dead(AlarmFormatError("<record>", f"not valid JSON: {why}",
                                                    excerpt=text[:2000]))]
        if records.is_control(obj):
            return self._control(obj, text)
        result = parse_records(obj)
        forwards: list[dict[str, Any]] = []
        dead = [self._dead(error) for error in result.errors]
        for record in result.records:
            if isinstance(record, Contact):
                forwards.append(records.normalised(record))
            else:
                dead.append(self._dead(AlarmFormatError(
                    "type", f"{CONTACTS_ONLY}, got {type(record).__name__} "
                            f"({record.source_format}); send it to alarms.raw",
                    excerpt=excerpt(obj))))
        self.outcomes["contact:accepted"] += len(forwards)
        return forwards, dead

    def _control(self, obj: dict[str, Any],
                 text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        try:
            control = records.decode_raw_control(obj)
        except records.UnknownRecord as unknown:
            return [], [self._dead(AlarmFormatError("control", unknown.reason,
                                                    excerpt=text[:2000]))]
        if isinstance(control, records.Normalised) and isinstance(control.record, Contact):
            self.outcomes["contact:accepted"] += 1
            return [control.to_wire()], []
        kind = (type(control.record).__name__ if isinstance(control, records.Normalised)
                else f"control record {obj.get('control')!r}")
        return [], [self._dead(AlarmFormatError("control", f"{CONTACTS_ONLY}, got {kind}",
                                                excerpt=text[:2000]))]

    def _dead(self, error: AlarmFormatError) -> dict[str, Any]:
        self.outcomes["contact:rejected"] += 1
        self._rejections.log("contact rejected: %s", error)
        return {**dead_letter_for(error), "source": SOURCE}

    @property
    def rejected(self) -> int:
        return self.outcomes["contact:rejected"]

