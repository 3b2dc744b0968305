"""The ``Notifier`` port: how a rendered notification leaves forewarn.

Kept as small as Alertmanager's ``Notifier.Notify``: one call per notification, and a
failure that says whether trying again can help. Everything else (which notifier serves
which channel, retries, stamping ``delivered_at``) lives in the ``Dispatcher``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forewarn.domain import Notification

__all__ = ["Notifier"]


@runtime_checkable
class Notifier(Protocol):
    """Delivers notifications to one sink (an apprise URL, a JSONL file, a test list).

    Contract:

    - ``deliver(notification)`` returns when the sink has accepted the notification, and
      returns nothing. The caller has already stamped ``notification.delivered_at`` (the
      ``Dispatcher`` does this right before each attempt), so a record written by the sink
      is the final CONTRACT §6 record.
    - On failure it raises ``forewarn.errors.DeliveryError``; ``retryable=True`` when a
      later attempt may succeed (timeouts, refused connections, a 5xx), ``False`` when it
      cannot (an invalid URL or address). It never raises anything else on purpose.
    - It may be called concurrently from many tasks on one event loop.
    - It never logs a full address or URL (see ``forewarn.notifiers.masking``).
    - Delivery is at-least-once: the idempotency key is ``notification.notification_id``;
      sinks that can pass it on (e.g. as a header or payload field) should.
    - ``close()`` releases files and connections; ``deliver`` must not be called after it.
    """

    async def deliver(self, notification: Notification) -> None:
        """Hand ``notification`` to the sink; raise ``DeliveryError`` if that fails."""
        ...

    async def close(self) -> None:
        """Release resources; idempotent."""
        ...
