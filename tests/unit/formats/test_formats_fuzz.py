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

import copy
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import Alarm, CableCut, IncidentUpdate, InputRecord, MaintenanceWindow
from forewarn.errors import AlarmFormatError
from forewarn.streams.formats.limits import (
    EARLIEST,
    LATEST,
    MAX_ELEMENTS,
    MAX_EXCERPT,
    MAX_TEXT_LENGTH,
    id_problem,
    text_problem,
)
from forewarn.streams.formats.schema import MAX_PROBLEMS
from forewarn.streams.normalise import ParseResult, parse_alarm, parse_line, parse_records

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NATIVE = {"alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
          "event_time": "2024-05-01T10:00:00Z", "text": "t", "probable_cause": "p"}
TMF642 = {"id": "1", "alarmedObject": {"id": "site-7"}, "perceivedSeverity": "major",
          "state": "raised", "alarmRaisedTime": "2024-05-01T10:00:00Z", "probableCause": "p"}
TMF642_EVENT = {"eventType": "AlarmClearedEvent", "eventTime": "2024-05-01T10:00:00Z",
                "event": {"alarm": TMF642}}
TMF642_TASK = {"@type": "ClearAlarms", "alarmClearedTime": "2024-05-01T10:00:00Z",
               "clearedAlarm": [TMF642, TMF642]}
HEADER = {"domain": "fault", "sourceName": "site-7", "lastEpochMicrosec": 1714557600000000,
          "version": "4.1", "eventName": "Fault_x"}
VES = {"event": {"commonEventHeader": HEADER,
                 "faultFields": {"eventSeverity": "MAJOR", "alarmCondition": "linkDown",
                                 "alarmInterfaceA": "eth0"}}}
VES_BATCH = {"eventList": [VES["event"], VES["event"]]}
VES_3GPP = {"event": {"commonEventHeader": HEADER | {"domain": "stndDefined",
                                                     "stndDefinedNamespace":
                                                         "3GPP-FaultSupervision"},
                      "stndDefinedFields": {"data": {"notificationType": "notifyNewAlarm",
                                                     "alarmId": "7",
                                                     "perceivedSeverity": "MAJOR"}}}}
WEBHOOK = {"version": "4", "alerts": [
    {"status": "resolved", "labels": {"instance": "h:9100", "severity": "page", "alertname": "x"},
     "annotations": {"summary": "s"}, "startsAt": "2024-05-01T10:00:00Z",
     "endsAt": "2024-05-01T11:00:00Z", "fingerprint": "abc"}]}
MAINTENANCE = {"type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7", "olt-2"],
               "start": "2024-05-03T01:00:00Z", "end": "2024-05-03T05:00:00Z", "text": "t",
               "event_time": "2024-05-01T09:00:00Z"}
UPDATE = {"type": "incident_update", "incident_id": "inc-1", "element_id": "site-7",
          "eta": "2024-05-01T14:00:00Z", "message": "m", "event_time": "2024-05-01T10:30:00Z"}
CUT = {"type": "cable_cut", "cut_id": "cut-1", "state": "raised",
       "event_time": "2024-05-01T10:00:00Z",
       "location": {"lon": 13.4, "lat": 52.5, "tolerance_m": 50}}
CUT_AREA = {k: v for k, v in CUT.items() if k != "location"} | {
    "area": {"type": "Polygon", "coordinates": [[[13.4, 52.5], [13.5, 52.5], [13.5, 52.6],
                                                 [13.4, 52.5]]]}}
VALID = [NATIVE, TMF642, TMF642_EVENT, TMF642_TASK, VES, VES_BATCH, VES_3GPP, WEBHOOK,
         MAINTENANCE, UPDATE, CUT, CUT_AREA]

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([-(10**400), 2**63, 1714557600000000]),
    st.builds(lambda n: 10**n, st.just(5000)),  # more digits than Python turns into text
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(max_size=3).map(lambda s: s * 500),  # long strings, cheaply
    st.sampled_from(["NaN", "Infinity", "raised", "cleared", "major", "CRITICAL", "NORMAL",
                     "firing", "resolved", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00",
                     "0001-01-01T00:00:00Z", "3000-01-01T00:00:00Z", "@sourceName@", "",
                     "  ", "<script>", "\u202e", "\x00", "fault", "stndDefined",
                     "maintenance", "incident_update", "cable_cut"]),
)
json_values = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=6),
    ),
    max_leaves=25,
)


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out += _paths(value, (*path, index))
    return out


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    """A valid payload of some format with one to three parts replaced or dropped."""
    payload = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(payload) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node = payload
        for part in path[:-1]:
            node = node[part]
        if draw(st.booleans()) and isinstance(node, dict):
            del node[path[-1]]
        else:
            node[path[-1]] = draw(json_values)
    return payload


any_payload = st.one_of(json_values, mutated_payloads(), st.lists(mutated_payloads(), max_size=4))


def check_limits(record: InputRecord) -> None:
    """Every accepted record keeps the limits of forewarn.streams.formats.limits."""
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
