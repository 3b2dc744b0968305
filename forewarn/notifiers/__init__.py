"""Delivery: the ``Notifier`` port, its sinks (pooled HTTP JSON, apprise, JSONL file), the
record builder, per-channel gateway limits, the ``Dispatcher`` with retries, test doubles.
"""

from __future__ import annotations

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
