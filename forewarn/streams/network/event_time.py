"""``EventTimeGuard``: which event times the network may believe (issue 16, finding 3).

Why: decisions run on the records' own timestamps (CONTRACT §4) and the network clock only
moves forward, so one record dated 3000-01-01 used to push the clock past every timer: an
8-second flap then confirmed and resolved at once. A record is refused, before it changes
anything, when its ``event_time`` is

* more than ``max_future_skew_s`` ahead of the broker timestamp of the message that carried
  it (live mode: the broker's clock is the only one an ingest client cannot set), or
* more than ``max_age_s`` behind the reference: the broker timestamp in live mode; in replay
  the network clock (replay sends an old log now, so broker timestamps say nothing about
  its event times, and a log legitimately spans days: only a record far behind what the
  replay has already reached is implausible).

Only ``event_time`` is checked: a maintenance window announced today may well ``start`` next
month. A record without an event time takes the network clock and is never refused here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from forewarn.streams.network.refusals import EVENT_TIME_FUTURE, EVENT_TIME_OLD, RecordRefused

__all__ = ["DEFAULT_MAX_AGE_S", "DEFAULT_MAX_FUTURE_SKEW_S", "EventTimeGuard"]

DEFAULT_MAX_FUTURE_SKEW_S = 300.0  # producers' clocks drift; five minutes is generous
DEFAULT_MAX_AGE_S = 7 * 86400.0  # a NOC backlog replayed after a long outage still fits


@dataclass(frozen=True, slots=True)
class EventTimeGuard:
    """Checks one record's event time against the broker timestamp or the network clock.

    ``live`` chooses the reference for "too old" (see the module docstring); in replay the
    future check is off, because the broker timestamps are the replay's own wall clock.
    """

    max_future_skew_s: float = DEFAULT_MAX_FUTURE_SKEW_S
    max_age_s: float = DEFAULT_MAX_AGE_S
    live: bool = True

    def check(self, event_time: float | None, received_at: float | None, clock: float) -> None:
        """Raise ``RecordRefused`` when ``event_time`` is implausible; return otherwise.

        ``received_at``: the broker timestamp (s) of the message, None when unknown (a
        record not read from the broker, e.g. in unit tests: only the clock check applies).
        """
        if event_time is None:
            return
        if not math.isfinite(event_time):
            raise RecordRefused(EVENT_TIME_FUTURE, "event_time", "not a finite instant")
        if self.live and received_at is not None and received_at > 0:
            ahead = event_time - received_at
            if ahead > self.max_future_skew_s:
                raise RecordRefused(EVENT_TIME_FUTURE, "event_time", (
                    f"{ahead:.0f} s ahead of the broker's timestamp (more than "
                    f"max_future_skew_s = {self.max_future_skew_s:.0f})"))
            reference, name = received_at, "the broker's timestamp"
        else:
            reference, name = clock, "the network clock"
        if math.isfinite(reference) and reference - event_time > self.max_age_s:
            raise RecordRefused(EVENT_TIME_OLD, "event_time", (
                f"{reference - event_time:.0f} s older than {name} "
                f"(more than max_age_s = {self.max_age_s:.0f})"))
