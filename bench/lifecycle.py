"""Micro-benchmark: what the incident lifecycle (CONTRACT §8 incident events) adds to the
network stage's hot path.

    python -m bench lifecycle [--customers 1000000] [--rounds 3]

Why: the lifecycle sees every ``Impact`` the correlator reports, in the network's one order,
so whatever it costs, every alarm of a storm pays it. It counts who is out under which
incident with numpy over the impact's columns; this measures that claim. On the storm
benchmark's synthetic region (cached under /tmp), one ``NetworkStage`` with the lifecycle
and one with it replaced by a no-op handle the same records, alternately, ``--rounds`` times
(best run each: the machine is shared), and inside the runs with the lifecycle the time spent
in ``IncidentLifecycle.feed`` itself is summed (the same run's share, which load moves far
less than it moves a with/without difference):

* ``storm``: ``bench storm``'s alarms (5 % of cells and 2 OLTs down, 20,000 noise alarms);
* ``fanout``: the power elements that take ~200,000 customers out raised, then cleared.

Prints seconds per phase with and without, and the lifecycle's own seconds and share.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from forewarn.domain import Alarm
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.incident_lifecycle import IncidentEvent
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.windows import MaintenanceSchedule

__all__ = ["main"]


class _NoLifecycle:
    """The lifecycle switched off: the stage as it was before incident events."""

    def feed(self, events: object) -> list[IncidentEvent]:
        return []

    def take_contacted(self) -> list[str]:
        return []


def _stage(index: Any, lifecycle: bool) -> NetworkStage:
    correlator = NetworkCorrelator(index, ElementStates({}), MaintenanceSchedule({}), {})
    stage = NetworkStage(correlator, 4)
    if not lifecycle:
        stage.lifecycle = _NoLifecycle()  # type: ignore[assignment]
    return stage


class _Clocked:
    """The lifecycle with the time spent in ``feed`` summed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def feed(self, events: Any) -> list[IncidentEvent]:
        start = time.perf_counter()
        try:
            result: list[IncidentEvent] = self.inner.feed(events)
            return result
        finally:
            self.seconds += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _timed(stage: NetworkStage, records: list[Any]) -> tuple[float, int, float]:
    clocked = None
    if not isinstance(stage.lifecycle, _NoLifecycle):
        clocked = _Clocked(stage.lifecycle)
        stage.lifecycle = clocked  # type: ignore[assignment]
    events = 0
    start = time.perf_counter()
    for record in records:
        stage.handle(record)
        events += len(stage.take_incident_events())
    return time.perf_counter() - start, events, clocked.seconds if clocked else 0.0


def _fanout_alarms(index: Any, wanted: int, at: float) -> list[Alarm]:
    powers = sorted(e for e in index.element_ids if index.element_type(e) == "power")
    served = {e: len(index.dependents([e])) for e in powers}
    chosen: list[str] = []
    hit = 0
    for element in sorted(powers, key=lambda e: -served[e]):
        if hit >= wanted:
            break
        chosen.append(element)
        hit += served[element]
    raised = [Alarm(f"P{n}", e, "raised", "critical", at + n, "power") for n, e in
              enumerate(chosen)]
    cleared = [Alarm(f"P{n}", e, "cleared", "critical", at + 600 + n, "power") for n, e in
               enumerate(chosen)]
    return raised + cleared


def main(argv: list[str] | None = None) -> int:
    from bench.storm import _region, _storm
    from forewarn.geo import RegionIndex, load_region

    parser = argparse.ArgumentParser(prog="python -m bench lifecycle")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fanout", type=int, default=200_000)
    args = parser.parse_args(argv)
    region = _region(args.customers, args.seed)
    index = RegionIndex.build(load_region(region))
    start = time.time()
    normalise = NormaliseStage()
    storm = [r for value in _storm(region, 20_000, args.seed, start)
             for r in normalise.handle(value)[0]]
    phases = {"storm": storm, "fanout": _fanout_alarms(index, args.fanout, start + 3600)}
    best: dict[tuple[str, bool], float] = {}
    own: dict[str, float] = {}  # the lifecycle's own seconds in the best run with it
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        for lifecycle in (True, False):
            for name, records in phases.items():
                seconds, events, inside = _timed(_stage(index, lifecycle), records)
                key = (name, lifecycle)
                if seconds < best.get(key, float("inf")):
                    best[key] = seconds
                    if lifecycle:
                        own[name] = inside
                if lifecycle:
                    counts[name] = events
    figures: dict[str, Any] = {}
    for name, records in phases.items():
        on, off = best[(name, True)], best[(name, False)]
        figures[name] = {"records": len(records), "with_s": round(on, 4),
                         "without_s": round(off, 4), "lifecycle_s": round(own[name], 4),
                         "lifecycle_share": round(own[name] / on, 4),
                         "incident_events": counts[name]}
        print(f"{name:7} {len(records):6,} records: with lifecycle {on:7.3f} s (of which the "
              f"lifecycle {own[name]:.3f} s, {own[name] / on:.1%}), without {off:7.3f} s; "
              f"{counts[name]:,} incident events", flush=True)
    print(json.dumps(figures))
    return 0
