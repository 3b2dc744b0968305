"""``[sensors]``: CONTRACT §8's defaults, and wrong values refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.config import SensorSettings, load_settings
from forewarn.errors import ConfigError


def _load(tmp_path: Path, body: str) -> SensorSettings:
    path = tmp_path / "forewarn.toml"
    path.write_text(f"[sensors]\n{body}\n", encoding="utf-8")
    return load_settings(path).sensors


def test_the_defaults_are_the_contracts(tmp_path: Path) -> None:
    sensors = _load(tmp_path, "")
    assert (sensors.window_s, sensors.min_reports, sensors.background_per_customer_day,
            sensors.false_alarms_per_day) == (900, 5, 0.002, 0.01)


def test_values_from_the_file_are_used(tmp_path: Path) -> None:
    sensors = _load(tmp_path, "window_s = 600\nmin_reports = 3\nfalse_alarms_per_day = 0.1")
    assert (sensors.window_s, sensors.min_reports, sensors.false_alarms_per_day) == (600, 3, 0.1)


@pytest.mark.parametrize(("body", "key"), [
    ("window_s = 0", "sensors.window_s"),
    ("window_s = 86401", "sensors.window_s"),
    ("min_reports = 0", "sensors.min_reports"),
    ("background_per_customer_day = 0", "sensors.background_per_customer_day"),
    ("false_alarms_per_day = -1", "sensors.false_alarms_per_day"),
    ("max_open = 0", "sensors.max_open"),
    ("thresold = 3", "sensors.thresold"),
])
def test_a_wrong_value_or_unknown_key_is_refused_naming_it(tmp_path: Path, body: str,
                                                           key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        _load(tmp_path, body)


def test_the_window_may_be_a_whole_day_and_no_more(tmp_path: Path) -> None:
    assert _load(tmp_path, "window_s = 86400").window_s == 86400


def test_a_cap_on_reports_below_min_reports_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"max_reports_per_element.*min_reports"):
        _load(tmp_path, "min_reports = 20\nmax_reports_per_element = 19")
    assert _load(tmp_path, "min_reports = 20\nmax_reports_per_element = 20").min_reports == 20
