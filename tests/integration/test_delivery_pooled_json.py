"""The pooled JSON path against a real HTTP server: the same request as stock apprise,
byte for byte, over kept-alive connections, with failures classified for retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web

from forewarn.domain import Customer, Decision, Notification, Stage
from forewarn.errors import DeliveryError
from forewarn.notifiers import AppriseNotifier, HttpPool, PooledJsonNotifier, build_notification
from forewarn.templates import MessageRenderer

pytestmark = pytest.mark.integration

TRANSPORT_HEADERS = {"Host", "Accept", "Accept-Encoding", "Connection"}


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


@pytest.fixture
def make_notification(renderer: MessageRenderer) -> Callable[..., Notification]:
    """A rendered German outage notice for one channel; ``customer_id`` may be given."""

    def make(channel: str = "sms", customer_id: str = "c-42") -> Notification:
        decision = Decision(customer_id, "INC-20261122-1402-a1b2c3", Stage.OUTAGE,
                            ("mobile", "fibre"), 1_795_356_000.0, 1_795_355_880.0, "confirmed",
                            "power")
        customer = Customer(customer_id, ("mobile", "fibre"), "de", (channel,),
                            phone="+4915112345678", email="jane.doe@example.org",
                            push_token="fcm:dGVzdC10b2tlbi0xMjM0NTY3ODkw")
        built = build_notification(decision, customer, renderer)
        assert built is not None
        return built

    return make


@dataclass
class Capture:
    """A local gateway that keeps every request as received and answers ``status``."""

    port: int = 0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, tail: str) -> str:
        return f"json://127.0.0.1:{self.port}{tail}"

    def connections(self) -> int:
        return len({r["peer"] for r in self.requests})


@pytest.fixture
async def gateway() -> AsyncIterator[Capture]:
    capture = Capture()

    async def receive(request: web.Request) -> web.Response:
        capture.requests.append({
            "method": request.method, "raw_path": request.raw_path,
            "headers": dict(request.headers), "body": await request.read(),
            "peer": request.transport.get_extra_info("peername") if request.transport else None,
        })
        return web.json_response({"ok": capture.status < 300}, status=capture.status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    capture.port = runner.addresses[0][1]
    try:
        yield capture
    finally:
        await runner.cleanup()


def _configured(headers: dict[str, str]) -> dict[str, str]:
    """Headers apprise sets or the URL configures (not the HTTP client's own)."""
    return {k: v for k, v in headers.items() if k not in TRANSPORT_HEADERS}


TEMPLATES = [
    "/sms?:to={to}&:notification_id={notification_id}&+X-Idempotency-Key={notification_id}",
    "/gw/v1/send?:message=text&:title=&-customer={customer_id}&-src=forewarn&method=PUT",
    "/push/{to}?:type=&+Authorization=Bearer%20abc",
    "/hook",
]


@pytest.mark.parametrize("tail", TEMPLATES)
@pytest.mark.parametrize("channel", ["sms", "push", "email"])
async def test_the_request_is_identical_to_stock_apprise(
    gateway: Capture, make_notification: Callable[..., Notification], tail: str, channel: str
) -> None:
    sent = replace(make_notification(channel), to="+49 151/123 456&x=ä",
                   text=make_notification(channel).text + "  \n")
    if channel == "push":
        sent = replace(sent, title="  Störung: Mobilfunk  ")
    await AppriseNotifier(gateway.url(tail)).deliver(sent)
    pooled = PooledJsonNotifier(gateway.url(tail))
    try:
        await pooled.deliver(sent)
    finally:
        await pooled.close()
    stock, ours = gateway.requests
    assert ours["method"] == stock["method"]
    assert ours["raw_path"] == stock["raw_path"]
    assert ours["body"] == stock["body"]
    assert _configured(ours["headers"]) == _configured(stock["headers"])


async def test_basic_auth_is_sent_like_apprise(
    gateway: Capture, make_notification: Callable[..., Notification]
) -> None:
    url = f"json://user:pa%24%24@127.0.0.1:{gateway.port}/sms?:to={{to}}"
    await AppriseNotifier(url).deliver(make_notification())
    await PooledJsonNotifier(url).deliver(make_notification())
    stock, ours = gateway.requests
    assert ours["headers"]["Authorization"] == stock["headers"]["Authorization"]


async def test_many_messages_share_a_few_kept_alive_connections(
    gateway: Capture, make_notification: Callable[..., Notification]
) -> None:
    pool = HttpPool()
    notifier = PooledJsonNotifier(gateway.url("/sms?:to={to}"), pool=pool)
    limit = asyncio.Semaphore(8)

    async def send(i: int) -> None:
        async with limit:
            await notifier.deliver(make_notification("sms", customer_id=f"c-{i}"))

    try:
        await asyncio.gather(*(send(i) for i in range(300)))
    finally:
        await pool.close()
    assert len(gateway.requests) == 300 and gateway.connections() <= 8


async def test_stock_apprise_opens_a_connection_per_message(
    gateway: Capture, make_notification: Callable[..., Notification]
) -> None:
    notifier = AppriseNotifier(gateway.url("/sms?:to={to}"))
    for _ in range(5):
        await notifier.deliver(make_notification())
    assert gateway.connections() == 5  # the baseline the pooled path exists to beat


@pytest.mark.parametrize(("status", "retryable"),
                         [(400, False), (401, False), (404, False), (408, True), (429, True),
                          (500, True), (503, True)])
async def test_failures_say_whether_a_retry_can_help(
    gateway: Capture, make_notification: Callable[..., Notification], status: int,
    retryable: bool,
) -> None:
    gateway.status = status
    notifier = PooledJsonNotifier(gateway.url("/sms?:to={to}"))
    try:
        with pytest.raises(DeliveryError) as caught:
            await notifier.deliver(make_notification())
    finally:
        await notifier.close()
    assert caught.value.retryable is retryable
    assert f"HTTP {status}" in str(caught.value) and "4915112345678" not in str(caught.value)
