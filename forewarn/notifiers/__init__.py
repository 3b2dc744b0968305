"""Delivery: the ``Notifier`` port, its sinks (pooled HTTP JSON, apprise, JSONL file), the
record builder, per-channel gateway limits, the ``Dispatcher`` with retries, test doubles.

Names are imported on first use (PEP 562): the delivery core takes the builder, masking
and metrics from here without loading the HTTP sinks (aiohttp) that only the worker needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the real names
    from forewarn.notifiers.apprise_notifier import AppriseNotifier
    from forewarn.notifiers.base import Notifier
    from forewarn.notifiers.builder import build_notification
    from forewarn.notifiers.channels import limits_from_settings, notifier_for_url
    from forewarn.notifiers.dispatcher import Dispatcher, backoff_delay, notifiers_from_settings
    from forewarn.notifiers.doubles import FailingNotifier, RecordingNotifier, SlowNotifier
    from forewarn.notifiers.file import FileNotifier
    from forewarn.notifiers.limits import CHANNEL_LIMITS, ChannelLimiter, ChannelLimits, TokenBucket
    from forewarn.notifiers.masking import mask_address
    from forewarn.notifiers.metrics import DeliveryMetrics
    from forewarn.notifiers.pooled_json import HttpPool, PooledJsonNotifier, unsupported_reason

_WHERE = {
    "AppriseNotifier": "apprise_notifier",
    "CHANNEL_LIMITS": "limits",
    "ChannelLimiter": "limits",
    "ChannelLimits": "limits",
    "DeliveryMetrics": "metrics",
    "Dispatcher": "dispatcher",
    "FailingNotifier": "doubles",
    "FileNotifier": "file",
    "HttpPool": "pooled_json",
    "Notifier": "base",
    "PooledJsonNotifier": "pooled_json",
    "RecordingNotifier": "doubles",
    "SlowNotifier": "doubles",
    "TokenBucket": "limits",
    "backoff_delay": "dispatcher",
    "build_notification": "builder",
    "limits_from_settings": "channels",
    "mask_address": "masking",
    "notifier_for_url": "channels",
    "notifiers_from_settings": "dispatcher",
    "unsupported_reason": "pooled_json",
}

__all__ = [
    "CHANNEL_LIMITS",
    "AppriseNotifier",
    "ChannelLimiter",
    "ChannelLimits",
    "DeliveryMetrics",
    "Dispatcher",
    "FailingNotifier",
    "FileNotifier",
    "HttpPool",
    "Notifier",
    "PooledJsonNotifier",
    "RecordingNotifier",
    "SlowNotifier",
    "TokenBucket",
    "backoff_delay",
    "build_notification",
    "limits_from_settings",
    "mask_address",
    "notifier_for_url",
    "notifiers_from_settings",
    "unsupported_reason",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'forewarn.notifiers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"forewarn.notifiers.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
