"""Issue 16: a worker whose network stage died is not alive and not ready (``/healthz`` and
``/readyz`` answer from these), whatever else still looks fine."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from forewarn.streams.kafka.runner import worker_failure, worker_ready


def app(feed_failure: BaseException | None = None, crashed: BaseException | None = None) -> object:
    recovery = SimpleNamespace(completed=asyncio.Event())
    recovery.completed.set()
    feed = SimpleNamespace(failure=feed_failure, running=False, loaded=asyncio.Event())
    return SimpleNamespace(tables=SimpleNamespace(recovery=recovery),
                           consumer=SimpleNamespace(assignment=lambda: {"tp"}),
                           network_feed=feed, crash_reason=crashed)


def test_healthy_worker_has_no_failure_and_is_ready() -> None:
    healthy = app()
    assert worker_failure(healthy) is None
    assert worker_ready(healthy)


def test_dead_network_feed_is_a_failure_and_not_ready() -> None:
    boom = ValueError("journal record unreadable")
    failed = app(feed_failure=boom)
    assert worker_failure(failed) is boom
    assert not worker_ready(failed)


def test_crashed_faust_app_is_a_failure() -> None:
    boom = RuntimeError("agent crashed")
    assert worker_failure(app(crashed=boom)) is boom


def test_cancellation_during_shutdown_is_not_a_failure() -> None:
    stopping = app(crashed=asyncio.CancelledError())
    assert worker_failure(stopping) is None
