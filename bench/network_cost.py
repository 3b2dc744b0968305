"""Network stage per alarm on a sliced index: what one power alarm of a big incident costs.

    python -m bench network-cost [--index DIR] [--share 0.10] [--partitions 0 1 2 3]
                                 [--view-partition 0] [--limit N]

Why (issue 13): no outage decision comes before event time passes the confirmation instant,
and the live ticks wait on ``alarms.raw`` behind the incident's alarms, so the time the
worker owning ``alarms.raw`` takes per alarm bounds the whole fan-out.

1. ``--index`` (default: the 10M-customer, P = 8 index ``bench scale`` caches; its CURRENT
   version, never rebuilt here) is loaded with every slice, as a ``forewarn worker --index``
   that owns ``alarms.raw`` maps it;
2. the incident is ``bench scale``'s (``scale.pick_step``: the power elements serving most
   customers up to ``--share``), remembered per index version next to the index (the pick
   takes ~1 min at 10M);
3. its alarms (``scale._alarms``) go through ``NormaliseStage`` and the network stage wired
   as ``kafka/app.py`` wires it (``NetworkCorrelator`` at element level with a shared
   ``ImpactMemo``, suspicion detector, ``ReloadingNetworkStage``), each followed by
   ``take_local`` and ``IncidentBoard.record`` of every local record, as
   ``kafka/network_step.py`` does: ms per alarm;
4. the network messages for ``--view-partition`` are expanded by ``NetworkView`` over an
   index holding the slices of ``--partitions`` (a worker of a group of two that does not
   own ``alarms.raw``; its own ``ImpactMemo``, so its first partition computes the impact):
   ms per alarm.

Figures are CPU ms per alarm (this process's CPU time: steadier than wall time on a shared
machine) for all alarms, the first 100 and the last 100; the baseline in the same run is
the last 100 alarms again on a fresh network stage with nothing else down: the cost must not
grow with the number of elements already down (the incident's alarms come largest first,
so first and last differ by customers per alarm as well).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scale import _alarms, pick_step

__all__ = ["main"]

CACHE = Path.home() / ".cache" / "forewarn-bench"
DEFAULT_INDEX = CACHE / "index-10000000-1-p8"
EDGE = 100  # alarms in the "first" and "last" figures


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _incident(index_dir: Path, version: str, share: float) -> dict[str, Any]:
    """``pick_step``'s incident, remembered per index version (same index, same answer)."""
    memo = index_dir / f"network-cost-incident-{version}-{share:g}.json"
    if memo.exists():
        found: dict[str, Any] = json.loads(memo.read_text(encoding="utf-8"))
        return found
    started = time.perf_counter()
    found = pick_step(index_dir, share)
    print(f"incident picked in {time.perf_counter() - started:.1f} s", flush=True)
    memo.write_text(json.dumps(found), encoding="utf-8")
    return found


def _network(index: Any, partitions: int) -> tuple[Any, Any, Any]:
    """(normalise, network stage, board) wired as ``kafka/app.py`` ``_stages`` wires them."""
    from forewarn.config import Settings
    from forewarn.streams.input.stage import NormaliseStage
    from forewarn.streams.network.correlation import NetworkCorrelator
    from forewarn.streams.network.elements import ElementStates
    from forewarn.streams.network.event_time import EventTimeGuard
    from forewarn.streams.network.flapping import FlapDetector
    from forewarn.streams.network.incident_board import IncidentBoard
    from forewarn.streams.network.index_reload import ReloadingNetworkStage
    from forewarn.streams.network.serving import served_counts
    from forewarn.streams.network.suspicion import SuspicionDetector
    from forewarn.streams.network.transitions import ImpactMemo
    from forewarn.streams.network.windows import MaintenanceSchedule

    settings = Settings()
    correlation = settings.correlation
    elements = ElementStates({}, correlation.down_severities,
                             correlation.max_open_alarms_per_element)
    correlator = NetworkCorrelator(
        index, elements, MaintenanceSchedule({}), {},
        notice_before_s=settings.notify.notice_before_s,
        flapping=FlapDetector(correlation.flap_changes, correlation.flap_window_s),
        cuts={},
        event_time=EventTimeGuard(correlation.max_future_skew_s, correlation.max_age_s,
                                  live=True),
        suspicion=SuspicionDetector(settings.sensors, served_counts(index), index.element_type,
                                    {}),
        country=settings.legal.country, element_level=True, memo=ImpactMemo())
    board = IncidentBoard(keep_ended_s=settings.web.resolved_visible_s)
    return NormaliseStage(), ReloadingNetworkStage(correlator, partitions), board


