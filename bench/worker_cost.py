"""The customer side of one worker during a big incident, in CPU seconds, no Kafka.

    python -m bench worker-cost [--index DIR] [--share 0.10] [--partitions 0 1 2 3]
                                [--batch 200] [--limit N]

Why (issue 13): in ``bench scale`` (10M customers, P = 8, 2 workers) every customer
partition of a worker turns each of the incident's element changes into its customers'
impacts (``NetworkView.expand``), decides (episodes opened), and at the confirmation instant
confirms them all; how much of a worker's CPU each step takes, split out of the noise of a
shared machine and of Faust, says where the fan-out's time goes.

1. ``--index`` (default: ``bench scale``'s 10M, P = 8 index; its CURRENT version) is loaded
   with the slices of ``--partitions`` only, as a worker of a group of two that does not own
   ``alarms.raw`` maps it;
2. the incident is ``bench network-cost``'s (remembered next to the index; ``pick_step``):
   one element-level ``down`` change per element (each a power root: its own incident), in
   the network's order, packed ``--batch`` network messages per ``batch`` envelope and
   partition as the network feed packs a fetched batch;
3. one ``CustomerStage`` (state in a dict) with one ``NetworkView`` and ``ImpactMemo`` for
   all those partitions, as ``kafka/app.py`` wires a worker, handles each partition's
   envelopes in turn (partition 0's first envelope, partition 1's, ...), then a tick past
   the confirmation instant on each partition.

Figures (``time.process_time``): expansion alone (``NetworkView.expand`` through the stage,
measured inside), the rest of handling the incident (decoding, episodes, timers), the
confirmation (the tick: decisions and outbox records), in CPU s for the worker and in ms
per change; decisions counted.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from bench.network_cost import _incident, _rss_mb, incident_parser, run_and_save

__all__ = ["main"]

CONFIRM_S = 120.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    from forewarn.config import Settings
    from forewarn.geo.artifact import version_dir
    from forewarn.geo.slices import load_slices
    from forewarn.streams import records
    from forewarn.streams.customers.network_view import NetworkView
    from forewarn.streams.customers.stage import CustomerStage
    from forewarn.streams.network.transitions import ImpactMemo

    path = version_dir(Path(args.index))
    incident = _incident(Path(args.index), path.name, args.share)
    elements = incident["elements"][:args.limit] if args.limit else incident["elements"]
    started = time.perf_counter()
    index = load_slices(path, args.partitions)
    print(f"index {path}: slices {args.partitions} in {time.perf_counter() - started:.1f} s, "
          f"RSS {_rss_mb():,.0f} MB; incident: {len(elements):,} element changes", flush=True)
    at = 1_800_000_000.0
    changes = [records.NetworkMessage(
        [records.ElementMessage(at, e, True, f"INC-{k}", e, "power").to_wire()], None,
        ingested_at=at) for k, e in enumerate(elements)]
    envelopes = [records.Batch([c.to_wire() for c in changes[k:k + args.batch]]).to_wire()
                 for k in range(0, len(changes), args.batch)]
    memo = ImpactMemo()
    view = NetworkView(index, index.partitions, memo=memo)
    stage = CustomerStage.from_settings({}, index.partitions, Settings(),
                                        customer=index.customer,
                                        timezone_of=index.timezone_of, network=view)
    for partition in args.partitions:  # each partition's first tick came before the alarms
        view.replica(partition)
        stage.tracker(partition)
    expand_s = 0.0
    original = view.expand

    def timed_expand(partition: int, message: Any) -> Any:
        nonlocal expand_s
        begun = time.process_time()
        try:
            return original(partition, message)
        finally:
            expand_s += time.process_time() - begun

    view.expand = timed_expand  # type: ignore[method-assign]
    handle_s = 0.0
    decisions = 0
    for envelope in envelopes:
        for partition in args.partitions:
            begun = time.process_time()
            stage.handle(partition, envelope)
            handle_s += time.process_time() - begun
    confirm_s = 0.0
    tick = records.EventTick(at + CONFIRM_S + 1).to_wire()
    for partition in args.partitions:
        begun = time.process_time()
        out = stage.handle(partition, tick)
        confirm_s += time.process_time() - begun
        decisions += sum(len(r.get("items", ())) for r in out if r.get("kind") == "decisions")
    n = max(1, len(changes))
    figures = {
        "index": str(path), "partitions": list(args.partitions), "changes": len(changes),
        "batch": args.batch, "decisions": decisions, "memo_hits": memo.hits,
        "shares_built": getattr(getattr(view, "shares", None), "built", None),
        "cpu_s": {"expand": expand_s, "handle_without_expand": handle_s - expand_s,
                  "confirm": confirm_s},
        "ms_per_change": {"expand": 1000 * expand_s / n,
                          "handle_without_expand": 1000 * (handle_s - expand_s) / n},
        "load_average": os.getloadavg(), "rss_mb": _rss_mb()}
    print(f"worker of partitions {list(args.partitions)}: expand {expand_s:.1f} CPU s "
          f"({1000 * expand_s / n:.2f} ms a change), the rest of handling "
          f"{handle_s - expand_s:.1f} s, confirmation {confirm_s:.1f} s, {decisions:,} "
          f"decisions; memo hits {memo.hits:,}, shares built {figures['shares_built']}; "
          f"load {os.getloadavg()[0]:.1f}; RSS {_rss_mb():,.0f} MB", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = incident_parser("python -m bench worker-cost", __doc__,
                             partitions_help="the partitions (and slices) of the worker",
                             limit_help="only the first N changes")
    parser.add_argument("--batch", type=int, default=200,
                        help="network messages per batch envelope")
    return run_and_save(parser, parser.parse_args(argv), run)
