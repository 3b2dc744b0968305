"""The ``forewarn`` command line (CONTRACT §5).

Commands that print a result print only that result on stdout; progress and logs go to
stderr. Any ``ForewarnError`` (and any ``OSError`` about a path) becomes one clear message on
stderr and exit code 2, never a traceback. SIGTERM/SIGINT end ``replay`` and ``demo`` with
128 + the signal (143, 130) and ``worker`` with 0 (its normal stop), within a bound.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from forewarn.errors import ForewarnError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="forewarn: tell telecom customers about network outages before they call.",
)
log = logging.getLogger("forewarn")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $FOREWARN_CONFIG, else built-in)."),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log more to stderr.")]


# Loggers whose INFO lines an operator sees without --verbose: start, ready, stop (a few
# lines per run). Routine lines are INFO, not WARNING, so a WARNING always means a problem;
# per-event INFO lines (deliveries, decisions) stay behind --verbose.
PROGRESS_LOGGERS = ("forewarn.streams.commands", "forewarn.streams.kafka.signals",
                    "forewarn.streams.kafka.network_feed",
                    "forewarn.streams.kafka.slice_mapping")  # slices mapped per rebalance


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in PROGRESS_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def _fail(exc: BaseException) -> None:
    if isinstance(exc, OSError):
        from forewarn.paths import describe_os_error

        message = describe_os_error(exc, "cannot use")
    else:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    typer.echo(f"forewarn: error: {message}", err=True)
    raise typer.Exit(code=2)


def _interrupted(exc: BaseException, *, code: int | None = None) -> None:
    """A command ended by SIGTERM/SIGINT: say so on one line, exit 128 + signal."""
    typer.echo(f"forewarn: {exc}; stopped", err=True)
    raise typer.Exit(code=code if code is not None else getattr(exc, "exit_code", 1))


@app.command()
def impact(
    region: Annotated[Path, typer.Argument(help="Region folder (CONTRACT §2).")],
    down: Annotated[list[str] | None, typer.Option(
        "--down", help="Element ids down now, comma-separated.")] = None,
    area: Annotated[Path | None, typer.Option(
        "--area", help="Polygon file (a power cut, a flood zone): its elements are down.")] = None,
    degraded: Annotated[bool, typer.Option(
        "--degraded",
        help='Also print "degraded": {"mobile": [...]} (best technology lost).')] = False,
    verbose: VerboseOption = False,
) -> None:
    """Print which customers are out if these elements are down now (no time rules)."""
    _setup_logging(verbose)
    from forewarn.geo.commands import run_impact

    try:
        if not down and area is None:
            raise ForewarnError("give --down and/or --area")
        result = run_impact(region, down or [], degraded=degraded, area=area)
    except (ForewarnError, OSError) as exc:
        _fail(exc)
    typer.echo(json.dumps(result))


@app.command()
def synth(
    region: Annotated[Path, typer.Argument(help="Folder to write the synthetic region into.")],
    customers: Annotated[int, typer.Option(
        "--customers", min=1, help="Number of customers.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same region).")] = 1,
    verbose: VerboseOption = False,
) -> None:
    """Write a realistic synthetic region (cells, fibre areas, topology, customers)."""
    _setup_logging(verbose)
    from forewarn.geo.commands import run_synth

    try:
        run_synth(region, customers, seed)
    except (ForewarnError, ValueError, OSError) as exc:
        _fail(exc)


@app.command()
def replay(
    region: Annotated[Path, typer.Argument(help="Region folder.")],
    alarms: Annotated[Path, typer.Argument(help="Alarm log: one JSON object per line.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the notifications (JSONL).")],
    incidents: Annotated[Path | None, typer.Option(
        "--incidents", help="Where to write the incident events (JSONL, CONTRACT §8).")] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Feed an alarm log through the real pipeline in event time; write every notification
    (and with --incidents every incident event)."""
    _setup_logging(verbose)
    from forewarn.config import load_settings
    from forewarn.geo import RegionIndex, load_region
    from forewarn.streams.commands.replay import check_paths
    from forewarn.streams.commands.replay import replay as run_replay
    from forewarn.streams.kafka.signals import Interrupted

    try:
        settings = load_settings(config)
        check_paths(alarms, out, incidents)
        index = RegionIndex.build(load_region(region))
        summary = run_replay(index, alarms, out, settings, incidents)
    except Interrupted as exc:
        _interrupted(exc)
    except (ForewarnError, OSError) as exc:
        _fail(exc)
    typer.echo(
        f"replayed {summary.lines} lines: {summary.notifications} notifications written to "
        f"{out}, {summary.rejected} lines rejected (see alarms.dead-letter), "
        f"{summary.unknown_elements} alarms on unknown elements"
        + (f", {summary.incident_events} incident events written to {incidents}"
           if incidents is not None else ""),
        err=True,
    )


