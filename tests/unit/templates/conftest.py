"""Fixtures for template tests: one shared renderer (compiling is the slow part) and
factories for decisions and customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forewarn.domain import Customer, Decision
from forewarn.templates import MessageRenderer
from forewarn.templates.samples import sample_customer, sample_decision

DecisionFactory = Callable[..., Decision]
CustomerFactory = Callable[..., Customer]


@pytest.fixture(scope="session")
def renderer() -> MessageRenderer:
    """The shipped templates with default settings."""
    return MessageRenderer()


@pytest.fixture
def decision() -> DecisionFactory:
    """``sample_decision`` with keyword overrides (worst case by default)."""

    def make(
        stage: str = "outage", services: tuple[str, ...] = ("mobile", "fibre"), **kw: Any
    ) -> Decision:
        return sample_decision(stage, services, **kw)

    return make


@pytest.fixture
def customer() -> CustomerFactory:
    """A customer reachable on one channel; keyword overrides replace fields."""

    def make(language: str | None = "de", channel: str = "sms", **overrides: Any) -> Customer:
        base = sample_customer(language, channel)
        fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
        fields.update(overrides)
        return Customer(**fields)

    return make
