"""Factory fixtures shared by the unit tests of delivery: a renderer and customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forewarn.domain import Customer
from forewarn.templates import MessageRenderer


@pytest.fixture(scope="session")
def renderer() -> MessageRenderer:
    return MessageRenderer()


@pytest.fixture
def make_customer() -> Callable[..., Customer]:
    """Customer c-1 with every address, SMS first; keyword overrides replace fields."""

    def make(**overrides: Any) -> Customer:
        base: dict[str, Any] = {
            "customer_id": "c-1",
            "services": ("mobile", "fibre"),
            "language": "de",
            "channels": ("sms", "email", "push"),
            "phone": "+4915112345678",
            "email": "jane.doe@example.org",
            "push_token": "fcm:dGVzdC10b2tlbi0xMjM0NTY3ODkw",
            "priority": 0,
        }
        base.update(overrides)
        return Customer(**base)

    return make
