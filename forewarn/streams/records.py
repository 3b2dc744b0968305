"""JSON shapes of the values on forewarn's internal topics, and their codecs.

Internal topics carry batches: one message names many customers, because a per-customer
message costs ~100 µs of framework time and an incident can touch 200,000 customers.

``alarms.raw``             what NOC systems send (any format), plus control records:
                           ``{"control": "tick", "at"}`` (live wall clock) and
                           ``{"control": "normalised", "record": {...}}`` (parsed by HTTP ingest)
``impacts``                ``{"kind": "impact", "at", "incident_id", "cause_element",
                           "cause_type", "out": {service: [ids]}, "back": {service: [ids]}}``,
                           ``{"kind": "tick", "at"}`` (advances event time) or a control record;
                           the network feed packs one fetch's messages per partition into
                           ``{"kind": "batch", "messages": [...]}`` (``network_feed.py``)
``notifications.outbox``   ``{"kind": "decisions", "items": [decision, ...]}`` or a control record
``notifications.delivered`` one CONTRACT §6 record per message; control records carry the
                           header ``forewarn-control`` so consumers can skip them

A control record ``{"control": "drain", "token": T}`` travels the whole pipeline after the
last input of a replay: each stage first finishes everything pending, then passes it on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import numpy as np

from forewarn.domain import (
    Alarm,
    CableCut,
    Decision,
    ImpactChange,
    IncidentUpdate,
    InputRecord,
    MaintenanceWindow,
    Stage,
)
from forewarn.streams.network.events import Impact
from forewarn.streams.network.service_states import OK, OUT, PLANNED, SERVICE_NAMES

__all__ = [
    "BATCH",
    "CONTROL_HEADER",
    "DRAIN",
    "changes_from_impact",
    "chunks",
    "decision_from_record",
    "decision_to_record",
    "drain_record",
    "encode",
    "impact_records",
    "input_from_record",
    "input_to_record",
    "is_control",
    "join_batch",
    "messages_of",
    "normalised",
    "tick_record",
]

CONTROL_HEADER = "forewarn-control"
DRAIN = "drain"
TICK = "tick"
NORMALISED = "normalised"
IMPACT_CHUNK = 10_000  # customer ids per impacts message: well under Kafka's 1 MB default
DECISION_CHUNK = 500


def drain_record(token: str) -> dict[str, Any]:
    return {"control": DRAIN, "token": token}


def tick_record(at: float) -> dict[str, Any]:
    """Live mode: the wall clock moved to ``at`` (sent by the leader on ``alarms.raw``)."""
    return {"control": TICK, "at": at}


def normalised(record: InputRecord) -> dict[str, Any]:
    """An already-parsed record travelling on ``alarms.raw`` (HTTP ingest parsed it)."""
    return {"control": NORMALISED, "record": input_to_record(record)}


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode("utf-8")


def is_control(value: Any) -> bool:
    return isinstance(value, dict) and "control" in value


BATCH = "batch"


def join_batch(values: list[bytes]) -> bytes:
    """A ``batch`` message of already-encoded JSON objects (their bytes joined, no decoding)."""
    return b'{"kind":"%s","messages":[' % BATCH.encode() + b",".join(values) + b"]}"


def messages_of(value: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a ``batch`` carries in order, or just ``value``."""
    if value.get("kind") == BATCH:
        return list(value["messages"])
    return [value]


_RECORD_TYPES: dict[str, type[InputRecord]] = {
    "alarm": Alarm, "maintenance": MaintenanceWindow, "incident_update": IncidentUpdate,
    "cable_cut": CableCut,
}


def input_to_record(record: InputRecord) -> dict[str, Any]:
    """An alarm, maintenance window or incident update as a dict with its ``record`` type.

    Shallow (``dataclasses.asdict`` deep-copies recursively and costs ~150 µs per alarm)."""
    kind = next(k for k, t in _RECORD_TYPES.items() if isinstance(record, t))
    data = {f.name: getattr(record, f.name) for f in fields(record)}
    if isinstance(record, MaintenanceWindow):
        data["elements"] = list(record.elements)
    return {"record": kind, **data}


def input_from_record(value: dict[str, Any]) -> InputRecord:
    data = dict(value)
    kind = data.pop("record", "alarm")
    if kind == "maintenance":
        data["elements"] = tuple(data["elements"])
    return _RECORD_TYPES[kind](**data)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_STATE_KEYS = {OUT: "out", OK: "back", PLANNED: "planned"}  # in message order


