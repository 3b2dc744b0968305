"""Delivery: the ``Notifier`` port, its sinks (apprise, JSONL file), the record builder,
the ``Dispatcher`` with retries, and test doubles.
"""

from __future__ import annotations

from forewarn.notifiers.apprise_notifier import AppriseNotifier
from forewarn.notifiers.base import Notifier
from forewarn.notifiers.builder import build_notification
from forewarn.notifiers.dispatcher import Dispatcher, notifiers_from_settings
from forewarn.notifiers.doubles import FailingNotifier, RecordingNotifier
from forewarn.notifiers.file import FileNotifier
from forewarn.notifiers.masking import mask_address
from forewarn.notifiers.metrics import DeliveryMetrics

__all__ = [
    "AppriseNotifier",
    "DeliveryMetrics",
    "Dispatcher",
    "FailingNotifier",
    "FileNotifier",
    "Notifier",
    "RecordingNotifier",
    "build_notification",
    "mask_address",
    "notifiers_from_settings",
]
