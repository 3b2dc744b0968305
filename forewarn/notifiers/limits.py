"""Per-channel rate limits (token bucket) and concurrency caps.

Why: an SMS gateway contract says "N messages per second, M requests in flight"; going
over gets messages rejected (HTTP 429, SMPP throttling errors) or the account suspended,
exactly when an outage makes the fan-out large. Waiting for a token is cheap; a rejected
message costs a retry and delays the vulnerable customers who were first in line.

The bucket reserves a send slot per caller instead of polling: the n-th caller beyond the
burst sleeps until ``n / rate`` seconds after the bucket ran dry, so concurrent tasks are
served in the order they asked (priority customers ask first) and nobody spins.

Defaults (``CHANNEL_LIMITS``), used when a channel has a URL and no explicit setting:

- ``sms``: 100/s, burst 100, 50 in flight. HTTP SMS aggregators commonly grant 30-100
  messages/s per account (Vonage 30/s, Twilio short codes 100/s); an operator's own SMSC
  allows more; raise it in ``[channels.sms]`` to what the contract says.
- ``push``: 1,000/s, burst 1,000, 100 in flight. FCM's HTTP v1 quota is 600,000/min per
  project (10,000/s); APNs publishes no hard rate, so this is deliberately polite.
- ``email``: 14/s, burst 14, 10 in flight. The default sending rate of an Amazon SES
  production account; a local SMTP relay allows more.

A ``rate_per_s`` of 0 means no rate limit (the file channel; benchmarks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Self

__all__ = ["CHANNEL_LIMITS", "ChannelLimiter", "ChannelLimits", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """What a gateway allows: sends per second (0 = unlimited), burst, requests in flight."""

    rate_per_s: float = 0.0
    burst: int = 1
    concurrency: int = 64


CHANNEL_LIMITS: dict[str, ChannelLimits] = {
    "sms": ChannelLimits(rate_per_s=100.0, burst=100, concurrency=50),
    "push": ChannelLimits(rate_per_s=1000.0, burst=1000, concurrency=100),
    "email": ChannelLimits(rate_per_s=14.0, burst=14, concurrency=10),
}

UNLIMITED = ChannelLimits(rate_per_s=0.0, burst=1, concurrency=256)


class TokenBucket:
    """``rate_per_s`` tokens per second, at most ``burst`` saved up; ``acquire`` waits.

    ``clock`` (monotonic seconds) and ``sleep`` are injected so tests run in virtual time.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_s < 0 or burst < 1:
            raise ValueError("rate_per_s must be >= 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()

    def reserve(self) -> float:
        """Take one token now and return how long to wait before using it (0 if none)."""
        if self.rate_per_s == 0:
            return 0.0
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate_per_s

    async def acquire(self) -> float:
        """Wait for a token; returns the seconds waited (for metrics)."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
        return delay


class ChannelLimiter:
    """A concurrency cap and a token bucket for one channel: ``async with limiter: send()``.

    The slot is taken before the token, so a send starts right when its token is due and
    tokens are never spent by tasks that then queue for a slot (no hidden bursts).
    """

    def __init__(
        self,
        limits: ChannelLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.bucket = TokenBucket(limits.rate_per_s, limits.burst, clock=clock, sleep=sleep)
        self._slots = asyncio.Semaphore(limits.concurrency)
        self.waited_s = 0.0

    async def acquire(self) -> float:
        """Take a slot, then wait for a token; returns the seconds waited for the token.

        Pair with ``release`` (or use ``async with``).
        """
        await self._slots.acquire()
        try:
            waited = await self.bucket.acquire()
        except BaseException:
            self._slots.release()
            raise
        self.waited_s += waited
        return waited

    def release(self) -> None:
        """Give the slot back."""
        self._slots.release()

    async def __aenter__(self) -> Self:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
