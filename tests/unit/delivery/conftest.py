"""Factory fixtures for policy and delivery-stage tests: decisions, customers, local times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forewarn.domain import Decision, Stage
from tests.unit.delivery.policy_helpers import INCIDENT, local


@pytest.fixture
def make_decision() -> Callable[..., Decision]:
    """An outage decision for c-1 decided at 14:00 Berlin; keyword overrides replace fields."""

    def make(**overrides: Any) -> Decision:
        base: dict[str, Any] = {
            "customer_id": "c-1",
            "incident_id": INCIDENT,
            "stage": Stage.OUTAGE,
            "services": ("mobile",),
            "decided_at": local("2026-11-22 14:00"),
            "since": local("2026-11-22 13:58"),
            "reason": "confirmed",
            "cause_type": "site",
        }
        base.update(overrides)
        if "at" in base:
            base["decided_at"] = local(base.pop("at"))
        return Decision(**base)

    return make


