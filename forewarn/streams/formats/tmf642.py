"""TM Forum TMF642 Alarm Management (v4 and v5): alarm resources, events and task resources.

Accepted shapes:

* an **Alarm resource** (``id``, ``alarmedObject.id``, ``perceivedSeverity``, ``state``, times);
* an **event envelope** ``{"eventType", "eventTime"?, "event": {"alarm": {...}}}`` for
  ``AlarmCreateEvent``, ``AlarmAttributeValueChangeEvent``, ``AlarmStateChangeEvent``,
  ``AlarmClearedEvent`` and ``AlarmDeleteEvent``, and ``{"event": {"clearAlarms": {...}}}``
  for the ClearAlarms task events;
* a **ClearAlarms task resource**: each alarm in ``clearedAlarm`` (the alarms the task did
  clear; ``alarmPattern`` is only the request) becomes a clear. An entry that is a bare
  reference (``{"id"}``) names no element and is rejected by itself: forewarn keys alarm
  state by element, and a clear that guesses its element could clear the wrong one.

Mapping decisions:

* ``alarm_id`` is the resource's ``id`` (a string in v5, an integer in the v4 swagger, a
  string in its samples: both are accepted); element is ``alarmedObject.id``.
* It is a **clear** when ``state`` is ``cleared``, or ``perceivedSeverity`` is ``cleared``
  (X.733: once cleared, the severity is ``cleared``), or the event is ``AlarmClearedEvent``
  or ``AlarmDeleteEvent`` (a deleted alarm can no longer hold its element down), or it comes
  from a ClearAlarms task. ``raised`` and ``updated`` are raises (an update re-raises the same
  id, which forewarn treats as a severity change). ``state`` may be absent (partial attribute
  change events): it is then derived from the severity.
* Severity folds case; ``indeterminate`` -> ``warning`` (see ``common.CLEAR_SEVERITY`` and
  the X.733 table there); a clear without a severity of its own is recorded as ``warning``.
* Time: for a clear ``alarmClearedTime``, else the envelope's ``eventTime`` (or the
  ClearAlarms task's ``alarmClearedTime``), else ``alarmChangedTime`` -- never
  ``alarmRaisedTime``, which would put the clear at the start of the fault; for a raise
  ``alarmChangedTime`` (an update's own time), else ``alarmRaisedTime``, else ``eventTime``.
* AckAlarms/UnAckAlarms, CommentAlarms, GroupAlarms/UnGroupAlarms tasks (and their events)
  change no fault state: they are rejected with a reason saying so ("an acknowledgement, not
  a fault") rather than silently accepted, so the NOC's counters show what was ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from forewarn.domain import Alarm
from forewarn.errors import AlarmFormatError
from forewarn.streams.formats.common import (
    X733_WORDS,
    Code,
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    Text,
    at,
    json_type,
    one_of,
    optional,
    where,
    x733_severity,
)
from forewarn.streams.formats.schema import CamelSchema, validate

__all__ = ["ALARM_EVENTS", "TASKS", "TmfAlarm", "looks_tmf642", "parse"]

#: Alarm event types -> whether the event itself means "cleared" (else the alarm says).
ALARM_EVENTS: dict[str, bool] = {
    "AlarmCreateEvent": False,
    "AlarmAttributeValueChangeEvent": False,
    "AlarmStateChangeEvent": False,
    "AlarmClearedEvent": True,
    "AlarmDeleteEvent": True,
}

#: Task resources: name -> (its result list, what it is when it is not a fault; None: clear).
TASKS: dict[str, tuple[str, str | None]] = {
    "ClearAlarms": ("clearedAlarm", None),
    "AckAlarms": ("ackedAlarm", "an acknowledgement"),
    "UnAckAlarms": ("unAckedAlarm", "an acknowledgement"),
    "CommentAlarms": ("commentedAlarm", "a comment"),
    "GroupAlarms": ("groupedAlarm", "a grouping of alarms"),
    "UnGroupAlarms": ("unGroupedAlarm", "a grouping of alarms"),
}
_TASK_EVENT = re.compile(r"^(?P<task>" + "|".join(TASKS) + r")(?:Create|StateChange)Event$")

_perceived = one_of(X733_WORDS, fold_case=True)
Perceived = Annotated[str, PlainValidator(_perceived)]
OptPerceived = Annotated[str | None, PlainValidator(optional(_perceived))]
_STATES = ("raised", "updated", "cleared")
OptState = Annotated[str | None, PlainValidator(optional(one_of(_STATES, fold_case=True)))]


class AlarmedObject(CamelSchema):
    id: Text


class TmfAlarm(CamelSchema):
    """The Alarm resource fields forewarn uses (order = order problems are reported in)."""

    id: Code
    alarmed_object: AlarmedObject
    perceived_severity: Perceived
    state: OptState = None
    alarm_raised_time: OptIsoTime = None
    alarm_changed_time: OptIsoTime = None
    alarm_cleared_time: OptIsoTime = None
    probable_cause: OptText = None
    specific_problem: OptText = None
    alarm_details: OptText = None


class ClearedAlarm(TmfAlarm):
    """An alarm in a ClearAlarms task's result: cleared by definition, severity optional."""

    perceived_severity: OptPerceived = None


