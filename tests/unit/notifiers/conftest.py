"""Factory fixtures for delivery tests: decisions, customers and ready notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from forewarn.domain import Customer, Decision, Notification, Stage
from forewarn.notifiers import build_notification
from forewarn.templates import MessageRenderer


@pytest.fixture
def make_decision() -> Callable[..., Decision]:
    """An outage decision for customer c-1; keyword overrides replace fields."""

    def make(**overrides: Any) -> Decision:
        base: dict[str, Any] = {
            "customer_id": "c-1",
            "incident_id": "INC-20261122-1402-a1b2c3",
            "stage": Stage.OUTAGE,
            "services": ("mobile",),
            "decided_at": 1_795_356_000.0,  # 2026-11-22 14:00 UTC
            "since": 1_795_355_880.0,
            "reason": "confirmed",
            "cause_type": "site",
        }
        base.update(overrides)
        return Decision(**base)

    return make


@pytest.fixture
def make_notification(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> Callable[..., Notification]:
    """A rendered notification; ``channel`` picks the channel, other overrides replace fields."""

    def make(channel: str = "sms", **overrides: Any) -> Notification:
        customer = make_customer(channels=(channel,))
        notification = build_notification(make_decision(), customer, renderer)
        assert notification is not None
        return replace(notification, **overrides)

    return make
