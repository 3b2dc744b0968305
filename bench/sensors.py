"""Customers as sensors: detection delay against false suspected incidents (issue 15), one
command:

    python -m bench sensors [--customers 100000] [--days 100] [--failures 200]

On a synthetic region (``forewarn.geo.synth``, as ``forewarn synth`` writes it), for each
threshold setting (``min_reports`` x ``false_alarms_per_day``):

* **false suspicions per day**: ``--days`` simulated days of background no-service reports
  only (every customer at ``background_per_customer_day``, 0.2 % a day), through one
  detector; every suspected incident is a false one.
* **detection delay**: ``--failures`` silent failures (half PONs, half cells; a cell's
  affected customers are those it alone covers), each in its own stream: background for
  the surrounding hours plus, for each affected customer with probability
  ``--report-share``, one report at an exponential delay (mean ``--report-mean-s``) after the
  failure. Delay = event time from the failure's first report to the suspicion of the
  failed element; a failure whose element is never suspected within 2 h is missed.

The pipeline's own code does the work: ``serving.serving_elements`` / ``served_counts``
and ``SuspicionDetector`` (no copy). Prints a table and writes a PNG of median delay against
false suspicions per day (``--plot``, default ``bench/results/sensors.png``; matplotlib,
headless Agg backend) and the figures as JSON beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forewarn.config import SensorSettings
from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.streams.network.serving import served_counts, serving_elements
from forewarn.streams.network.suspicion import SuspicionDetector, log_poisson_tail

__all__ = ["main"]

DAY = 86400.0
T0 = 1_780_000_000.0
HORIZON_S = 7200.0  # a failure not suspected within this long counts as missed
MIN_REPORTS = (1, 2, 3, 5)
FALSE_ALARMS = (0.01, 0.1, 1.0, 10.0, 100.0)
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Region:
    index: RegionIndex
    served: dict[str, int]
    serving: list[tuple[str, ...]]
    affected: dict[str, list[int]]  # failable element -> customers a silent failure cuts off


@dataclass(frozen=True)
class Failure:
    element: str
    start: float
    reports: list[tuple[float, int]]  # (event time, customer position)


def _region(customers: int, seed: int) -> Region:
    folder = Path(tempfile.gettempdir()) / f"forewarn-bench-sensors-{customers}-{seed}"
    if not (folder / "customers.csv").exists():
        write_synthetic_region(folder, customers, seed)
    index = RegionIndex.build(load_region(folder))
    served = served_counts(index)
    serving = [serving_elements(index, p) for p in range(len(index))]
    affected: dict[str, list[int]] = {}
    for p, customer_id in enumerate(index.customer_ids):
        cells = index.covering_cells(customer_id)
        if len(cells) == 1:
            affected.setdefault(cells[0], []).append(p)
    for element, n in served.items():
        if index.element_type(element) == "pon" and n:
            affected[element] = index.dependents([element]).tolist()
    return Region(index, served, serving, affected)


def _background(rng: np.random.Generator, customers: int, start: float,
                duration: float, rate: float) -> list[tuple[float, int]]:
    count = rng.poisson(customers * rate * duration / DAY)
    times = np.sort(rng.uniform(start, start + duration, count))
    return list(zip(times.tolist(), rng.integers(customers, size=count).tolist()))


def _failures(region: Region, rng: np.random.Generator, count: int, share: float,
              mean_s: float) -> list[Failure]:
    kinds = {"pon": [], "cell": []}  # type: dict[str, list[str]]
    for element, members in sorted(region.affected.items()):
        kind = region.index.element_type(element)
        if kind in kinds and len(members) >= 10:
            kinds[kind].append(element)
    failures: list[Failure] = []
    for i in range(count):
        pool = kinds["pon" if i % 2 == 0 else "cell"]
        element = pool[int(rng.integers(len(pool)))]
        members = np.asarray(region.affected[element])
        who = members[rng.random(members.size) < share]
        start = T0 + 3 * 3600 + float(rng.uniform(0, DAY - 6 * 3600))
        times = start + rng.exponential(mean_s, who.size)
        reports = sorted(zip(times.tolist(), who.tolist()))
        failures.append(Failure(element, start, reports))
    return failures


def _run(region: Region, settings: SensorSettings,
         reports: list[tuple[float, int]], until: float, tag: str) -> list[tuple[str, float]]:
    """Suspected (element, event time) from ``reports``: the detector as the network uses it."""
    det = SuspicionDetector(settings, region.served, region.index.element_type, {})
    ids = region.index.customer_ids
    found: list[tuple[str, float]] = []
    for k, (at, p) in enumerate(reports):
        for event in det.report(at, f"{tag}-{k}", ids[p], region.serving[p]):
            if event.event == "suspected":
                found.append((event.element_id, event.at))
    found += [(e.element_id, e.at) for e in det.advance(until) if e.event == "suspected"]
    return found


def _measure(region: Region, settings: SensorSettings, days: int, failures: list[Failure],
             seed: int) -> dict[str, float]:
    rate = settings.background_per_customer_day
    rng = np.random.default_rng(seed)
    noise = _background(rng, len(region.index), T0, days * DAY, rate)
    false = len(_run(region, settings, noise, T0 + days * DAY + DAY, "bg"))
    delays: list[float] = []
    missed = elsewhere = 0
    for i, failure in enumerate(failures):
        around = _background(np.random.default_rng(seed * 7919 + i), len(region.index),
                             failure.start - 2 * 3600, 4 * 3600 + HORIZON_S, rate)
        stream = sorted(around + [r for r in failure.reports
                                  if r[0] <= failure.start + HORIZON_S])
        found = _run(region, settings, stream, failure.start + 2 * HORIZON_S, f"f{i}")
        hits = [at for element, at in found if element == failure.element]
        if hits and failure.reports:
            delays.append(hits[0] - failure.reports[0][0])
        else:
            missed += 1
            elsewhere += any(at >= failure.start for _, at in found)
    return {
        "min_reports": settings.min_reports,
        "bound_per_day": _bound(region, settings),
        "false_alarms_per_day": settings.false_alarms_per_day,
        "false_per_day": false / days,
        "false_suspicions": false,
        "detected": len(delays) / len(failures),
        "suspected_elsewhere": elsewhere / len(failures),
        "median_delay_s": statistics.median(delays) if delays else math.nan,
        "p90_delay_s": float(np.quantile(delays, 0.9)) if delays else math.nan,
    }


def _bound(region: Region, settings: SensorSettings) -> float:
    """The false suspicions a day the correction promises at most: the union bound over
    every element and window of ``P(X >= threshold)``; measured figures sit below it."""
    det = SuspicionDetector(settings, region.served, region.index.element_type, {})
    scale = settings.background_per_customer_day * settings.window_s / DAY
    windows = DAY / settings.window_s
    return sum(windows * math.exp(log_poisson_tail(det.threshold(e), n * scale))
               for e, n in region.served.items() if n > 0)


def _plot(rows: list[dict[str, float]], days: int, path: Path, title: str) -> None:
    """Median delay (left) and share detected (right) against false suspicions per day,
    one line per ``min_reports``; points labelled with ``false_alarms_per_day`` (settings
    that end up at the same point share one label)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on build machines
    import matplotlib.pyplot as plt

    floor = 0.5 / days  # zero false suspicions in `days` days: drawn at half a count
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), dpi=120)
    for m in sorted({int(r["min_reports"]) for r in rows}):
        mine = [r for r in rows if r["min_reports"] == m]
        xs = [max(r["false_per_day"], floor) for r in mine]
        for ax, ys in ((axes[0], [r["median_delay_s"] / 60 for r in mine]),
                       (axes[1], [100 * r["detected"] for r in mine])):
            line, = ax.plot(xs, ys, marker="o", label=f"min_reports = {m}")
            labels: dict[tuple[float, float], list[str]] = {}
            for r, x, y in zip(mine, xs, ys):
                labels.setdefault((x, y), []).append(f"{r['false_alarms_per_day']:g}")
            for (x, y), names in labels.items():
                text = names[0] if len(names) == 1 else f"{names[0]}-{names[-1]}"
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(4, 4),
                            fontsize=7, color=line.get_color())
    for ax in axes:
        ax.axvline(floor, color="grey", lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel(f"false suspected incidents per day ({days} days; dotted line: none)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("median detection delay (min, event time)")
    axes[1].set_ylabel("silent failures suspected within 2 h (%)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sensors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=100, help="background-only days")
    parser.add_argument("--failures", type=int, default=200)
    parser.add_argument("--report-share", type=float, default=0.2,
                        help="share of a failure's customers who report no service")
    parser.add_argument("--report-mean-s", type=float, default=900.0,
                        help="mean delay of those reports after the failure")
    parser.add_argument("--plot", type=Path, default=RESULTS / "sensors.png")
    args = parser.parse_args(argv)
    if args.customers < 1000 or args.days < 1 or args.failures < 2:
        print("bench sensors: need --customers >= 1000, --days >= 1, --failures >= 2",
              file=sys.stderr)
        return 2

    started = time.perf_counter()
    region = _region(args.customers, args.seed)
    print(f"region: {len(region.index):,} customers, {len(region.served):,} elements "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    failures = _failures(region, np.random.default_rng(args.seed + 1), args.failures,
                         args.report_share, args.report_mean_s)
    rows: list[dict[str, float]] = []
    print(f"{'min_reports':>11} {'false/day cfg':>13} {'bound/day':>9} {'false/day':>9} "
          f"{'detected':>8} "
          f"{'elsewhere':>9} {'median delay':>12} {'p90 delay':>9}")
    for m in MIN_REPORTS:
        for f in FALSE_ALARMS:
            settings = SensorSettings(min_reports=m, false_alarms_per_day=f)
            row = _measure(region, settings, args.days, failures, args.seed + 2)
            rows.append(row)
            print(f"{m:>11} {f:>13g} {row['bound_per_day']:>9.3g} {row['false_per_day']:>9.3f} "
                  f"{row['detected']:>8.0%} "
                  f"{row['suspected_elsewhere']:>9.0%} {row['median_delay_s']:>10.0f} s "
                  f"{row['p90_delay_s']:>7.0f} s", flush=True)
    title = (f"forewarn suspected incidents: {args.customers:,} customers, {args.days} "
             f"background days, {args.failures} silent failures\n(labels: false_alarms_per_day;"
             f" {args.report_share:.0%} of cut-off customers report, mean "
             f"{args.report_mean_s / 60:.0f} min after the failure)")
    _plot(rows, args.days, args.plot, title)
    meta = {"customers": args.customers, "days": args.days, "failures": args.failures,
            "report_share": args.report_share, "report_mean_s": args.report_mean_s,
            "seed": args.seed, "python": platform.python_version(),
            "numpy": np.__version__, "seconds": round(time.perf_counter() - started, 1)}
    args.plot.with_suffix(".json").write_text(
        json.dumps({"run": meta, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    print(f"plot: {args.plot} ({meta['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
