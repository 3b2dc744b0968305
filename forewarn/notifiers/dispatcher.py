"""``Dispatcher``: one notifier per channel, ``delivered_at`` stamping and bounded retries.

Why here and not in each notifier: the retry policy, the clock and the metrics are the same
for every sink, and tests need to swap the sinks (``doubles``), the sleep and the clock
without touching them. Per-channel rate limits, fallback to the next channel and dead
letters are the caller's next steps; ``deliver`` raises the final ``DeliveryError`` so the
caller can do them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from forewarn.config import ChannelSettings, Settings
from forewarn.domain import CHANNELS, Notification, to_iso
from forewarn.errors import DeliveryError
from forewarn.notifiers.apprise_notifier import AppriseNotifier
from forewarn.notifiers.base import Notifier
from forewarn.notifiers.file import FileNotifier
from forewarn.notifiers.masking import mask_address
from forewarn.notifiers.metrics import DeliveryMetrics

__all__ = ["Dispatcher", "notifiers_from_settings"]

log = logging.getLogger(__name__)


def notifiers_from_settings(
    settings: Settings, *, base_dir: str | Path | None = None
) -> dict[str, Notifier]:
    """One notifier per channel: apprise when the channel has a URL, else its JSONL file.

    Channels writing to the same file share one ``FileNotifier`` (one lock, one handle).
    Relative file names are resolved against ``base_dir`` (default: working directory).
    """
    files: dict[Path, FileNotifier] = {}
    out: dict[str, Notifier] = {}
    for channel in dict.fromkeys([*CHANNELS, *settings.channels]):
        conf = settings.channels.get(channel, ChannelSettings())
        url = conf.url.get_secret_value()
        if url:
            out[channel] = AppriseNotifier(url)
            continue
        path = Path(conf.file)
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        out[channel] = files.setdefault(path.resolve(), FileNotifier(path))
    return out


class Dispatcher:
    """Routes each notification to its channel's notifier; retries what may succeed later.

    Before every attempt the notification is stamped with ``delivered_at`` from ``clock``
    (POSIX seconds; inject event time in replay) so the sink writes the final record.
    Retryable failures are tried ``attempts`` times in all, waiting ``backoff_s``, then
    twice that, and so on (``sleep`` is injected for tests).
    """

    def __init__(
        self,
        notifiers: Mapping[str, Notifier],
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._notifiers = dict(notifiers)
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self.metrics = metrics if metrics is not None else DeliveryMetrics()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, base_dir: str | Path | None = None, **kwargs: Any
    ) -> Dispatcher:
        """A dispatcher over ``notifiers_from_settings``; ``kwargs`` go to ``__init__``."""
        return cls(notifiers_from_settings(settings, base_dir=base_dir), **kwargs)

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
        for attempt in range(1, self.attempts + 1):
            stamped = replace(notification, delivered_at=to_iso(self._clock()))
            self.metrics.attempts.labels(channel).inc()
            started = time.perf_counter()
            try:
                await notifier.deliver(stamped)
            except DeliveryError as exc:
                self.metrics.failed.labels(channel, str(exc.retryable).lower()).inc()
                if not exc.retryable or attempt == self.attempts:
                    self.metrics.gave_up.labels(channel).inc()
                    log.warning(
                        "giving up on %s to %s via %s after %d attempt(s): %s",
                        notification.notification_id,
                        mask_address(notification.to),
                        channel,
                        attempt,
                        exc,
                    )
                    raise
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.info(
                    "attempt %d/%d of %s via %s failed (%s); retrying in %.2fs",
                    attempt,
                    self.attempts,
                    notification.notification_id,
                    channel,
                    exc,
                    delay,
                )
                await self._sleep(delay)
                continue
            self.metrics.seconds.labels(channel).observe(time.perf_counter() - started)
            self.metrics.delivered.labels(channel).inc()
            return stamped
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        """Close every distinct notifier once."""
        seen: set[int] = set()
        for notifier in self._notifiers.values():
            if id(notifier) not in seen:
                seen.add(id(notifier))
                await notifier.close()
