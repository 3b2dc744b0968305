"""Fuzzing the ingest parsers (issue 16, item 7): no JSON value can crash them or slip past
the limits.

Two kinds of input: arbitrary JSON values (nested, huge integers, NaN, unicode, wrong types)
and valid payloads of every format with one part replaced by such a value, which reaches the
checks deep inside each format. Properties:

* :func:`parse_records` never raises; every payload yields a record or an error;
* :func:`parse_alarm` raises nothing but ``AlarmFormatError``; :func:`parse_line` never raises;
* every error names a field and stays short, with a bounded excerpt;
* every accepted record keeps the limits (ids, texts, times, element counts).

Bounded for CI: ``max_examples`` 200 per property, no deadline (the machine is shared).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import Alarm, CableCut, IncidentUpdate, InputRecord, MaintenanceWindow
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.limits import (
    EARLIEST,
    LATEST,
    MAX_ELEMENTS,
    MAX_EXCERPT,
    MAX_TEXT_LENGTH,
    id_problem,
    text_problem,
)
from forewarn.streams.input.formats.schema import MAX_PROBLEMS
from forewarn.streams.input.normalise import ParseResult, parse_alarm, parse_line, parse_records
from tests.fuzz_payloads import NATIVE, VALID, any_payload

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def check_limits(record: InputRecord) -> None:
    """Every accepted record keeps the limits of forewarn.streams.input.formats.limits."""
    ids: list[str | None] = []
    texts: list[str | None] = []
    times: list[float | None] = []
    if isinstance(record, Alarm):
        ids += [record.alarm_id, record.element_id]
        texts += [record.probable_cause, record.specific_problem, record.text]
        times.append(record.event_time)
    elif isinstance(record, MaintenanceWindow):
        ids += [record.maintenance_id, *record.elements]
        texts.append(record.text)
        times += [record.start, record.end, record.event_time]
        assert 0 < len(record.elements) <= MAX_ELEMENTS
        assert record.end > record.start
    elif isinstance(record, IncidentUpdate):
        ids += [record.incident_id, record.element_id]
        texts.append(record.message)
        times += [record.event_time, record.eta]
        assert record.incident_id or record.element_id
    elif isinstance(record, CableCut):
        ids.append(record.cut_id)
        texts.append(record.text)
        times.append(record.event_time)
    for value in ids:  # derived ids (VES "source|condition") too
        assert value is None or (value.strip() and id_problem(value) is None), value
    for value in texts:
        assert value is None or text_problem(value) is None, value[:80]
    for value in times:
        assert value is None or (math.isfinite(value) and EARLIEST <= value < LATEST), value


def check_result(result: ParseResult) -> None:
    assert result.records or result.errors  # every payload has an outcome to count
    for error in result.errors:
        assert isinstance(error, AlarmFormatError)
        assert error.fields and all(isinstance(f, str) and f for f in error.fields)
        assert error.problem
        assert len(error.problems) <= MAX_PROBLEMS + 1
        assert len(str(error)) <= (MAX_PROBLEMS + 1) * (2 * MAX_TEXT_LENGTH)
        assert error.excerpt is None or len(error.excerpt) <= MAX_EXCERPT
    for record in result.records:
        check_limits(record)


@FUZZ
@given(any_payload)
def test_parse_records_never_raises_and_keeps_the_limits(payload: Any) -> None:
    check_result(parse_records(payload))


@FUZZ
@given(any_payload)
def test_parse_alarm_raises_only_format_errors(payload: Any) -> None:
    try:
        alarm = parse_alarm(payload)
    except AlarmFormatError as error:
        assert error.field
    else:
        check_limits(alarm)


def as_line(payload: Any) -> str:
    """``payload`` as one JSON line; a huge integer is written out digit by digit, since
    ``json.dumps`` refuses to (the parser must still cope with such a line)."""
    try:
        return json.dumps(payload, ensure_ascii=False)
    except ValueError:
        return '{"alarm_id": ' + "7" * 5000 + "}"


@FUZZ
@given(st.one_of(any_payload.map(as_line), st.text()))
def test_parse_line_never_raises(line: str) -> None:
    check_result(parse_line(line))


@FUZZ
@given(st.sampled_from(VALID), st.integers(min_value=0, max_value=5))
def test_every_valid_payload_stays_valid_among_mutated_ones(payload: Any, where: int) -> None:
    neighbours = [{"not": "an alarm"}] * 5
    result = parse_records([*neighbours[:where], payload, *neighbours[where:]])
    check_result(result)
    assert len(result.errors) == 5
    assert result.records == parse_records(payload).records


def test_pathological_lines_are_rejected_not_raised() -> None:
    for line in ["[" * 200_000, "1" * 5000, '{"a":' * 50_000, "NaN", "\ud800", ""]:
        check_result(parse_line(line))


def test_a_deeply_nested_object_is_rejected_not_raised() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = {"a": deep}
    for payload in (deep, NATIVE | {"text": deep}, {"event": deep}, {"alerts": [deep]}):
        check_result(parse_records(payload))
