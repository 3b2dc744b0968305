"""Impact messages built from columns equal those of the obvious per-change grouping.

The reference is the grouping the network stage did before impacts were columnar: one
``ImpactChange`` per customer service, grouped by partition, then by cause in order of
first appearance, chunked, then by direction and service. Chunks are made tiny so that
chunking is exercised too.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from forewarn.domain import ImpactChange
from forewarn.streams import records
from forewarn.streams.network.events import Impact
from forewarn.streams.network.service_states import OK, OUT, PLANNED, SERVICE_NAMES
from forewarn.streams.records import impact_rows

IDS = np.asarray([f"c{i}" for i in range(12)], dtype=object)
CAUSES = st.tuples(st.sampled_from([100.0, 200.5]), st.sampled_from(["INC-1", "INC-2", "MW-1"]),
                   st.sampled_from(["PWR-1", "S-A"]), st.sampled_from(["power", "maintenance"]),
                   st.sampled_from([None, "MW-1"]))


@st.composite
def impacts(draw: st.DrawFn) -> tuple[Impact, np.ndarray]:
    causes = tuple(draw(st.sets(CAUSES, min_size=1, max_size=4)))
    n = draw(st.integers(0, 40))

    def column(values: st.SearchStrategy[int]) -> np.ndarray:
        return np.asarray(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.int64)

    impact = Impact(IDS, column(st.integers(0, len(IDS) - 1)),
                    column(st.integers(0, len(SERVICE_NAMES) - 1)),
                    column(st.sampled_from([OK, OUT, PLANNED])), causes,
                    column(st.integers(0, len(causes) - 1)))
    return impact, column(st.integers(0, 3))


def reference(changes: list[ImpactChange], partitions: list[int],
              chunk: int) -> list[tuple[int, dict[str, Any]]]:
    by_partition: dict[int, list[ImpactChange]] = {}
    for change, partition in zip(changes, partitions, strict=True):
        by_partition.setdefault(partition, []).append(change)
    out = []
    for partition, group in sorted(by_partition.items()):
        by_cause: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}
        for c in group:
            direction = "planned" if c.planned else "out" if c.out else "back"
            by_cause.setdefault((c.at, c.incident_id, c.cause_element, c.cause_type,
                                 c.maintenance_id), []).append((direction, c.service,
                                                                c.customer_id))
        for (at, incident, element, cause_type, maintenance_id), flat in by_cause.items():
            for start in range(0, len(flat), chunk):
                message: dict[str, Any] = {"kind": "impact", "at": at, "incident_id": incident,
                                           "cause_element": element, "cause_type": cause_type,
                                           "out": {}, "back": {}}
                for direction, service, customer in flat[start:start + chunk]:
                    message.setdefault(direction, {}).setdefault(service, []).append(customer)
                if maintenance_id is not None:
                    message["maintenance_id"] = maintenance_id
                out.append((partition, message))
    return out


def ordered(value: Any) -> Any:
    """``value`` with every dict as its list of items: equality then checks key order."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [ordered(v) for v in value]
    return value


@given(impacts(), st.integers(1, 5))
def test_messages_equal_the_per_change_grouping(drawn: tuple[Impact, np.ndarray],
                                                chunk: int) -> None:
    impact, partitions = drawn
    with mock.patch.object(impact_rows, "IMPACT_CHUNK", chunk):
        got = records.impact_records(impact, partitions)
    assert ordered(got) == ordered(reference(impact.changes, partitions.tolist(), chunk))


def test_changes_of_an_impact_made_one_at_a_time_come_back_as_made() -> None:
    out = (100.0, "INC-1", "PWR-1", "power", None)
    planned = (100.0, "MW-1", "S-A", "maintenance", "MW-1")
    impact = Impact.of([("c2", "fibre", OUT, out), ("c1", "mobile", PLANNED, planned),
                        ("c3", "mobile", OK, out)])
    assert len(impact) == 3
    assert impact.changes == [
        ImpactChange("c2", "fibre", True, 100.0, "INC-1", "PWR-1", "power"),
        ImpactChange("c1", "mobile", True, 100.0, "MW-1", "S-A", "maintenance", planned=True,
                     maintenance_id="MW-1"),
        ImpactChange("c3", "mobile", False, 100.0, "INC-1", "PWR-1", "power"),
    ]
    assert len(Impact.of([])) == 0
