"""Delivery into real local sinks: an SMTP server, a JSON webhook, and the JSONL file.

No mocks: the e-mail crosses a real SMTP conversation (aiosmtpd on loopback), the SMS and
push cross real HTTP (aiohttp), exactly as apprise would talk to a provider.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from forewarn.config import Settings
from forewarn.domain import Customer, Decision, Notification, Stage
from forewarn.notifiers import AppriseNotifier, Dispatcher, FileNotifier, build_notification
from forewarn.templates import MessageRenderer

pytestmark = pytest.mark.integration

INCIDENT = "INC-20261122-1402-a1b2c3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    port: int
    inbox: _Inbox

    def messages(self) -> list[EmailMessage]:
        out = []
        for envelope in self.inbox.envelopes:
            raw = (
                envelope.content
                if isinstance(envelope.content, bytes)
                else str(envelope.content).encode()
            )
            out.append(email.message_from_bytes(raw, policy=email.policy.default))
        return out  # type: ignore[return-value]


@dataclass
class WebhookSink:
    port: int
    posts: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSink(port, inbox)
    finally:
        controller.stop()


@pytest.fixture
async def webhook_sink() -> AsyncIterator[WebhookSink]:
    sink = WebhookSink(port=0)

    async def receive(request: web.Request) -> web.Response:
        sink.posts.append(
            {"path": request.path, "json": await request.json(), "headers": dict(request.headers)}
        )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", receive)
    app.router.add_post("/push", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sink.port = runner.addresses[0][1]
    try:
        yield sink
    finally:
        await runner.cleanup()


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


@pytest.fixture
def notification(renderer: MessageRenderer) -> Callable[..., Notification]:
    """A rendered outage notification for one channel (German, both services)."""

    def make(channel: str, language: str = "de") -> Notification:
        decision = Decision(
            customer_id="c-42",
            incident_id=INCIDENT,
            stage=Stage.OUTAGE,
            services=("mobile", "fibre"),
            decided_at=1_795_356_000.0,
            since=1_795_355_880.0,
            reason="confirmed",
            cause_type="power",
            eta=1_795_363_200.0,
        )
        customer = Customer(
            customer_id="c-42",
            services=("mobile", "fibre"),
            language=language,
            channels=(channel,),
            phone="+4915112345678",
            email="jane.doe+outage@example.org",
            push_token="fcm:dGVzdC10b2tlbi0xMjM0NTY3ODkw",
        )
        built = build_notification(decision, customer, renderer)
        assert built is not None
        return built

    return make


async def test_email_arrives_at_a_real_smtp_server(
    smtp_sink: SmtpSink, notification: Callable[..., Notification]
) -> None:
    sent = notification("email")
    notifier = AppriseNotifier(
        f"mailto://127.0.0.1:{smtp_sink.port}?to={{to}}&from=noc@example.net"
    )
    await notifier.deliver(sent)

    (envelope,) = smtp_sink.inbox.envelopes
    assert envelope.rcpt_tos == ["jane.doe+outage@example.org"]
    (message,) = smtp_sink.messages()
    assert message["Subject"] == sent.subject
    assert "noc@example.net" in message["From"]
    html = message.get_body(preferencelist=("html",))
    plain = message.get_body(preferencelist=("plain",))
    assert html is not None and plain is not None
    assert f'href="https://status.example.net/i/{INCIDENT}"' in html.get_content()
    assert "Stromausfall" in plain.get_content()


@pytest.mark.parametrize("channel", ["sms", "push"])
async def test_sms_and_push_arrive_at_a_real_json_webhook(
    webhook_sink: WebhookSink, notification: Callable[..., Notification], channel: str
) -> None:
    sent = notification(channel, language="en")
    notifier = AppriseNotifier(
        f"json://127.0.0.1:{webhook_sink.port}/{channel}"
        "?:to={to}&:notification_id={notification_id}&+X-Idempotency-Key={notification_id}"
    )
    await notifier.deliver(sent)

    (post,) = webhook_sink.posts
    assert post["path"] == f"/{channel}"
    assert post["json"]["to"] == sent.to
    assert post["json"]["message"] == sent.text
    assert post["json"]["title"] == (sent.title or "")
    assert post["json"]["notification_id"] == sent.notification_id
    assert post["headers"]["X-Idempotency-Key"] == sent.notification_id


async def test_a_webhook_error_is_retryable_and_the_dispatcher_retries_it(
    notification: Callable[..., Notification],
) -> None:
    calls: list[int] = []

    async def flaky(request: web.Request) -> web.Response:
        calls.append(1)
        return web.Response(status=503) if len(calls) == 1 else web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    slept: list[float] = []

    async def no_wait(delay: float) -> None:
        slept.append(delay)

    try:
        dispatcher = Dispatcher(
            {"sms": AppriseNotifier(f"json://127.0.0.1:{port}/sms?:to={{to}}")}, sleep=no_wait,
            random=lambda: 0.0,
        )
        delivered = await dispatcher.deliver(notification("sms"))
    finally:
        await runner.cleanup()
    assert len(calls) == 2 and slept == [0.5]
    assert delivered.delivered_at is not None


async def test_dispatcher_from_settings_routes_email_to_smtp_and_the_rest_to_jsonl(
    tmp_path: Path, smtp_sink: SmtpSink, notification: Callable[..., Notification]
) -> None:
    settings = Settings.model_validate(
        {
            "channels": {
                "email": {
                    "url": f"mailto://127.0.0.1:{smtp_sink.port}?to={{to}}&from=noc@example.net"
                },
                "sms": {"file": "sms.jsonl"},
            }
        }
    )
    dispatcher = Dispatcher.from_settings(settings, base_dir=tmp_path)
    delivered = await asyncio.gather(
        *(dispatcher.deliver(notification(c)) for c in ("email", "sms", "push"))
    )
    await dispatcher.close()

    assert [e.rcpt_tos for e in smtp_sink.inbox.envelopes] == [["jane.doe+outage@example.org"]]
    sms_records = [
        json.loads(x) for x in (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    push_records = [
        json.loads(x)
        for x in (tmp_path / "notifications.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert sms_records == [delivered[1].record()]
    assert push_records == [delivered[2].record()]
    assert sms_records[0]["to"] == "+4915112345678" and sms_records[0]["delivered_at"]


async def test_file_sink_records_are_valid_jsonl(
    tmp_path: Path, notification: Callable[..., Notification]
) -> None:
    sink = FileNotifier(tmp_path / "file-channel.jsonl")
    for channel in ("sms", "email", "push"):
        await sink.deliver(notification(channel))
    await sink.close()
    for line in (tmp_path / "file-channel.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert record["incident_id"] == INCIDENT
        assert record["services"] == ["mobile", "fibre"]
        assert record["stage"] == "outage"
