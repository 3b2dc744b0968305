"""Legal clocks: on which day, and at which hour, the law says a customer with a long outage
must hear from us again.

Pure date logic in the customer's own timezone (``zoneinfo``); no I/O. A policy turns the
instant a legal clock starts into the instants at which a still unresolved outage owes the
customer an ``update`` notice, each with the :class:`~forewarn.streams.reasons.Reason` that
picks its wording. The episode machine asks once, when the outage notice is decided, and keeps
the answer in its state, so a crash or a changed timezone database cannot move a clock.

Days are the customer's local calendar days. *D* is the day the clock starts (CONTRACT §4):
the day the outage began (``clock_start = "outage"``, the default and the more generous
reading), or the day the customer first reported it (``"report"``, the law's own start,
:func:`clock_origin`). Every notice goes out at ``notice_hour`` (default 9) local time, never
at another hour: the law grants whole days, so nobody needs to be woken by a legal notice.

``DE`` — Telekommunikationsgesetz §58 (in force since 1 December 2021).
    §58(2) sentence 2: if the provider cannot remove the fault "nicht innerhalb eines
    Kalendertages nach Eingang der Störungsmeldung", it must inform the consumer "spätestens
    innerhalb des Folgetages" which measures it has taken and when the fault is expected to
    be removed. §58(3): if the fault is not removed "innerhalb von zwei Kalendertagen nach
    Eingang der Störungsmeldung", the consumer can claim compensation "ab dem Folgetag für
    jeden Tag des vollständigen Ausfalls" (EUR 5 or 10 % on the third and fourth day, EUR 10
    or 20 % from the fifth, of the monthly fee, whichever is higher). The days are counted as
    in §187(1) BGB: "Ist für den Anfang einer Frist ein Ereignis [...] maßgebend, so wird bei
    der Berechnung der Frist der Tag nicht mitgerechnet, in welchen das Ereignis [...] fällt."
    So a fault on Monday (D): the one calendar day is Tuesday, the two are Tuesday and
    Wednesday, compensation is owed from Thursday. forewarn sends ``LEGAL_DAY1`` on D+1 (the
    earliest day the duty can arise; its latest day is D+2) and ``LEGAL_COMPENSATION`` on
    D+3 (the first day compensation is owed: never a day early, which would promise money
    the law does not owe). Both services by default.
``GB`` (alias ``UK``) — Ofcom's Automatic Compensation scheme (voluntary code of practice,
    Ofcom statement of 10 November 2017, in force since 1 April 2019) for landline and fixed
    broadband: when a loss of service is not fully fixed after two *full* working days, the
    customer is paid for each calendar day it stays unrepaired. A working day is Monday to
    Friday minus the configured ``holidays`` (bank holidays differ between England, Scotland
    and Northern Ireland, so they are configuration). A day is full only if the clock ran
    through all of it: D itself counts only when the clock started at its first instant
    (local midnight), otherwise counting begins on D+1. ``LEGAL_AUTO_COMPENSATION`` goes out
    on the first calendar day after the second full working day (a fault on Friday: Monday
    and Tuesday are the two days, the notice comes on Wednesday). Fibre only by default
    (mobile is not in the scheme).
``""`` / ``NONE`` — no legal clocks.

Daylight saving time: ``notice_hour`` is wall-clock time on the legal day, so the notice keeps
its local hour across the change (the days the clocks change are 23 or 25 hours long). When
``notice_hour`` does not exist on that day (clocks jump over it, e.g. 02:00 on 2026-03-29 in
Europe/Berlin) the notice goes out at the first instant after the gap (03:00), still on its
day and never later than the hour's end; when it exists twice (the autumn fold, e.g. 02:00 on
2026-10-25) at its first occurrence. Both are what ``datetime(..., fold=0)`` means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.domain import SERVICES
from forewarn.streams.reasons import Reason

__all__ = [
    "CLOCK_STARTS",
    "COUNTRIES",
    "DEFAULT_NOTICE_HOUR",
    "DEFAULT_TIMEZONE",
    "LEGAL_REASONS",
    "GermanyTkg58",
    "LegalPolicy",
    "NoLegalClocks",
    "UkAutomaticCompensation",
    "at_notice_hour",
    "clock_origin",
    "legal_day",
    "legal_policy",
    "local_midnight",
]

DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_NOTICE_HOUR = 9

#: Where a legal clock starts: the outage (default) or the customer's first report.
ClockStart = Literal["outage", "report"]
CLOCK_STARTS: tuple[str, ...] = ("outage", "report")

#: The reasons of legal notices: delivery never holds, spaces or caps them.
LEGAL_REASONS: frozenset[Reason] = frozenset(
    {Reason.LEGAL_DAY1, Reason.LEGAL_COMPENSATION, Reason.LEGAL_AUTO_COMPENSATION}
)

Clock = tuple[float, Reason]


class LegalPolicy(Protocol):
    """The legal clocks of one country.

    ``clocks(start, timezone)`` returns the instants (POSIX seconds, strictly after ``start``,
    ascending) at which an outage of one of ``services`` whose clock started at ``start`` and
    is still unresolved owes the customer a notice, each with its reason. Every instant is
    ``notice_hour`` local time on its legal day. Pure and deterministic.
    """

    @property
    def country(self) -> str: ...

    @property
    def services(self) -> tuple[str, ...]: ...

    def clocks(self, start: float, timezone: str) -> list[Clock]: ...


def _zone(name: str) -> ZoneInfo:
    # Same fallback as the templates: a bad zone must not silence a legal notice.
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _check_hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise ValueError(f"notice_hour must be 0-23, got {hour}")
    return hour


def local_midnight(day: date, zone: ZoneInfo) -> float:
    """The first instant of ``day`` in ``zone`` (where midnight is skipped: just after the gap)."""
    return at_notice_hour(day, 0, zone)


def at_notice_hour(day: date, hour: int, zone: ZoneInfo) -> float:
    """``hour``:00 local on ``day``; a skipped hour gives the first instant after the gap and
    a repeated hour its first occurrence (module docstring: daylight saving time)."""
    wall = datetime.combine(day, time(_check_hour(hour)))
    first = datetime.combine(day, time(hour), tzinfo=zone).timestamp()  # fold=0
    if datetime.fromtimestamp(first, tz=zone).replace(tzinfo=None) == wall:
        return first  # the hour exists (once, or first of two)
    # Skipped: fold=0 reads the wall time with the offset before the gap, which lands after
    # it by as much as the hour lies past the gap's start (a whole hour in Europe, 15 min at
    # Pacific/Chatham's 02:45 -> 03:45); fold=1 lands before the gap. The gap's end, the
    # first instant whose wall clock reads the hour or later, lies between the two.
    low = int(datetime.combine(day, time(hour), tzinfo=zone).replace(fold=1).timestamp())
    high = int(first)
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz=zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle + 1
    return float(high)


def legal_day(instant: float, timezone: str) -> date:
    """The customer's local calendar day of ``instant``: D when the clock starts then."""
    return datetime.fromtimestamp(instant, tz=_zone(timezone)).date()


