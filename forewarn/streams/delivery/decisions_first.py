"""Delivery waits its turn while the customer stage is deciding (one event loop for both).

Why: a worker runs the customer stage and delivery on one event loop. In an incident's
fan-out the partitions confirm one after another; the notices of the first ones go to
delivery (render, send, a receipt and two table writes each) while the rest still wait for
their confirmations, so every await between two customer messages let hundreds of delivery
tasks run first and the decisions of the last partition came seconds later (the 200k
fan-out took 7-13 s for the same code, depending on how the two interleaved). The outage
decision is what the customer is owed first and what takes a partition's event time on;
delivery of a notice already decided can wait a few seconds.

How: the customer agent marks each message it handles (:meth:`DecisionsFirst.deciding`).
Delivery asks for its turn (:meth:`DecisionsFirst.turn`) before each outbox message and
between slices of one; it waits while a customer message is in hand or the last one ended
less than ``quiet_s`` ago (the agent fetching the next one), but never more than
``max_wait_s`` at a time; a wait that ran out grants delivery ``grant_s`` of turns without
waiting (the two interleave as they did without this). So a stage that decides without
pause (a long storm) still leaves delivery about ``grant_s / (max_wait_s + grant_s)`` of the
time: delivery is slowed, never stopped, and the stall watchdog (``stall_after_s``,
minutes) sees it move. Nothing is reordered or dropped; only when delivery runs changes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

__all__ = ["DecisionsFirst"]


class DecisionsFirst:
    """Shared by a worker's customer agent (marks) and delivery stage (waits)."""

    def __init__(self, quiet_s: float = 0.05, max_wait_s: float = 1.0, grant_s: float = 0.25,
                 *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        if quiet_s < 0 or max_wait_s < 0 or grant_s < 0:
            raise ValueError("quiet_s, max_wait_s and grant_s must not be negative")
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self.grant_s = grant_s
        self._granted_until = -math.inf  # turns until then do not wait (after a long wait)
        self._clock = clock
        self._sleep = sleep
        self._in_hand = 0  # customer messages being handled (the agent awaits sends inside)
        self._ended = -math.inf  # when the last one ended (monotonic clock)
        self.waited_s = 0.0  # delivery's total wait (metrics, benchmarks)

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Around one customer message: delivery waits meanwhile and ``quiet_s`` after."""
        self._in_hand += 1
        try:
            yield
        finally:
            self._in_hand -= 1
            self._ended = self._clock()

    def busy(self) -> bool:
        """Is the customer stage deciding, or did it end a message less than ``quiet_s`` ago?"""
        return self._in_hand > 0 or self._clock() - self._ended < self.quiet_s

    async def turn(self) -> float:
        """Return when delivery may go on: the stage is quiet, or ``max_wait_s`` passed.
        Seconds waited."""
        if not self.busy() or self._clock() < self._granted_until:
            return 0.0
        began = now = self._clock()
        while self.busy() and now - began < self.max_wait_s:
            remaining = self.quiet_s - (now - self._ended) if self._in_hand == 0 else self.quiet_s
            await self._sleep(min(max(remaining, 0.001), self.max_wait_s - (now - began)))
            now = self._clock()
        waited = now - began
        if self.busy():  # the wait ran out: delivery's share
            self._granted_until = now + self.grant_s
        self.waited_s += waited
        return waited
