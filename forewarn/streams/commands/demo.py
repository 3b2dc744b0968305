"""``forewarn demo``: the whole product in one minute on the embedded broker.

A sample region ships with the package. The story runs in accelerated event time: the
contract's real rules (120 s confirm, 300 s resolve) hold, but story time runs ~20x faster
than the wall clock so the demo ends within ``--duration`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from forewarn.config import ChannelSettings, Settings
from forewarn.domain import Decision, Notification
from forewarn.geo import RegionIndex, load_region
from forewarn.notifiers import Dispatcher, mask_address
from forewarn.streams.commands.story import build_story, choose_targets
from forewarn.streams.kafka.app import PipelineOptions, build_pipeline
from forewarn.streams.kafka.embedded_broker import open_broker
from forewarn.streams.kafka.hooks import PipelineHooks
from forewarn.streams.kafka.input_producer import InputProducer
from forewarn.streams.kafka.runner import run_command, running_worker
from forewarn.streams.kafka.signals import StopRequest

__all__ = ["ScaledClock", "run_demo", "sample_region_path"]

STARTUP_BUDGET_S = 12.0


def sample_region_path() -> Path:
    return Path(str(resources.files("forewarn") / "data" / "sample_region"))


@dataclass
class ScaledClock:
    """Story time: starts at ``start`` and runs ``speed`` times faster than the wall clock."""

    start: float
    speed: float
    wall_start: float = 0.0

    def begin(self) -> None:
        self.wall_start = time.monotonic()

    def __call__(self) -> float:
        return self.start + (time.monotonic() - self.wall_start) * self.speed


async def _settle(progress: Callable[[], tuple[int, int]], quiet_s: float = 3.0,
                  limit_s: float = 60.0) -> None:
    """Wait until decisions and deliveries stop changing for ``quiet_s`` (story time has
    passed its end by then), so the demo never ends with notices still on their way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    last, since = progress(), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.2)
        now = progress()
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= quiet_s:
            return


class _DemoHooks(PipelineHooks):
    """Shows each delivered notification; counts decisions (the demo settles on both)."""

    def __init__(self, show: Callable[[Notification], None], decided: list[int]) -> None:
        self.show = show
        self.decided = decided

    def on_decision(self, decision: Decision) -> None:
        self.decided.append(1)

    def on_delivered(self, notification: Notification) -> None:
        self.show(notification)


def run_demo(duration_s: float, web_port: int) -> None:
    run_command(_demo(duration_s, web_port))


async def _demo(duration_s: float, web_port: int) -> None:
    stop = StopRequest()  # SIGTERM/SIGINT: leave the story, stop the app, then the broker
    stop.install()
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    region = sample_region_path()
    index = RegionIndex.build(load_region(region))
    targets = choose_targets(index)
    start = float(int(time.time()))
    story = build_story(targets, start)
    story_length = story[-1].at_s + 5
    clock = ScaledClock(start, speed=story_length / max(5.0, duration_s - STARTUP_BUDGET_S))
    out_dir = Path(tempfile.mkdtemp(prefix="forewarn-demo-"))
    settings = Settings(channels={c: ChannelSettings(file=str(out_dir / "notifications.jsonl"))
                                  for c in ("sms", "email", "push")})
    dispatcher = Dispatcher.from_settings(settings)
    told: Counter[str] = Counter()
    decided: list[int] = []

    shown_in_full: set[tuple[str, str]] = set()

    def show(notification: Notification) -> None:
        """One line per notification; the full text of the first one per stage and channel."""
        told[notification.stage] += 1
        style = "red" if notification.stage == "outage" else "green"
        console.print(
            f"[{style}]{notification.stage:>8}[/{style}] {notification.customer_id} "
            f"{'+'.join(notification.services):<12} {notification.channel:<5} "
            f"{mask_address(notification.to):<22} {notification.language} "
            f"{notification.incident_id}"
        )
        key = (notification.stage, notification.channel)
        if key not in shown_in_full:
            shown_in_full.add(key)
            console.print(Panel(
                notification.text,
                title=f"{notification.stage} by {notification.channel}, as the customer reads it",
                subtitle=notification.subject or "", border_style=style, width=100,
            ))

    console.rule("[b]forewarn demo[/b]")
    console.print(f"Region: {region.name}, {len(index)} customers. Story targets: power "
                  f"{targets.power}, flapping cell {targets.flapping_cell}, fibre node "
                  f"{targets.fibre_node}. Story time runs {clock.speed:.0f}x.")
    with open_broker() as broker:
        stop.raise_if_requested()
        console.print(f"Embedded Kafka-protocol broker on {broker.bootstrap}; "
                      "starting the worker...")
        pipeline = build_pipeline(index, PipelineOptions(
            bootstrap=broker.bootstrap, settings=settings, deliver=dispatcher.deliver,
            channels=dispatcher.channels, delivery_metrics=dispatcher.metrics,
            live=True, clock=clock, tick_interval_s=0.25, web_port=web_port,
            hooks=_DemoHooks(show, decided), app_id="forewarn-demo",
        ))
        async with running_worker(pipeline.app, stop=stop):
            console.print(f"Incident page: http://127.0.0.1:{web_port}/")
            async with InputProducer(broker.bootstrap) as producer:
                clock.begin()
                for step in story:
                    while clock() < start + step.at_s:
                        stop.raise_if_requested()
                        await asyncio.sleep(0.05)
                    shown_at = datetime.fromtimestamp(start + step.at_s).astimezone()
                    console.print(f"[dim]{shown_at:%H:%M:%S}[/dim] {step.narration}")
                    if step.alarm is not None:
                        await producer.send(pipeline.topics.alarms_raw,
                                            json.dumps(step.alarm).encode())
                await stop.run_until(_settle(lambda: (len(decided), sum(told.values()))))
    await dispatcher.close()
    summary = Table(title="What customers were told")
    summary.add_column("stage")
    summary.add_column("notifications", justify="right")
    for stage, count in sorted(told.items()):
        summary.add_row(stage, str(count))
    console.print(summary)
    console.print(f"Every notification is also in {out_dir / 'notifications.jsonl'}")