class TmfEvent(CamelSchema):
    """An event envelope (``AlarmCreateEvent``...); its ``eventTime`` is the fallback time."""

    event_type: OptText = None
    event_time: OptIsoTime = None
    event: dict[str, Any]


class ClearAlarmsTask(CamelSchema):
    """A ClearAlarms task: its ``alarmClearedTime`` serves entries that lack their own."""

    alarm_cleared_time: OptIsoTime = None
    cleared_alarm: list[Any]


#: Fields only a task resource has: they tell its kind when its result list is missing.
_TASK_HINTS: dict[str, str] = {
    "clearSystemId": "ClearAlarms",
    "clearUserId": "ClearAlarms",
    "ackSystemId": "AckAlarms",
    "ackUserId": "AckAlarms",
    "parentAlarm": "GroupAlarms",
}


def _task_of(obj: Record) -> str | None:
    """The task resource ``obj`` is (by ``@type``, result list, or task-only fields)."""
    kind = obj.get("@type")
    if isinstance(kind, str) and kind in TASKS:
        return kind
    for task, (results, _) in TASKS.items():
        if results in obj:
            return task
    if "alarmedObject" in obj or "perceivedSeverity" in obj or kind == "Alarm":
        return None  # an alarm resource (they too name parents, ackers and clearers)
    return next((task for hint, task in _TASK_HINTS.items() if hint in obj), None)


def looks_tmf642(obj: Record) -> bool:
    """Cheap marker check: resource fields, a TMF event type, an event payload, a task."""
    if "alarmedObject" in obj or "perceivedSeverity" in obj or obj.get("@type") == "Alarm":
        return True
    if _task_of(obj) is not None:
        return True
    event_type = obj.get("eventType")
    if isinstance(event_type, str) and (
        event_type.startswith("Alarm") or _TASK_EVENT.match(event_type)
    ):
        return True
    event = obj.get("event")
    return isinstance(event, Mapping) and (
        "alarm" in event or any(_lower_first(task) in event for task in TASKS)
    )


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _alarm(
    obj: object, path: str, *, force_clear: bool = False, fallback: float | None = None
) -> list[Alarm]:
    """One alarm resource -> one Alarm. ``fallback``: the envelope's or task's time."""
    if not isinstance(obj, Mapping):
        raise AlarmFormatError(where(path), f"expected a JSON object, got {json_type(obj)}")
    if force_clear and "alarmedObject" not in obj:
        raise AlarmFormatError(
            at(path, "alarmedObject"),
            "missing (required): a clear by reference alone names no element; "
            "send the cleared alarm itself",
        )
    model = validate(ClearedAlarm if force_clear else TmfAlarm, obj, path)
    severity, severity_clears = x733_severity(model.perceived_severity or "cleared")
    cleared = force_clear or severity_clears or model.state == "cleared"
    if cleared:
        chain = [model.alarm_cleared_time, fallback, model.alarm_changed_time]
        missing = "alarmClearedTime"
    else:
        chain = [model.alarm_changed_time, model.alarm_raised_time, fallback]
        missing = "alarmRaisedTime"
    event_time = next((t for t in chain if t is not None), None)
    if event_time is None:
        raise AlarmFormatError(
            at(path, missing),
            "missing (required; alarmChangedTime or the event's eventTime also do)",
        )
    return [
        Alarm(
            alarm_id=model.id,
            element_id=model.alarmed_object.id,
            state="cleared" if cleared else "raised",
            severity=severity,
            event_time=event_time,
            probable_cause=model.probable_cause,
            specific_problem=model.specific_problem,
            text=model.alarm_details,
            source_format="tmf642",
        )
    ]


