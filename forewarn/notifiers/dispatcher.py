"""``Dispatcher``: one notifier per channel, gateway limits, ``delivered_at`` stamping and
retries with exponential backoff and jitter.

Why here and not in each notifier: the retry policy, the limits, the clocks and the metrics
are the same for every sink, and tests need to swap the sinks (``doubles``), the sleep, the
clocks and the randomness without touching them. Fallback to the next channel and dead
letters are the caller's next steps (``forewarn.streams.delivery.stage``); ``deliver`` raises the
final ``DeliveryError`` so the caller can take them.

Backoff: retry n waits ``min(max_backoff_s, backoff_s * 2**(n-1))`` shortened by a random
fraction up to ``jitter`` — never longer than the nominal delay, but spread out, so a
thousand deliveries that failed together against one gateway do not come back together.
Each attempt takes a slot and a token of its channel's ``ChannelLimiter``; waiting for a
retry holds neither.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from forewarn.config import Settings
from forewarn.domain import Notification, to_iso
from forewarn.errors import DeliveryError
from forewarn.notifiers.base import Notifier
from forewarn.notifiers.channels import limits_from_settings, notifiers_from_settings
from forewarn.notifiers.limits import UNLIMITED, ChannelLimiter, ChannelLimits
from forewarn.notifiers.masking import mask_address
from forewarn.notifiers.metrics import DeliveryMetrics

__all__ = ["Dispatcher", "backoff_delay", "notifiers_from_settings", "stamp"]

log = logging.getLogger(__name__)


def stamp(n: Notification, delivered_at: str) -> Notification:
    """``dataclasses.replace(n, delivered_at=...)`` without its per-call introspection, which
    costs more than the rest of an attempt's bookkeeping; a test keeps the two equal."""
    return Notification(n.notification_id, n.customer_id, n.incident_id, n.stage, n.services,
                        n.channel, n.to, n.language, n.subject, n.text, n.decided_at,
                        delivered_at, n.html, n.title, n.priority)


def backoff_delay(
    retry: int, *, backoff_s: float, max_backoff_s: float, jitter: float, rand: float
) -> float:
    """Seconds to wait before retry number ``retry`` (1-based); ``rand`` in [0, 1)."""
    nominal = min(max_backoff_s, backoff_s * 2.0 ** (retry - 1))
    return nominal * (1.0 - jitter * rand)


class Dispatcher:
    """Routes each notification to its channel's notifier within the channel's limits;
    retries what may succeed later.

    Before every attempt the notification is stamped with ``delivered_at`` from ``clock``
    (POSIX seconds; inject event time in replay) so the sink writes the final record.
    ``monotonic`` drives the token buckets; ``sleep`` serves both rate-limit waits and
    backoff; ``random`` the jitter (all injected for tests).
    """

    def __init__(
        self,
        notifiers: Mapping[str, Notifier],
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        jitter: float = 0.2,
        limits: Mapping[str, ChannelLimits] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random.random,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        self._notifiers = dict(notifiers)
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.jitter = jitter
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self.metrics = metrics if metrics is not None else DeliveryMetrics()
        chosen = dict(limits or {})
        self.limiters = {
            channel: ChannelLimiter(chosen.get(channel, UNLIMITED), clock=monotonic, sleep=sleep)
            for channel in self._notifiers
        }

    @classmethod
    def from_settings(
        cls, settings: Settings, *, base_dir: str | Path | None = None, **kwargs: Any
    ) -> Dispatcher:
        """A dispatcher over the channels, limits and ``[delivery]`` retry settings;
        ``kwargs`` override any ``__init__`` argument."""
        conf = settings.delivery
        options: dict[str, Any] = {
            "attempts": conf.attempts,
            "backoff_s": conf.backoff_s,
            "max_backoff_s": conf.max_backoff_s,
            "jitter": conf.jitter,
            "limits": limits_from_settings(settings),
        }
        options.update(kwargs)
        return cls(notifiers_from_settings(settings, base_dir=base_dir), **options)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this dispatcher can deliver to."""
        return tuple(self._notifiers)

    def notifier_for(self, channel: str) -> Notifier:
        """The notifier serving ``channel``; ``DeliveryError`` (not retryable) if none."""
        try:
            return self._notifiers[channel]
        except KeyError:
            raise DeliveryError(f"no notifier for channel {channel!r}", retryable=False) from None

    async def deliver(self, notification: Notification) -> Notification:
        """Deliver and return the record as delivered (with ``delivered_at``).

        Raises the last ``DeliveryError`` when the failure is not retryable or the attempts
        are used up.
        """
        channel = notification.channel
        notifier = self.notifier_for(channel)
        limiter = self.limiters[channel]
        metrics = self.metrics
        for attempt in range(1, self.attempts + 1):
            waited = await limiter.acquire()
            try:
                record = stamp(notification, to_iso(self._clock()))
                started = time.perf_counter()
                try:
                    await notifier.deliver(record)
                except DeliveryError as exc:
                    failure: DeliveryError | None = exc
                else:
                    failure = None
            finally:
                limiter.release()
            metrics.child(metrics.attempts, channel).inc()
            if waited:
                metrics.child(metrics.rate_limited, channel).inc(waited)
            if failure is None:
                metrics.child(metrics.seconds, channel).observe(time.perf_counter() - started)
                metrics.child(metrics.delivered, channel).inc()
                return record
            metrics.child(metrics.failed, channel, str(failure.retryable).lower()).inc()
            if not failure.retryable or attempt == self.attempts:
                metrics.child(metrics.gave_up, channel).inc()
                log.warning(
                    "giving up on %s to %s via %s after %d attempt(s): %s",
                    notification.notification_id, mask_address(notification.to), channel,
                    attempt, failure,
                )
                raise failure
            delay = backoff_delay(attempt, backoff_s=self.backoff_s,
                                  max_backoff_s=self.max_backoff_s, jitter=self.jitter,
                                  rand=self._random())
            log.info(
                "attempt %d/%d of %s via %s failed (%s); retrying in %.2fs",
                attempt, self.attempts, notification.notification_id, channel, failure, delay,
            )
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def rate_limited_seconds(self) -> dict[str, float]:
        """Seconds each channel's deliveries have waited for tokens so far."""
        return {channel: limiter.waited_s for channel, limiter in self.limiters.items()}

    async def close(self) -> None:
        """Close every distinct notifier once."""
        seen: set[int] = set()
        for notifier in self._notifiers.values():
            if id(notifier) not in seen:
                seen.add(id(notifier))
                await notifier.close()
