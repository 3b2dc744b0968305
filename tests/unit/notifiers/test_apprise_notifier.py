"""AppriseNotifier without a network: URL filling, failures and what reaches the logs."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest

from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers import AppriseNotifier, Notifier


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_apprise_notifier_satisfies_the_protocol() -> None:
    assert isinstance(AppriseNotifier("json://127.0.0.1/x"), Notifier)


def test_placeholders_are_filled_url_quoted(make_notification: Callable[..., Notification]) -> None:
    n = make_notification("sms", to="+49 151 12345678")
    url = AppriseNotifier(
        "json://gw/sms?:to={to}&+Idempotency-Key={notification_id}&:c={customer_id}"
    ).url_for(n)
    assert (
        url
        == f"json://gw/sms?:to=%2B49%20151%2012345678&+Idempotency-Key={n.notification_id}&:c=c-1"
    )


def test_a_url_without_scheme_is_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match="scheme"):
        AppriseNotifier("127.0.0.1:2525")


async def test_an_unknown_service_is_not_retryable(
    make_notification: Callable[..., Notification],
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await AppriseNotifier("nosuchservice://host/{to}").deliver(make_notification())
    assert not caught.value.retryable
    assert "+4915112345678" not in str(caught.value)


async def test_an_unreachable_endpoint_is_retryable_and_logs_no_address(
    make_notification: Callable[..., Notification], caplog: pytest.LogCaptureFixture
) -> None:
    notifier = AppriseNotifier(f"json://127.0.0.1:{_closed_port()}/sms?:to={{to}}", timeout_s=10)
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as caught:
        await notifier.deliver(make_notification())
    assert caught.value.retryable
    assert "+49151******78" in str(caught.value)
    assert "4915112345678" not in caplog.text
    assert "4915112345678" not in str(caught.value)
