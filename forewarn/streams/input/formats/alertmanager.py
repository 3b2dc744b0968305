"""Prometheus Alertmanager webhook (payload version 4): each alert is one alarm.

Mapping decisions:

* **element**: label ``element_id``, else label ``instance`` *as it is* (``host:9100`` stays
  ``host:9100``). Stripping a port would be a guess that maps two exporters on one host to one
  element, and forewarn cannot know which spelling the region uses; operators who want a
  region's element id set an ``element_id`` label in the alerting rule or with
  ``alert_relabel_configs``.
* **severity**: label ``severity``, case folded: ``critical``/``major``/``minor``/``warning``
  as they are; common Prometheus spellings ``page`` -> ``critical``, ``error`` -> ``major``,
  ``info``/``informational``/``none`` -> ``warning``. Anything else, or no label, rejects that
  alert naming ``alerts[i].labels.severity``: guessing a severity decides whether customers
  are told of an outage.
* **alarm_id**: ``fingerprint``, else Alertmanager's own fingerprint of the label set
  (FNV-1a 64 over the sorted labels, as ``prometheus/common`` computes it), so a firing
  alert sent with a fingerprint and its resolution sent without one still match.
* **state / time**: ``firing`` -> raised at ``startsAt``; ``resolved`` -> cleared at
  ``endsAt``. A resolved alert whose ``endsAt`` is missing or Go's zero time
  (``0001-01-01T00:00:00Z``) is rejected naming ``endsAt``: placing the clear at any other
  instant would change when customers are told service is back.
* ``probable_cause`` = label ``alertname``; ``text`` = annotation ``summary``, else
  ``description``.
* Ids (the element label, ``fingerprint``) and texts (``alertname``, the annotation used) are
  held to :mod:`.limits`; an alert with several problems is rejected naming every one.
* The webhook's ``version`` must be ``"4"`` when given (it is optional, for hand-made
  senders); the group-level ``status`` is ignored, each alert carries its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from forewarn.domain import Alarm
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.common import (
    OptId,
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    at,
    instant,
    is_zero_time,
    iso_datetime,
    json_type,
    one_of,
    where,
)
from forewarn.streams.input.formats.limits import id_problem, shown, text_problem
from forewarn.streams.input.formats.schema import CamelSchema, Problems, validate

__all__ = ["SEVERITY_LABELS", "fingerprint", "looks_alertmanager", "parse"]

#: Label ``severity`` (lower case) -> forewarn severity.
SEVERITY_LABELS: dict[str, str] = {
    "critical": "critical",
    "major": "major",
    "minor": "minor",
    "warning": "warning",
    "page": "critical",
    "error": "major",
    "info": "warning",
    "informational": "warning",
    "none": "warning",
}

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF
_MASK = (1 << 64) - 1

def _opt_go_time(value: object) -> float | None:
    """An optional time where Go's zero time also means "not set" (``endsAt`` of firing)."""
    if value is None:
        return None
    parsed = iso_datetime(value)
    return None if is_zero_time(parsed) else instant(parsed)


GoTime = Annotated[float | None, PlainValidator(_opt_go_time)]
Status = Annotated[str, PlainValidator(one_of(("firing", "resolved"), fold_case=True))]
Severity = Annotated[str, PlainValidator(one_of(tuple(SEVERITY_LABELS), fold_case=True))]


class Webhook(CamelSchema):
    version: OptText = None
    alerts: list[Any]


class Alert(CamelSchema):
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] | None = None
    starts_at: OptIsoTime = None
    ends_at: GoTime = None
    fingerprint: OptId = None


class Timing(CamelSchema):
    """Read alone when the whole alert is invalid, so a missing time is named too."""

    status: Status
    starts_at: OptIsoTime = None
    ends_at: GoTime = None


class SeverityLabel(CamelSchema):
    severity: Severity


def looks_alertmanager(obj: Record) -> bool:
    return isinstance(obj.get("alerts"), list)


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (``model.LabelSet.Fingerprint``), as hex."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEPARATOR]), labels[name].encode(),
                      bytes([_SEPARATOR])):
            for byte in chunk:
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def _alert(obj: object, path: str) -> list[Alarm]:
    if not isinstance(obj, Mapping):
        raise AlarmFormatError(where(path), f"expected a JSON object, got {json_type(obj)}")
    problems = Problems()
    labels_path = at(path, "labels")
    alert = problems.model(Alert, obj, path)
    raw_labels = obj.get("labels")
    labels: Mapping[str, Any] = raw_labels if isinstance(raw_labels, Mapping) else {}
    element_label = "element_id" if labels.get("element_id") else "instance"
    element = labels.get(element_label)
    severity: SeverityLabel | None = None
    if isinstance(raw_labels, Mapping):
        if not isinstance(element, str) or not element.strip():
            problems.add(at(labels_path, "element_id"),
                         "missing (required; or an instance label)")
        elif (problem := id_problem(element)) is not None:
            problems.add(at(labels_path, element_label), problem)
        severity = problems.model(SeverityLabel, labels, labels_path)
        _texts(problems, labels, labels_path, ("alertname",))
    annotations = obj.get("annotations")
    if isinstance(annotations, Mapping):
        _texts(problems, annotations, at(path, "annotations"), ("summary", "description"))
    timing = _quiet_timing(obj) if alert is None else alert
    event_time: float | None = None
    if timing is not None:
        firing = timing.status == "firing"
        event_time = timing.starts_at if firing else timing.ends_at
        if event_time is None:
            unset = "" if firing else "; Go's zero time means not set"
            problems.add(at(path, "startsAt" if firing else "endsAt"),
                         f"missing (required for {timing.status} alerts{unset})")
    problems.raise_any()
    assert alert is not None and severity is not None and event_time is not None
    assert isinstance(element, str)
    notes = alert.annotations or {}
    return [
        Alarm(
            alarm_id=alert.fingerprint or fingerprint(alert.labels),
            element_id=element,
            state="raised" if alert.status == "firing" else "cleared",
            severity=SEVERITY_LABELS[severity.severity],
            event_time=event_time,
            probable_cause=alert.labels.get("alertname") or None,
            text=notes.get("summary") or notes.get("description") or None,
            source_format="alertmanager",
        )
    ]


def _texts(
    problems: Problems, values: Mapping[str, Any], path: str, names: tuple[str, ...]
) -> None:
    """Hold the free texts forewarn takes from labels/annotations to the text limits."""
    for name in names:
        value = values.get(name)
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            problems.add(at(path, name), problem)


def _quiet_timing(obj: Record) -> Timing | None:
    try:
        return validate(Timing, obj, "")
    except AlarmFormatError:
        return None


def parse(obj: Record, path: str) -> Parsed:
    """A webhook -> one alarm per valid alert, one error per invalid alert."""
    parsed = Parsed()
    try:
        webhook = validate(Webhook, obj, path)
        if webhook.version is not None and webhook.version.strip() != "4":
            raise AlarmFormatError(
                at(path, "version"),
                f"webhook version {shown(webhook.version)} is not supported (4)",
            )
        if not webhook.alerts:
            raise AlarmFormatError(at(path, "alerts"), "must not be empty")
    except AlarmFormatError as exc:
        parsed.errors.append(exc)
        return parsed
    for index, item in enumerate(webhook.alerts):
        parsed.add(_alert, item, at(path, "alerts", index))
    return parsed
