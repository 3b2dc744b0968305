"""Start and stop a Faust worker inside our own asyncio program.

``faust.Worker.start()`` only returns once the worker stops, so it runs as a task while the
caller waits for table recovery (the worker is then consuming) and later stops it. The stop
is bounded (``STOP_TIMEOUT_S``) and always ends before the caller stops the broker: a stop
that overruns cancels the worker and closes its Kafka clients. SIGTERM/SIGINT go to the
caller's ``StopRequest`` (``forewarn.streams.kafka.signals``), not to Faust's handlers, so the
command decides what a signal ends.

Liveness (issue 16): a worker whose network stage died, or whose Faust app crashed, cannot
make progress, and must not look alive. ``worker_failure`` says why; ``/healthz`` answers
503 with it, ``running_worker`` stops the worker as soon as it is seen and then raises
``WorkerFailed`` (a ``ForewarnError``: the CLI prints one line and exits non-zero), so an
orchestrator restarts the process instead of leaving it hanging.

A stage stuck without failing (``watchdog``) takes the same path: while it is stalled
``worker_failure`` is its ``StageStalled`` (503), and once that is final (``stall_exit_s``
later) the worker is stopped like for a failure; a stage that moves again first clears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import faust

from forewarn.errors import BrokerError, ForewarnError
from forewarn.streams.kafka.signals import StopRequest
from forewarn.streams.kafka.watchdog import StageStalled
from forewarn.streams.kafka.worker_app import WorkerApp

__all__ = ["WorkerFailed", "is_terminal", "run_command", "running_worker", "worker_failure",
           "worker_ready"]

log = logging.getLogger(__name__)

# Faust's consumer thread can take over a minute to leave its group on a busy machine. A stop
# may be cut short safely: every decision is replayed from Kafka and delivery is idempotent.
STOP_TIMEOUT_S = 10.0
# After a cut stop: how long the worker task and the consumer thread get to end.
ABANDON_TIMEOUT_S = 3.0
# After the command's coroutine: how long its leftover tasks get to end.
CLEANUP_TIMEOUT_S = 3.0

T = TypeVar("T")

# Faust warns on every full producer buffer; under a 200k fan-out that is noise, not news.
logging.getLogger("faust.transport.producer").setLevel(logging.ERROR)


class WorkerFailed(ForewarnError):
    """A stage of this worker failed for good; the process must end (non-zero) and restart."""


def worker_failure(app: WorkerApp) -> BaseException | None:
    """Why this worker can no longer make progress (its network feed died, the Faust app
    crashed, or a stage is stalled: ``StageStalled``), or None while it can."""
    feed = app.network_feed
    failure = feed.failure if feed is not None else None
    if failure is not None:
        return failure
    crashed = getattr(app, "crash_reason", None)  # a cancellation is a shutdown, not a crash
    if isinstance(crashed, BaseException) and not isinstance(crashed, asyncio.CancelledError):
        return crashed
    watchdog = getattr(app, "watchdog", None)
    return watchdog.failure if watchdog is not None else None


def _must_stop(app: WorkerApp) -> bool:
    """A failure for good: any failure but a stall still within its ``stall_exit_s``."""
    failure = worker_failure(app)
    return failure is not None and not (isinstance(failure, StageStalled) and not failure.final)


async def _stop_on_failure(app: WorkerApp, worker: faust.Worker) -> None:
    """Stop ``worker`` once a stage has failed for good, so that its caller's wait ends."""
    while not _must_stop(app):
        await asyncio.sleep(0.2)
    log.critical("a stage failed (%r); stopping the worker", worker_failure(app))
    await _within(asyncio.ensure_future(worker.stop()), STOP_TIMEOUT_S)


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is an interactive terminal (a file, a pipe or None is not)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed stream
        return False


class _Worker(faust.Worker):
    """Faust's worker with SIGTERM/SIGINT routed to the command's ``StopRequest``."""

    def __init__(self, app: faust.App, *, stop: StopRequest | None, **options: Any) -> None:
        self.stop_request = stop  # before Faust's constructor installs the signal handlers
        super().__init__(app, **options)
        if not is_terminal(self.stdout):
            # Faust's start-up spinner writes cursor codes ("\x1b[?25l", "\x1b[?25h") even
            # when its stream is a file or a pipe; a log must hold text only.
            self.spinner = None

    def _install_signal_handlers_unix(self) -> None:
        super()._install_signal_handlers_unix()
        if self.stop_request is not None:
            self.stop_request.install(self.loop)


