"""SIGTERM / SIGINT for every command that runs a worker: a stop request with a hard bound.

Faust's own handlers only stop the Faust worker; a command waiting for something else (replay
for its drain, demo for its story) then waited forever, and a shutdown stuck in a client kept
the process alive. Here a signal sets ``requested`` (the command leaves its wait, stops the
app, then the broker) and arms a watchdog that ends the process ``bound_s`` later whatever
is still running. A second signal ends it at once. Exit codes follow the shell: 128 + signal
(143 for SIGTERM, 130 for SIGINT), except where a command says a signal is its normal end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["EXIT_BOUND_S", "Interrupted", "StopRequest", "leave_process"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# From the signal to the end of the process, at most. An orchestrator's grace period is
# usually 30 s; Kafka holds everything a restarted worker needs, so a cut stop loses nothing.
EXIT_BOUND_S = 12.0

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(Exception):
    """The command was stopped by a signal before it finished."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class StopRequest:
    """A signal turned into an event a command can wait on, plus the hard bound."""

    def __init__(self, bound_s: float = EXIT_BOUND_S, *, exit_code: int | None = None) -> None:
        """``exit_code``: what the watchdog exits with (default 128 + signal)."""
        self.bound_s = bound_s
        self.exit_code = exit_code
        self.signum: int | None = None
        self.event = asyncio.Event()
        self._watchdog: threading.Timer | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Route SIGTERM and SIGINT of this process to the request (replaces Faust's)."""
        loop = loop or asyncio.get_running_loop()
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, self.signal, signum)

    def signal(self, signum: int) -> None:
        """Handle one signal: first one requests the stop, a second one exits now."""
        code = self.exit_code if self.exit_code is not None else 128 + signum
        if self.signum is not None:
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            leave_process(code)
        self.signum = signum
        self.event.set()
        log.info("%s received: stopping (at most %.0f s)", signal.Signals(signum).name,
                    self.bound_s)
        self._watchdog = threading.Timer(self.bound_s, self._overdue, args=(code,))
        self._watchdog.daemon = True
        self._watchdog.start()

    def disarm(self) -> None:
        """Cancel the watchdog (tests; a caller that ends the process itself)."""
        if self._watchdog is not None:
            self._watchdog.cancel()

    def _overdue(self, code: int) -> None:
        log.warning("shutdown took longer than %.0f s; exiting", self.bound_s)
        leave_process(code)

    async def run_until(self, awaitable: Awaitable[T]) -> T:
        """``awaitable``'s result, or ``Interrupted`` as soon as a stop is requested."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self.event.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        assert self.signum is not None
        raise Interrupted(self.signum)

    def raise_if_requested(self) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)


def leave_process(code: int) -> None:
    """End the process now with ``code``, output flushed: no thread can keep it alive."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
