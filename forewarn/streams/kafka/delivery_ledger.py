"""``DeliveryLedger``: which notifications a partition already delivered, read exactly.

Why not trust the ``sent`` table alone: on the embedded broker, Faust's changelog recovery
reads up to the offset ListOffsets(latest) reports, and that answer can be slightly wrong,
so a recovered table can miss one or two of 50,000 updates — a notification that a crash
and restart would send twice. The ``notifications.delivered`` topic is the receipt log
itself (one record per delivered notification, partitioned like the outbox), so the ledger
rebuilds the set from it, reading back to a fence it writes itself (``fence.FenceReader``),
so the set is exact whatever ListOffsets says.

Limits: a delivery whose receipt was not yet acknowledged when the worker died is not in
the log, so it is sent again (at least once between the gateway and the receipt). The
delivery stage holds a notification's concurrency slot until its receipt is acknowledged
and only then records it in ``sent``, so such repeats are at most the delivery concurrency.
This module is wiring: it uses aiokafka directly.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiokafka.structs import ConsumerRecord

from forewarn.streams.kafka.fence import FenceReader

__all__ = ["DeliveryLedger"]

log = logging.getLogger(__name__)


class DeliveryLedger:
    """Reads ``topic`` (``notifications.delivered``) partitions back to their fence.

    ``client_options`` go to the aiokafka clients (TLS/SASL: pass
    ``forewarn.streams.kafka.tls.aiokafka_security(settings.kafka)``).
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        timeout_s: float = 120.0,
        client_id: str = "forewarn-ledger",
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.topic = topic
        self._reader = FenceReader(bootstrap, client_id=client_id, timeout_s=timeout_s,
                                   client_options=client_options)

    async def load(self, partition: int) -> set[str]:
        """The ``notification_id`` of every receipt on ``partition`` before a new fence.

        Raises ``BrokerError`` if the fence is not read back within the timeout.
        """
        ids: set[str] = set()

        def remember(message: ConsumerRecord) -> None:
            notification_id = _notification_id(message.value)
            if notification_id is not None:
                ids.add(notification_id)

        await self._reader.read(self.topic, partition, remember)
        log.info("ledger %s[%d]: %d delivered notifications", self.topic, partition, len(ids))
        return ids

    async def close(self) -> None:
        """Stop the producer (idempotent)."""
        await self._reader.close()


def _notification_id(value: bytes | None) -> str | None:
    try:
        body = json.loads(value) if value else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or "control" in body:
        return None
    nid = body.get("notification_id")
    return nid if isinstance(nid, str) else None