@app.command()
def worker(
    region: Annotated[Path | None, typer.Option("--region", help="Region folder.")] = None,
    index: Annotated[Path | None, typer.Option(
        "--index", help="Index folder from `forewarn index build` (no region files needed); "
        "new versions published there are picked up live.")] = None,
    web_port: Annotated[int, typer.Option(
        "--web-port", help="HTTP port for pages and API.")] = 6066,
    web_host: Annotated[str, typer.Option(
        "--web-host", help="Address to bind the web port.")] = "127.0.0.1",
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the long-lived stream processor (live mode) until interrupted."""
    _setup_logging(verbose)
    from forewarn.streams.commands.worker import run_worker
    from forewarn.streams.kafka.signals import Interrupted

    try:
        if (region is None) == (index is None):
            raise ForewarnError("give either --region REGION or --index DIR")
        run_worker(region, config, web_port, web_host, index_dir=index)
    except Interrupted as exc:  # a signal while starting: the normal stop, a bit early
        _interrupted(exc, code=0)
    except (ForewarnError, OSError) as exc:
        _fail(exc)


@app.command()
def demo(
    duration: Annotated[float, typer.Option(
        "--duration", min=20, help="Seconds the demo runs.")] = 60.0,
    web_port: Annotated[int, typer.Option(
        "--web-port", help="HTTP port of the incident page.")] = 6066,
    verbose: VerboseOption = False,
) -> None:
    """Run a scripted outage story on the embedded broker and show what customers are told."""
    _setup_logging(verbose)
    from forewarn.streams.commands.demo import run_demo
    from forewarn.streams.kafka.signals import Interrupted

    try:
        run_demo(duration, web_port)
    except Interrupted as exc:
        _interrupted(exc)
    except (ForewarnError, OSError) as exc:
        _fail(exc)


# -- geo: region check, index build, coverage derive (forewarn.geo.commands) ----------------

region_app = typer.Typer(no_args_is_help=True, help="Check region folders (CONTRACT §2).")
index_app = typer.Typer(no_args_is_help=True, help="Build index artifacts for workers.")
coverage_app = typer.Typer(no_args_is_help=True, help="Derive coverage from cell site lists.")
app.add_typer(region_app, name="region")
app.add_typer(index_app, name="index")
app.add_typer(coverage_app, name="coverage")


@region_app.command("check")
def region_check(
    region: Annotated[Path, typer.Argument(help="Region folder (CONTRACT §2).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1,
                                          help="Rejected rows listed per file.")] = 20,
    verbose: VerboseOption = False,
) -> None:
    """Print a validation report; exit 1 when the region is unusable, 0 when it is usable."""
    _setup_logging(verbose)
    from forewarn.geo.commands import run_check

    try:
        text, code = run_check(region, as_json=as_json, max_rows=max_rows)
    except Exception as exc:
        typer.echo(f"forewarn: error: cannot check {region}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(text)
    raise typer.Exit(code=code)


@index_app.command("build")
def index_build(
    region: Annotated[Path, typer.Argument(help="Region folder.")],
    out: Annotated[Path, typer.Option("--out", help="Index folder (new version inside).")],
    partitions: Annotated[int | None, typer.Option(
        "--partitions", help="Write one memory-mappable slice per customer partition (the "
        "topics' partition count), built streaming in chunks.")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Build the region's index and publish it as the newest version in OUT."""
    _setup_logging(verbose)
    from forewarn.geo.commands import run_index_build

    try:
        version = run_index_build(region, out, partitions=partitions)
    except (ForewarnError, ValueError, OSError) as exc:
        _fail(exc)
    typer.echo(str(version))


@coverage_app.command("derive")
def coverage_derive(
    cells: Annotated[Path, typer.Argument(help="OpenCellID-style CSV of cells.")],
    out: Annotated[Path, typer.Option("--out", help="cells layer to write (GeoJSON).")],
    region_outline: Annotated[Path | None, typer.Option(
        "--region-outline", help="Polygon file: clip footprints to it.")] = None,
    max_range: Annotated[float | None, typer.Option(
        "--max-range", min=1, help="Cap on a cell's range in metres.")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Build approximate cell footprints (range-clipped Voronoi, sector wedges)."""
    _setup_logging(verbose)
    from forewarn.geo.commands import run_coverage_derive

    try:
        count = run_coverage_derive(cells, out, outline=region_outline, max_range_m=max_range)
    except (ForewarnError, OSError) as exc:
        _fail(exc)
    typer.echo(f"wrote {count} cells to {out}", err=True)


templates_app = typer.Typer(no_args_is_help=True, help="Message templates.")
app.add_typer(templates_app, name="templates")


@templates_app.command("preview")
def templates_preview(
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print every rendering as JSON lines.")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Render every template with worst-case values; report GSM-7 septets per SMS.

    Exit 1 when any SMS is not GSM-7 or needs more than one segment."""
    _setup_logging(verbose)
    from dataclasses import asdict

    from forewarn.config import load_settings
    from forewarn.templates import MessageRenderer

    try:
        settings = load_settings(config)
        entries = MessageRenderer(settings.notify.status_url,
                                  settings.notify.default_language).preview_all()
    except (ForewarnError, OSError) as exc:
        _fail(exc)
    too_long = [e for e in entries if e.channel == "sms" and (not e.gsm7 or (e.segments or 2) > 1)]
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(asdict(entry), ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="forewarn templates (worst-case values)")
        for column in ("template", "channel", "field", "septets", "segments", "text"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(e.template, e.channel, e.field, str(e.septets or "-"),
                          str(e.segments or "-"), e.text[:160])
        Console(width=200).print(table)
    if too_long:
        typer.echo(f"forewarn: {len(too_long)} SMS do not fit one GSM-7 segment", err=True)
        raise typer.Exit(code=1)


def main() -> None:
    """Console-script entry point.

    A Kafka client thread left running by a shutdown that was cut short (it is not a
    daemon) would keep the process alive after the command ended: then leave at once."""
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            typer.echo(exc.code, err=True)
        stray = [t for t in threading.enumerate()
                 if t.is_alive() and not t.daemon and t is not threading.main_thread()]
        if stray:
            from forewarn.streams.kafka.signals import leave_process

            log.warning("threads still running after the command ended (%s); exiting",
                        ", ".join(t.name for t in stray))
            leave_process(code)
        raise


if __name__ == "__main__":
    main()
