"""What each customer was told: the notification history a service-desk agent looks up.

Kept per customer (a Faust table on the customer's partition in production), newest last,
bounded, with the address masked: the agent needs "told by SMS at 14:04", not the number.
"""

from __future__ import annotations

from typing import Any

from forewarn.domain import Notification
from forewarn.notifiers import mask_address

__all__ = ["HISTORY_LIMIT", "remember_delivery"]

HISTORY_LIMIT = 50


def remember_delivery(
    history: list[dict[str, Any]] | None, notification: Notification
) -> list[dict[str, Any]]:
    """A new history list with ``notification`` appended (a fresh list: tables changelog on set)."""
    entry = {
        "notification_id": notification.notification_id,
        "incident_id": notification.incident_id,
        "stage": notification.stage,
        "services": list(notification.services),
        "channel": notification.channel,
        "to": mask_address(notification.to),
        "language": notification.language,
        "subject": notification.subject,
        "text": notification.text,
        "decided_at": notification.decided_at,
        "delivered_at": notification.delivered_at,
    }
    entries = [e for e in (history or [])
               if e.get("notification_id") != notification.notification_id]
    return [*entries, entry][-HISTORY_LIMIT:]
