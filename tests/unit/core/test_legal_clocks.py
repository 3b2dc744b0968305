"""Legal clocks as pure date logic: TKG §58 (DE) and Ofcom automatic compensation (GB)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from forewarn.config import Settings, load_settings
from forewarn.errors import ConfigError
from forewarn.streams.legal import (
    GermanyTkg58,
    NoLegalClocks,
    UkAutomaticCompensation,
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


def test_de_day1_at_next_local_midnight_and_compensation_at_start_of_third_day() -> None:
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 11, 21, 14, 2), "Europe/Berlin")
    assert clocks == [
        (at(BERLIN, 2026, 11, 22, 0, 0), Reason.LEGAL_DAY1),
        (at(BERLIN, 2026, 11, 23, 0, 0), Reason.LEGAL_COMPENSATION),
    ]


def test_de_clocks_over_the_spring_dst_change_count_calendar_days_not_24_hours() -> None:
    # 29 March 2026 has 23 hours in Berlin: midnight is 23:00 UTC before, 22:00 UTC after.
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 3, 28, 12, 0), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        utc("2026-03-28T23:00:00+00:00"),
        utc("2026-03-29T22:00:00+00:00"),
    ]
    assert clocks[1][0] - clocks[0][0] == 23 * 3600


def test_de_clocks_over_the_autumn_dst_change_count_a_25_hour_day_as_one() -> None:
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 10, 24, 20, 0), "Europe/Berlin")
    assert [instant for instant, _ in clocks] == [
        utc("2026-10-24T22:00:00+00:00"),
        utc("2026-10-25T23:00:00+00:00"),
    ]
    assert clocks[1][0] - clocks[0][0] == 25 * 3600


def test_de_outage_beginning_at_midnight_has_that_whole_day_as_day_one() -> None:
    clocks = GermanyTkg58().clocks(at(BERLIN, 2026, 5, 4, 0, 0), "Europe/Berlin")
    assert clocks[0][0] == at(BERLIN, 2026, 5, 5, 0, 0)


def test_de_outage_beginning_a_second_before_midnight_owes_news_a_second_later() -> None:
    since = at(BERLIN, 2026, 5, 4, 23, 59, 59)
    assert GermanyTkg58().clocks(since, "Europe/Berlin")[0][0] == since + 1


def test_de_calendar_days_are_the_customers_own() -> None:
    since = utc("2026-05-04T22:30:00+00:00")  # Berlin: 00:30 on the 5th; London: 23:30 on the 4th
    assert GermanyTkg58().clocks(since, "Europe/Berlin")[0][0] == at(BERLIN, 2026, 5, 6, 0, 0)
    assert GermanyTkg58().clocks(since, "Europe/London")[0][0] == at(LONDON, 2026, 5, 5, 0, 0)


def test_an_unknown_timezone_counts_berlin_days_rather_than_dropping_the_notice() -> None:
    since = at(BERLIN, 2026, 5, 4, 9, 0)
    assert GermanyTkg58().clocks(since, "Mars/Olympus") == GermanyTkg58().clocks(
        since, "Europe/Berlin"
    )


# ----------------------------------------------------------------------------- UK


@pytest.mark.parametrize(
    ("since", "due"),
    [
        ((2026, 5, 8, 15, 0), (2026, 5, 13, 0, 0)),  # Fri afternoon: Mon + Tue -> Wed 00:00
        ((2026, 5, 9, 11, 0), (2026, 5, 13, 0, 0)),  # Saturday: Mon + Tue
        ((2026, 5, 4, 10, 0), (2026, 5, 7, 0, 0)),  # Mon morning: Tue + Wed -> Thu 00:00
        ((2026, 5, 4, 0, 0), (2026, 5, 6, 0, 0)),  # Mon at midnight: Mon itself is full
        ((2026, 5, 7, 9, 0), (2026, 5, 12, 0, 0)),  # Thu: Fri + Mon -> Tue 00:00
    ],
)
def test_uk_compensation_after_two_full_working_days_skipping_the_weekend(
    since: tuple[int, ...], due: tuple[int, ...]
) -> None:
    clocks = UkAutomaticCompensation().clocks(at(LONDON, *since), "Europe/London")
    assert clocks == [(at(LONDON, *due), Reason.LEGAL_AUTO_COMPENSATION)]


def test_uk_configured_holidays_are_not_working_days() -> None:
    policy = UkAutomaticCompensation(holidays=frozenset({date(2026, 5, 25)}))  # bank holiday
    clocks = policy.clocks(at(LONDON, 2026, 5, 22, 15, 0), "Europe/London")  # Friday
    assert clocks[0][0] == at(LONDON, 2026, 5, 28, 0, 0)  # Tue + Wed -> Thu


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


def test_no_legal_clocks_means_none() -> None:
    assert legal_policy("").clocks(0.0, "Europe/Berlin") == []


def test_unknown_country_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'FR'"):
        legal_policy("FR")


def test_legal_settings_default_to_germany_and_eta_updates_on() -> None:
    settings = Settings()
    assert settings.legal.country == "DE"
    assert settings.legal.services is None and settings.legal.holidays == ()
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
    with pytest.raises(ConfigError, match="legal.country"):
        load_settings(config)
