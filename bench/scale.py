"""Scale-out: 1, 2, 4 ``forewarn worker --index DIR`` processes on one sliced index.

    python -m bench scale [--customers 10000000] [--partitions 8] [--workers 1 2 4]
                          [--share 0.10] [--data DIR]

Measured from outside the workers, so it measures whatever the product does:

1. the synthetic region and its sliced index (``forewarn synth``, ``forewarn index build
   --partitions P``) are cached under ``--data`` (``bench/slices.py``'s helpers); a build is
   reported with its wall time and peak RSS;
2. the incident taking ``--share`` of the customers out: a single element, or the power
   elements serving most customers (as ``bench storm`` picks its fan-out), whichever comes
   closer; its customers counted from the index in a child process
   (``SlicedIndex.out_positions``);
3. for each N in ``--workers``: a fresh embedded broker, N real ``forewarn worker --index``
   processes in one consumer group (a generated config: P partitions, ``confirm_after_s =
   5``, every channel a file channel on ``/dev/null`` throttled to 1 message/s, so delivery
   neither competes for the CPU nor stalls); per worker the time from spawn to ``/readyz``
   200 and the peak RSS (``VmHWM`` sampled, and ``ru_maxrss`` from ``os.wait4`` after a
   SIGTERM stop); the incident's alarms on ``alarms.raw``; the time from the confirmation
   instant until every outage decision is on ``notifications.outbox``; the bytes (keys +
   values, uncompressed) of every ``impacts`` record (``--impacts-topic``) stamped between
   the alarms and the end of the fan-out, read back until each partition passes that
   instant (end offsets of the embedded broker are not trusted);
4. peak RSS per worker fitted as ``F + S/N`` through the smallest and largest N, with each
   N's distance from the fit (target: within 15 %); a table; the figures as JSON in
   ``bench/results/scale-<customers>.json``.

Every child is stopped on exit (also on Ctrl-C, SIGTERM or an error); the workers also get
SIGTERM from Linux if this process dies. While workers run, ``MemAvailable`` below
``--min-free-mb`` stops them at once (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.slices import _build, _region, _run
from bench.storm import _produce, outage_decisions
from bench.worker_group import WorkerGroup, WorkerProcess, mem_available_mb, wait_until

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
CONFIRM_S = 5.0
FIT_TOLERANCE = 0.15
_SINGLE_CANDIDATES = 8  # single elements tried per type, served nearest the share first


# -- the incident (computed in a child: the parent stays small) ---------------------------


def pick_step(index_dir: Path, share: float) -> dict[str, Any]:
    """The element(s) whose outage takes ``share`` of the customers out, and how many are out
    (one outage decision each): the single element that comes closest, or the power
    elements serving most customers, fewest first that reach the share together (as
    ``bench storm`` picks its fan-out), whichever is nearer."""
    import numpy as np

    from forewarn.geo.slices import load_slices

    index = load_slices(index_dir)
    ids = index.element_ids
    served = index.served_counts()
    target = max(1, round(share * len(index)))

    def out(elements: list[str]) -> dict[str, int]:
        found = index.out_positions(set(elements))
        both = np.union1d(found.get("mobile", []), found.get("fibre", []))
        return {"customers": int(both.size),
                **{service: len(p) for service, p in found.items()}}

    # Single elements serving about as many, per type (out <= served: a mobile customer
    # covered by another live cell stays in, so a cell's out can be far below its served).
    kinds: dict[str, list[int]] = {}
    for k in range(len(ids)):
        if served[k] >= 0.8 * target:
            kinds.setdefault(index.element_type(ids[k]), []).append(k)
    options = [[ids[k]] for near in kinds.values()
               for k in sorted(near, key=lambda k: abs(served[k] - target))[:_SINGLE_CANDIDATES]]
    powers = [k for k, e in enumerate(ids) if index.element_type(e) == "power"]
    ranked = [ids[k] for k in sorted(powers, key=lambda k: -served[k])]
    if ranked:
        # More elements down never brings a customer back: the count grows with the prefix.
        low, high = 1, len(ranked)
        while low < high:
            middle = (low + high) // 2
            if out(ranked[:middle])["customers"] >= target:
                high = middle
            else:
                low = middle + 1
        options.append(ranked[:high])
    if not options:
        raise SystemExit(f"{index_dir}: no element serves {0.8 * target:,.0f} customers")
    counted = [(elements, out(elements)) for elements in options]
    chosen, figures = min(counted, key=lambda c: abs(c[1]["customers"] - target))
    return {"elements": chosen, "target": target, "region_customers": len(index),
            "types": sorted({index.element_type(e) for e in chosen}), **figures}


# -- one group of N workers ---------------------------------------------------------------


def _config(folder: Path, tag: str, partitions: int) -> Path:
    """Topics and group unique to ``tag``; delivery to /dev/null at 1/s per channel."""
    config = folder / f"{tag}.toml"
    channels = "".join(f'[channels.{c}]\nfile = "/dev/null"\nrate_per_s = 1\n'
                       for c in ("sms", "email", "push"))
    config.write_text(f"[correlation]\nconfirm_after_s = {CONFIRM_S}\n"
                      f'[kafka]\napp_id = "{tag}"\ntopic_prefix = "{tag}."\n'
                      f"partitions = {partitions}\n{channels}")
    return config


def _alarms(elements: list[str], at: float) -> list[bytes]:
    stamp = datetime.fromtimestamp(at, tz=UTC).isoformat()
    return [json.dumps({"alarm_id": f"SCALE{n}", "element_id": element, "state": "raised",
                        "severity": "critical", "probable_cause": "mainsFailure",
                        "event_time": stamp}).encode()
            for n, element in enumerate(elements)]


async def _fan_out(bootstrap: str, tag: str, partitions: int, incident: dict[str, Any],
                   group: WorkerGroup, timeout: float) -> dict[str, Any]:
    """Produce the alarms (event time now) and read the outbox until every expected outage
    decision is on it; wall-clock instants of the alarms, the first and the last decision."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    outbox = f"{tag}.notifications.outbox"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, fetch_max_wait_ms=50,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    expected = int(incident["customers"])
    seen: dict[str, Any] = {"decisions": 0, "records": 0, "first": None, "last": None,
                            "last_stamp": None}
    try:
        consumer.assign([TopicPartition(outbox, p) for p in range(partitions)])
        seen["alarms_at"] = time.time()
        await _produce(bootstrap, f"{tag}.alarms.raw",
                       _alarms(incident["elements"], seen["alarms_at"]), None)
        deadline = time.monotonic() + timeout
        while seen["decisions"] < expected:
            problem = group.problem()
            if problem:
                raise RuntimeError(f"during the fan-out: {problem}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {expected:,} "
                                   f"outage decisions on {outbox}: {seen['decisions']:,} came")
            batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
            now = time.time()
            for batch in batches.values():
                for message in batch:
                    count = outage_decisions(message.value)
                    if count:
                        seen["decisions"] += count
                        seen["records"] += 1
                        seen["first"] = seen["first"] or now
                        seen["last"] = now
                        seen["last_stamp"] = max(seen["last_stamp"] or 0.0,
                                                 message.timestamp / 1000)
    finally:
        await consumer.stop()
    return seen


