"""From ``[channels.X]`` settings to one notifier and one limiter per channel.

Why one place: which sink serves a channel (pooled HTTP, stock apprise, JSONL file) and
which gateway limits apply are decided together from the same settings, and everything
that needs them (the worker, the demo, the benchmark, tests) builds them the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

from forewarn.config import ChannelSettings, Settings
from forewarn.domain import CHANNELS
from forewarn.notifiers.apprise_notifier import AppriseNotifier
from forewarn.notifiers.base import Notifier
from forewarn.notifiers.file import FileNotifier
from forewarn.notifiers.limits import CHANNEL_LIMITS, UNLIMITED, ChannelLimits
from forewarn.notifiers.pooled_json import HttpPool, PooledJsonNotifier, unsupported_reason

__all__ = ["limits_from_settings", "notifier_for_url", "notifiers_from_settings"]

log = logging.getLogger(__name__)


def notifier_for_url(
    url: str, *, pool: HttpPool | None = None, pooled: bool = True, timeout_s: float = 30.0
) -> Notifier:
    """The pooled notifier for ``json://``/``jsons://`` URLs it supports, else stock apprise.

    The choice is logged once (without the URL) so an operator sees which path a channel
    takes and why.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if pooled and scheme in ("json", "jsons"):
        reason = unsupported_reason(url)
        if reason is None:
            return PooledJsonNotifier(url, pool=pool, timeout_s=timeout_s)
        log.warning("%s:// channel uses stock apprise (one connection per message): %s",
                    scheme, reason)
    return AppriseNotifier(url, timeout_s=timeout_s)


def notifiers_from_settings(
    settings: Settings, *, base_dir: str | Path | None = None, pool: HttpPool | None = None
) -> dict[str, Notifier]:
    """One notifier per channel: apprise (pooled where possible) for a URL, else its file.

    Channels writing to the same file share one ``FileNotifier`` (one lock, one handle);
    pooled HTTP channels share ``pool`` (one made here if None). Relative file names are
    resolved against ``base_dir`` (default: working directory).
    """
    files: dict[Path, FileNotifier] = {}
    out: dict[str, Notifier] = {}
    shared = pool if pool is not None else HttpPool()
    for channel in dict.fromkeys([*CHANNELS, *settings.channels]):
        conf = settings.channels.get(channel, ChannelSettings())
        url = conf.url.get_secret_value()
        if url:
            out[channel] = notifier_for_url(
                url, pool=shared, pooled=conf.pooled, timeout_s=conf.timeout_s
            )
            continue
        path = Path(conf.file)
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        out[channel] = files.setdefault(path.resolve(), FileNotifier(path))
    return out


def limits_from_settings(settings: Settings) -> dict[str, ChannelLimits]:
    """Gateway limits per channel: explicit settings, else ``CHANNEL_LIMITS`` for a URL
    channel and no limit for the file channel."""
    out: dict[str, ChannelLimits] = {}
    for channel in dict.fromkeys([*CHANNELS, *settings.channels]):
        conf = settings.channels.get(channel, ChannelSettings())
        has_url = bool(conf.url.get_secret_value())
        default = CHANNEL_LIMITS.get(channel, UNLIMITED) if has_url else UNLIMITED
        rate = default.rate_per_s if conf.rate_per_s is None else conf.rate_per_s
        burst = conf.burst if conf.burst is not None else (
            max(1, int(rate)) if conf.rate_per_s is not None else default.burst)
        out[channel] = ChannelLimits(
            rate_per_s=rate,
            burst=burst,
            concurrency=conf.concurrency if conf.concurrency is not None else default.concurrency,
        )
    return out
