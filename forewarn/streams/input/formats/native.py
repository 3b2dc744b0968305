"""forewarn's own alarm object (CONTRACT §3, first bullet).

``{"alarm_id", "element_id", "state": "raised"|"cleared", "severity":
"critical"|"major"|"minor"|"warning", "event_time", "probable_cause"?, "specific_problem"?,
"text"?}``. Values are exact (``"CRITICAL"`` is not a native severity): the native format is
the one we define, so there is nothing to be lenient about; foreign formats fold case.
Ids and texts are held to :mod:`.limits`; every invalid field is named at once.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from forewarn.domain import SEVERITIES, Alarm
from forewarn.streams.input.formats.common import (
    Id,
    IsoTime,
    OptText,
    Parsed,
    Record,
    one_of,
)
from forewarn.streams.input.formats.schema import Schema, validate

__all__ = ["ALARM_STATES", "NATIVE_FIELDS", "NativeAlarm", "looks_native", "parse"]

ALARM_STATES: tuple[str, ...] = ("raised", "cleared")

#: The native alarm's field names; an object with any of them is read as a (possibly broken)
#: native alarm, so its sender is told which native field is wrong.
NATIVE_FIELDS: tuple[str, ...] = ("alarm_id", "element_id", "state", "severity", "event_time")

State = Annotated[str, PlainValidator(one_of(ALARM_STATES))]
Severity = Annotated[str, PlainValidator(one_of(SEVERITIES))]


class NativeAlarm(Schema):
    """The native alarm; field order is the order problems are reported in."""

    alarm_id: Id
    element_id: Id
    state: State
    severity: Severity
    event_time: IsoTime
    probable_cause: OptText = None
    specific_problem: OptText = None
    text: OptText = None


def looks_native(obj: Record) -> bool:
    """Native alarms name both ids; other formats' marker fields are then just extra fields."""
    return "alarm_id" in obj and "element_id" in obj


def parse_one(obj: Record, path: str) -> list[Alarm]:
    """One native alarm (raises AlarmFormatError naming the field)."""
    model = validate(NativeAlarm, obj, path)
    return [
        Alarm(
            alarm_id=model.alarm_id,
            element_id=model.element_id,
            state=model.state,
            severity=model.severity,
            event_time=model.event_time,
            probable_cause=model.probable_cause,
            specific_problem=model.specific_problem,
            text=model.text,
            source_format="native",
        )
    ]


def parse(obj: Record, path: str) -> Parsed:
    """The registry's entry point: one object, one alarm or one error."""
    parsed = Parsed()
    parsed.add(parse_one, obj, path)
    return parsed
