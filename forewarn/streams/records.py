"""JSON shapes of the values on forewarn's internal topics, and their codecs.

Internal topics carry batches: one message names many customers, because a per-customer
message costs ~100 µs of framework time and an incident can touch 200,000 customers.

``alarms``                 an ``Alarm`` as a dict, or a control record
``impacts``                ``{"kind": "impact", "at", "incident_id", "cause_element",
                           "cause_type", "out": {service: [ids]}, "back": {service: [ids]}}``,
                           ``{"kind": "tick", "at"}`` (advances event time) or a control record
``notifications.outbox``   ``{"kind": "decisions", "items": [decision, ...]}`` or a control record
``notifications.delivered`` one CONTRACT §6 record per message; control records carry the
                           header ``forewarn-control`` so consumers can skip them

A control record ``{"control": "drain", "token": T}`` travels the whole pipeline after the
last input of a replay: each stage first finishes everything pending, then passes it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from forewarn.domain import Alarm, Decision, ImpactChange, Stage

__all__ = [
    "CONTROL_HEADER",
    "DRAIN",
    "alarm_from_record",
    "alarm_to_record",
    "changes_from_impact",
    "chunks",
    "decision_from_record",
    "decision_to_record",
    "drain_record",
    "impact_records",
    "is_control",
]

CONTROL_HEADER = "forewarn-control"
DRAIN = "drain"
IMPACT_CHUNK = 10_000  # customer ids per impacts message: well under Kafka's 1 MB default
DECISION_CHUNK = 500


def drain_record(token: str) -> dict[str, Any]:
    return {"control": DRAIN, "token": token}


def is_control(value: Any) -> bool:
    return isinstance(value, dict) and "control" in value


def alarm_to_record(alarm: Alarm) -> dict[str, Any]:
    return asdict(alarm)


def alarm_from_record(value: dict[str, Any]) -> Alarm:
    return Alarm(**value)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def impact_records(changes: Iterable[ImpactChange]) -> list[dict[str, Any]]:
    """Group one partition's changes of one alarm into as few ``impact`` messages as fit."""
    groups: dict[tuple[float, str, str, str], dict[str, dict[str, list[str]]]] = {}
    for change in changes:
        key = (change.at, change.incident_id, change.cause_element, change.cause_type)
        group = groups.setdefault(key, {"out": {}, "back": {}})
        group["out" if change.out else "back"].setdefault(change.service, []).append(
            change.customer_id
        )
    records: list[dict[str, Any]] = []
    for (at, incident_id, cause_element, cause_type), group in groups.items():
        flat = [(d, s, c) for d, by in group.items() for s, ids in by.items() for c in ids]
        for part in chunks(flat, IMPACT_CHUNK):
            out: dict[str, list[str]] = {}
            back: dict[str, list[str]] = {}
            for direction, service, customer in part:
                (out if direction == "out" else back).setdefault(service, []).append(customer)
            records.append({
                "kind": "impact", "at": at, "incident_id": incident_id,
                "cause_element": cause_element, "cause_type": cause_type,
                "out": out, "back": back,
            })
    return records


def changes_from_impact(value: dict[str, Any]) -> list[ImpactChange]:
    """The changes of one ``impact`` message, outs before backs within one instant."""
    result: list[ImpactChange] = []
    for direction, is_out in (("out", True), ("back", False)):
        for service, ids in value.get(direction, {}).items():
            result.extend(
                ImpactChange(c, service, is_out, float(value["at"]), value["incident_id"],
                             value["cause_element"], value["cause_type"])
                for c in ids
            )
    return result


def decision_to_record(decision: Decision) -> dict[str, Any]:
    record = asdict(decision)
    record["stage"] = str(decision.stage)
    record["services"] = list(decision.services)
    return record


def decision_from_record(value: dict[str, Any]) -> Decision:
    data = dict(value)
    data["stage"] = Stage(data["stage"])
    data["services"] = tuple(data["services"])
    return Decision(**data)
