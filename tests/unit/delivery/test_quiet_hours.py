"""Quiet hours in the customer's own timezone, across midnight and DST."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from forewarn.config import Settings, load_settings
from forewarn.errors import ConfigError
from forewarn.streams.delivery.policy import QuietHours
from tests.unit.delivery.policy_helpers import local

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours.parse("22:00-07:00")


def test_empty_means_off() -> None:
    off = QuietHours.parse("")
    assert not off.enabled and off.until(local("2026-11-22 23:00"), BERLIN) is None


def test_late_evening_is_quiet_until_seven_next_morning() -> None:
    assert NIGHT.until(local("2026-11-22 23:30"), BERLIN) == local("2026-11-23 07:00")


def test_early_morning_is_quiet_until_seven_the_same_day() -> None:
    assert NIGHT.until(local("2026-11-23 03:00"), BERLIN) == local("2026-11-23 07:00")


@pytest.mark.parametrize("at", ["2026-11-22 21:59", "2026-11-23 07:00", "2026-11-23 12:00"])
def test_daytime_and_the_end_instant_are_not_quiet(at: str) -> None:
    assert NIGHT.until(local(at), BERLIN) is None


def test_the_start_instant_is_quiet() -> None:
    assert NIGHT.until(local("2026-11-22 22:00"), BERLIN) == local("2026-11-23 07:00")


def test_a_period_within_one_day_works_too() -> None:
    siesta = QuietHours.parse("13:00-15:00")
    assert siesta.until(local("2026-11-22 14:00"), BERLIN) == local("2026-11-22 15:00")
    assert siesta.until(local("2026-11-22 15:30"), BERLIN) is None


def test_quiet_hours_follow_the_customers_zone() -> None:
    at = local("2026-11-22 23:30")  # 22:30 in London, 17:30 in New York
    assert NIGHT.until(at, ZoneInfo("Europe/London")) == local("2026-11-23 07:00", "Europe/London")
    assert NIGHT.until(at, ZoneInfo("America/New_York")) is None


def test_the_night_of_a_dst_change_ends_at_seven_local_time() -> None:
    # Europe/Berlin springs forward on 2026-03-29 at 02:00: that night is one hour shorter.
    start = local("2026-03-28 23:00")
    end = NIGHT.until(start, BERLIN)
    assert end == local("2026-03-29 07:00") and end - start == 7 * 3600


@pytest.mark.parametrize("bad", ["22-07", "22:00", "22:00-07:00-08:00", "25:00-07:00",
                                 "07:00-07:00"])
def test_malformed_quiet_hours_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(bad)


def test_a_bad_setting_fails_at_start_up_naming_the_key(tmp_path: object) -> None:
    path = tmp_path / "forewarn.toml"  # type: ignore[operator]
    path.write_text('[notify]\nquiet_hours = "late"\n')
    with pytest.raises(ConfigError, match=r"notify\.quiet_hours"):
        load_settings(path)
    assert Settings.model_validate({"notify": {"quiet_hours": "22:00-07:00"}})
