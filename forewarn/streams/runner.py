"""Start and stop a Faust worker inside our own asyncio program.

``faust.Worker.start()`` only returns once the worker stops, so it runs as a task while the
caller waits for table recovery (the worker is then consuming) and later stops it.

Liveness (issue 16): a worker whose network stage died, or whose Faust app crashed, cannot
make progress, and must not look alive. ``worker_failure`` says why; ``/healthz`` answers
503 with it, ``running_worker`` stops the worker as soon as it is seen and then raises
``WorkerFailed`` (a ``ForewarnError``: the CLI prints one line and exits non-zero), so an
orchestrator restarts the process instead of leaving it hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

import faust

from forewarn.errors import BrokerError, ForewarnError

__all__ = ["WorkerFailed", "running_worker", "worker_failure", "worker_ready"]

log = logging.getLogger(__name__)

# Faust's consumer thread can take over a minute to leave its group on a busy machine. A stop
# may be cut short safely: every decision is replayed from Kafka and delivery is idempotent.
STOP_TIMEOUT_S = 20.0

# Faust warns on every full producer buffer; under a 200k fan-out that is noise, not news.
logging.getLogger("faust.transport.producer").setLevel(logging.ERROR)


class WorkerFailed(ForewarnError):
    """A stage of this worker failed for good; the process must end (non-zero) and restart."""


def worker_failure(app: object) -> BaseException | None:
    """Why this worker can no longer make progress (its network feed died, or the Faust app
    crashed), or None while it can."""
    feed = getattr(app, "forewarn_network_feed", None)
    failure = getattr(feed, "failure", None)
    if failure is not None:
        return failure
    crashed = getattr(app, "crash_reason", None)  # a cancellation is a shutdown, not a crash
    if isinstance(crashed, BaseException) and not isinstance(crashed, asyncio.CancelledError):
        return crashed
    return None


async def _stop_on_failure(app: faust.App, worker: faust.Worker) -> None:
    """Stop ``worker`` once a stage has failed, so that its caller's wait ends."""
    while worker_failure(app) is None:
        await asyncio.sleep(0.2)
    log.critical("a stage failed (%r); stopping the worker", worker_failure(app))
    with contextlib.suppress(Exception):
        await asyncio.wait_for(worker.stop(), timeout=STOP_TIMEOUT_S)


@contextlib.asynccontextmanager
async def running_worker(
    app: faust.App, *, ready_timeout_s: float = 120.0, loglevel: str = "warning"
) -> AsyncIterator[faust.Worker]:
    """A started worker whose partitions are assigned and tables recovered."""
    worker = faust.Worker(
        app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False,
        loop=asyncio.get_running_loop(),
        stdout=sys.stderr,
        stderr=sys.stderr,
    )
    task = asyncio.ensure_future(worker.start())
    watcher: asyncio.Future[None] | None = None
    try:
        await _wait_ready(app, task, ready_timeout_s)
        watcher = asyncio.ensure_future(_stop_on_failure(app, worker))
        yield worker
    finally:
        if not worker.should_stop:
            try:
                await asyncio.wait_for(worker.stop(), timeout=STOP_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - a timeout or a shutdown error; best effort
                log.warning("the worker did not stop cleanly within %.0f s (%r); its "
                            "progress is committed in Kafka, nothing is lost", STOP_TIMEOUT_S, exc)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=STOP_TIMEOUT_S)
        if watcher is not None:
            watcher.cancel()
        failure = worker_failure(app)
        if failure is not None:
            raise WorkerFailed(f"the worker stopped because a stage failed: {failure!r}") from failure


async def _wait_ready(app: faust.App, task: asyncio.Future[object], timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if task.done():
            exc = task.exception() if not task.cancelled() else None
            raise BrokerError(f"the worker stopped while starting: {exc!r}")
        failure = worker_failure(app)
        if failure is not None:
            raise WorkerFailed(f"a stage failed while the worker was starting: {failure!r}")
        if worker_ready(app):
            return
        await asyncio.sleep(0.05)
    raise BrokerError(f"the worker did not join its consumer group within {timeout_s:.0f} s")


def worker_ready(app: faust.App) -> bool:
    """Partitions assigned, tables recovered, and (on the owner of ``alarms.raw``) the
    network feed's journal loaded: input sent now is processed, nothing waits on start-up.
    Never while a stage has failed (``worker_failure``)."""
    if worker_failure(app) is not None:
        return False
    recovery = getattr(app.tables, "recovery", None)
    if recovery is None or not recovery.completed.is_set():
        return False
    try:
        if not app.consumer.assignment():
            return False
    except Exception:  # noqa: BLE001 - ConsumerNotStarted while the consumer thread comes up
        return False
    feed = getattr(app, "forewarn_network_feed", None)
    return feed is None or not feed.running or feed.loaded.is_set()
