"""Element-level network messages decide exactly what per-customer impacts decided (issue 13).

Random ``synth`` regions with random alarm mixes (every alarm format, windows, NOC updates,
cable cuts, unknown elements), 1 and 4 partitions: the same records go through the network
stage twice, once sending per-customer impacts (the path before issue 13) and once sending
element-level messages that each partition expands from its own replica and index; each
partition's customer stage must write the same outbox records, in the same order.
A restart in the middle (fresh stages on the same state) must not change that either.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from forewarn.domain import InputRecord
from forewarn.geo import RegionIndex
from forewarn.streams import records
from forewarn.streams.customers.network_view import NetworkView
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.input.normalise import parse_line
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.refusals import RecordRefused
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.transitions import ImpactMemo
from forewarn.streams.network.windows import MaintenanceSchedule
from tests.golden_replay import _index, _synth, add_fibre_routes, alarm_mix, elements_by_type

Outbox = dict[int, list[dict[str, Any]]]


def replay_records(region: Path, seed: int, episodes: int) -> list[InputRecord]:
    """The mix's records in replay order (alarms stably sorted by event time)."""
    index = _index(region)
    routes = add_fibre_routes(region, seed)
    lines = alarm_mix(seed, elements_by_type(index), episodes, routes)
    keyed: list[tuple[float, int, InputRecord]] = []
    last = -math.inf
    for position, line in enumerate(lines):
        parsed = parse_line(line).records
        times = [r.event_time for r in parsed if r.event_time is not None]
        if times:
            last = min(times)
        keyed += [(last, position, record) for record in parsed]
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [record for _, _, record in keyed]


class Pipeline:
    """Network stage -> customer stages of every partition, on plain dicts (a restart:
    ``restart`` builds fresh stages over the same state)."""

    def __init__(self, index: RegionIndex, partitions: int, element_level: bool,
                 shared_memo: bool = False) -> None:
        self.index, self.partitions, self.element_level = index, partitions, element_level
        self.memo = ImpactMemo() if shared_memo else None  # one worker: network + customers
        self.events: list[dict[str, Any]] = []  # incident events (CONTRACT §8), as written
        self.local: list[tuple[int, dict[str, Any]]] = []  # what the board recorded
        self.network_state: dict[str, dict[str, Any]] = {
            "elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
        self.episodes: dict[str, Any] = {}
        self.replicas: dict[str, Any] = {}
        self.outbox: Outbox = {p: [] for p in range(partitions)}
        self.sent: list[bytes] = []  # what the network stage wrote, encoded
        self.restart()

    def restart(self) -> None:
        s = self.network_state
        correlator = NetworkCorrelator(
            self.index, ElementStates(s["elements"]), MaintenanceSchedule(s["windows"]),
            s["incidents"], notice_before_s=2 * 86400.0, cuts=s["cuts"],
            element_level=self.element_level, memo=self.memo)
        correlator.rebuild()
        self.network = NetworkStage(correlator, self.partitions)
        view = NetworkView(self.index, self.partitions, self.replicas, self.memo)
        self.customers = CustomerStage(self.episodes, self.partitions, 120.0, 300.0,
                                       network=view if self.element_level else None)

    def feed(self, value: InputRecord | records.Drain) -> None:
        try:
            produced = self.network.handle(value)
        except RecordRefused:
            return
        self.events += [e.record() for e in self.network.take_incident_events()]
        self.local += self.network.take_local()
        # as the network feed packs them: what one record sends a partition, in one batch
        packed: dict[int, list[dict[str, Any]]] = {}
        for partition, message in produced:
            self.sent.append(json.dumps(message, default=str).encode())
            packed.setdefault(partition, []).append(message)
        for partition, messages in sorted(packed.items()):
            batch = records.Batch(messages).to_wire()
            self.outbox[partition] += self.customers.handle(partition, batch)
            assert not self.customers.dead_letters, self.customers.dead_letters


def run(index: RegionIndex, partitions: int, element_level: bool,
        inputs: list[InputRecord], restart_at: int | None = None,
        shared_memo: bool = False) -> Pipeline:
    pipeline = Pipeline(index, partitions, element_level, shared_memo)
    for n, record in enumerate(inputs):
        if n == restart_at:
            pipeline.restart()
        pipeline.feed(record)
    pipeline.feed(records.Drain("end"))
    return pipeline


@pytest.mark.parametrize(("customers", "seed", "partitions"), [
    (300, 11, 1), (300, 12, 4), (800, 13, 1), (800, 14, 4), (1500, 15, 4)])
def test_element_level_messages_decide_what_per_customer_impacts_decided(
    tmp_path: Path, customers: int, seed: int, partitions: int,
) -> None:
    region = _synth(tmp_path / "region", customers, seed)
    inputs = replay_records(region, seed, 30)
    index = _index(region)
    assert isinstance(index, RegionIndex)

    before = run(index, partitions, False, inputs)
    after = run(index, partitions, True, inputs)
    one_worker = run(index, partitions, True, inputs, shared_memo=True)

    decided = sum(len(m["items"]) for out in before.outbox.values() for m in out
                  if m.get("kind") == "decisions")
    assert decided > 0, "the mix must decide something, or the comparison proves nothing"
    assert after.outbox == before.outbox
    assert one_worker.outbox == before.outbox
    assert one_worker.memo is not None and one_worker.memo.hits > 0, \
        "the customer partitions reuse the impacts the network stage computed"


@pytest.mark.parametrize(("customers", "seed", "partitions"), [(800, 13, 1), (1500, 15, 4)])
def test_the_network_worker_counts_incidents_as_the_per_customer_path_did(
    tmp_path: Path, customers: int, seed: int, partitions: int,
) -> None:
    """Incident events (customers per service) and what the board records come from the
    per-customer changes each element-level event carries, never sent."""
    region = _synth(tmp_path / "region", customers, seed)
    inputs = replay_records(region, seed, 30)
    index = _index(region)
    before = run(index, partitions, False, inputs)
    after = run(index, partitions, True, inputs, shared_memo=True)
    assert any(e["event"] == "opened" for e in before.events), "the mix must open incidents"
    assert after.events == before.events
    assert after.local == before.local
    sent_kinds = {json.loads(m).get("kind") for m in after.sent}
    assert "impact" not in sent_kinds, "per-customer impacts are counted, not sent"


def test_a_restart_of_both_stages_midway_changes_no_decision(tmp_path: Path) -> None:
    region = _synth(tmp_path / "region", 800, 21)
    inputs = replay_records(region, 21, 30)
    index = _index(region)
    assert isinstance(index, RegionIndex)
    before = run(index, 4, False, inputs)
    after = run(index, 4, True, inputs, restart_at=len(inputs) // 2)
    assert after.replicas, "the replicas are kept in the partitions' state"
    assert after.outbox == before.outbox
