"""Payloads for fuzzing the ingest parsers: one valid payload per format and hypothesis
strategies for arbitrary JSON values and for valid payloads with parts replaced by them.

Shared by the parser fuzz tests (``tests/unit/formats/test_formats_fuzz.py``) and the HTTP
fuzz tests (``tests/integration/test_api_fuzz.py``).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

__all__ = ["NATIVE", "TMF642", "VALID", "any_payload", "json_values", "mutated_payloads"]

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


#: Keys holding a time in some format; a mutation of one tries hostile times first.
TIME_KEYS = frozenset({"event_time", "start", "end", "eta", "eventTime", "alarmRaisedTime",
                       "alarmChangedTime", "alarmClearedTime", "startsAt", "endsAt",
                       "lastEpochMicrosec"})
_OFFSETS = [timezone(timedelta(hours=h)) for h in (-14, -12, -1, 0, 1, 5, 14)]
time_values = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from(_OFFSETS)).map(datetime.isoformat),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        datetime.isoformat),  # no offset
    st.integers(min_value=-(2**70), max_value=2**70),  # epochs of any unit
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00",
                     "2100-01-01T00:00:00Z", "1999-12-31T23:59:59.999999+00:00"]),
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
        key = path[-1]
        if isinstance(key, str) and key in TIME_KEYS and draw(st.booleans()):
            node[key] = draw(time_values)  # a time of any year and offset, or its epoch
        elif draw(st.booleans()) and isinstance(node, dict):
            del node[key]
        else:
            node[key] = draw(json_values)
    return payload


any_payload = st.one_of(json_values, mutated_payloads(), st.lists(mutated_payloads(), max_size=4))