def clock_origin(clock_start: str, outage_since: float, first_report: float | None) -> float | None:
    """The instant a legal clock starts: the outage start, or the customer's first report.

    With ``"report"`` and no report yet there is no clock (the law's duties start with the
    report); a report made before the alarm counts from the report.
    """
    if clock_start == "outage":
        return outage_since
    if clock_start == "report":
        return first_report
    raise ValueError(f"clock_start must be one of {', '.join(CLOCK_STARTS)}, got {clock_start!r}")


def _local_day(epoch: float, zone: ZoneInfo) -> tuple[date, bool]:
    """The local calendar day of ``epoch`` and whether ``epoch`` is that day's first instant."""
    local = datetime.fromtimestamp(epoch, tz=zone)
    return local.date(), local_midnight(local.date(), zone) == epoch


@dataclass(frozen=True, slots=True)
class NoLegalClocks:
    """No legal clocks (``country = ""``)."""

    country: str = ""
    services: tuple[str, ...] = ()
    notice_hour: int = DEFAULT_NOTICE_HOUR

    def clocks(self, start: float, timezone: str) -> list[Clock]:
        return []


@dataclass(frozen=True, slots=True)
class GermanyTkg58:
    """TKG §58 with §187(1) BGB: news on D+1, compensation from D+3, at ``notice_hour``."""

    country: str = "DE"
    services: tuple[str, ...] = SERVICES
    notice_hour: int = DEFAULT_NOTICE_HOUR

    def __post_init__(self) -> None:
        _check_hour(self.notice_hour)

    def clocks(self, start: float, timezone: str) -> list[Clock]:
        zone = _zone(timezone)
        d, _ = _local_day(start, zone)
        return [
            (at_notice_hour(d + timedelta(days=1), self.notice_hour, zone), Reason.LEGAL_DAY1),
            (at_notice_hour(d + timedelta(days=3), self.notice_hour, zone),
             Reason.LEGAL_COMPENSATION),
        ]


