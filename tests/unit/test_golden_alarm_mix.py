"""The golden cases' alarm-mix generator (``tests/golden_replay.py``) is deterministic, writes
records the parsers accept as what it meant, and covers every record kind it claims; the
golden normalisation touches nothing but ``delivered_at``."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from forewarn.domain import Alarm, CableCut, IncidentUpdate, MaintenanceWindow
from forewarn.streams.input.normalise import parse_line
from tests.golden_replay import FORMATS, MIX_T0, _fault, alarm_mix, normalise

ELEMENTS = {"cell": ["CELL-1", "CELL-2"], "site": ["SITE-1", "SITE-2", "SITE-3"],
            "power": ["PWR-1"], "transport": ["TRN-1"], "olt": ["OLT-1"], "pon": ["PON-1"]}
ROUTE_POINTS = ["13.4,52.5", "13.45,52.51"]


def test_alarm_mix_is_a_function_of_its_arguments() -> None:
    first = alarm_mix(7, ELEMENTS, 40, ROUTE_POINTS)
    assert first == alarm_mix(7, ELEMENTS, 40, ROUTE_POINTS)
    assert first != alarm_mix(8, ELEMENTS, 40, ROUTE_POINTS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("raised", [True, False])
def test_each_fault_format_parses_to_the_alarm_it_describes(fmt: str, raised: bool) -> None:
    # a raise starts at its own time (Alertmanager's startsAt); a clear ends a fault begun earlier
    line = _fault(fmt, "A-1", "CELL-2", raised, 600.0, "major", 600.0 if raised else 300.0)
    result = parse_line(line)
    assert not result.errors, result.errors
    (alarm,) = result.records
    assert isinstance(alarm, Alarm)
    assert alarm.source_format == fmt
    assert (alarm.element_id, alarm.state) == ("CELL-2", "raised" if raised else "cleared")
    assert alarm.event_time == MIX_T0.timestamp() + 600
    if raised:
        assert alarm.severity == "major"


def test_a_long_mix_has_every_record_kind_every_format_and_rejected_lines() -> None:
    lines = alarm_mix(3, ELEMENTS, 200, ROUTE_POINTS)
    kinds: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    rejected = 0
    for line in lines:
        result = parse_line(line)
        rejected += bool(result.errors)
        for record in result.records:
            kinds[type(record).__name__] += 1
            if isinstance(record, Alarm):
                formats[record.source_format] += 1
    assert set(kinds) == {c.__name__ for c in (Alarm, CableCut, IncidentUpdate, MaintenanceWindow)}
    assert set(formats) == set(FORMATS)
    assert rejected > 0
    unknown = [line for line in lines if "NO-SUCH-" in line]
    assert unknown, "the mix names unknown elements too"


def test_normalise_replaces_only_delivered_at() -> None:
    record = {"notification_id": "n-1", "text": 'said "delivered_at"', "decided_at": "2026-01-01",
              "delivered_at": "2026-12-06T10:00:00.123456+00:00"}
    line = json.dumps(record, ensure_ascii=False) + "\n"
    normalised = json.loads(normalise(line))
    assert normalised == {**record, "delivered_at": "<wall clock>"}
