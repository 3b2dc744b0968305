"""Every invalid variant of a valid payload is rejected with the offending field named.

The variants are generated from the real samples (and, for the formats forewarn defines,
from a canonical example): each required field dropped, each given a value of the wrong JSON
type, each severity given an unknown value, each time given without offset or as nonsense.
Each variant is checked on its own (field named from the top of the payload) and inside an
array between two valid alarms (field prefixed ``[1].``, the valid neighbours kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.streams.input.normalise import parse_records
from tests.unit.input.formats.format_samples import FieldPath, dotted, load, replaced, without

NATIVE = {
    "alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
    "event_time": "2024-05-01T10:00:00+02:00",
}
MAINTENANCE = {
    "type": "maintenance", "maintenance_id": "m-1", "elements": ["site-7", "olt-2"],
    "start": "2024-05-03T01:00:00+02:00", "end": "2024-05-03T05:00:00+02:00",
    "event_time": "2024-05-01T09:00:00Z",
}
INCIDENT_UPDATE = {
    "type": "incident_update", "incident_id": "inc-1", "eta": "2024-05-01T14:00:00Z",
    "event_time": "2024-05-01T10:30:00Z",
}


def _tmf642_event() -> dict[str, Any]:
    return {"eventType": "AlarmCreateEvent", "eventTime": "2019-07-03T03:33:00Z",
            "event": {"alarm": load("tmf642/Alarm.example.json")}}


SAMPLES: dict[str, Callable[[], Any]] = {
    "native": lambda: NATIVE,
    "maintenance": lambda: MAINTENANCE,
    "incident_update": lambda: INCIDENT_UPDATE,
    "tmf642": lambda: load("tmf642/Alarm.example.json"),
    "tmf642_event": _tmf642_event,
    "tmf642_clear_task": lambda: load("tmf642/ClearAlarms.example.json"),
    "ves_fault": lambda: load("onap_ves/ves7_valid_30_1_1_event.json"),
    "ves_batch": lambda: load("onap_ves/ves7_batch_valid.json"),
    "ves_stnd_defined": lambda: load("onap_ves/ves_stdnDefined_valid.json"),
    "alertmanager": lambda: load("alertmanager/alerts2_webhook.json"),
}

#: How many records the unmutated sample yields; other samples yield one.
YIELDS = {"tmf642_clear_task": 2, "ves_batch": 2, "alertmanager": 10}


def kept(name: str, path: FieldPath) -> int:
    """Records left after mutating ``path``: a batch loses the one item the path is in, or
    everything when the path is the batch itself."""
    total = YIELDS.get(name, 1)
    return total - 1 if any(isinstance(part, int) for part in path) else 0

HEADER = ("event", "commonEventHeader")
FAULT = ("event", "faultFields")
DATA = ("event", "stndDefinedFields", "data")
ALERT = ("alerts", 3)
CLEARED = ("clearedAlarm", 1)
REQUIRED: dict[str, list[FieldPath]] = {
    "native": [("alarm_id",), ("element_id",), ("state",), ("severity",), ("event_time",)],
    "maintenance": [("maintenance_id",), ("elements",), ("start",), ("end",)],
    "incident_update": [("event_time",)],
    # TMF642 ``id`` is optional (the server assigns it): see test_formats_tmf642_without_id.
    "tmf642": [("alarmedObject",), ("alarmedObject", "id"), ("perceivedSeverity",)],
    "tmf642_event": [("event",), ("event", "alarm"),
                     ("event", "alarm", "alarmedObject", "id"),
                     ("event", "alarm", "perceivedSeverity")],
    "tmf642_clear_task": [("clearedAlarm",), (*CLEARED, "alarmedObject"),
                          (*CLEARED, "alarmedObject", "id")],
    "ves_fault": [HEADER, (*HEADER, "domain"), (*HEADER, "sourceName"),
                  (*HEADER, "lastEpochMicrosec"), FAULT, (*FAULT, "eventSeverity"),
                  (*FAULT, "alarmCondition")],
    "ves_batch": [("eventList", 1, "commonEventHeader"),
                  ("eventList", 1, "commonEventHeader", "sourceName"),
                  ("eventList", 1, "faultFields", "alarmCondition")],
    "ves_stnd_defined": [("event", "stndDefinedFields"), DATA, (*DATA, "notificationType"),
                         (*DATA, "alarmId"), (*DATA, "perceivedSeverity")],
    "alertmanager": [(*ALERT, "status"), (*ALERT, "labels"), (*ALERT, "labels", "severity"),
                     (*ALERT, "startsAt")],
}
SEVERITIES: dict[str, FieldPath] = {
    "native": ("severity",),
    "tmf642": ("perceivedSeverity",),
    "tmf642_event": ("event", "alarm", "perceivedSeverity"),
    "tmf642_clear_task": (*CLEARED, "perceivedSeverity"),
    "ves_fault": (*FAULT, "eventSeverity"),
    "ves_batch": ("eventList", 0, "faultFields", "eventSeverity"),
    "ves_stnd_defined": (*DATA, "perceivedSeverity"),
    "alertmanager": (*ALERT, "labels", "severity"),
}
TIMES: dict[str, list[FieldPath]] = {
    "native": [("event_time",)],
    "maintenance": [("start",), ("end",), ("event_time",)],
    "incident_update": [("event_time",), ("eta",)],
    "tmf642": [("alarmRaisedTime",), ("alarmChangedTime",)],
    "tmf642_event": [("eventTime",), ("event", "alarm", "alarmChangedTime")],
    "tmf642_clear_task": [("alarmClearedTime",), (*CLEARED, "alarmClearedTime")],
    "alertmanager": [(*ALERT, "startsAt")],
}


def cases(table: dict[str, Any]) -> list[Any]:
    return [
        pytest.param(name, path, id=f"{name}:{dotted(path)}")
        for name, paths in table.items()
        for path in (paths if isinstance(paths, list) else [paths])
    ]


def in_array(field: str, index: int) -> str:
    """The name of ``field`` once its payload is item ``index`` of an array."""
    if field == "<record>":
        return f"[{index}]"
    return f"[{index}]{'' if field.startswith('[') else '.'}{field}"


def the_error(payload: Any, expected_records: int) -> Any:
    """The payload alone and inside an array: one error, the other records kept."""
    alone = parse_records(payload)
    assert len(alone.records) == expected_records
    [error] = alone.errors
    among = parse_records([NATIVE, payload, NATIVE])
    assert len(among.records) == expected_records + 2
    [nested] = among.errors
    assert (nested.field, nested.problem) == (in_array(error.field, 1), error.problem)
    return error


@pytest.mark.parametrize(("name", "path"), cases(REQUIRED))
def test_dropping_a_required_field_names_it(name, path):
    error = the_error(without(SAMPLES[name](), path), kept(name, path))
    assert error.field == dotted(path)
    assert error.problem.startswith("missing (required")


def _wrong_values(original: Any) -> list[Any]:
    if isinstance(original, dict):
        return [None, True, ["x"], "text", 17]
    if isinstance(original, list):
        return [None, True, "text", 17, {"x": "y"}]
    return [None, True, ["x"], {"x": "y"}]


@pytest.mark.parametrize(("name", "path"), cases(REQUIRED))
def test_a_required_field_of_the_wrong_type_is_named(name, path):
    sample = SAMPLES[name]()
    node: Any = sample
    for part in path:
        node = node[part]
    for value in _wrong_values(node):
        error = the_error(replaced(sample, path, value), kept(name, path))
        assert error.field == dotted(path), value


@pytest.mark.parametrize(("name", "path"), cases(SEVERITIES))
@pytest.mark.parametrize("value", ["catastrophic", "", "  ", "@severity@"])
def test_an_unknown_severity_is_named(name, path, value):
    error = the_error(replaced(SAMPLES[name](), path, value), kept(name, path))
    assert error.field == dotted(path)


@pytest.mark.parametrize(("name", "path"), cases(TIMES))
@pytest.mark.parametrize(
    ("value", "words"),
    [("2024-05-01T10:00:00", "no UTC offset"), ("2024-05-01", "no UTC offset"),
     ("yesterday", "not an ISO-8601 time"), (1714557600, "must be a string")],
)
def test_a_time_without_offset_or_not_a_time_is_named(name, path, value, words):
    error = the_error(replaced(SAMPLES[name](), path, value), kept(name, path))
    assert error.field == dotted(path)
    assert words in error.problem


@pytest.mark.parametrize(
    "value", ["1413378172000000", 1413378172000, 1413378172, 1.4e21, True, None, float("nan")]
)
def test_a_ves_epoch_that_is_not_microseconds_is_named(value):
    path = (*HEADER, "lastEpochMicrosec")
    error = the_error(replaced(SAMPLES["ves_fault"](), path, value), 0)
    assert error.field == dotted(path)


@pytest.mark.parametrize(
    ("name", "path"),
    [("native", ("alarm_id",)), ("native", ("element_id",)), ("tmf642", ("alarmedObject", "id")),
     ("ves_fault", (*HEADER, "sourceName")), ("ves_fault", (*FAULT, "alarmCondition")),
     ("maintenance", ("maintenance_id",)), ("alertmanager", (*ALERT, "status"))],
)
def test_a_number_where_text_is_required_is_named(name, path):
    error = the_error(replaced(SAMPLES[name](), path, 17), kept(name, path))
    assert (error.field, error.problem) == (dotted(path), "must be a string, got number")


MUTABLE = [(name, path) for name, paths in REQUIRED.items() for path in paths]
WRONG_SCALARS = st.one_of(
    st.none(), st.booleans(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["zz", "x-extra"]), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(MUTABLE), value=WRONG_SCALARS, data=st.data())
def test_any_wrong_value_in_any_required_field_is_named(case, value, data):
    name, path = case
    sample = SAMPLES[name]()
    node: Any = sample
    for part in path:
        node = node[part]
    if isinstance(node, (dict, list)) and isinstance(value, (dict, list)):
        value = data.draw(st.sampled_from([None, "text", 5]))  # a container of another shape
    result = parse_records(replaced(sample, path, value))
    assert len(result.records) == kept(name, path)
    [error] = result.errors
    assert error.field == dotted(path)
