"""Seeded random scenarios for ``EpisodeTracker``, each reduced to one digest of what it did.

A scenario drives one tracker through a random mix of every public call (impact changes, late
ones included, planned windows, window ends, NOC updates, merges, drains, restarts that
rebuild from the table, heavy flapping that compacts the timer queue) under random settings
(confirm/resolve windows, legal policy, ETA-passed updates, timezones, a table that copies on
read or hands out its dicts, with or without ``set_derived``). The digest covers every
decision (fields, order, ``notification_id``), the reason counts, clock and pending timers,
and every write and delete on the table as the JSON the changelog would carry, in order.

``episode_recording.json`` holds the digests of the implementation before the episode machine
was rebuilt by composition (issue 12); the test checks the current one against them. To see
where a scenario differs, run ``trace(seed)`` here on both trees and diff the lines::

    PYTHONPATH=<old tree> python tests/unit/core/episode_recording.py --trace SEED
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from forewarn.domain import Decision, ImpactChange
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.legal_clocks import GermanyTkg58, UkAutomaticCompensation
from forewarn.streams.customers.notices import NoticeRules

#: The first 40, and the first two that drop a legal clock (covered by the outage notice; the
#: service back when it came due), which the first 40 do not.
SEEDS = (*range(40), 73, 135)
RECORDING = "episode_recording.json"


class RecordingTable(MutableMapping[str, dict[str, Any]]):
    """A table that logs every write and delete; ``copy``: JSON round trip on read and write
    (like a serialising store), else it hands out the dicts it was given (like a dict)."""

    def __init__(self, log: list[str], *, copy: bool) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.log = log
        self.copy = copy

    def _kept(self, value: dict[str, Any]) -> dict[str, Any]:
        return json.loads(json.dumps(value)) if self.copy else value  # type: ignore[no-any-return]

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._kept(self.data[key])

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self.log.append("set " + key + " " + json.dumps(value))
        self.data[key] = self._kept(value)

    def __delitem__(self, key: str) -> None:
        self.log.append("del " + key)
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.data))

    def __len__(self) -> int:
        return len(self.data)


class JournalLikeTable(RecordingTable):
    """With ``set_derived``, as the batched episode journal has (not changelogged)."""

    def set_derived(self, key: str, value: dict[str, Any]) -> None:
        self.log.append("derived " + key + " " + json.dumps(value))
        self.data[key] = self._kept(value)


def trace(seed: int) -> list[str]:
    """The lines of one scenario: each call, what it returned and what it wrote."""
    rng = random.Random(seed)
    writes: list[str] = []
    lines: list[str] = []
    copy = rng.random() < 0.5
    table = (JournalLikeTable if rng.random() < 0.5 else RecordingTable)(writes, copy=copy)
    customers = [f"c-{i}" for i in range(rng.choice([1, 2, 3, 5, 8, 40]))]
    services = ["mobile", "fibre", "tv"][: rng.choice([1, 2, 3])]
    incidents = [f"inc-{i}" for i in range(rng.choice([1, 2, 4]))]
    windows = [f"mw-{i}" for i in range(rng.choice([1, 2, 3]))]
    confirm = rng.choice([0, 5, 120, 3600, 36000])
    resolve = rng.choice([0, 5, 300, 7200])
    legal = rng.choice([None, GermanyTkg58(), UkAutomaticCompensation()])
    zones = {c: rng.choice(["Europe/Berlin", "Europe/London", "America/New_York", ""])
             for c in customers}

    def zone(customer_id: str) -> str:
        if customer_id == "c-1":
            raise LookupError(customer_id)
        return zones[customer_id]

    notices = NoticeRules(legal, eta_passed=rng.random() < 0.7,
                          timezone=zone if rng.random() < 0.8 else None)

    def tracker_over_table() -> EpisodeTracker:
        return EpisodeTracker(table, confirm, resolve, notices=notices)

    tracker = tracker_over_table()
    peek = rng.random() < 0.5  # next_deadline() drops stale timers: with and without
    t = 1_700_000_000.0 + rng.uniform(0, 3 * 86400)
    scale = rng.choice([1, 30, 600, 20000])
    flapping = rng.random() < 0.1
    steps = 1500 if flapping else rng.choice([20, 60, 150])

    def record(call: str, decisions: list[Decision]) -> None:
        clock = tracker.clock if math.isfinite(tracker.clock) else str(tracker.clock)
        lines.append(json.dumps([call, [repr(d) for d in decisions],
                                 [d.notification_id for d in decisions],
                                 sorted(tracker.reasons.items()), clock, tracker.pending(),
                                 writes]))
        writes.clear()
        if peek:
            lines.append(json.dumps(["next_deadline", tracker.next_deadline()]))

    def some_customers() -> dict[str, list[str]]:
        return {s: rng.sample(customers, rng.randint(0, len(customers)))
                for s in rng.sample(services, rng.randint(1, len(services)))}

    for step in range(steps):
        r = rng.random()
        if rng.random() < 0.1:
            at = t - rng.uniform(0, 3 * scale)  # late
        else:
            t += rng.expovariate(1 / scale)
            at = t
        if flapping:
            change = ImpactChange(rng.choice(customers), rng.choice(services), step % 2 == 0, at,
                                  rng.choice(incidents), "e", "power")
            record("flap", tracker.observe(change))
        elif r < 0.55:
            changes = []
            for _ in range(rng.choice([1, 1, 2, 5, 20])):
                kind = rng.random()
                planned = kind < 0.15
                changes.append(ImpactChange(
                    rng.choice(customers), rng.choice(services), planned or kind < 0.6,
                    at if rng.random() < 0.8 else at + rng.uniform(0, scale),
                    rng.choice(incidents), "el", rng.choice(["power", "cell", "olt"]),
                    planned=planned, maintenance_id=rng.choice(windows) if planned else None))
            if len(changes) == 1 and rng.random() < 0.5:
                record("observe", tracker.observe(changes[0]))
            else:
                record("observe_many", tracker.observe_many(changes))
        elif r < 0.65:
            record("advance", tracker.advance(at))
        elif r < 0.72:
            start = at + rng.uniform(-scale, 5 * scale)
            end = start + rng.uniform(0, 10 * scale)
            fired = tracker.advance(at) if rng.random() < 0.5 else []
            tracker.announce(rng.choice(windows), max(at, start - rng.uniform(0, 3 * scale)),
                             start, end, rng.choice([None, "works"]), some_customers())
            record("announce", fired)
        elif r < 0.8:
            record("end_window", tracker.end_window(rng.choice(windows), at, some_customers()))
        elif r < 0.88:
            eta = rng.choice([None, at + rng.uniform(-scale, 20 * scale),
                              at + 86400 * rng.uniform(0, 5)])
            record("update", tracker.update(rng.choice(incidents), at, eta=eta,
                                            message=rng.choice([None, "", "crew on site"])))
        elif r < 0.93:
            record("merge", tracker.merge(rng.choice(incidents), rng.choice(incidents),
                                          rng.choice([None, "power"]), at))
        elif r < 0.96:
            record("drain", tracker.drain())
        else:  # a restarted worker: a new tracker over the same table
            tracker = tracker_over_table()
            owns: Callable[[str], bool] = (lambda c: c != "c-0") if rng.random() < 0.3 else (
                lambda c: True)
            tracker.rebuild(owns)
            record("rebuild", [])
    record("final", tracker.advance(math.inf))
    lines.append(json.dumps(sorted((k, json.dumps(v)) for k, v in table.data.items())))
    return lines


def digest(seed: int) -> str:
    """One scenario's trace, hashed."""
    h = hashlib.sha256()
    for line in trace(seed):
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--trace"]:
        print("\n".join(trace(int(sys.argv[2]))))
    else:
        json.dump({str(seed): digest(seed) for seed in SEEDS}, sys.stdout, indent=1)
        print()
