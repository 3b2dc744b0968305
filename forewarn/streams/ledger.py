"""``DeliveryLedger``: which notifications a partition already delivered, read exactly.

Why not trust the ``sent`` table alone: on the embedded broker, Faust's changelog recovery
reads up to the offset ListOffsets(latest) reports, and that answer can be slightly wrong,
so a recovered table can miss one or two of 50,000 updates — a notification that a crash
and restart would send twice. The ``notifications.delivered`` topic is the receipt log
itself (one record per delivered notification, partitioned like the outbox), so the ledger
rebuilds the set from it, and it finds the end without asking for offsets at all: it first
writes a **fence** record with a fresh token to the partition, then reads from the
beginning until it meets that token. Everything acknowledged before the fence is before it
in the log, so the set is exact whatever ListOffsets says.

Fence records are control records (``{"control": "fence", "token": ...}`` with the
``forewarn-control`` header), skipped by every reader of the topic like drain markers.

Limits: a delivery whose receipt was not yet written when the worker died is not in the
log (at-least-once between the sink and the receipt; the ``sent`` table narrows that
window). This module is wiring: it uses aiokafka directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from forewarn.errors import BrokerError
from forewarn.streams.records import CONTROL_HEADER

__all__ = ["FENCE", "DeliveryLedger"]

log = logging.getLogger(__name__)

FENCE = "fence"


class DeliveryLedger:
    """Reads ``topic`` (``notifications.delivered``) partitions back to their fence.

    One producer is started on first use and reused; each ``load`` uses its own
    group-less consumer, so it never touches the worker's consumer group or offsets.
    ``client_options`` go to both aiokafka clients (TLS/SASL: pass
    ``forewarn.streams.security.aiokafka_security(settings.kafka)``).
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
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_s = timeout_s
        self.client_id = client_id
        self._options = dict(client_options or {})
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _fence(self, partition: int) -> str:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap,
                                            client_id=self.client_id, acks="all",
                                            **self._options)
                await producer.start()
                self._producer = producer
        token = uuid.uuid4().hex
        value = json.dumps({"control": FENCE, "token": token}).encode()
        await self._producer.send_and_wait(
            self.topic, value, partition=partition, headers=[(CONTROL_HEADER, FENCE.encode())]
        )
        return token

    async def load(self, partition: int) -> set[str]:
        """The ``notification_id`` of every receipt on ``partition`` before a new fence.

        Raises ``BrokerError`` if the fence is not read back within ``timeout_s``.
        """
        token = await self._fence(partition)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            client_id=self.client_id, auto_offset_reset="earliest", **self._options,
        )
        await consumer.start()
        ids: set[str] = set()
        tp = TopicPartition(self.topic, partition)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        try:
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            while loop.time() < deadline:
                batch = await consumer.getmany(tp, timeout_ms=200, max_records=10_000)
                for message in batch.get(tp, ()):
                    if _is_our_fence(message.headers, message.value, token):
                        log.info("ledger %s[%d]: %d delivered notifications", self.topic,
                                 partition, len(ids))
                        return ids
                    notification_id = _notification_id(message.headers, message.value)
                    if notification_id is not None:
                        ids.add(notification_id)
        finally:
            await consumer.stop()
        raise BrokerError(f"ledger: fence on {self.topic}[{partition}] not read back "
                          f"within {self.timeout_s:.0f} s ({len(ids)} receipts so far)")

    async def close(self) -> None:
        """Stop the producer (idempotent)."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


def _control(headers: Any) -> bool:
    return any(key == CONTROL_HEADER for key, _ in headers or ())


def _decode(value: bytes | None) -> Any:
    try:
        return json.loads(value) if value else None
    except (ValueError, UnicodeDecodeError):
        return None


def _is_our_fence(headers: Any, value: bytes | None, token: str) -> bool:
    if not _control(headers):
        return False
    body = _decode(value)
    return isinstance(body, dict) and body.get("control") == FENCE and body.get("token") == token


def _notification_id(headers: Any, value: bytes | None) -> str | None:
    if _control(headers):
        return None
    body = _decode(value)
    if not isinstance(body, dict) or "control" in body:
        return None
    nid = body.get("notification_id")
    return nid if isinstance(nid, str) else None