def _task(obj: Record, task: str, path: str, fallback: float | None, parsed: Parsed) -> None:
    """A task resource: ClearAlarms yields clears; the others are rejected with the reason."""
    results, what = TASKS[task]
    if what is not None:
        parsed.errors.append(
            AlarmFormatError(where(path), f"TMF642 {task} task: {what}, not a fault")
        )
        return
    try:
        model = validate(ClearAlarmsTask, obj, path)
    except AlarmFormatError as exc:
        parsed.errors.append(exc)
        return
    if not model.cleared_alarm:
        parsed.errors.append(
            AlarmFormatError(at(path, results), "must not be empty (the task cleared nothing)")
        )
        return
    fallback = model.alarm_cleared_time if model.alarm_cleared_time is not None else fallback
    for index, entry in enumerate(model.cleared_alarm):
        item = at(path, results, index)
        parsed.add(_alarm, entry, item, force_clear=True, fallback=fallback)


def _event(obj: Record, path: str, parsed: Parsed) -> None:
    """An event envelope: its alarm (or ClearAlarms task) with ``eventTime`` as fallback."""
    try:
        envelope = validate(TmfEvent, obj, path)
    except AlarmFormatError as exc:
        parsed.errors.append(exc)
        return
    event_type, event = envelope.event_type, envelope.event
    task: str | None = None
    if event_type is None:
        task = None if "alarm" in event else _payload_task(event)
    elif event_type not in ALARM_EVENTS:
        matched = _TASK_EVENT.match(event_type)
        if matched is None:
            known = ", ".join([*ALARM_EVENTS, "ClearAlarmsCreateEvent"])
            parsed.errors.append(AlarmFormatError(
                at(path, "eventType"),
                f"unknown TMF642 event type {event_type!r} (expected {known})",
            ))
            return
        task = matched.group("task")
    name = _lower_first(task) if task else "alarm"
    if name not in event:
        parsed.errors.append(AlarmFormatError(at(path, "event", name), "missing (required)"))
        return
    if task is None:
        clears = ALARM_EVENTS.get(event_type or "", False)
        parsed.add(
            _alarm, event["alarm"], at(path, "event", "alarm"),
            force_clear=clears, fallback=envelope.event_time,
        )
    elif not isinstance(event[name], Mapping):
        parsed.errors.append(AlarmFormatError(
            at(path, "event", name), f"must be an object, got {json_type(event[name])}"
        ))
    else:
        _task(event[name], task, at(path, "event", name), envelope.event_time, parsed)


def _payload_task(event: Mapping[str, Any]) -> str | None:
    return next((task for task in TASKS if _lower_first(task) in event), None)


def parse(obj: Record, path: str) -> Parsed:
    """A TMF642 resource, event or task resource -> its alarms and its items' errors."""
    parsed = Parsed()
    task = _task_of(obj)
    if task is not None:
        _task(obj, task, path, None, parsed)
    elif "event" in obj or "eventType" in obj:
        _event(obj, path, parsed)
    else:
        parsed.add(_alarm, obj, path)
    return parsed