def impact_records(impact: Impact, partitions: np.ndarray) -> list[tuple[int, dict[str, Any]]]:
    """``(partition, impact message)`` pairs for ``impact``, whose rows live on ``partitions``.

    Per partition (ascending), as few messages as fit: one per cause, and a cause's rows in
    chunks of ``IMPACT_CHUNK``, causes in order of their first row. Each customer/service
    lands under ``out``, ``back`` or ``planned`` (out, but explained by the started
    maintenance window ``maintenance_id``); services keep the order of their first row, ids
    the order of the rows. One stable sort puts the ids of each message, state and service
    next to each other: a storm costs a few array operations per alarm, not per customer.
    """
    n_causes, n_states, n_services = len(impact.causes), max(_STATE_KEYS) + 1, len(SERVICE_NAMES)
    per_group = len(impact) // IMPACT_CHUNK + 1  # at most this many chunks of one cause
    group = partitions.astype(np.int64) * n_causes + impact.cause_of  # (partition, cause)
    chunk = 0 if len(impact) <= IMPACT_CHUNK else _rank_in_group(group) // IMPACT_CHUNK
    message = group * per_group + chunk
    bucket = (message * n_states + impact.states) * n_services + impact.services
    order = np.argsort(bucket, kind="stable")
    sorted_buckets = bucket[order]
    starts = np.flatnonzero(np.diff(sorted_buckets, prepend=-1))
    ends = np.append(starts, len(order))[1:].tolist()
    ids = impact.customer_ids[impact.positions[order]]
    # message -> state -> (first row, service, ids), and each (partition, cause)'s first row
    found: dict[int, dict[int, list[tuple[int, str, list[str]]]]] = {}
    first_row: dict[int, int] = {}
    for key, first, start, end in zip(sorted_buckets[starts].tolist(), order[starts].tolist(),
                                      starts.tolist(), ends, strict=True):
        m, state_service = divmod(key, n_states * n_services)
        state, service = divmod(state_service, n_services)
        found.setdefault(m, {}).setdefault(state, []).append(
            (first, SERVICE_NAMES[service], ids[start:end].tolist()))
        first_row[m // per_group] = min(first, first_row.get(m // per_group, first))
    records: list[tuple[int, dict[str, Any]]] = []
    for m in sorted(found, key=lambda m: (m // per_group // n_causes, first_row[m // per_group],
                                          m % per_group)):
        partition, cause = divmod(m // per_group, n_causes)
        at, incident_id, cause_element, cause_type, maintenance_id = impact.causes[cause]
        record: dict[str, Any] = {"kind": "impact", "at": at, "incident_id": incident_id,
                                  "cause_element": cause_element, "cause_type": cause_type}
        for state, name in _STATE_KEYS.items():
            services = found[m].get(state)
            if services is not None or state != PLANNED:
                record[name] = {service: ids for _, service, ids in sorted(services or [])}
        if maintenance_id is not None:
            record["maintenance_id"] = maintenance_id
        records.append((partition, record))
    return records


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """Per row: how many earlier rows have the same ``group`` (for chunking a group)."""
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.diff(group[order], prepend=-1))
    counts = np.diff(np.append(starts, len(group)))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - np.repeat(starts, counts)
    return rank


def changes_from_impact(value: dict[str, Any]) -> list[ImpactChange]:
    """The changes of one ``impact`` message: planned and outs before backs."""
    result: list[ImpactChange] = []
    maintenance_id = value.get("maintenance_id")
    for direction in ("planned", "out", "back"):
        planned = direction == "planned"
        for service, ids in value.get(direction, {}).items():
            result.extend(
                ImpactChange(c, service, direction != "back", float(value["at"]),
                             value["incident_id"], value["cause_element"], value["cause_type"],
                             planned=planned, maintenance_id=maintenance_id if planned else None)
                for c in ids
            )
    return result


def decision_to_record(decision: Decision) -> dict[str, Any]:
    """The decision's fields as a dict (what ``asdict`` gives, without its deep copies: every
    field is a string, number, None or the ``services`` tuple; ~10x faster, and an incident
    can decide 200,000 of them at one instant)."""
    return {
        "customer_id": decision.customer_id,
        "incident_id": decision.incident_id,
        "stage": str(decision.stage),
        "services": list(decision.services),
        "decided_at": decision.decided_at,
        "since": decision.since,
        "reason": decision.reason,
        "cause_type": decision.cause_type,
        "ended_at": decision.ended_at,
        "eta": decision.eta,
        "message": decision.message,
    }


def decision_from_record(value: dict[str, Any]) -> Decision:
    data = dict(value)
    data["stage"] = Stage(data["stage"])
    data["services"] = tuple(data["services"])
    return Decision(**data)