@dataclass(frozen=True, slots=True)
class UkAutomaticCompensation:
    """Ofcom automatic compensation: the day after two full working days, at ``notice_hour``."""

    country: str = "GB"
    services: tuple[str, ...] = ("fibre",)
    holidays: frozenset[date] = frozenset()
    working_days: int = 2
    notice_hour: int = DEFAULT_NOTICE_HOUR

    def __post_init__(self) -> None:
        _check_hour(self.notice_hour)

    def _working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def clocks(self, start: float, timezone: str) -> list[Clock]:
        zone = _zone(timezone)
        d, at_midnight = _local_day(start, zone)
        day = d if at_midnight else d + timedelta(days=1)  # the first full day
        counted = 0
        while True:
            if self._working(day):
                counted += 1
                if counted == self.working_days:
                    due = at_notice_hour(day + timedelta(days=1), self.notice_hour, zone)
                    return [(due, Reason.LEGAL_AUTO_COMPENSATION)]
            day += timedelta(days=1)


#: Policy constructors by ``[legal] country`` (upper case).
COUNTRIES: dict[str, type[GermanyTkg58 | UkAutomaticCompensation | NoLegalClocks]] = {
    "DE": GermanyTkg58,
    "GB": UkAutomaticCompensation,
    "UK": UkAutomaticCompensation,
    "": NoLegalClocks,
    "NONE": NoLegalClocks,
}


def legal_policy(
    country: str,
    *,
    services: Iterable[str] | None = None,
    holidays: Iterable[date] = (),
    notice_hour: int = DEFAULT_NOTICE_HOUR,
) -> LegalPolicy:
    """The policy of ``country`` (``DE``, ``GB``/``UK``, ``""``); ``services`` overrides its
    default services, ``holidays`` are extra non-working days (used by working-day clocks),
    ``notice_hour`` the local hour (0-23) every legal notice goes out at.

    Raises ``ValueError`` naming the country (or the hour) when there is no such policy.
    """
    kind = COUNTRIES.get(country.strip().upper())
    if kind is None:
        known = ", ".join(sorted(c for c in COUNTRIES if c))
        raise ValueError(f"no legal clocks for country {country!r} (have: {known}, or '')")
    _check_hour(notice_hour)
    if kind is NoLegalClocks:
        return NoLegalClocks()
    chosen = tuple(services) if services is not None else kind().services
    if kind is UkAutomaticCompensation:
        return UkAutomaticCompensation(services=chosen, holidays=frozenset(holidays),
                                       notice_hour=notice_hour)
    return GermanyTkg58(services=chosen, notice_hour=notice_hour)