def _kinds(value: bytes) -> str:
    """The message kinds one ``impacts`` record carries (a batch envelope: its contents)."""
    try:
        doc = json.loads(value)
    except ValueError:
        return "unparsed"
    if not isinstance(doc, dict):
        return "other"
    if doc.get("kind") == "batch":
        inner = doc.get("messages") or []
        return "+".join(sorted({str(m.get("kind")) for m in inner if isinstance(m, dict)}))
    return str(doc.get("kind", "other"))


async def _impact_bytes(bootstrap: str, topic: str, partitions: int, start: float, end: float,
                        timeout: float) -> dict[str, Any]:
    """Bytes (key + value) of the ``topic`` records stamped in [start, end], by kind. Reads
    each partition from its beginning until a record stamped after ``end`` (live workers
    tick every partition) or three empty fetches in a row: no end offsets."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, fetch_max_wait_ms=200,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    kinds: dict[str, dict[str, int]] = {}
    passed: set[int] = set()
    empty = 0
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        deadline = time.monotonic() + timeout
        while len(passed) < partitions and empty < 3:
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s reading {topic} "
                                   f"(partitions past the window: {sorted(passed)})")
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            empty = 0 if any(batches.values()) else empty + 1
            for tp, batch in batches.items():
                for message in batch:
                    stamp = message.timestamp / 1000
                    if stamp > end:
                        passed.add(tp.partition)
                    elif stamp >= start:
                        kind = kinds.setdefault(_kinds(message.value or b""),
                                                {"records": 0, "bytes": 0})
                        kind["records"] += 1
                        kind["bytes"] += len(message.key or b"") + len(message.value or b"")
    finally:
        await consumer.stop()
    ticks = kinds.get("tick", {"records": 0, "bytes": 0})
    total = sum(k["bytes"] for k in kinds.values())
    return {"bytes": total, "records": sum(k["records"] for k in kinds.values()),
            "bytes_without_ticks": total - ticks["bytes"], "tick_bytes": ticks["bytes"],
            "by_kind": kinds}


def _measure(count: int, index_dir: Path, partitions: int, incident: dict[str, Any],
             args: argparse.Namespace) -> dict[str, Any]:
    """One fresh broker, ``count`` workers, readiness, the fan-out, the impact bytes."""
    from forewarn.streams.kafka.embedded_broker import EmbeddedBroker

    folder = Path(tempfile.mkdtemp(prefix=f"forewarn-scale-{count}w-"))
    tag = f"scale{count}x{os.getpid()}"
    config = _config(folder, tag, partitions)
    load_start = os.getloadavg()
    broker = EmbeddedBroker()
    handle = broker.start()
    group = WorkerGroup(args.min_free_mb)
    try:
        for n in range(count):
            group.workers.append(WorkerProcess(
                n + 1, ["--index", str(index_dir), "--config", str(config)], handle.bootstrap,
                folder))
        group.start_sampling()
        print(f"N={count}: {count} worker(s) started (logs in {folder})", flush=True)

        def all_ready_once() -> bool:
            for worker in group.workers:
                worker.note_mapped()
                if worker.ready_s is None and worker.readyz() == 200:
                    worker.ready_s = time.monotonic() - worker.started
            return all(w.ready_s is not None for w in group.workers)

        wait_until(group, all_ready_once, args.ready_timeout,
                   f"{count} worker(s) to answer /readyz 200")
        # A joining worker makes the others rebalance: go on once all are ready together.
        wait_until(group, lambda: all(w.readyz() == 200 for w in group.workers),
                   args.ready_timeout, "all workers to be ready at the same time")
        time.sleep(2.0)
        for worker in group.workers:
            mapped = (f"; log says {worker.mapped[1]:,} customers mapped after "
                      f"{worker.mapped[0]:.1f} s" if worker.mapped else "")
            print(f"N={count} worker {worker.number}: ready {worker.ready_s:.1f} s after spawn"
                  f"{mapped}", flush=True)
        seen = asyncio.run(_fan_out(handle.bootstrap, tag, partitions, incident, group,
                                    args.fanout_timeout))
        confirmed = seen["alarms_at"] + CONFIRM_S
        fanout = {"decisions": seen["decisions"], "records": seen["records"],
                  "seconds": seen["last"] - confirmed, "first_s": seen["first"] - confirmed,
                  "last_stamp_s": seen["last_stamp"] - confirmed}
        print(f"N={count} fan-out: {seen['decisions']:,} outage decisions "
              f"({incident['customers']:,} expected) in {seen['records']:,} outbox records, "
              f"first {fanout['first_s']:+.1f} s, all {fanout['seconds']:.1f} s after the "
              f"confirmation instant (last record's producer timestamp "
              f"{fanout['last_stamp_s']:+.1f} s)", flush=True)
        impacts = asyncio.run(_impact_bytes(handle.bootstrap, f"{tag}.{args.impacts_topic}",
                                            partitions, seen["alarms_at"], seen["last"],
                                            args.fanout_timeout))
        print(f"N={count} impacts: {impacts['bytes']:,} bytes in {impacts['records']:,} records "
              f"from the alarms to the end of the fan-out; without tick-only records "
              f"{impacts['bytes_without_ticks']:,} bytes (kinds: "
              + ", ".join(f"{kind} {v['records']:,} rec / {v['bytes']:,} B"
                          for kind, v in sorted(impacts["by_kind"].items())) + ")", flush=True)
        if not impacts["bytes_without_ticks"]:
            print(f"WARNING: nothing but ticks on {tag}.{args.impacts_topic} during the "
                  "fan-out: does the network stage write elsewhere now (--impacts-topic)?",
                  file=sys.stderr, flush=True)
    finally:
        try:
            group.stop()
        finally:
            broker.stop()
    if group.low_memory:
        raise RuntimeError(group.low_memory)
    workers = [{"ready_s": w.ready_s, "peak_rss_mb": w.peak_mb(), "vmhwm_mb": w.hwm_mb,
                "ru_maxrss_mb": w.maxrss_mb, "exit_code": w.exit_code,
                "mapped_customers": w.mapped[1] if w.mapped else None,
                "mapped_s": w.mapped[0] if w.mapped else None, "slices": w.slices()}
               for w in group.workers]
    for n, worker in enumerate(workers, 1):
        slices = "" if worker["slices"] is None else f", last mapped slices {worker['slices']}"
        print(f"N={count} worker {n}: peak RSS {worker['peak_rss_mb']:,.0f} MB (VmHWM "
              f"{worker['vmhwm_mb']:,.0f}, ru_maxrss {worker['ru_maxrss_mb'] or 0:,.0f}), "
              f"exit code {worker['exit_code']}{slices}", flush=True)
    return {"workers": workers, "fanout": fanout, "impacts": impacts, "logs": str(folder),
            "load_start": load_start, "load_end": os.getloadavg()}


# -- figures ------------------------------------------------------------------------------


def fit(peaks: dict[int, float]) -> dict[str, Any] | None:
    """``peak(N) = F + S/N`` through the smallest and the largest N, and each N's relative
    distance from it (None with fewer than two N)."""
    counts = sorted(peaks)
    if len(counts) < 2:
        return None
    low, high = counts[0], counts[-1]
    shared = (peaks[low] - peaks[high]) / (1 / low - 1 / high)
    fixed = peaks[low] - shared / low
    return {"fixed_mb": fixed, "split_mb": shared,
            "off": {n: (peaks[n] - (fixed + shared / n)) / (fixed + shared / n) for n in counts}}


def _report_fit(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The fit of the largest worker (it sizes the machine; the owner of ``alarms.raw``
    holds the network stage too) and of the mean worker, printed and returned."""
    lines: dict[str, Any] = {}
    for label, pick in (("largest", max), ("mean", lambda v: sum(v) / len(v))):
        peaks = {n: float(pick([w["peak_rss_mb"] for w in run["workers"]]))
                 for n, run in runs.items()}
        line = fit(peaks)
        lines[label] = line
        if line is None:
            print(f"fit ({label} worker): needs at least two N", flush=True)
            continue
        low, high = min(peaks), max(peaks)
        print(f"fit of the {label} worker's peak RSS: {line['fixed_mb']:,.0f} MB fixed + "
              f"{line['split_mb']:,.0f} MB / N (through N={low} and N={high})", flush=True)
        for n, off in line["off"].items():
            verdict = ("fit point" if n in (low, high) else
                       "PASS" if abs(off) <= FIT_TOLERANCE else "FAIL")
            expected = line["fixed_mb"] + line["split_mb"] / n
            print(f"  N={n}: peak {peaks[n]:,.0f} MB, fit {expected:,.0f} MB, {off:+.1%} "
                  f"({verdict}; target within {FIT_TOLERANCE:.0%})", flush=True)
        if line["split_mb"] <= 0:
            print("  the peak does not fall with N: nothing of it is split between the workers",
                  flush=True)
        else:
            print(f"  the 1/N part is {line['split_mb'] / low / peaks[low]:.0%} of the N={low} "
                  "peak (the smaller it is, the less the 15 % test says)", flush=True)
        if len(peaks) == 2:
            print("  (two N only: both are fit points, so nothing is tested; add a third N)",
                  flush=True)
    return lines


