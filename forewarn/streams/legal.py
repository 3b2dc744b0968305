"""Legal clocks: when the law says a customer with a long outage must hear from us again.

Pure date logic in the customer's own timezone (``zoneinfo``); no I/O. A policy turns the
start of an outage into the instants at which a still unresolved outage owes the customer an
``update`` notice, each with the :class:`~forewarn.streams.reasons.Reason` that picks its
wording. The episode machine asks once, when the outage notice is decided, and keeps the
answer in its state, so a crash or a changed timezone database cannot move a clock.

Countries (``[legal] country``):

``DE`` — TKG §58. A fault not fixed within the calendar day it began obliges the provider to
    tell the customer by the next day what it is doing and when the fix is expected:
    ``LEGAL_DAY1`` at the start (local midnight) of the next calendar day. From the third
    calendar day of complete outage the customer is owed compensation:
    ``LEGAL_COMPENSATION`` at the start of the third calendar day. Both services.
``GB`` (alias ``UK``) — Ofcom automatic compensation for fixed broadband and landlines:
    once the fault has lasted two *full* working days (Monday to Friday, minus configured
    ``holidays``), ``LEGAL_AUTO_COMPENSATION`` at the end of the second one. A day counts
    only if the outage covered all of it, so the day the outage began counts only when it
    began at local midnight. Fibre only by default (mobile is not in the scheme).
``""`` / ``NONE`` — no legal clocks.

Why local midnight and not "24 hours later": the law counts calendar days, and a calendar day
is the customer's; on the days clocks change a calendar day is 23 or 25 hours long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.domain import SERVICES
from forewarn.streams.reasons import Reason

__all__ = [
    "COUNTRIES",
    "DEFAULT_TIMEZONE",
    "GermanyTkg58",
    "LegalPolicy",
    "NoLegalClocks",
    "UkAutomaticCompensation",
    "legal_policy",
    "local_midnight",
]

DEFAULT_TIMEZONE = "Europe/Berlin"

Clock = tuple[float, Reason]


class LegalPolicy(Protocol):
    """The legal clocks of one country.

    ``clocks(since, timezone)`` returns the instants (POSIX seconds, strictly after ``since``,
    ascending) at which an outage of one of ``services`` that began at ``since`` and is still
    unresolved owes the customer a notice, each with its reason. Pure and deterministic.
    """

    country: str
    services: tuple[str, ...]

    def clocks(self, since: float, timezone: str) -> list[Clock]: ...


def _zone(name: str) -> ZoneInfo:
    # Same fallback as the templates: a bad zone must not silence a legal notice.
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_midnight(day: date, zone: ZoneInfo) -> float:
    """The first instant of ``day`` in ``zone`` (where midnight is skipped: just after the gap)."""
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


def _local_day(epoch: float, zone: ZoneInfo) -> tuple[date, bool]:
    """The local calendar day of ``epoch`` and whether ``epoch`` is that day's first instant."""
    local = datetime.fromtimestamp(epoch, tz=zone)
    return local.date(), local_midnight(local.date(), zone) == epoch


@dataclass(frozen=True, slots=True)
class NoLegalClocks:
    """No legal clocks (``country = ""``)."""

    country: str = ""
    services: tuple[str, ...] = ()

    def clocks(self, since: float, timezone: str) -> list[Clock]:
        return []


@dataclass(frozen=True, slots=True)
class GermanyTkg58:
    """TKG §58: news on the next calendar day, compensation from the third calendar day."""

    country: str = "DE"
    services: tuple[str, ...] = SERVICES

    def clocks(self, since: float, timezone: str) -> list[Clock]:
        zone = _zone(timezone)
        first, _ = _local_day(since, zone)
        return [
            (local_midnight(first + timedelta(days=1), zone), Reason.LEGAL_DAY1),
            (local_midnight(first + timedelta(days=2), zone), Reason.LEGAL_COMPENSATION),
        ]


@dataclass(frozen=True, slots=True)
class UkAutomaticCompensation:
    """Ofcom automatic compensation: after two full working days without service."""

    country: str = "GB"
    services: tuple[str, ...] = ("fibre",)
    holidays: frozenset[date] = frozenset()
    working_days: int = 2

    def _working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def clocks(self, since: float, timezone: str) -> list[Clock]:
        zone = _zone(timezone)
        start, at_midnight = _local_day(since, zone)
        day = start if at_midnight else start + timedelta(days=1)  # first full day
        counted = 0
        while True:
            if self._working(day):
                counted += 1
                if counted == self.working_days:
                    end = local_midnight(day + timedelta(days=1), zone)
                    return [(end, Reason.LEGAL_AUTO_COMPENSATION)]
            day += timedelta(days=1)


#: Policy constructors by ``[legal] country`` (upper case).
COUNTRIES: dict[str, type[GermanyTkg58] | type[UkAutomaticCompensation] | type[NoLegalClocks]] = {
    "DE": GermanyTkg58,
    "GB": UkAutomaticCompensation,
    "UK": UkAutomaticCompensation,
    "": NoLegalClocks,
    "NONE": NoLegalClocks,
}


def legal_policy(
    country: str, *, services: Iterable[str] | None = None, holidays: Iterable[date] = ()
) -> LegalPolicy:
    """The policy of ``country`` (``DE``, ``GB``/``UK``, ``""``); ``services`` overrides its
    default services, ``holidays`` are extra non-working days (used by working-day clocks).

    Raises ``ValueError`` naming the country when there is no policy for it.
    """
    kind = COUNTRIES.get(country.strip().upper())
    if kind is None:
        known = ", ".join(sorted(c for c in COUNTRIES if c))
        raise ValueError(f"no legal clocks for country {country!r} (have: {known}, or '')")
    if kind is NoLegalClocks:
        return NoLegalClocks()
    chosen = tuple(services) if services is not None else kind().services
    if kind is UkAutomaticCompensation:
        return UkAutomaticCompensation(services=chosen, holidays=frozenset(holidays))
    return GermanyTkg58(services=chosen)
