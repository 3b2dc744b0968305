"""The stall watchdog's wiring (``forewarn.streams.kafka.watchdog``) on a fake app and clock:
samples from agents and feeds reach the detector, a stall is a non-final ``StageStalled``
(503, the worker keeps running), final after ``stall_exit_s`` (the runner stops the
worker), and cleared when the stage moves; a stopped flow is idle, not stalled."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest

from forewarn.streams.kafka.runner import _must_stop, worker_failure, worker_ready
from forewarn.streams.kafka.stall import StallDetector
from forewarn.streams.kafka.watchdog import ProgressLog, StageStalled, Watchdog, stage_health


class TopicPartition(NamedTuple):
    topic: str
    partition: int


TP = TopicPartition("t.impacts", 1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Feed:
    def __init__(self) -> None:
        self.sample: dict[int, tuple[int | None, int | None]] = {}

    def progress(self) -> dict[int, tuple[int | None, int | None]]:
        return self.sample


def fake_app(end: int = 10) -> Any:
    recovery = SimpleNamespace(completed=asyncio.Event())
    recovery.completed.set()
    return SimpleNamespace(
        consumer=SimpleNamespace(assignment=lambda: {TP}, _paused_partitions=set()),
        flow_control=SimpleNamespace(is_active=lambda: True),
        monitor=SimpleNamespace(tp_end_offsets={TP: end}),
        tables=SimpleNamespace(recovery=recovery), network_feed=None, crash_reason=None)


def watchdog(app: Any, clock: Clock, feed: Feed | None = None) -> tuple[Watchdog, ProgressLog]:
    progress = ProgressLog()
    dog = Watchdog(app, StallDetector(10, 5), progress,
                   agent_topics={"t.impacts": "customers"},
                   feeds={"network": feed or Feed()}, clock=clock)
    app.watchdog = dog
    return dog, progress


async def test_a_hung_agent_is_a_stall_then_final_after_stall_exit_s(
        caplog: pytest.LogCaptureFixture) -> None:
    app, clock = fake_app(), Clock()
    dog, progress = watchdog(app, clock)
    progress.taking("customers", 1, 4)  # took offset 4 and never finished it
    with caplog.at_level(logging.INFO, logger="forewarn.streams.kafka.watchdog"):
        await dog.check()
        clock.now += 9.5
        await dog.check()
        assert worker_failure(app) is None and worker_ready(app)
        clock.now += 0.5
        await dog.check()
        clock.now += 1
        await dog.check()
    failure = worker_failure(app)
    assert isinstance(failure, StageStalled) and not failure.final
    assert (failure.stage, failure.partition) == ("customers", 1)
    assert not _must_stop(app) and not worker_ready(app)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "customers partition 1" in errors[0].getMessage()
    assert "offset 4" in errors[0].getMessage()
    assert stage_health(app)["customers"] == (True, 11.0)
    clock.now += 4  # 15 s: stall_after_s + stall_exit_s
    await dog.check()
    assert isinstance(worker_failure(app), StageStalled) and _must_stop(app)


async def test_a_stage_that_moves_again_is_healthy_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    app, clock = fake_app(), Clock()
    dog, progress = watchdog(app, clock)
    progress.taking("customers", 1, 4)
    await dog.check()
    clock.now += 12
    await dog.check()
    assert worker_failure(app) is not None
    progress.done("customers", 1, 4)
    with caplog.at_level(logging.INFO, logger="forewarn.streams.kafka.watchdog"):
        await dog.check()
    assert worker_failure(app) is None and worker_ready(app)
    assert any("moves again" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)
    assert stage_health(app)["customers"] == (False, 0.0)


async def test_a_stopped_flow_or_paused_partition_is_not_a_stall() -> None:
    app, clock = fake_app(), Clock()
    app.flow_control = SimpleNamespace(is_active=lambda: False)  # rebalance / recovery
    dog, progress = watchdog(app, clock)
    progress.taking("customers", 1, 4)
    for _ in range(3):
        await dog.check()
        clock.now += 10
    assert worker_failure(app) is None
    app.flow_control = SimpleNamespace(is_active=lambda: True)
    app.consumer._paused_partitions = {TP}
    for _ in range(3):
        await dog.check()
        clock.now += 10
    assert worker_failure(app) is None


async def test_a_feed_behind_its_high_watermark_stalls_and_a_stopped_feed_is_forgotten() -> None:
    app, clock, feed = fake_app(), Clock(), Feed()
    dog, _ = watchdog(app, clock, feed)
    feed.sample = {0: (7, 9)}
    await dog.check()
    clock.now += 10
    await dog.check()
    failure = worker_failure(app)
    assert isinstance(failure, StageStalled) and failure.stage == "network"
    feed.sample = {}  # the feed stopped (ownership moved)
    await dog.check()
    assert worker_failure(app) is None


async def test_a_caught_up_agent_never_stalls() -> None:
    app, clock = fake_app(end=5), Clock()
    dog, progress = watchdog(app, clock)
    progress.taking("customers", 1, 4)
    progress.done("customers", 1, 4)  # position 5 == end 5
    for _ in range(5):
        await dog.check()
        clock.now += 100
    assert worker_failure(app) is None


def test_an_app_without_a_watchdog_reports_every_stage_healthy() -> None:
    health = stage_health(SimpleNamespace())
    assert set(health) == {"network", "customers", "delivery", "contacts", "receipts"}
    assert all(value == (False, 0.0) for value in health.values())


async def test_delivery_retrying_with_backoff_is_working_not_stalled() -> None:
    app, clock = fake_app(), Clock()
    app.monitor.tp_end_offsets = {TopicPartition("t.outbox", 1): 10}
    app.consumer.assignment = lambda: {TopicPartition("t.outbox", 1)}
    attempts = [0]
    progress = ProgressLog()
    app.watchdog = Watchdog(app, StallDetector(10, 5), progress,
                            agent_topics={"t.outbox": "delivery"}, feeds={},
                            work={"delivery": lambda: attempts[0]}, clock=clock)
    progress.taking("delivery", 1, 3)  # one outbox message, its notice failing and retried
    for _ in range(6):
        await app.watchdog.check()
        clock.now += 8  # a failed attempt every 8 s: backoff below stall_after_s
        attempts[0] += 1
    assert worker_failure(app) is None
    for _ in range(2):  # attempts stop (a send that never returns): a stall
        await app.watchdog.check()
        clock.now += 8
    await app.watchdog.check()
    failure = worker_failure(app)
    assert isinstance(failure, StageStalled) and failure.stage == "delivery"


async def test_a_sampling_error_skips_the_round_and_fails_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    app, clock = fake_app(), Clock()
    dog, _ = watchdog(app, clock)

    def broken() -> bool:
        raise RuntimeError("flow control gone")

    app.flow_control = SimpleNamespace(is_active=broken)
    with caplog.at_level(logging.ERROR, logger="forewarn.streams.kafka.watchdog"):
        await dog.check()
    assert worker_failure(app) is None
    assert any("could not sample" in r.getMessage() for r in caplog.records)
