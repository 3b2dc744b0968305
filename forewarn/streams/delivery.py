"""Decisions -> rendered notifications -> delivered exactly once per ``notification_id``.

``sent`` (a Faust table in production) remembers every delivered ``notification_id``, so a
batch that is processed again after a crash or rebalance delivers nothing twice. Priority
(vulnerable) customers go first in every batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from forewarn.domain import Customer, Decision, Notification
from forewarn.errors import DeliveryError, ForewarnError
from forewarn.notifiers import build_notification, mask_address
from forewarn.streams import records
from forewarn.templates import MessageRenderer

__all__ = ["DeliveryResult", "DeliveryStage"]

log = logging.getLogger(__name__)


class DeliveryResult:
    """What one outbox message produced: delivered records and dead letters."""

    def __init__(self) -> None:
        self.delivered: list[Notification] = []
        self.dead_letters: list[dict[str, Any]] = []


class DeliveryStage:
    """Renders and delivers a batch of decisions, idempotently and priority first."""

    def __init__(
        self,
        customer: Callable[[str], Customer],
        renderer: MessageRenderer,
        deliver: Callable[[Notification], Awaitable[Notification]],
        sent: MutableMapping[str, Any],
        *,
        concurrency: int = 64,
    ) -> None:
        self.customer = customer
        self.renderer = renderer
        self.deliver = deliver
        self.sent = sent
        self.outcomes: Counter[str] = Counter()
        self._limit = asyncio.Semaphore(concurrency)

    async def handle(self, value: dict[str, Any]) -> DeliveryResult:
        result = DeliveryResult()
        if records.is_control(value):
            return result
        decisions = [records.decision_from_record(item) for item in value.get("items", [])]
        todo: list[tuple[Decision, Customer]] = []
        for decision in decisions:
            if decision.notification_id in self.sent:
                self.outcomes["duplicate_skipped"] += 1
                continue
            try:
                todo.append((decision, self.customer(decision.customer_id)))
            except KeyError:
                self.outcomes["unknown_customer"] += 1
                result.dead_letters.append(_dead(decision, "customer_id not in the region"))
        todo.sort(key=lambda item: -item[1].priority)
        outcomes = await asyncio.gather(*(self._deliver(d, c) for d, c in todo))
        for (decision, _), outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, Notification):
                self.sent[decision.notification_id] = outcome.delivered_at
                result.delivered.append(outcome)
            elif outcome is not None:
                result.dead_letters.append(outcome)
        return result

    async def _deliver(self, decision: Decision, customer: Customer) -> Notification | dict[str, Any] | None:
        try:
            notification = build_notification(decision, customer, self.renderer)
        except ForewarnError as exc:
            self.outcomes["render_failed"] += 1
            log.error("cannot render %s for %s: %s", decision.stage, decision.customer_id, exc)
            return _dead(decision, f"render failed: {exc}")
        if notification is None:
            self.outcomes["no_address"] += 1
            log.warning("customer %s has no address on any preferred channel", customer.customer_id)
            return _dead(decision, "customer has no address on any preferred channel")
        async with self._limit:
            try:
                stamped = await self.deliver(notification)
            except DeliveryError as exc:
                self.outcomes[f"{notification.channel}:failed"] += 1
                log.error("delivery of %s to %s failed: %s", notification.notification_id,
                          mask_address(notification.to), exc)
                return _dead(decision, f"delivery failed: {exc}", retryable=exc.retryable)
            except Exception as exc:  # a sink bug must not stop the other deliveries
                self.outcomes[f"{notification.channel}:failed"] += 1
                log.exception("delivery of %s crashed", notification.notification_id)
                return _dead(decision, f"delivery crashed: {exc!r}", retryable=True)
        self.outcomes[f"{stamped.channel}:delivered"] += 1
        log.info("delivered %s %s via %s to %s", stamped.stage, stamped.notification_id,
                 stamped.channel, mask_address(stamped.to))
        return stamped


def _dead(decision: Decision, reason: str, *, retryable: bool = False) -> dict[str, Any]:
    return {"reason": reason, "retryable": retryable, "decision": records.decision_to_record(decision)}
