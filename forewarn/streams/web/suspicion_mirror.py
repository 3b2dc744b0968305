"""The open suspected incidents, as seen by a worker that does not hold the incident board.

Why: a caller's answer is given by the worker owning the caller's customer partition (their
episodes and history live there), but open suspicions live on the incident board of the
worker owning ``alarms.raw``. With several workers these are often two different ones, so
the answering worker reads the board owner's ``GET /api/v1/suspicions`` and keeps it for
``max_age_s`` (one loopback request a second at most, whatever the call rate; a suspicion is
news for minutes). When this worker holds the board, its own board is read directly.
A failed read keeps the last list (logged once per failure streak) rather than failing the
caller's answer: ``suspected`` may then lag, ``known_outage`` never does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["SuspicionMirror"]

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[list[dict[str, Any]] | None]]


class SuspicionMirror:
    """The open suspicions for a caller's answer on this worker: ``await refresh()`` on the
    event loop before answering, then ``latest()``.

    ``board_here()`` says whether this worker holds the board (then ``local()`` is read);
    else ``fetch()`` reads the board owner's list (None: no owner known yet)."""

    def __init__(self, *, board_here: Callable[[], bool],
                 local: Callable[[], list[dict[str, Any]]], fetch: Fetch,
                 max_age_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.board_here = board_here
        self.local = local
        self.fetch = fetch
        self.max_age_s = max_age_s
        self.clock = clock
        self._copy: list[dict[str, Any]] = []
        self._read_at: float | None = None
        self._failing = False
        self._read_once = False
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the board owner's list when the copy is older than ``max_age_s``."""
        if self.board_here():
            return
        async with self._lock:  # one read for the callers arriving while it runs
            if self._read_at is None or self.clock() - self._read_at >= self.max_age_s:
                await self._refresh()

    def latest(self) -> list[dict[str, Any]]:
        """The open suspicions: this worker's board, or the last copy read."""
        return self.local() if self.board_here() else list(self._copy)

    async def _refresh(self) -> None:
        try:
            found = await self.fetch()
        except Exception as exc:  # whatever went wrong, the caller still gets an answer
            if not self._failing:
                log.warning("cannot read the open suspected incidents from the board's "
                            "worker (answers keep the last list): %r", exc)
            self._failing = True
            self._read_at = self.clock()  # retry after max_age_s, not on every call
            return
        if self._failing:
            log.info("reading the open suspected incidents from the board's worker again")
        self._failing = False
        if found is not None:
            if not self._read_once:
                log.info("callers: reading the open suspected incidents from the board's "
                         "worker (at most every %g s)", self.max_age_s)
                self._read_once = True
            self._copy = found
            self._read_at = self.clock()
