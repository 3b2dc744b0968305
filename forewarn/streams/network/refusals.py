"""``RecordRefused``: a well-formed record the network stage will not apply, and why.

Why a separate error: the normaliser rejects what it cannot parse, but some records parse
fine and are still hostile or harmful for the network's state: an event time far ahead of
the broker's clock (it would drag the network clock forward for everyone, issue 16 finding
3) or one open alarm too many on an element (its state would grow without bound, finding 2),
or a customer's contact naming no customer the region index knows (CONTRACT §8).
The correlator raises it *before* it changes anything (no state, no clock), the wiring
turns it into a dead letter on ``alarms.dead-letter`` naming the field and the reason, and
processing of the next record goes on.
"""

from __future__ import annotations

from forewarn.errors import AlarmFormatError

__all__ = ["EVENT_TIME_FUTURE", "EVENT_TIME_OLD", "TOO_MANY_OPEN_ALARMS", "UNKNOWN_CUSTOMER",
           "RecordRefused"]

# Reasons (``RecordRefused.reason``), also the ``reason`` label of the refusal metric.
EVENT_TIME_FUTURE = "event_time_in_future"
EVENT_TIME_OLD = "event_time_too_old"
TOO_MANY_OPEN_ALARMS = "too_many_open_alarms"
UNKNOWN_CUSTOMER = "unknown_customer"  # a contact naming no customer of the index


class RecordRefused(AlarmFormatError):
    """A parsed record refused by the network stage; ``reason`` is one of the constants
    above, ``field`` and ``problem`` say what is wrong as for any rejected input."""

    def __init__(self, reason: str, field: str, problem: str) -> None:
        self.reason = reason
        super().__init__(field, problem)
