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
* The webhook's ``version`` must be ``"4"`` when given (it is optional, for hand-made
  senders); the group-level ``status`` is ignored, each alert carries its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from forewarn.domain import Alarm
from forewarn.errors import AlarmFormatError
from forewarn.streams.formats.common import (
    OptIsoTime,
    OptText,
    Parsed,
    Record,
    at,
    is_zero_time,
    iso_datetime,
    json_type,
    one_of,
    where,
)
from forewarn.streams.formats.schema import CamelSchema, validate

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
    return None if is_zero_time(parsed) else parsed.timestamp()


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
    fingerprint: OptText = None


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
    alert = validate(Alert, obj, path)
    labels = alert.labels
    element = labels.get("element_id") or labels.get("instance")
    if not element or not element.strip():
        raise AlarmFormatError(
            at(path, "labels", "element_id"), "missing (required; or an instance label)"
        )
    severity = SEVERITY_LABELS[validate(SeverityLabel, labels, at(path, "labels")).severity]
    if alert.status == "firing":
        event_time, time_field = alert.starts_at, "startsAt"
    else:
        event_time, time_field = alert.ends_at, "endsAt"
    if event_time is None:
        unset = "; Go's zero time means not set" if alert.status == "resolved" else ""
        raise AlarmFormatError(
            at(path, time_field), f"missing (required for {alert.status} alerts{unset})"
        )
    annotations = alert.annotations or {}
    return [
        Alarm(
            alarm_id=alert.fingerprint or fingerprint(labels),
            element_id=element,
            state="raised" if alert.status == "firing" else "cleared",
            severity=severity,
            event_time=event_time,
            probable_cause=labels.get("alertname") or None,
            text=annotations.get("summary") or annotations.get("description") or None,
            source_format="alertmanager",
        )
    ]


def parse(obj: Record, path: str) -> Parsed:
    """A webhook -> one alarm per valid alert, one error per invalid alert."""
    parsed = Parsed()
    try:
        webhook = validate(Webhook, obj, path)
        if webhook.version is not None and webhook.version.strip() != "4":
            raise AlarmFormatError(
                at(path, "version"), f"webhook version {webhook.version!r} is not supported (4)"
            )
        if not webhook.alerts:
            raise AlarmFormatError(at(path, "alerts"), "must not be empty")
    except AlarmFormatError as exc:
        parsed.errors.append(exc)
        return parsed
    for index, item in enumerate(webhook.alerts):
        parsed.add(_alert, item, at(path, "alerts", index))
    return parsed
