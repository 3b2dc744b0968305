"""The delivery stage against real sinks that misbehave: a gateway that fails then
recovers, one that fails for good (fallback to e-mail over real SMTP, then dead letter),
and a slow one behind rate and concurrency limits (limits hold, nothing lost)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from forewarn.config import Settings
from forewarn.domain import Customer, Decision, Stage
from forewarn.notifiers import Dispatcher
from forewarn.streams import records
from forewarn.streams.delivery.policy import DeliveryPolicy
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.templates import MessageRenderer
from tests.integration.test_delivery_sinks import SmtpSink, smtp_sink  # noqa: F401  (real SMTP fixture)

pytestmark = pytest.mark.integration

T0 = 1_795_356_000.0


@dataclass
class Gateway:
    """A local SMS gateway: fails the first ``fail_first`` requests (or all with -1) with
    ``fail_status``, takes ``delay_s`` per request, and records what it accepted."""

    port: int = 0
    fail_first: int = 0
    fail_status: int = 503
    delay_s: float = 0.0
    calls: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    started: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/sms?:to={{to}}&:id={{notification_id}}"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = Gateway()

    async def receive(request: web.Request) -> web.Response:
        gw.calls += 1
        gw.started.append(time.monotonic())
        gw.in_flight += 1
        gw.max_in_flight = max(gw.max_in_flight, gw.in_flight)
        try:
            body = await request.json()
            if gw.delay_s:
                await asyncio.sleep(gw.delay_s)
            if gw.fail_first < 0 or gw.calls <= gw.fail_first:
                return web.json_response({"error": "busy"}, status=gw.fail_status)
            gw.accepted.append(body)
            return web.json_response({"ok": True})
        finally:
            gw.in_flight -= 1

    app = web.Application()
    app.router.add_post("/sms", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    gw.port = runner.addresses[0][1]
    try:
        yield gw
    finally:
        await runner.cleanup()


def customers(n: int) -> dict[str, Customer]:
    return {f"c-{i}": Customer(f"c-{i}", ("mobile",), ("de", "en")[i % 2], ("sms", "email"),
                               phone=f"+49151{i:08d}", email=f"kunde{i}@example.org")
            for i in range(n)}


def outage_batch(ids: list[str]) -> dict[str, Any]:
    return {"kind": "decisions", "items": [records.decision_to_record(
        Decision(c, "INC-1", Stage.OUTAGE, ("mobile",), T0, T0 - 120, "confirmed", "site"))
        for c in ids]}


async def no_wait(delay: float) -> None:
    await asyncio.sleep(0)


def stage_with(settings: Settings, people: dict[str, Customer], **dispatch: Any) -> tuple[
        DeliveryStage, Dispatcher]:
    dispatcher = Dispatcher.from_settings(settings, **dispatch)
    stage = DeliveryStage(people.__getitem__, MessageRenderer(), dispatcher.deliver, {},
                          policy=DeliveryPolicy(channels=dispatcher.channels))
    return stage, dispatcher


def channels(gateway: Gateway, smtp_port: int | None = None, **sms: Any) -> Settings:
    conf: dict[str, Any] = {"sms": {"url": gateway.url(), **sms}}
    if smtp_port is not None:
        conf["email"] = {"url": f"mailto://127.0.0.1:{smtp_port}?to={{to}}&from=noc@example.net"}
    return Settings.model_validate({"channels": conf, "delivery": {"attempts": 3}})


async def test_a_gateway_that_fails_twice_then_recovers_delivers_once(gateway: Gateway) -> None:
    gateway.fail_first = 2
    stage, dispatcher = stage_with(channels(gateway), customers(1), sleep=no_wait)
    try:
        result = await stage.handle(outage_batch(["c-0"]))
    finally:
        await dispatcher.close()
    assert gateway.calls == 3 and len(gateway.accepted) == 1
    assert [n.channel for n in result.delivered] == ["sms"] and result.dead_letters == []
    assert gateway.accepted[0]["to"] == "+4915100000000"


async def test_a_gateway_failing_for_good_falls_back_to_email_over_smtp(
    gateway: Gateway, smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    gateway.fail_first = -1
    stage, dispatcher = stage_with(channels(gateway, smtp_sink.port), customers(2),
                                   sleep=no_wait)
    try:
        result = await stage.handle(outage_batch(["c-0", "c-1"]))
    finally:
        await dispatcher.close()
    assert gateway.calls == 6  # three attempts per customer, then e-mail
    assert sorted(n.channel for n in result.delivered) == ["email", "email"]
    assert sorted(e.rcpt_tos[0] for e in smtp_sink.inbox.envelopes) == [
        "kunde0@example.org", "kunde1@example.org"]
    assert stage.outcomes["fallback"] == 2


async def test_a_bad_request_is_not_retried_before_falling_back(
    gateway: Gateway, smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    gateway.fail_first, gateway.fail_status = -1, 400
    stage, dispatcher = stage_with(channels(gateway, smtp_sink.port), customers(1),
                                   sleep=no_wait)
    try:
        result = await stage.handle(outage_batch(["c-0"]))
    finally:
        await dispatcher.close()
    assert gateway.calls == 1 and [n.channel for n in result.delivered] == ["email"]


async def test_when_sms_and_email_both_fail_a_dead_letter_follows_n_tries_each(
    gateway: Gateway,
) -> None:
    gateway.fail_first = -1
    closed_smtp = 9  # discard port: nothing listens
    stage, dispatcher = stage_with(channels(gateway, closed_smtp), customers(1), sleep=no_wait)
    try:
        result = await stage.handle(outage_batch(["c-0"]))
    finally:
        await dispatcher.close()
    (dead,) = result.dead_letters
    assert gateway.calls == 3 and dead["channels_tried"] == ["sms", "email"]
    assert dead["retryable"] is True and result.delivered == []
    assert "4915100000000" not in str(dead)  # addresses never reach a dead letter


async def test_a_slow_gateway_behind_limits_loses_nothing_and_limits_hold(
    gateway: Gateway,
) -> None:
    gateway.delay_s = 0.05
    rate, burst, cap, count = 40.0, 5, 8, 40
    settings = channels(gateway, rate_per_s=rate, burst=burst, concurrency=cap)
    stage, dispatcher = stage_with(settings, customers(count))
    started = time.monotonic()
    try:
        result = await stage.handle(outage_batch([f"c-{i}" for i in range(count)]))
    finally:
        await dispatcher.close()
    elapsed = time.monotonic() - started
    assert len(result.delivered) == count and result.dead_letters == []
    assert sorted(a["to"] for a in gateway.accepted) == sorted(
        f"+49151{i:08d}" for i in range(count))
    assert gateway.max_in_flight <= cap
    assert elapsed >= (count - burst) / rate * 0.95
    starts = sorted(gateway.started)
    for i in range(len(starts)):  # at most burst + rate x window sends in any window
        in_window = [t for t in starts[i:] if t - starts[i] < 0.5]
        assert len(in_window) <= burst + rate * 0.5 + 1
