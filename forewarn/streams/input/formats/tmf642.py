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
* **No ``id``** (issue 16): TMF642 does not require ``id`` on create -- the server assigns
  it -- and implementations such as OpenSlice and ServiceNow post alarms without one. Such an
  alarm is accepted; its ``alarm_id`` is the X.733 identity of the alarm, (element, probable
  cause, specific problem): ``"{alarmedObject.id}|{probableCause}|{specificProblem}"`` (absent
  parts empty; kept within the id limit by ``limits.bounded_id``). Why a derived key and not
  none: the same key comes out of the later clear without ``id``, so the raise and its clear
  match by id, and two raises of one cause on one element are one alarm, not two that a
  single clear must find by cause. A clear that does carry the server's id still matches its
  id-less raise by (element, cause), as CONTRACT §4 says.
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
* An alarm with several problems is rejected naming every one (a missing ``alarmedObject``
  and a missing time are both named), ids and texts held to :mod:`.limits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from forewarn.domain import Alarm
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.common import (
    X733_WORDS,
    Id,
    OptCode,
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    at,
    json_type,
    one_of,
    optional,
    where,
    x733_severity,
)
from forewarn.streams.input.formats.limits import bounded_id, shown
from forewarn.streams.input.formats.schema import CamelSchema, Problems, validate

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
    id: Id


class TmfAlarm(CamelSchema):
    """The Alarm resource fields forewarn uses (order = order problems are reported in)."""

    id: OptCode = None
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

    # Wider than the base's on purpose: readers of a TmfAlarm handle None ("cleared").
    perceived_severity: OptPerceived = None  # type: ignore[assignment]


class Timing(CamelSchema):
    """What decides an alarm's state and time; read alone when the whole alarm is invalid,
    so a missing time is named beside the other problems."""

    perceived_severity: OptPerceived = None
    state: OptState = None
    alarm_raised_time: OptIsoTime = None
    alarm_changed_time: OptIsoTime = None
    alarm_cleared_time: OptIsoTime = None


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


#: Alarm resource fields no other format has at its top level: an alarm missing both
#: ``alarmedObject`` and ``perceivedSeverity`` is still told its TMF642 fields are missing,
#: not native ones.
_ALARM_MARKERS = ("alarmedObject", "perceivedSeverity", "alarmRaisedTime", "alarmChangedTime",
                  "alarmClearedTime", "alarmReportingTime", "alarmType", "ackState")


def looks_tmf642(obj: Record) -> bool:
    """Cheap marker check: resource fields, a TMF event type, an event payload, a task."""
    if obj.get("@type") == "Alarm" or any(marker in obj for marker in _ALARM_MARKERS):
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
    problems = Problems()
    if force_clear and "alarmedObject" not in obj:
        problems.add(
            at(path, "alarmedObject"),
            "missing (required): a clear by reference alone names no element; "
            "send the cleared alarm itself",
        )
    model = problems.model(ClearedAlarm if force_clear else TmfAlarm, obj, path)
    timing = model if model is not None else _quietly(Timing, obj, path)
    event_time: float | None = None
    cleared = _clears(timing, force_clear) if timing is not None else None
    if timing is not None and cleared is not None:
        if cleared:
            chain = [timing.alarm_cleared_time, fallback, timing.alarm_changed_time]
            missing = "alarmClearedTime"
        else:
            chain = [timing.alarm_changed_time, timing.alarm_raised_time, fallback]
            missing = "alarmRaisedTime"
        event_time = next((t for t in chain if t is not None), None)
        if event_time is None:
            problems.add(
                at(path, missing),
                "missing (required; alarmChangedTime or the event's eventTime also do)",
            )
    problems.raise_any()
    assert model is not None and event_time is not None
    element = model.alarmed_object.id
    severity = x733_severity(model.perceived_severity or "cleared")[0]
    return [
        Alarm(
            alarm_id=model.id if model.id is not None else bounded_id(
                element, model.probable_cause or "", model.specific_problem or ""
            ),
            element_id=element,
            state="cleared" if cleared else "raised",
            severity=severity,
            event_time=event_time,
            probable_cause=model.probable_cause,
            specific_problem=model.specific_problem,
            text=model.alarm_details,
            source_format="tmf642",
        )
    ]


def _clears(timing: Timing | TmfAlarm, force_clear: bool) -> bool | None:
    """Whether the alarm is a clear; None when an invalid alarm does not say."""
    if force_clear:
        return True
    if timing.perceived_severity is not None:
        return x733_severity(timing.perceived_severity)[1] or timing.state == "cleared"
    return None if timing.state is None else timing.state == "cleared"


def _quietly(model: type[Timing], obj: object, path: str) -> Timing | None:
    try:
        return validate(model, obj, path)
    except AlarmFormatError:
        return None


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
                f"unknown TMF642 event type {shown(event_type)} (expected {known})",
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
