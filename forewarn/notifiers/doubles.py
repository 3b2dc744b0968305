"""Test doubles for the ``Notifier`` port, shipped with the library (like httpx's mock
transport) so that every part of forewarn, and its users, test against the same fakes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from forewarn.domain import Notification
from forewarn.errors import DeliveryError

__all__ = ["FailingNotifier", "RecordingNotifier", "SlowNotifier"]


class RecordingNotifier:
    """Accepts everything and keeps it, in order, in ``delivered``."""

    def __init__(self) -> None:
        self.delivered: list[Notification] = []
        self.closed = False

    async def deliver(self, notification: Notification) -> None:
        """Record ``notification``."""
        self.delivered.append(notification)

    async def close(self) -> None:
        """Mark as closed (tests can assert the owner closed it)."""
        self.closed = True


class FailingNotifier:
    """Fails the first ``fail_times`` calls, then records like ``RecordingNotifier``.

    ``retryable`` is passed on in the ``DeliveryError``, so tests can cover both the retry
    path and the give-up-at-once path. ``calls`` counts every attempt.
    """

    def __init__(self, fail_times: int, retryable: bool = True) -> None:
        self.fail_times = fail_times
        self.retryable = retryable
        self.calls = 0
        self.delivered: list[Notification] = []
        self.closed = False

    async def deliver(self, notification: Notification) -> None:
        """Raise ``DeliveryError`` while failures remain, else record ``notification``."""
        self.calls += 1
        if self.calls <= self.fail_times:
            raise DeliveryError(
                f"simulated failure {self.calls} of {self.fail_times}", retryable=self.retryable
            )
        self.delivered.append(notification)

    async def close(self) -> None:
        """Mark as closed."""
        self.closed = True


class SlowNotifier:
    """Takes ``delay_s`` per notification and records when each send started.

    ``in_flight`` / ``max_in_flight`` show whether a concurrency cap held; ``started``
    (from ``clock``) whether a rate limit did.
    """

    def __init__(self, delay_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay_s = delay_s
        self._clock = clock
        self.delivered: list[Notification] = []
        self.started: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def deliver(self, notification: Notification) -> None:
        """Wait ``delay_s``, then record ``notification``."""
        self.started.append(self._clock())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        self.delivered.append(notification)

    async def close(self) -> None:
        """Mark as closed."""
        self.closed = True
