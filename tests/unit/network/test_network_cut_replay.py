"""A replay-style story with a cable cut, raw JSON through the stages the agents call:
the cut's downstream customers get one outage and one resolved notice, nobody else hears
anything (``layered``: a point on route R1 cuts PON-A, which serves f-1 and f-in)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from forewarn.geo import RegionIndex
from forewarn.streams import records
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.network.stage import NetworkStage
from tests.unit.network.network_helpers import correlator

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
PARTITIONS = 2


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def story() -> list[dict[str, Any]]:
    return [
        {"type": "cable_cut", "cut_id": "dig-1", "state": "raised", "event_time": at(0),
         "location": {"lon": 13.395, "lat": 52.51, "tolerance_m": 10}, "text": "Bagger"},
        {"alarm_id": "u3", "element_id": "U3", "state": "raised", "severity": "major",
         "event_time": at(60)},  # degrades m-3g: counted, not sent
        {"type": "cable_cut", "cut_id": "dig-1", "state": "cleared", "event_time": at(600)},
        {"alarm_id": "u3", "element_id": "U3", "state": "cleared", "severity": "major",
         "event_time": at(700)},
    ]


def test_cut_story_yields_one_outage_and_one_resolved_per_downstream_customer(
    layered_index: RegionIndex,
) -> None:
    normalise = NormaliseStage()
    network = NetworkStage(correlator(layered_index), PARTITIONS)
    customers = CustomerStage({}, PARTITIONS, 120, 300)
    decided: list[tuple[str, str, float, str]] = []
    for line in [*map(json.dumps, story()), json.dumps(records.drain_record("end"))]:
        accepted, dead = normalise.handle(line.encode())
        assert dead == []
        for value in accepted:
            for partition, message in network.handle(value):
                for out in customers.handle(partition, message):
                    decided += [(d["customer_id"], d["stage"], d["decided_at"], d["incident_id"])
                                for d in out.get("items", [])]
    start = T0.timestamp()
    assert sorted(d[:3] for d in decided) == [
        ("f-1", "outage", start + 120), ("f-1", "resolved", start + 900),
        ("f-in", "outage", start + 120), ("f-in", "resolved", start + 900),
    ]
    assert len({d[3] for d in decided}) == 1  # one incident: the cut node PON-A
    assert normalise.outcomes["cable_cut:accepted"] == 2
