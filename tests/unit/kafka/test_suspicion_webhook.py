"""``SuspicionWebhook``: suspected incidents to the NOC as Alertmanager v4 webhooks, over real
loopback HTTP (an aiohttp server per test), retried a bounded number of times, never blocking."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from forewarn.domain import from_iso
from forewarn.streams.kafka.suspicion_webhook import (
    ALERTNAME,
    SuspicionWebhook,
    alertmanager_payload,
)
from forewarn.streams.network.events import SuspicionEvent

T0 = 1_795_000_000.0


def event(kind: str, at: float, reports: int = 6) -> SuspicionEvent:
    return SuspicionEvent(kind, "INC-20261119-1306-abc123", "PON-0018", "pon", at, reports, 40)


def test_a_suspected_incident_fires_with_its_element_id_and_cause_in_the_labels() -> None:
    body = alertmanager_payload(event("suspected", T0), T0)
    [alert] = body["alerts"]
    assert (body["version"], body["status"], alert["status"]) == ("4", "firing", "firing")
    assert alert["labels"] == {"alertname": ALERTNAME, "element_id": "PON-0018",
                               "incident_id": "INC-20261119-1306-abc123", "cause_type": "pon",
                               "severity": "major"}
    assert "6 customers served by PON-0018" in alert["annotations"]["summary"]
    assert from_iso(alert["startsAt"]) == T0
    assert alert["endsAt"].startswith("0001-01-01")


@pytest.mark.parametrize("kind", ["confirmed", "cancelled"])
def test_a_confirmed_or_cancelled_suspicion_is_resolved_ending_at_its_event_time(kind: str) -> None:
    body = alertmanager_payload(event(kind, T0 + 600), T0)
    [alert] = body["alerts"]
    assert (body["status"], alert["status"]) == ("resolved", "resolved")
    assert (from_iso(alert["startsAt"]), from_iso(alert["endsAt"])) == (T0, T0 + 600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Receiver = tuple[str, list[dict[str, Any]]]


@pytest.fixture
async def receiver() -> AsyncIterator[Callable[[list[int]], Any]]:
    """``await receiver([500, 200])``: a loopback server answering those statuses in turn
    (then 200), returning its URL and the bodies it received."""
    runners: list[web.AppRunner] = []

    async def start(statuses: list[int]) -> Receiver:
        bodies: list[dict[str, Any]] = []
        answers = list(statuses)

        async def hook(request: web.Request) -> web.Response:
            bodies.append(await request.json())
            return web.Response(status=answers.pop(0) if answers else 200)

        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}/hook", bodies

    yield start
    for runner in runners:
        await runner.cleanup()


async def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_receiver_failing_once_gets_the_payload_on_the_retry(receiver: Any) -> None:
    url, bodies = await receiver([500])
    hook = SuspicionWebhook(url, attempts=3, backoff_s=0.01)
    hook.submit(event("suspected", T0))
    await wait_until(lambda: hook.sent == 1)
    await hook.stop()
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert hook.failed == 0


async def test_firing_then_resolved_keep_the_start_of_the_suspicion(receiver: Any) -> None:
    url, bodies = await receiver([])
    hook = SuspicionWebhook(url)
    hook.submit(event("suspected", T0))
    hook.submit(event("cancelled", T0 + 900))
    await wait_until(lambda: hook.sent == 2)
    await hook.stop()
    assert [b["status"] for b in bodies] == ["firing", "resolved"]
    assert [from_iso(b["alerts"][0]["startsAt"]) for b in bodies] == [T0, T0]


async def test_an_unreachable_receiver_is_counted_and_submit_never_waits_for_it() -> None:
    hook = SuspicionWebhook(f"http://127.0.0.1:{free_port()}/hook", attempts=2, backoff_s=0.01,
                            timeout_s=1.0)
    started = time.monotonic()
    for i in range(5):
        hook.submit(event("updated", T0 + i))
    assert time.monotonic() - started < 0.5  # queued, not sent inline
    await wait_until(lambda: hook.failed == 5)
    await hook.stop()
    assert hook.sent == 0


async def test_a_full_queue_drops_the_oldest_payload_and_counts_it() -> None:
    hook = SuspicionWebhook(f"http://127.0.0.1:{free_port()}/hook", max_queue=2)
    for i in range(3):  # the sender task has not run yet: nothing left the queue
        hook.submit(event("updated", T0 + i))
    assert (hook.dropped, hook.pending) == (1, 2)
    await hook.stop()
