"""run_impact / run_synth: what the CLI prints and what goes to stderr."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from forewarn.errors import RegionError
from forewarn.geo.commands import parse_down, run_impact, run_synth
from tests.unit.geo.geo_helpers import TINY


def test_impact_result_has_the_contract_shape() -> None:
    result = run_impact(TINY, ["S-A,PON-1"])
    assert json.dumps(result) == (
        '{"outage": {"mobile": ["007", "c-east", "c-south", "f-fttb"], "fibre": ["007"]}}')


def test_down_values_may_repeat_the_option_or_use_commas() -> None:
    assert parse_down(["A1, B1", "A1", "", "PON-1"]) == ["A1", "B1", "PON-1"]
    assert parse_down("A1,B1") == ["A1", "B1"]


def test_unknown_down_ids_are_warned_about_not_printed(caplog: pytest.LogCaptureFixture,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with caplog.at_level(logging.WARNING, logger="forewarn.geo"):
        result = run_impact(TINY, ["A1", "NOPE-1"])
    assert result == {"outage": {"mobile": ["007"], "fibre": []}}
    assert any("NOPE-1" in r.getMessage() for r in caplog.records)
    assert capsys.readouterr().out == ""


def test_impact_on_a_broken_region_raises_region_error(tmp_path: Path) -> None:
    with pytest.raises(RegionError):
        run_impact(tmp_path, ["A1"])


def test_synth_writes_a_region_that_impact_can_read(tmp_path: Path) -> None:
    run_synth(tmp_path / "r", 50, 3)
    result = run_impact(tmp_path / "r", ["TRN-01"])
    assert result["outage"]["mobile"]  # the transport hub carries every site


def test_synth_rejects_a_non_positive_customer_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run_synth(tmp_path, 0, 1)
