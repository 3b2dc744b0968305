"""Property tests of the legal clocks (CONTRACT §4): for any outage start and timezone, with
daylight saving changes, legal notices fall only at ``notice_hour`` local, only on the days
the contract names, and never once the service is back.

The expected instants come from an independent oracle: the local day is read off the
timestamp, and "notice_hour on day d" is found by scanning that day in 15-minute steps for
the first instant whose wall clock reads ``notice_hour``:00 or later (so a skipped hour
gives the first instant after the gap, a repeated hour its first occurrence, as the legal
module documents). No date arithmetic of ``forewarn.streams.customers.legal_clocks`` is reused.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import ImpactChange, Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.legal_clocks import GermanyTkg58, UkAutomaticCompensation
from forewarn.streams.customers.notices import NoticeRules
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable

# Zones with DST at 02:00/03:00 (Europe, US), at midnight (Santiago, Havana), by 30 minutes
# (Lord Howe), in the southern hemisphere, with odd offsets, and without DST at all.
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "America/Santiago",
         "America/Havana", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns",
         "Asia/Kolkata"]
FIRST, LAST = datetime(2024, 1, 1).timestamp(), datetime(2031, 1, 1).timestamp()
CONFIRM, RESOLVE = 120.0, 300.0


@cache
def transitions(zone_name: str) -> tuple[float, ...]:
    """Approximate instants (a day's precision) where the zone's UTC offset changes."""
    zone, found, t = ZoneInfo(zone_name), [], FIRST
    offset = datetime.fromtimestamp(t, tz=zone).utcoffset()
    while t < LAST:
        t += 86400
        now = datetime.fromtimestamp(t, tz=zone).utcoffset()
        if now != offset:
            found.append(t)
            offset = now
    return tuple(found)


@st.composite
def starts(draw: st.DrawFn) -> tuple[str, float]:
    """A zone and a start instant, half of them within days before a DST change."""
    zone = draw(st.sampled_from(ZONES))
    if transitions(zone) and draw(st.booleans()):
        change = draw(st.sampled_from(transitions(zone)))
        return zone, change + draw(st.integers(-5 * 86400, 86400))
    return zone, float(draw(st.integers(int(FIRST), int(LAST))))


def local_date(instant: float, zone: str) -> date:
    return datetime.fromtimestamp(instant, tz=ZoneInfo(zone)).date()


def hour_on(day: date, hour: int, zone: str) -> float:
    """The first instant of ``day`` whose local wall clock reads ``hour``:00 or later."""
    tz = ZoneInfo(zone)
    t = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("UTC")).timestamp() - 16 * 3600
    while True:
        local = datetime.fromtimestamp(t, tz=tz)
        if local.date() == day and local.hour >= hour:
            return t
        if local.date() > day:
            raise AssertionError(f"{day} has no hour {hour} in {zone}")
        t += 900


def de_expected(start: float, zone: str, hour: int) -> list[tuple[float, Reason]]:
    d = local_date(start, zone)
    return [(hour_on(d + timedelta(days=1), hour, zone), Reason.LEGAL_DAY1),
            (hour_on(d + timedelta(days=3), hour, zone), Reason.LEGAL_COMPENSATION)]


def gb_expected(start: float, zone: str, hour: int, holidays: frozenset[date]
                ) -> list[tuple[float, Reason]]:
    d, full_working = local_date(start, zone), 0
    while True:
        full = start <= hour_on(d, 0, zone)  # out at the day's first instant: all of it
        if full and d.weekday() < 5 and d not in holidays:
            full_working += 1
            if full_working == 2:
                return [(hour_on(d + timedelta(days=1), hour, zone),
                         Reason.LEGAL_AUTO_COMPENSATION)]
        d += timedelta(days=1)


holiday_sets = st.frozensets(
    st.dates(min_value=date(2023, 12, 1), max_value=date(2031, 2, 1)), max_size=40)


@settings(max_examples=400, deadline=None)
@given(starts(), st.integers(0, 23))
def test_de_notices_fall_at_notice_hour_on_d_plus_1_and_d_plus_3(
    zone_start: tuple[str, float], hour: int
) -> None:
    zone, start = zone_start
    clocks = GermanyTkg58(notice_hour=hour).clocks(start, zone)
    assert clocks == de_expected(start, zone, hour)
    assert all(instant > start for instant, _ in clocks)


@settings(max_examples=400, deadline=None)
@given(starts(), st.integers(0, 23), holiday_sets)
def test_gb_notice_falls_at_notice_hour_the_day_after_two_full_working_days(
    zone_start: tuple[str, float], hour: int, holidays: frozenset[date]
) -> None:
    zone, start = zone_start
    clocks = UkAutomaticCompensation(holidays=holidays, notice_hour=hour).clocks(start, zone)
    assert clocks == gb_expected(start, zone, hour, holidays)
    assert all(instant > start for instant, _ in clocks)


def _change(out: bool, at: float) -> ImpactChange:
    return ImpactChange("c-1", "fibre", out, at, "inc-1", "pon-1", "pon")


@settings(max_examples=300, deadline=None)
@given(starts(), st.integers(0, 23), st.floats(0, 8 * 86400), st.sampled_from(["DE", "GB"]))
def test_legal_updates_go_out_only_at_the_named_instants_and_never_once_service_is_back(
    zone_start: tuple[str, float], hour: int, duration: float, country: str
) -> None:
    zone, start = zone_start
    policy = (GermanyTkg58(notice_hour=hour) if country == "DE"
              else UkAutomaticCompensation(notice_hour=hour))
    tracker = EpisodeTracker(JsonTable(), CONFIRM, RESOLVE,
                             notices=NoticeRules(policy, eta_passed=False,
                                                 timezone=lambda _c: zone))
    back = start + duration
    decisions = tracker.observe(_change(True, start)) + tracker.observe(_change(False, back))
    decisions += tracker.advance(back + 30 * 86400)

    expected = de_expected(start, zone, hour) if country == "DE" else gb_expected(
        start, zone, hour, frozenset())
    told = [(d.decided_at, d.reason) for d in decisions if d.stage is Stage.UPDATE]
    notified = duration >= CONFIRM
    # Timers fire before a change at the same instant (episodes.py): a clock at exactly the
    # instant service returns still finds it out.
    assert told == [(t, r) for t, r in expected if notified and start + CONFIRM < t <= back]
    for instant, _ in told:
        local = datetime.fromtimestamp(instant, tz=ZoneInfo(zone))
        assert local.hour in (hour, hour + 1)  # +1 only where the clocks skip notice_hour
        assert instant == hour_on(local.date(), hour, zone)
    resolved = [d.decided_at for d in decisions if d.stage is Stage.RESOLVED]
    assert all(instant <= back for instant, _ in told)
    assert resolved == ([back + RESOLVE] if notified else [])


def test_a_notice_hour_inside_a_gap_that_is_not_a_whole_hour_goes_out_when_the_gap_ends() -> None:
    """Pacific/Chatham skips 02:45 -> 03:45 on 2024-09-29: a 03:00 notice goes at 03:45 local
    (hypothesis found it: reading 03:00 with the old offset gave 04:00, the hour's end)."""
    start = datetime(2024, 9, 28, 23, 59, 59, tzinfo=ZoneInfo("Pacific/Chatham")).timestamp()
    clocks = GermanyTkg58(notice_hour=3).clocks(start, "Pacific/Chatham")
    day1 = datetime.fromtimestamp(clocks[0][0], tz=ZoneInfo("Pacific/Chatham"))
    assert (day1.date(), day1.hour, day1.minute) == (date(2024, 9, 29), 3, 45)
    assert clocks == de_expected(start, "Pacific/Chatham", 3)
