"""Turn one input object into an :class:`~forewarn.domain.Alarm` (CONTRACT §3).

The format is detected per object, by a short ordered registry of :class:`InputFormat`
entries (name, detector, parser): the first entry whose detector accepts the object parses
it; an object no detector claims is read as the native format, so that a broken native
alarm is told which of its fields is wrong. An explicit ``type`` wins over everything, and an
object naming ``alarm_id`` and ``element_id`` is native even if it carries other formats'
field names as extras. Today only the native format has a parser. The other formats of the
contract are still *detected*, so that a TMF642 alarm or a maintenance window is rejected with
"not supported yet" naming the format, rather than with misleading field errors
("element_id: missing") about fields its sender never meant to send. Adding a format later is
one module with a ``parse(obj) -> Alarm`` function and one entry in :data:`FORMATS`.

Every rejection is an :class:`~forewarn.errors.AlarmFormatError` whose ``field`` names what is
wrong, so the HTTP API can answer 400 naming the field and the normalise agent can write a
dead-letter record with the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forewarn.domain import SEVERITIES, Alarm
from forewarn.errors import AlarmFormatError

__all__ = [
    "ALARM_STATES",
    "FORMATS",
    "InputFormat",
    "detect_format",
    "parse_alarm",
    "parse_line",
    "parse_native",
]

ALARM_STATES: tuple[str, ...] = ("raised", "cleared")

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InputFormat:
    """One input format: how to recognise an object of it and how to parse it.

    ``detect`` must be cheap and must not raise: it only looks for the format's marker
    fields. ``parse`` raises :class:`AlarmFormatError` naming the field for anything it
    cannot understand.
    """

    name: str
    title: str
    detect: Callable[[Record], bool]
    parse: Callable[[Record], Alarm]


# ---------------------------------------------------------------------------- native


def _required_text(obj: Record, field: str) -> str:
    if field not in obj:
        raise AlarmFormatError(field, "missing (required)")
    value = obj[field]
    if not isinstance(value, str):
        raise AlarmFormatError(field, f"must be a string, got {_type_name(value)}")
    if not value.strip():
        raise AlarmFormatError(field, "must not be empty")
    return value


def _optional_text(obj: Record, field: str) -> str | None:
    """An optional string; absent, null and empty all mean "not given"."""
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AlarmFormatError(field, f"must be a string or null, got {_type_name(value)}")
    return value if value.strip() else None


def _choice(obj: Record, field: str, allowed: tuple[str, ...]) -> str:
    value = _required_text(obj, field)
    if value not in allowed:
        raise AlarmFormatError(field, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
    return value


def _event_time(obj: Record, field: str) -> float:
    """ISO-8601 with an explicit offset -> POSIX seconds.

    A time without offset is rejected rather than guessed: the network's alarms come from
    equipment in many time zones, and a silently wrong hour would shift every decision.
    """
    text = _required_text(obj, field)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AlarmFormatError(
            field, f"not an ISO-8601 time: {text!r} (e.g. 2024-05-01T10:00:00+02:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise AlarmFormatError(
            field, f"{text!r} has no UTC offset (add Z or +hh:mm, e.g. 2024-05-01T10:00:00Z)"
        )
    seconds = parsed.timestamp()
    if not math.isfinite(seconds):  # pragma: no cover - datetime cannot produce this today
        raise AlarmFormatError(field, f"{text!r} is out of range")
    return seconds


def parse_native(obj: Record) -> Alarm:
    """Parse the native alarm object; unknown extra fields are tolerated."""
    alarm_id = _required_text(obj, "alarm_id")
    element_id = _required_text(obj, "element_id")
    state = _choice(obj, "state", ALARM_STATES)
    severity = _choice(obj, "severity", SEVERITIES)
    event_time = _event_time(obj, "event_time")
    return Alarm(
        alarm_id=alarm_id,
        element_id=element_id,
        state=state,
        severity=severity,
        event_time=event_time,
        probable_cause=_optional_text(obj, "probable_cause"),
        specific_problem=_optional_text(obj, "specific_problem"),
        text=_optional_text(obj, "text"),
        source_format="native",
    )


# --------------------------------------------------------------- detected, not parsed


def _detected_only(
    name: str, title: str, field: str, detect: Callable[[Record], bool]
) -> InputFormat:
    """A format we recognise but cannot parse yet: rejected with a reason naming it."""

    def parse(obj: Record) -> Alarm:
        raise AlarmFormatError(
            field, f"{title} is recognised but not supported yet (send native alarms)"
        )

    return InputFormat(name, title, detect, parse)


def _has_type(value: str) -> Callable[[Record], bool]:
    return lambda obj: obj.get("type") == value


def _looks_tmf642(obj: Record) -> bool:
    if "alarmedObject" in obj or "perceivedSeverity" in obj:
        return True
    event_type = obj.get("eventType") or obj.get("@type")
    if isinstance(event_type, str) and event_type.startswith("Alarm"):
        return True
    event = obj.get("event")
    return isinstance(event, Mapping) and "alarm" in event


def _looks_ves(obj: Record) -> bool:
    event = obj.get("event")
    if isinstance(event, Mapping) and "commonEventHeader" in event:
        return True
    return isinstance(obj.get("eventList"), list)


def _looks_alertmanager(obj: Record) -> bool:
    return isinstance(obj.get("alerts"), list) and (
        "version" in obj or "receiver" in obj or "groupKey" in obj
    )


def _looks_native(obj: Record) -> bool:
    """Native alarms name both ids; other formats' marker fields are then just extra fields."""
    return "alarm_id" in obj and "element_id" in obj


_NATIVE = InputFormat("native", "a native alarm", _looks_native, parse_native)

#: Tried in order; an object none of them claims is read as native (for its field errors).
FORMATS: tuple[InputFormat, ...] = (
    _detected_only(
        "maintenance",
        'a maintenance window (type "maintenance")',
        "type",
        _has_type("maintenance"),
    ),
    _detected_only(
        "incident_update",
        'an incident update (type "incident_update")',
        "type",
        _has_type("incident_update"),
    ),
    _NATIVE,
    _detected_only("tmf642", "a TM Forum TMF642 alarm", "<format>", _looks_tmf642),
    _detected_only("ves", "an ONAP VES fault event", "<format>", _looks_ves),
    _detected_only(
        "alertmanager", "a Prometheus Alertmanager webhook", "<format>", _looks_alertmanager
    ),
)


def _as_record(obj: object) -> Record:
    if not isinstance(obj, Mapping):
        raise AlarmFormatError("<record>", f"expected a JSON object, got {_type_name(obj)}")
    return obj


def detect_format(obj: object) -> InputFormat:
    """The registry entry that claims ``obj`` (raises if ``obj`` is not an object)."""
    record = _as_record(obj)
    for fmt in FORMATS:
        if fmt.detect(record):
            return fmt
    return _NATIVE


def parse_alarm(obj: object) -> Alarm:
    """Detect the format of one decoded JSON value and parse it into an ``Alarm``."""
    fmt = detect_format(obj)
    return fmt.parse(_as_record(obj))


def parse_line(line: str) -> Alarm:
    """Parse one line of a replay file or one message body (a JSON object)."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AlarmFormatError("<line>", f"not valid JSON: {exc}") from None
    return parse_alarm(obj)


def _type_name(value: object) -> str:
    """JSON's name for a decoded value's type, as a sender would understand it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__
