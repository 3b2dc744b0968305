"""The ``impact`` messages of one network ``Impact``, built with a few array operations.

A storm's alarm can change the state of 200,000 customers; grouping them into messages per
partition and cause must cost array operations per alarm, not Python work per customer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forewarn.streams.network.events import Impact
from forewarn.streams.network.service_states import OK, OUT, PLANNED, SERVICE_NAMES
from forewarn.streams.records.messages import ImpactMessage

__all__ = ["IMPACT_CHUNK", "impact_messages", "impact_records"]

IMPACT_CHUNK = 10_000  # customer ids per impacts message: well under Kafka's 1 MB default

_STATE_KEYS = {OUT: "out", OK: "back", PLANNED: "planned"}  # in message order


def impact_records(impact: Impact, partitions: np.ndarray) -> list[tuple[int, dict[str, Any]]]:
    """``impact_messages`` as they travel (``to_wire``)."""
    return [(p, message.to_wire()) for p, message in impact_messages(impact, partitions)]


def impact_messages(impact: Impact, partitions: np.ndarray) -> list[tuple[int, ImpactMessage]]:
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
    records: list[tuple[int, ImpactMessage]] = []
    for m in sorted(found, key=lambda m: (m // per_group // n_causes, first_row[m // per_group],
                                          m % per_group)):
        partition, cause = divmod(m // per_group, n_causes)
        at, incident_id, cause_element, cause_type, maintenance_id = impact.causes[cause]
        by_state = {name: {service: ids for _, service, ids in sorted(found[m][state])}
                    for state, name in _STATE_KEYS.items() if state in found[m]}
        message = ImpactMessage(at, incident_id, cause_element, cause_type,
                                by_state.get("out", {}), by_state.get("back", {}),
                                by_state.get("planned"), maintenance_id)
        records.append((partition, message))
    return records


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """Per row: how many earlier rows have the same ``group`` (for chunking a group)."""
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.diff(group[order], prepend=-1))
    counts = np.diff(np.append(starts, len(group)))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - np.repeat(starts, counts)
    return rank
