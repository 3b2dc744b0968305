"""ONAP VES 7.x: ``fault`` events, 3GPP ``stndDefined`` alarm notifications, ``eventList``.

Accepted shapes: ``{"event": {...}}`` and ``{"eventList": [{...}, ...]}`` (each item is
reported by itself as ``eventList[i]``). Every event needs ``commonEventHeader.domain``,
``sourceName`` and ``lastEpochMicrosec``; the element is ``sourceName`` and the time is
``lastEpochMicrosec`` (microseconds; values outside 2000..2100 are rejected as the wrong unit).

Mapping decisions:

* **fault**: severity from ``faultFields.eventSeverity`` (case folded; ``NORMAL`` means
  cleared), ``probable_cause`` = ``alarmCondition``, ``specific_problem`` = ``specificProblem``,
  ``text`` = ``eventName``. VES has no alarm id shared by a raise and its clear (``eventId``
  should be, but often is not, the initial alarm's), so ``alarm_id`` is
  ``"{sourceName}|{alarmCondition}"`` plus ``"|{alarmInterfaceA}"`` when given: the X.733
  identity of an alarm (object, condition). A raise and its clear get the same id whatever
  their eventIds; should a clear omit the interface, ``ElementStates`` still matches it by
  (element, alarmCondition, specificProblem).
* **stndDefined** (namespace ``3GPP-FaultSupervision``; 3GPP TS 28.532 / 28.111):
  ``notifyNewAlarm``, ``notifyChangedAlarm``/``notifyChangedAlarmGeneral`` are raises,
  ``notifyClearedAlarm`` (or ``perceivedSeverity`` ``CLEARED``) a clear; severity as X.733
  (``INDETERMINATE`` -> ``warning``). ``alarm_id`` is ``"{sourceName}|{alarmId}"`` because
  3GPP alarm ids are unique only within one producer's alarm list. The element is the header's
  ``sourceName`` like every VES event (``href``/``systemDN`` are 3GPP distinguished names, not
  the element ids of a region); the time is ``lastEpochMicrosec`` like every VES event
  (``data.eventTime`` is ignored: the collector's own samples put ``"xyz"`` there).
  Acknowledgement, comment and alarm-list notifications carry no fault and are rejected.
* Other domains (measurement, heartbeat, ...) are rejected: "VES domain 'x' carries no fault".
* Legacy VES (a ``vesEventListenerVersion`` other than 7.x, or a header ``version`` other
  than VES 7's 4.x) is rejected naming the version rather than parsed: its epochs are not
  reliably microseconds (the collector's own VES 4 sample is in milliseconds). An event that
  gives neither version is read as VES 7 (both are required there, but forewarn needs
  neither).
* The O-RAN SC templates are rejected naming the first field holding an ``@placeholder@``.
* An event with several problems is rejected naming every one (after its domain, which
  decides what else it must have); ids and texts are held to :mod:`.limits`, and the derived
  ``alarm_id`` is kept within the id limit by ``limits.bounded_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from forewarn.domain import Alarm
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.common import (
    X733_WORDS,
    Code,
    EpochMicros,
    Id,
    OptCode,
    OptText,
    Parsed,
    Record,
    Text,
    at,
    invalid,
    json_type,
    one_of,
    optional,
    required_text,
    where,
    x733_severity,
)
from forewarn.streams.input.formats.limits import bounded_id, shown
from forewarn.streams.input.formats.schema import CamelSchema, Problems, validate

__all__ = ["FAULT_NAMESPACE", "NOTIFICATIONS", "looks_ves", "parse"]

FAULT_NAMESPACE = "3GPP-FaultSupervision"

#: 3GPP alarm notifications -> whether they clear.
NOTIFICATIONS: dict[str, bool] = {
    "notifyNewAlarm": False,
    "notifyChangedAlarm": False,
    "notifyChangedAlarmGeneral": False,
    "notifyClearedAlarm": True,
}
_NO_FAULT_NOTIFICATIONS = (
    "notifyAckStateChanged",
    "notifyComments",
    "notifyCorrelatedNotificationChanged",
    "notifyAlarmListRebuilt",
    "notifyPotentialFaultyAlarmList",
)
_FAULT_DOMAINS = ("fault", "stndDefined")


def _notification(value: object) -> str:
    text = required_text(value)
    if text in NOTIFICATIONS:
        return text
    if text in _NO_FAULT_NOTIFICATIONS:
        raise invalid(f"3GPP {text} carries no fault")
    raise invalid(f"unknown value {shown(text)} (allowed: {', '.join(NOTIFICATIONS)})")


Notification = Annotated[str, PlainValidator(_notification)]
_VES_SEVERITIES = ("CRITICAL", "MAJOR", "MINOR", "WARNING", "NORMAL")
VesSeverity = Annotated[str, PlainValidator(one_of(_VES_SEVERITIES, fold_case=True))]
_3GPP_SEVERITIES = tuple(word.upper() for word in X733_WORDS)
OptPerceived = Annotated[
    str | None, PlainValidator(optional(one_of(_3GPP_SEVERITIES, fold_case=True)))
]


class DomainHeader(CamelSchema):
    domain: Text


class Domain(CamelSchema):
    """Read first, alone: an event of a non-fault domain is told so, not that it lacks
    fault fields it never meant to carry."""

    common_event_header: DomainHeader


class Header(CamelSchema):
    domain: Text
    source_name: Id
    last_epoch_microsec: EpochMicros
    event_name: OptText = None


class FaultFields(CamelSchema):
    event_severity: VesSeverity
    alarm_condition: Text
    specific_problem: OptText = None
    alarm_interface_a: OptText = None


class FaultEvent(CamelSchema):
    common_event_header: Header
    fault_fields: FaultFields


class AlarmData(CamelSchema):
    """``stndDefinedFields.data`` of a 3GPP fault notification (the fields forewarn uses)."""

    notification_type: Notification
    alarm_id: Code
    perceived_severity: OptPerceived = None
    probable_cause: OptCode = None
    specific_problem: OptCode = None
    additional_text: OptText = None


class StndDefinedFields(CamelSchema):
    data: AlarmData


class StndDefinedEvent(CamelSchema):
    common_event_header: Header
    stnd_defined_fields: StndDefinedFields


class _Notified(CamelSchema):
    """Read alone when the whole event is invalid, so a missing severity is named too."""

    notification_type: Notification
    perceived_severity: OptPerceived = None


def looks_ves(obj: Record) -> bool:
    event = obj.get("event")
    if isinstance(event, Mapping) and (
        "commonEventHeader" in event or "faultFields" in event or "stndDefinedFields" in event
    ):
        return True
    return isinstance(obj.get("eventList"), list)


def _check_version(header: Mapping[str, Any], path: str) -> None:
    """Reject what says it is not VES 7: a listener version other than 7.x, or a header
    version other than 4.x (VES 7's; VES 4-6 used 1.0-3.0). Neither given: accepted."""
    listener = header.get("vesEventListenerVersion")
    if listener is not None:
        if not isinstance(listener, str) or not listener.strip().startswith("7"):
            raise AlarmFormatError(
                at(path, "vesEventListenerVersion"),
                f"VES {shown(listener)} is not supported (send VES 7.x)",
            )
        return
    version = header.get("version")
    if version is not None and not (isinstance(version, str) and version.startswith("4")):
        raise AlarmFormatError(
            at(path, "version"),
            f"header version {shown(version)} is legacy VES (before 7.0), which is not "
            "supported; send VES 7.x (header version 4.x)",
        )


def _event(obj: object, path: str) -> list[Alarm]:
    """One VES event (the value of ``event`` or one ``eventList`` item) -> one alarm."""
    if not isinstance(obj, Mapping):
        raise AlarmFormatError(where(path), f"expected a JSON object, got {json_type(obj)}")
    domain = validate(Domain, obj, path).common_event_header.domain
    header_path = at(path, "commonEventHeader")
    if domain not in _FAULT_DOMAINS:
        raise AlarmFormatError(
            at(header_path, "domain"), f"VES domain {shown(domain)} carries no fault")
    header = obj["commonEventHeader"]
    problems = Problems()
    problems.check(header_path, lambda: _check_version(header, header_path))
    if domain == "fault":
        fault = problems.model(FaultEvent, obj, path)
        problems.raise_any()
        assert fault is not None
        return [_fault(fault)]
    namespace = header.get("stndDefinedNamespace")
    if namespace is not None and namespace != FAULT_NAMESPACE:
        problems.add(
            at(header_path, "stndDefinedNamespace"),
            f"stndDefined namespace {shown(namespace)} carries no fault "
            f"(expected {FAULT_NAMESPACE})",
        )
    event = problems.model(StndDefinedEvent, obj, path)
    data_path = at(path, "stndDefinedFields", "data")
    data: Any = event.stnd_defined_fields.data if event is not None else _notified(obj)
    if (data is not None and data.perceived_severity is None
            and not NOTIFICATIONS[data.notification_type]):
        problems.add(at(data_path, "perceivedSeverity"),
                     f"missing (required for {data.notification_type})")
    problems.raise_any()
    assert event is not None
    return [_stnd_defined(event)]


def _notified(obj: Mapping[str, Any]) -> _Notified | None:
    fields = obj.get("stndDefinedFields")
    data = fields.get("data") if isinstance(fields, Mapping) else None
    try:
        return validate(_Notified, data, "")
    except AlarmFormatError:
        return None


def _fault(event: FaultEvent) -> Alarm:
    header, fault = event.common_event_header, event.fault_fields
    cleared = fault.event_severity == "normal"
    parts = [header.source_name, fault.alarm_condition]
    if fault.alarm_interface_a:
        parts.append(fault.alarm_interface_a)
    alarm_id = bounded_id(*parts)
    return Alarm(
        alarm_id=alarm_id,
        element_id=header.source_name,
        state="cleared" if cleared else "raised",
        severity=x733_severity("cleared" if cleared else fault.event_severity)[0],
        event_time=header.last_epoch_microsec,
        probable_cause=fault.alarm_condition,
        specific_problem=fault.specific_problem,
        text=header.event_name,
        source_format="ves",
    )


def _stnd_defined(event: StndDefinedEvent) -> Alarm:
    header, data = event.common_event_header, event.stnd_defined_fields.data
    clears = NOTIFICATIONS[data.notification_type]
    severity, severity_clears = x733_severity(data.perceived_severity or "cleared")
    cleared = clears or severity_clears
    return Alarm(
        alarm_id=bounded_id(header.source_name, data.alarm_id),
        element_id=header.source_name,
        state="cleared" if cleared else "raised",
        severity=severity,
        event_time=header.last_epoch_microsec,
        probable_cause=data.probable_cause,
        specific_problem=data.specific_problem,
        text=data.additional_text,
        source_format="ves",
    )


def parse(obj: Record, path: str) -> Parsed:
    """``{"event": ...}`` or ``{"eventList": [...]}`` -> alarms and per-event errors."""
    parsed = Parsed()
    if "eventList" not in obj:
        parsed.add(_event, obj.get("event"), at(path, "event"))
        return parsed
    events = obj["eventList"]
    if not isinstance(events, list):
        parsed.errors.append(
            AlarmFormatError(at(path, "eventList"), f"must be an array, got {json_type(events)}")
        )
    elif not events:
        parsed.errors.append(AlarmFormatError(at(path, "eventList"), "must not be empty"))
    for index, item in enumerate(events if isinstance(events, list) else ()):
        parsed.add(_event, item, at(path, "eventList", index))
    return parsed
