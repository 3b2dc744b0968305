"""PooledJsonNotifier without a network: which URLs it takes, and the request it builds.

Byte-for-byte equality with stock apprise over a real socket is proven in
``tests/integration/test_delivery_pooled_json.py``.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers import (
    AppriseNotifier,
    Notifier,
    PooledJsonNotifier,
    notifier_for_url,
    unsupported_reason,
)
from forewarn.notifiers.pooled_json import _encode


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_satisfies_the_notifier_protocol() -> None:
    assert isinstance(PooledJsonNotifier("json://127.0.0.1/x"), Notifier)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mailto://127.0.0.1?to={to}", "not an HTTP JSON URL"),
        ("form://127.0.0.1/x", "not an HTTP JSON URL"),
        ("json://{to}/x", "host or port"),
        ("json://gw/x?format=html", "format="),
        ("json://gw/x?overflow=split", "overflow="),
    ],
)
def test_urls_apprise_would_treat_differently_are_refused(url: str, why: str) -> None:
    reason = unsupported_reason(url)
    assert reason is not None and why in reason
    assert isinstance(notifier_for_url(url), AppriseNotifier)


def test_placeholders_fill_payload_headers_and_query(
    make_notification: Callable[..., Notification],
) -> None:
    n = make_notification("sms", to="+49 151 12345678")
    notifier = PooledJsonNotifier(
        "jsons://user:secret@gw.example.net:8443/v1/sms?:to={to}&:id={notification_id}"
        "&+Idempotency-Key={notification_id}&-customer={customer_id}&:type="
    )
    assert not notifier.exact_parse  # the fast fill agrees with apprise's own parse
    req = notifier.request_for(n)
    assert req.method == "POST"
    assert req.url == "https://gw.example.net:8443/v1/sms?customer=c-1"
    assert req.headers["Idempotency-Key"] == n.notification_id
    assert req.headers["Content-Type"] == "application/json"
    assert req.auth is not None and req.auth.login == "user"
    payload = json.loads(req.body)
    assert payload == {"version": "1.0", "title": "", "message": n.text, "attachments": [],
                       "to": "+49 151 12345678", "id": n.notification_id}


def test_payload_fields_can_be_renamed_like_in_apprise(
    make_notification: Callable[..., Notification],
) -> None:
    n = make_notification("push")
    req = PooledJsonNotifier("json://gw/push?:message=body&:title=heading").request_for(n)
    payload = json.loads(req.body)
    assert payload["body"] == n.text and payload["heading"] == n.title
    assert "message" not in payload and "title" not in payload


def test_the_url_never_shows_in_repr() -> None:
    assert "secret" not in repr(PooledJsonNotifier("json://u:secret@gw/x"))


async def test_an_unreachable_gateway_is_retryable_and_logs_no_address(
    make_notification: Callable[..., Notification], caplog: pytest.LogCaptureFixture
) -> None:
    notifier = PooledJsonNotifier(f"json://127.0.0.1:{_closed_port()}/sms?:to={{to}}")
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as caught:
            await notifier.deliver(make_notification())
    finally:
        await notifier.close()
    assert caught.value.retryable
    assert "4915112345678" not in caplog.text + str(caught.value)


@given(st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=300),
                                                       st.just([])), max_size=8),
       st.text(min_size=64, max_size=400), st.sampled_from(["message", "body", "x"]))
def test_payload_encoding_is_exactly_json_dumps(
    payload: dict[str, object], body: str, key: str
) -> None:
    assert _encode(payload) == json.dumps(payload)
    with_body = {**payload, key: body}
    assert _encode(with_body, body) == json.dumps(with_body)
    assert _encode({**with_body, "y": "fwbodymark7x"}, body) == json.dumps(
        {**with_body, "y": "fwbodymark7x"})
    assert _encode({"fwbodymark7x": [], **with_body}, body) == json.dumps(
        {"fwbodymark7x": [], **with_body})
