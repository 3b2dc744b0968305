"""``[worker]``: the stall watchdog's limits, defaults, bounds and refusals naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.config import WorkerSettings, load_settings
from forewarn.errors import ConfigError


def _load(tmp_path: Path, body: str) -> WorkerSettings:
    path = tmp_path / "forewarn.toml"
    path.write_text(f"[worker]\n{body}\n", encoding="utf-8")
    return load_settings(path).worker


def test_the_defaults_allow_two_minutes_then_one_more_before_exit(tmp_path: Path) -> None:
    worker = _load(tmp_path, "")
    assert (worker.stall_after_s, worker.stall_exit_s) == (120, 60)


def test_values_at_the_limits_are_accepted(tmp_path: Path) -> None:
    worker = _load(tmp_path, "stall_after_s = 86400\nstall_exit_s = 0")
    assert (worker.stall_after_s, worker.stall_exit_s) == (86400, 0)


@pytest.mark.parametrize(("body", "key"), [
    ("stall_after_s = 0", "worker.stall_after_s"),
    ("stall_after_s = 86401", "worker.stall_after_s"),
    ("stall_exit_s = -1", "worker.stall_exit_s"),
    ("stall_exit_s = 86401", "worker.stall_exit_s"),
    ("stall_after = 3", "worker.stall_after"),
])
def test_a_wrong_value_or_unknown_key_is_refused_naming_it(tmp_path: Path, body: str,
                                                           key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        _load(tmp_path, body)
