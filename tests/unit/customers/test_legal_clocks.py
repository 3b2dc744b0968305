"""Legal clocks as pure date logic: TKG §58 (DE) and Ofcom automatic compensation (GB)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from forewarn.config import Settings, load_settings
from forewarn.errors import ConfigError
from forewarn.streams.customers.legal_clocks import (
    GermanyTkg58,
    NoLegalClocks,
    UkAutomaticCompensation,
    clock_origin,
    legal_day,
    legal_policy,
)
from forewarn.streams.reasons import Reason

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")


def at(zone: ZoneInfo, *fields: int) -> float:
    return datetime(*fields, tzinfo=zone).timestamp()  # type: ignore[misc]


def utc(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# ----------------------------------------------------------------------------- Germany


def test_de_monday_fault_gets_news_tuesday_and_compensation_thursday_at_nine() -> None:
    # §187(1) BGB: Monday is not counted; the two calendar days are Tuesday and Wednesday.
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 3, 2, 10, 0), "Europe/Berlin")
    assert clocks == [
        (at(BERLIN, 2026, 3, 3, 9, 0), Reason.LEGAL_DAY1),
        (at(BERLIN, 2026, 3, 5, 9, 0), Reason.LEGAL_COMPENSATION),
    ]


def test_de_notices_go_out_at_the_configured_notice_hour() -> None:
    clocks = GermanyTkg58(notice_hour=14).clocks(at(BERLIN, 2026, 11, 21, 14, 2), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        at(BERLIN, 2026, 11, 22, 14, 0),
        at(BERLIN, 2026, 11, 24, 14, 0),
    ]


def test_de_clocks_keep_the_local_hour_over_the_spring_dst_change() -> None:
    # 29 March 2026 has 23 hours in Berlin: 09:00 is 08:00 UTC before, 07:00 UTC after.
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 3, 28, 12, 0), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        utc("2026-03-29T07:00:00+00:00"),
        utc("2026-03-31T07:00:00+00:00"),
    ]


def test_de_clocks_keep_the_local_hour_over_the_autumn_dst_change() -> None:
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 10, 24, 20, 0), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        utc("2026-10-25T08:00:00+00:00"),  # CET again: 09:00 local
        utc("2026-10-27T08:00:00+00:00"),
    ]


def test_a_notice_hour_the_clocks_skip_goes_out_right_after_the_gap_on_the_same_day() -> None:
    # 02:00 does not exist in Berlin on 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST.
    clocks = GermanyTkg58(notice_hour=2).clocks(at(BERLIN, 2026, 3, 28, 12, 0), "Europe/Berlin")
    day1 = datetime.fromtimestamp(clocks[0][0], tz=BERLIN)
    assert clocks[0][0] == utc("2026-03-29T01:00:00+00:00")
    assert (day1.date(), day1.hour, day1.minute) == (date(2026, 3, 29), 3, 0)


def test_a_notice_hour_that_happens_twice_goes_out_at_its_first_occurrence() -> None:
    # 02:00-03:00 happens twice in Berlin on 2026-10-25 (CEST, then CET).
    clocks = GermanyTkg58(notice_hour=2).clocks(at(BERLIN, 2026, 10, 24, 12, 0), "Europe/Berlin")
    assert clocks[0][0] == utc("2026-10-25T00:00:00+00:00")  # 02:00 CEST


def test_de_outage_beginning_at_midnight_still_does_not_count_its_own_day() -> None:
    # §187(1) BGB counts from an event; the outage is one even at 00:00 (§187(2) is for
    # periods that start with a day, which an outage never is).
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 5, 4, 0, 0), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        at(BERLIN, 2026, 5, 5, 9, 0),
        at(BERLIN, 2026, 5, 7, 9, 0),
    ]


def test_de_outage_beginning_a_second_before_midnight_counts_from_that_day() -> None:
    since = at(BERLIN, 2026, 5, 4, 23, 59, 59)
    assert GermanyTkg58().clocks(since, "Europe/Berlin")[0][0] == at(BERLIN, 2026, 5, 5, 9, 0)


def test_de_calendar_days_are_the_customers_own() -> None:
    since = utc("2026-05-04T22:30:00+00:00")  # Berlin: 00:30 on the 5th; London: 23:30 on the 4th
    assert GermanyTkg58().clocks(since, "Europe/Berlin")[0][0] == at(BERLIN, 2026, 5, 6, 9, 0)
    assert GermanyTkg58().clocks(since, "Europe/London")[0][0] == at(LONDON, 2026, 5, 5, 9, 0)


def test_an_unknown_timezone_counts_berlin_days_rather_than_dropping_the_notice() -> None:
    since = at(BERLIN, 2026, 5, 4, 9, 0)
    assert GermanyTkg58().clocks(since, "Mars/Olympus") == GermanyTkg58().clocks(
        since, "Europe/Berlin"
    )


@pytest.mark.parametrize("hour", [-1, 24])
def test_a_notice_hour_outside_0_to_23_is_refused(hour: int) -> None:
    with pytest.raises(ValueError, match="notice_hour"):
        GermanyTkg58(notice_hour=hour)
    with pytest.raises(ValueError, match="notice_hour"):
        legal_policy("GB", notice_hour=hour)


@pytest.mark.parametrize("hour", [0, 23])
def test_notice_hours_at_the_limits_are_kept(hour: int) -> None:
    policy = legal_policy("DE", notice_hour=hour)
    clocks = policy.clocks(at(BERLIN, 2026, 5, 4, 12), "Europe/Berlin")
    assert [datetime.fromtimestamp(i, tz=BERLIN).hour for i, _ in clocks] == [hour, hour]


# ----------------------------------------------------------------------------- clock start


def test_clock_start_outage_counts_from_the_outage_even_with_a_later_report() -> None:
    assert clock_origin("outage", 100.0, 5000.0) == 100.0


def test_clock_start_report_counts_from_the_first_report() -> None:
    monday_fault = at(BERLIN, 2026, 3, 2, 10, 0)
    tuesday_call = at(BERLIN, 2026, 3, 3, 8, 30)
    origin = clock_origin("report", monday_fault, tuesday_call)
    assert origin == tuesday_call
    assert legal_day(origin, "Europe/Berlin") == date(2026, 3, 3)
    assert [i for i, _ in GermanyTkg58().clocks(origin, "Europe/Berlin")] == [
        at(BERLIN, 2026, 3, 4, 9, 0),  # both updates a day later than from the outage
        at(BERLIN, 2026, 3, 6, 9, 0),
    ]


def test_clock_start_report_without_a_report_starts_no_clock() -> None:
    assert clock_origin("report", 100.0, None) is None


def test_an_unknown_clock_start_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="outage, report"):
        clock_origin("alarm", 100.0, None)


# ----------------------------------------------------------------------------- UK


@pytest.mark.parametrize(
    ("since", "due"),
    [
        ((2026, 5, 8, 15, 0), (2026, 5, 13, 9, 0)),  # Fri afternoon: Mon + Tue -> Wed 09:00
        ((2026, 5, 9, 11, 0), (2026, 5, 13, 9, 0)),  # Saturday: Mon + Tue
        ((2026, 5, 4, 10, 0), (2026, 5, 7, 9, 0)),  # Mon morning: Tue + Wed -> Thu
        ((2026, 5, 4, 0, 0), (2026, 5, 6, 9, 0)),  # Mon at midnight: Mon itself is full
        ((2026, 5, 7, 9, 0), (2026, 5, 12, 9, 0)),  # Thu: Fri + Mon -> Tue
        ((2026, 5, 6, 9, 0), (2026, 5, 9, 9, 0)),  # Wed: Thu + Fri -> Saturday (a calendar day)
    ],
)
def test_uk_compensation_notice_the_day_after_two_full_working_days_at_nine(
    since: tuple[int, ...], due: tuple[int, ...]
) -> None:
    clocks = UkAutomaticCompensation().clocks(at(LONDON, *since), "Europe/London")
    assert clocks == [(at(LONDON, *due), Reason.LEGAL_AUTO_COMPENSATION)]


def test_uk_configured_holidays_are_not_working_days() -> None:
    policy = UkAutomaticCompensation(holidays=frozenset({date(2026, 5, 25)}))  # bank holiday
    clocks = policy.clocks(at(LONDON, 2026, 5, 22, 15, 0), "Europe/London")  # Friday
    assert clocks[0][0] == at(LONDON, 2026, 5, 28, 9, 0)  # Tue + Wed -> Thu


def test_uk_scheme_covers_fixed_broadband_only_by_default() -> None:
    assert UkAutomaticCompensation().services == ("fibre",)
    assert GermanyTkg58().services == ("mobile", "fibre")


# ----------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("country", "kind"),
    [("DE", GermanyTkg58), ("de", GermanyTkg58), ("GB", UkAutomaticCompensation),
     ("UK", UkAutomaticCompensation), ("", NoLegalClocks), ("none", NoLegalClocks)],
)
def test_policy_is_chosen_by_country(country: str, kind: type) -> None:
    assert isinstance(legal_policy(country), kind)


def test_policy_services_and_holidays_can_be_overridden() -> None:
    policy = legal_policy("GB", services=["fibre", "mobile"], holidays=[date(2026, 12, 25)])
    assert isinstance(policy, UkAutomaticCompensation)
    assert policy.services == ("fibre", "mobile")
    assert policy.holidays == frozenset({date(2026, 12, 25)})
    assert legal_policy("DE", notice_hour=7).clocks(at(BERLIN, 2026, 5, 4, 12), "Europe/Berlin")[
        0][0] == at(BERLIN, 2026, 5, 5, 7, 0)


def test_no_legal_clocks_means_none() -> None:
    assert legal_policy("").clocks(0.0, "Europe/Berlin") == []


def test_unknown_country_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'FR'"):
        legal_policy("FR")


def test_legal_settings_default_to_germany_and_eta_updates_on() -> None:
    settings = Settings()
    assert settings.legal.country == "DE"
    assert settings.legal.services is None and settings.legal.holidays == ()
    assert (settings.legal.notice_hour, settings.legal.clock_start) == (9, "outage")
    assert settings.notify.eta_passed_update is True


def test_legal_settings_are_read_from_toml(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(
        '[legal]\ncountry = "uk"\nholidays = [2026-12-25, "2026-12-28"]\n'
        "[notify]\neta_passed_update = false\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.legal.country == "UK"
    assert settings.legal.holidays == (date(2026, 12, 25), date(2026, 12, 28))
    assert settings.notify.eta_passed_update is False


def test_a_country_without_legal_clocks_fails_at_start_up_with_the_key(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text('[legal]\ncountry = "FR"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"legal\.country"):
        load_settings(config)


@pytest.mark.parametrize("hour", [0, 23])
def test_notice_hour_at_its_limits_is_accepted(tmp_path: Path, hour: int) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(f"[legal]\nnotice_hour = {hour}\n", encoding="utf-8")
    assert load_settings(config).legal.notice_hour == hour


@pytest.mark.parametrize("hour", [-1, 24])
def test_notice_hour_outside_0_to_23_fails_at_start_up_with_the_key(
    tmp_path: Path, hour: int
) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(f"[legal]\nnotice_hour = {hour}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"legal\.notice_hour"):
        load_settings(config)


def test_clock_start_report_is_accepted_with_its_lead(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text('[legal]\nclock_start = "report"\nreport_lead_s = 1800\n',
                      encoding="utf-8")
    legal = load_settings(config).legal
    assert (legal.clock_start, legal.report_lead_s) == ("report", 1800.0)


def test_report_lead_defaults_to_an_hour(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text('[legal]\nclock_start = "report"\n', encoding="utf-8")
    assert load_settings(config).legal.report_lead_s == 3600.0


@pytest.mark.parametrize(("lead", "accepted"), [(604800, True), (604801, False), (-1, False)])
def test_report_lead_is_limited_to_a_week(tmp_path: Path, lead: int, accepted: bool) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(f"[legal]\nreport_lead_s = {lead}\n", encoding="utf-8")
    if accepted:
        assert load_settings(config).legal.report_lead_s == lead
    else:
        with pytest.raises(ConfigError, match=r"legal\.report_lead_s"):
            load_settings(config)


def test_an_unknown_clock_start_fails_at_start_up_with_the_key(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text('[legal]\nclock_start = "alarm"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"legal\.clock_start.*'outage' or 'report'"):
        load_settings(config)


@pytest.mark.parametrize("quiet", ["08:00-10:00", "22:00-09:30", "09:00-09:01"])
def test_notice_hour_inside_quiet_hours_fails_at_start_up_naming_both(
    tmp_path: Path, quiet: str
) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(f'[notify]\nquiet_hours = "{quiet}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"legal\.notice_hour = 9 .*notify\.quiet_hours"):
        load_settings(config)


@pytest.mark.parametrize("quiet", ["22:00-09:00", "09:01-21:00", "00:00-08:59"])
def test_notice_hour_just_outside_quiet_hours_is_accepted(tmp_path: Path, quiet: str) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text(f'[notify]\nquiet_hours = "{quiet}"\n', encoding="utf-8")
    assert load_settings(config).notify.quiet_hours == quiet


def test_quiet_hours_over_notice_hour_are_fine_without_legal_clocks(tmp_path: Path) -> None:
    config = tmp_path / "forewarn.toml"
    config.write_text('[notify]\nquiet_hours = "08:00-10:00"\n[legal]\ncountry = ""\n',
                      encoding="utf-8")
    assert load_settings(config).legal.country == ""