@contextlib.asynccontextmanager
async def running_worker(
    app: WorkerApp, *, ready_timeout_s: float = 120.0, loglevel: str = "warning",
    stop: StopRequest | None = None,
) -> AsyncIterator[faust.Worker]:
    """A started worker whose partitions are assigned and tables recovered.

    With ``stop``, a signal sets it (and does not stop the worker by itself); a signal
    while starting ends the start with ``Interrupted``."""
    worker = _Worker(
        app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False,
        loop=asyncio.get_running_loop(),
        stdout=sys.stderr,
        stderr=sys.stderr, stop=stop,
    )
    task = asyncio.ensure_future(worker.start())
    watcher: asyncio.Future[None] | None = None
    try:
        if stop is None:
            await _wait_ready(app, task, ready_timeout_s)
        else:
            await stop.run_until(_wait_ready(app, task, ready_timeout_s))
        watcher = asyncio.ensure_future(_stop_on_failure(app, worker))
        yield worker
    finally:
        await _stop_worker(app, worker, task)
        if watcher is not None:
            watcher.cancel()
        failure = worker_failure(app)
        if failure is not None:
            raise WorkerFailed(
                f"the worker stopped because a stage failed: {failure!r}") from failure


async def _stop_worker(app: faust.App, worker: faust.Worker, task: asyncio.Future[None]) -> None:
    """Stop the app within ``STOP_TIMEOUT_S``; past it, cancel it and close its clients, so
    nothing of it still talks to the broker when the caller stops that.

    Every wait here is ``asyncio.wait`` with a timeout, never ``wait_for``: a Faust stop
    that swallows its cancellation (it does, stuck in a producer flush) made ``wait_for``
    wait for it forever."""
    overran = False
    if not worker.should_stop:
        stopping = asyncio.ensure_future(worker.stop())
        if not await _within(stopping, STOP_TIMEOUT_S):
            log.warning("the worker did not stop within %.0f s; cancelling it (its progress "
                        "is committed in Kafka, nothing is lost)", STOP_TIMEOUT_S)
            stopping.cancel()
            overran = True
    if not await _within(task, ABANDON_TIMEOUT_S):
        task.cancel()
        await _within(task, ABANDON_TIMEOUT_S)
        overran = True
    if overran:
        await _close_clients(app)


async def _within(future: asyncio.Future[Any], timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for ``future`` without cancelling it; True if it ended."""
    done, _ = await asyncio.wait({future}, timeout=timeout_s)
    if future in done and not future.cancelled() and future.exception() is not None:
        log.warning("the worker's stop failed: %r", future.exception())
    return future in done


async def _close_clients(app: faust.App) -> None:
    """Stop the consumer thread and the producer of an app whose stop overran."""
    consumer = getattr(app, "_consumer", None)
    thread = getattr(consumer, "_thread", None)
    producer = getattr(getattr(app, "_producer", None), "_producer", None)
    for what, closing in (("consumer", getattr(thread, "stop", None)),
                          ("producer", getattr(producer, "stop", None))):
        if closing is None:
            continue
        if not await _within(asyncio.ensure_future(closing()), ABANDON_TIMEOUT_S):
            log.warning("the worker's %s did not close within %.0f s", what, ABANDON_TIMEOUT_S)


def run_command(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` with a bounded clean-up.

    ``asyncio.run`` cancels the tasks left over and waits for all of them; one that ignores
    its cancellation (a Faust service stuck on a dead broker) kept the process alive for
    ever after the command had finished. Here leftovers get ``CLEANUP_TIMEOUT_S``, then the
    loop is closed anyway (``forewarn.cli.main`` then ends the process if a Kafka client
    thread still runs)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for leftover in leftovers:
                leftover.cancel()
            if leftovers:
                _, pending = loop.run_until_complete(
                    asyncio.wait(leftovers, timeout=CLEANUP_TIMEOUT_S))
                if pending:
                    log.warning("%d tasks did not end within %.0f s of the command's end; "
                                "leaving them", len(pending), CLEANUP_TIMEOUT_S)
            for closing in (loop.shutdown_asyncgens(), loop.shutdown_default_executor()):
                loop.run_until_complete(asyncio.wait({loop.create_task(closing)},
                                                     timeout=CLEANUP_TIMEOUT_S))
        finally:
            asyncio.set_event_loop(None)
            loop.close()


async def _wait_ready(app: WorkerApp, task: asyncio.Future[Any], timeout_s: float) -> None:
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


def worker_ready(app: WorkerApp) -> bool:
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
    except Exception:
        return False
    feed = app.network_feed
    return feed is None or not feed.running or feed.loaded.is_set()