def _figures(name: str, times: list[float]) -> dict[str, float]:
    """CPU ms per alarm (this process's CPU time: steadier than wall time on a shared
    machine): mean over all, the first and the last ``EDGE``; median and p99."""
    ms = [t * 1000 for t in times]
    ordered = sorted(ms)
    figures = {"mean": statistics.fmean(ms), "first": statistics.fmean(ms[:EDGE]),
               "last": statistics.fmean(ms[-EDGE:]), "p50": ordered[len(ordered) // 2],
               "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
               "total_s": sum(times)}
    print(f"{name:<30} mean {figures['mean']:7.3f}  first {EDGE} {figures['first']:7.3f}  "
          f"last {EDGE} {figures['last']:7.3f}  p50 {figures['p50']:7.3f}  "
          f"p99 {figures['p99']:7.3f} CPU ms/alarm ({figures['total_s']:.1f} s in all)",
          flush=True)
    return figures


def _rows(message: dict[str, Any]) -> int:
    """Customer/service rows of an ``impact`` message (0 for other kinds)."""
    if message.get("kind") != "impact":
        return 0
    return sum(len(ids) for key in ("out", "back", "planned")
               for ids in (message.get(key) or {}).values())


def _timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def _feed(index: Any, raw: list[bytes], view_partition: int
          ) -> tuple[list[float], list[list[dict[str, Any]]], int]:
    """``raw`` through a fresh network stage, as ``kafka/network_step.py`` calls it per
    record: (CPU s per alarm, what each sent ``view_partition``, local impact rows)."""
    normalise, network, board = _network(index, index.partitions)
    handle: list[float] = []
    sent: list[list[dict[str, Any]]] = []
    local_rows = 0
    for value in raw:
        started = time.process_time()
        accepted, dead = normalise.handle(value)
        assert not dead, dead
        for record in accepted:
            produced = network.handle(record, time.time())
            for _, message in network.take_local():
                local_rows += _rows(message)
                board.record(message)
            sent.append([m for p, m in produced if p == view_partition])
        network.take_incident_events()
        network.take_sensed()
        handle.append(time.process_time() - started)
    return handle, sent, local_rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    from forewarn.geo.artifact import version_dir
    from forewarn.geo.slices import load_slices
    from forewarn.streams import records
    from forewarn.streams.customers.network_view import NetworkView
    from forewarn.streams.network.transitions import ImpactMemo

    path = version_dir(Path(args.index))
    took, index = _timed(lambda: load_slices(path))
    print(f"index {path} ({len(index):,} customers, {len(index.element_ids):,} elements, "
          f"P = {index.partitions}): all slices in {took:.1f} s, RSS {_rss_mb():,.0f} MB",
          flush=True)
    incident = _incident(Path(args.index), path.name, args.share)
    elements = incident["elements"][:args.limit] if args.limit else incident["elements"]
    print(f"incident: {len(elements):,} {'/'.join(incident['types'])} alarm(s), "
          f"{incident['customers']:,} customers out (all alarms)", flush=True)
    raw = _alarms(elements, time.time())
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall = time.perf_counter()
    handle, sent, local_rows = _feed(index, raw, args.view_partition)
    handle_wall = time.perf_counter() - wall
    handle_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    # the baseline: the storm's last alarms again, on a fresh network with nothing down
    alone, _, _ = _feed(index, raw[-EDGE:], args.view_partition)
    # -- one customer partition of a worker that does not own alarms.raw
    view_index = load_slices(path, args.partitions)
    view = NetworkView(view_index, index.partitions, {}, ImpactMemo())
    expand: list[float] = []
    impacts = 0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall = time.perf_counter()
    for values in sent:
        started = time.process_time()
        for value in values:
            for message in records.decode_impacts(value):
                if isinstance(message, records.NetworkMessage):
                    for out in view.expand(args.view_partition, message):
                        if isinstance(out, records.ImpactMessage):
                            impacts += _rows(out.to_wire())
        view.flush(args.view_partition)
        expand.append(time.process_time() - started)
    expand_wall = time.perf_counter() - wall
    expand_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    print(f"network stage: {len(handle):,} alarms, {local_rows:,} local impact rows; "
          f"partition {args.view_partition} of slices {list(args.partitions)}: "
          f"{impacts:,} impact rows", flush=True)
    load = os.getloadavg()
    figures = {
        "index": str(path), "customers": len(index), "alarms": len(handle),
        "incident_customers": incident["customers"], "load_average": load,
        "network_handle": _figures("network handle + board", handle),
        "network_last_alone": _figures(f"  last {EDGE}, none else down", alone),
        "view_expand": _figures(f"partition {args.view_partition} expand", expand),
        "wall_s": {"network_handle": handle_wall, "view_expand": expand_wall},
        # first touches of the memory-mapped slices' pages, per alarm
        "minor_faults_per_alarm": {"network_handle": handle_faults / max(1, len(handle)),
                                   "view_expand": expand_faults / max(1, len(expand))},
        "rss_mb": _rss_mb()}
    print(f"minor page faults per alarm: network {handle_faults / max(1, len(handle)):.0f}, "
          f"expand {expand_faults / max(1, len(expand)):.0f}", flush=True)
    print(f"wall: network {handle_wall:.1f} s, expand {expand_wall:.1f} s; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; RSS {figures['rss_mb']:,.0f} MB",
          flush=True)
    return figures


def incident_parser(prog: str, description: str | None, *, partitions_help: str,
                    limit_help: str) -> argparse.ArgumentParser:
    """The options of a bench on the remembered incident of a sliced index (this one and
    ``bench worker-cost``): the index, the incident's share, the worker's partitions, a
    limit, and where to write the figures."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help="a sliced index folder (its CURRENT version is used)")
    parser.add_argument("--share", type=float, default=0.10,
                        help="share of the customers the incident takes out (as bench scale)")
    parser.add_argument("--partitions", type=int, nargs="+", default=[0, 1, 2, 3],
                        help=partitions_help)
    parser.add_argument("--limit", type=int, default=0, help=limit_help)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


def run_and_save(parser: argparse.ArgumentParser, args: argparse.Namespace,
                 run: Callable[[argparse.Namespace], dict[str, Any]]) -> int:
    """``run(args)`` on an index that exists, its figures also written to ``--json``."""
    if not Path(args.index).exists():
        parser.error(f"{args.index}: no such index (build it with `python -m bench scale`)")
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = incident_parser("python -m bench network-cost", __doc__,
                             partitions_help="slices of the worker whose partition expands "
                                             "the messages",
                             limit_help="only the first N alarms (0: all)")
    parser.add_argument("--view-partition", type=int, default=0)
    args = parser.parse_args(argv)
    if args.view_partition not in args.partitions:
        parser.error("--view-partition must be one of --partitions")
    return run_and_save(parser, args, run)