def _table(runs: dict[int, dict[str, Any]]) -> None:
    print(f"{'N':>3} | {'ready s per worker':<28} | {'peak RSS MB per worker':<32} | "
          f"{'fan-out s':>9} | {'impact bytes':>14}")
    for n, run in runs.items():
        ready = " ".join(f"{w['ready_s']:.1f}" for w in run["workers"])
        peak = " ".join(f"{w['peak_rss_mb']:,.0f}" for w in run["workers"])
        print(f"{n:>3} | {ready:<28} | {peak:<32} | {run['fanout']['seconds']:>9.1f} | "
              f"{run['impacts']['bytes']:>14,}")
    print("targets (issue 13, at 10M customers, P = 8): peak RSS < 3 GB and ready < 60 s per "
          "worker with 4 workers; 1M-customer fan-out < 30 s with 2 workers", flush=True)


def _memory_check(index_dir: Path, workers: int) -> None:
    """Warn when the largest group may not fit: today every worker maps all slices, so
    budget the index's size per worker plus ~1.5 GB of Python and pipeline (a guess),
    and ~2 GB for the broker."""
    size_mb = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 2**20
    versions = max(1, len([p for p in index_dir.iterdir() if p.is_dir()]))
    need = workers * (size_mb / versions + 1536) + 2048
    available = mem_available_mb()
    print(f"memory: MemAvailable {available:,.0f} MB; {workers} workers may need about "
          f"{need:,.0f} MB (index {size_mb / versions:,.0f} MB per version)", flush=True)
    if available < need:
        print(f"WARNING: MemAvailable ({available:,.0f} MB) looks too small for {workers} "
              f"workers (~{need:,.0f} MB); workers are stopped if it falls below --min-free-mb",
              file=sys.stderr, flush=True)


