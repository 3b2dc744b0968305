"""Receipts from ``notifications.delivered`` as the board's "customers told", each once.

Why from the topic and not from the local delivery agent: deliveries happen on whichever
worker owns the customer's partition, while the board lives on the worker that owns
``alarms.raw``; only the receipt log sees every worker's deliveries. Why a dedupe: a
receipt can repeat (a worker that dies after delivering but before recording the
notification as sent delivers it again, with the same ``notification_id``), and a count
that adds every record would say more customers were told than were.

``SeenIds`` remembers the last ``max_ids`` ids as 8-byte digests (~86 bytes each, measured, so
the default million costs ~90 MB at most); a repeat arrives within the delivery concurrency of
its original (``kafka/delivery_ledger.py``), far inside that bound. Pure: no IO.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping
from typing import Any

from forewarn.domain import Notification, Stage
from forewarn.errors import ForewarnError

__all__ = ["MAX_SEEN_IDS", "ReceiptError", "SeenIds", "receipt_notification"]

MAX_SEEN_IDS = 1_000_000  # notification ids remembered for the dedupe (oldest forgotten)
MAX_FIELD_CHARS = 256  # ids, channels and times of a receipt; longer ones are refused

_STAGES = tuple(s.value for s in Stage)
_REQUIRED = ("notification_id", "customer_id", "incident_id", "stage", "channel")


class ReceiptError(ForewarnError):
    """A record on ``notifications.delivered`` that is not a CONTRACT §6 receipt; the
    message names the field."""


class SeenIds:
    """Bounded "have I counted this notification before?": the last ``max_ids`` ids."""

    def __init__(self, max_ids: int = MAX_SEEN_IDS) -> None:
        if max_ids < 1:
            raise ValueError(f"max_ids must be at least 1, got {max_ids}")
        self.max_ids = max_ids
        self._order: deque[int] = deque()
        self._seen: set[int] = set()

    def first_time(self, notification_id: str) -> bool:
        """True (and remembered) the first time an id comes; False for a repeat."""
        key = int.from_bytes(hashlib.blake2b(notification_id.encode(), digest_size=8).digest())
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self.max_ids:
            self._seen.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._seen)


def receipt_notification(record: Mapping[str, Any]) -> Notification:
    """The ``Notification`` a receipt describes (what the board counts: incident, stage,
    channel, delivery time); raises ``ReceiptError`` naming the first field that is wrong."""
    if not isinstance(record, Mapping):
        raise ReceiptError(f"a receipt is a JSON object, got {type(record).__name__}")
    for name in _REQUIRED:
        _text(record, name)
    stage = record["stage"]
    if stage not in _STAGES:
        raise ReceiptError(f"stage must be one of {', '.join(_STAGES)}, got {stage[:40]!r}")
    delivered_at = record.get("delivered_at")
    if delivered_at is not None:
        _text(record, "delivered_at")
    services = record.get("services")
    return Notification(
        notification_id=record["notification_id"], customer_id=record["customer_id"],
        incident_id=record["incident_id"], stage=stage,
        services=[str(s) for s in services] if isinstance(services, list) else [],
        channel=record["channel"], to="", language=str(record.get("language") or ""),
        subject=None, text="", decided_at=str(record.get("decided_at") or ""),
        delivered_at=delivered_at)


def _text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise ReceiptError(f"{name} must be a non-empty string, got {value!r:.40}")
    if len(value) > MAX_FIELD_CHARS:
        raise ReceiptError(f"{name} is longer than {MAX_FIELD_CHARS} characters "
                           f"({len(value)})")
    return value
