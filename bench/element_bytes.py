"""Bytes from the network stage to the customer stages for one incident (issue 13).

    python -m bench element-bytes [--customers 10000 1000000] [--partitions 8]

One OLT serving N fibre customers goes down and comes back. The real ``NetworkStage`` and
``NetworkCorrelator`` handle both alarms twice: sending per-customer impacts (the path
before issue 13) and sending element-level messages (today's); printed: the bytes each
writes to ``impacts`` (JSON as the feed encodes it) and the network stage's time. The
index is a minimal double (one element, N customers) so that 1M customers need no
geometry build; the customer side's own work is not part of this figure.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from forewarn.domain import Alarm
from forewarn.streams.kafka.network_step import encode_json
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.partitioning import partitions_of

__all__ = ["main"]

OLT = "OLT-1"
T0 = 1_795_356_000.0


class OneOltIndex:
    """Every one of ``n`` customers is a fibre customer of ``OLT-1``."""

    def __init__(self, n: int) -> None:
        self.customer_ids = [f"C{i:08d}" for i in range(n)]
        self.customer_id_array = np.asarray(self.customer_ids, dtype=object)

    def has_element(self, element_id: str) -> bool:
        return element_id == OLT

    def partition_table(self, partitions: int) -> np.ndarray:
        return partitions_of(self.customer_ids, partitions)

    def element_type(self, element_id: str) -> str:
        return "olt"

    def ancestors(self, element_id: str) -> tuple[str, ...]:
        return ()

    def descendants(self, element_id: str) -> tuple[str, ...]:
        return ()

    def root_cause(self, element_id: str, down: Any) -> str:
        return element_id

    def dependents(self, element_ids: Any) -> np.ndarray:
        hit = OLT in set(element_ids)
        return np.arange(len(self.customer_ids) if hit else 0, dtype=np.int64)

    def outages(self, down: Collection[str], positions: np.ndarray | None = None
                ) -> dict[str, np.ndarray]:
        return self.outages_each([down], positions)[0]

    def outages_each(self, downs: Sequence[Collection[str]],
                     positions: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
        size = len(self.customer_ids) if positions is None else len(positions)
        return [{"mobile": np.zeros(size, dtype=bool),
                 "fibre": np.full(size, OLT in set(down), dtype=bool)} for down in downs]


def measure(n: int, partitions: int, element_level: bool) -> tuple[int, int, float]:
    """(bytes, messages, seconds) the network stage sends for OLT-1 down, then up."""
    index = OneOltIndex(n)
    correlator = NetworkCorrelator(index, ElementStates({}), element_level=element_level)
    stage = NetworkStage(correlator, partitions)
    total = count = 0
    elapsed = 0.0
    for state, at in (("raised", T0), ("cleared", T0 + 3600)):
        alarm = Alarm("A-1", OLT, state, "critical", at, "power")
        started = time.perf_counter()
        out = stage.handle(alarm)
        encoded = [encode_json(value) for _, value in out]
        elapsed += time.perf_counter() - started
        total += sum(len(e) for e in encoded)
        count += len(encoded)
    return total, count, elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench element-bytes")
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args(argv)
    print(f"one OLT down and back, {args.partitions} customer partitions")
    for n in args.customers:
        for element_level, name in ((False, "per-customer"), (True, "element-level")):
            size, messages, seconds = measure(n, args.partitions, element_level)
            print(f"  {n:>9,} customers  {name:>13}: {size:>12,} bytes in {messages:>4} "
                  f"messages, network stage {seconds * 1e3:9.1f} ms", flush=True)
    return 0
