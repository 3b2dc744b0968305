"""Whatever arrives, the parser answers with records and named errors; it never crashes.

The normalise agent must keep going on garbage (CONTRACT §3: "processing continues"), so
no input may raise anything but a result. Unknown extra fields never change the result.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.streams.input.normalise import ParseResult, parse_line, parse_records
from tests.unit.input.formats.format_samples import ALARMS, leaves, replaced

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=20,
)

SAMPLE_FILES = [
    "tmf642/Alarm.example.json", "tmf642/ClearAlarms.example.json",
    "onap_ves/ves7_batch_valid_two_different_domain.json",
    "alertmanager/example_with_external_labels_webhook.json",
]
NATIVE = {"alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
          "event_time": "2024-05-01T10:00:00Z"}


def _samples() -> list[Any]:
    found = [json.loads((ALARMS / name).read_text("utf-8")) for name in SAMPLE_FILES
             if (ALARMS / name).is_file()]
    return [NATIVE, *found]


SAMPLES = _samples()
MARKERS = ["type", "alarm_id", "element_id", "alarmedObject", "perceivedSeverity", "event",
           "eventList", "alerts", "eventType", "commonEventHeader", "faultFields"]


def assert_well_formed(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert len(result.records) + len(result.errors) >= 1
    for error in result.errors:
        assert error.field and error.problem


@settings(max_examples=200, deadline=None)
@given(value=JSON)
def test_any_json_value_yields_records_or_named_errors(value):
    assert_well_formed(parse_records(value))


@settings(max_examples=100, deadline=None)
@given(marker=st.sampled_from(MARKERS), value=JSON, rest=st.dictionaries(
    st.sampled_from(MARKERS), JSON, max_size=3))
def test_objects_with_format_markers_of_any_shape_never_crash(marker, value, rest):
    assert_well_formed(parse_records({**rest, marker: value}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=JSON)
def test_any_leaf_of_a_real_sample_replaced_by_anything_never_crashes(data, value):
    sample = data.draw(st.sampled_from(SAMPLES))
    path = data.draw(st.sampled_from(list(leaves(sample))))
    assert_well_formed(parse_records(replaced(sample, path, value)))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_any_line_yields_records_or_named_errors(text):
    assert_well_formed(parse_line(text))


#: Objects whose keys are data, not field names (an Alertmanager label set is the alert).
MAPS = {"labels", "annotations"}


def _with_extras(obj: Any, extras: dict[str, Any]) -> Any:
    """Every object in ``obj`` gains the ``extras`` fields (names no format uses)."""
    if isinstance(obj, dict):
        inner = {k: v if k in MAPS else _with_extras(v, extras) for k, v in obj.items()}
        return {**inner, **extras}
    if isinstance(obj, list):
        return [_with_extras(v, extras) for v in obj]
    return obj


@settings(max_examples=40, deadline=None)
@given(data=st.data(), extras=st.dictionaries(
    st.text(min_size=1, max_size=6).map(lambda s: f"x-vendor-{s}"), JSON, max_size=3))
def test_unknown_extra_fields_in_every_object_change_nothing(data, extras):
    sample = data.draw(st.sampled_from(SAMPLES))
    assert parse_records(_with_extras(copy.deepcopy(sample), extras)) == parse_records(sample)