def _commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    return "unknown"


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}"
          f" ({os.cpu_count()} CPUs)", flush=True)
    args.data.mkdir(parents=True, exist_ok=True)
    region, facts = _region(args.data, args.customers, args.seed)
    print(f"region {args.customers:,} customers: {region} (synth {facts['synth_s']:.0f} s, "
          f"peak RSS {facts['synth_rss_mb']:.0f} MB, once)", flush=True)
    index_dir = args.data / f"index-{args.customers}-{args.seed}-p{args.partitions}"
    figures: dict[str, Any] = {"customers": args.customers, "partitions": args.partitions,
                               "share": args.share, "seed": args.seed, "commit": _commit(),
                               "cpus": os.cpu_count(), "synth": facts, "build": None}
    if args.rebuild_index or not (index_dir / "CURRENT").exists():
        figures["build"] = _build(region, index_dir, args.partitions)
    else:
        print(f"index: reusing {index_dir} (version "
              f"{(index_dir / 'CURRENT').read_text().strip()}; --rebuild-index builds anew)",
              flush=True)
    # the pick (~2-3 min at 10M) is remembered per index version next to the index, where
    # ``bench network-cost`` keeps the same ``pick_step`` answer: same index, same incident
    version = (index_dir / "CURRENT").read_text().strip()
    remembered = index_dir / f"network-cost-incident-{version}-{args.share:g}.json"
    if remembered.exists():
        incident = dict(json.loads(remembered.read_text(encoding="utf-8")))
        pick_s, pick_mb = 0.0, 0.0
        print(f"incident: remembered in {remembered}", flush=True)
    else:
        pick_s, pick_mb, text = _run([sys.executable, "-m", "bench", "scale", "--step", "pick",
                                      "--index", str(index_dir), "--share", str(args.share)])
        incident = dict(json.loads(text.strip().splitlines()[-1]))
        remembered.write_text(json.dumps(incident), encoding="utf-8")
    figures["incident"] = {**incident, "pick_s": pick_s, "pick_rss_mb": pick_mb}
    if not incident["customers"]:
        raise RuntimeError(f"no element of {index_dir} takes any customer out")
    print(f"incident: {len(incident['elements'])} {'/'.join(incident['types'])} element(s) "
          f"take {incident['customers']:,} of {incident['region_customers']:,} customers out "
          f"(target {args.share * 100:g} % = {incident['target']:,}; mobile "
          f"{incident.get('mobile', 0):,}, fibre {incident.get('fibre', 0):,})", flush=True)
    _memory_check(index_dir, max(args.workers))
    runs: dict[int, dict[str, Any]] = {}
    for count in args.workers:
        runs[count] = _measure(count, index_dir, args.partitions, incident, args)
    figures["runs"] = runs
    _table(runs)
    figures["fit"] = _report_fit(runs)
    load_end = os.getloadavg()
    figures["load_start"], figures["load_end"] = load_start, load_end
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}",
          flush=True)
    return figures


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``: children stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--share", type=float, default=0.10,
                        help="share of the customers the incident takes out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "FOREWARN_BENCH_DATA", Path.home() / ".cache" / "forewarn-bench")))
    parser.add_argument("--rebuild-index", action="store_true",
                        help="build the index even when the folder already has a version")
    parser.add_argument("--ready-timeout", type=float, default=900.0)
    parser.add_argument("--fanout-timeout", type=float, default=900.0)
    parser.add_argument("--min-free-mb", type=float, default=1024.0,
                        help="stop the workers when MemAvailable falls below this")
    parser.add_argument("--impacts-topic", default="impacts",
                        help="the topic from the network stage to the customer stages")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON figures (default bench/results/scale-<customers>.json)")
    parser.add_argument("--step", choices=("pick",), help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "pick":
        print(json.dumps(pick_step(args.index, args.share)))
        return 0
    if not 0 < args.share <= 1:
        parser.error("--share must be in (0, 1]")
    if any(n < 1 or n > args.partitions for n in args.workers):
        parser.error(f"--workers must be between 1 and --partitions ({args.partitions})")
    from forewarn.errors import ForewarnError

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        figures = run(args)
    except (RuntimeError, ForewarnError) as exc:  # a wait that ran out, a broker that failed
        print(f"bench scale: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("bench scale: interrupted; every child was stopped", file=sys.stderr, flush=True)
        return 130
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            print("bench scale: terminated; every child was stopped", file=sys.stderr,
                  flush=True)
        raise
    out = args.out or HERE / "results" / f"scale-{args.customers}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"figures written to {out}", flush=True)
    return 0
