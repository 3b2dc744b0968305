"""Factory fixtures shared by the unit tests of delivery: a renderer and customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forewarn.domain import Alarm, Customer, ImpactChange
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


NativeFactory = Callable[..., dict[str, Any]]
AlarmFactory = Callable[..., Alarm]
ChangeFactory = Callable[..., ImpactChange]


@pytest.fixture
def native() -> NativeFactory:
    """A valid native alarm object; keyword overrides replace fields, ``drop`` removes them."""

    def make(*, drop: tuple[str, ...] = (), **overrides: Any) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "alarm_id": "a-1",
            "element_id": "site-7",
            "state": "raised",
            "severity": "critical",
            "event_time": "2024-05-01T10:00:00+02:00",
        }
        obj.update(overrides)
        for field in drop:
            obj.pop(field, None)
        return obj

    return make


@pytest.fixture
def alarm() -> AlarmFactory:
    """An Alarm for element ``site-7`` raised at t=0 unless told otherwise."""

    def make(
        alarm_id: str = "a-1",
        state: str = "raised",
        severity: str = "critical",
        *,
        element_id: str = "site-7",
        at: float = 0.0,
        probable_cause: str | None = None,
        specific_problem: str | None = None,
    ) -> Alarm:
        return Alarm(
            alarm_id=alarm_id,
            element_id=element_id,
            state=state,
            severity=severity,
            event_time=at,
            probable_cause=probable_cause,
            specific_problem=specific_problem,
        )

    return make


def _change(out: bool) -> ChangeFactory:
    def make(
        at: float,
        customer_id: str = "c-1",
        service: str = "mobile",
        *,
        incident_id: str = "inc-1",
        cause_type: str = "power",
    ) -> ImpactChange:
        return ImpactChange(
            customer_id=customer_id,
            service=service,
            out=out,
            at=float(at),
            incident_id=incident_id,
            cause_element="pwr-1",
            cause_type=cause_type,
        )

    return make


@pytest.fixture
def out() -> ChangeFactory:
    """``out(at, customer_id="c-1", service="mobile", incident_id=..., cause_type=...)``."""
    return _change(True)


@pytest.fixture
def back() -> ChangeFactory:
    """``back(at, customer_id="c-1", service="mobile", ...)``: the service came back."""
    return _change(False)


@pytest.fixture
def planned() -> ChangeFactory:
    """``planned(at, customer_id="c-1", service="mobile", maintenance_id="mw-1")``: out, but a
    started maintenance window explains it."""

    def make(
        at: float,
        customer_id: str = "c-1",
        service: str = "mobile",
        *,
        maintenance_id: str = "mw-1",
        incident_id: str = "inc-mw",
    ) -> ImpactChange:
        return ImpactChange(
            customer_id=customer_id,
            service=service,
            out=True,
            at=float(at),
            incident_id=incident_id,
            cause_element="site-9",
            cause_type="site",
            planned=True,
            maintenance_id=maintenance_id,
        )

    return make
