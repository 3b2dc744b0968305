"""``SuspicionWebhook``: suspected incidents out to the NOC as Alertmanager webhooks (v4).

Why Alertmanager's format: every NOC tool that takes alerts takes it (and forewarn itself
reads it, ``input/formats/alertmanager.py``), so a suspected outage lands in the same queue
as the machine alarms. One alert per suspected incident: ``firing`` while it is suspected
(``suspected``, ``updated``), ``resolved`` once it is ``confirmed`` (it goes on as an
ordinary incident, which the NOC knows about) or ``cancelled``; labels ``alertname =
ForewarnSuspectedOutage``, ``element_id``, ``incident_id``, ``cause_type``; the summary in
the annotations; ``startsAt`` when it was first suspected, ``endsAt`` when it ended.

Off the feed's critical path: :meth:`SuspicionWebhook.submit` only queues (bounded; when full
the oldest waiting payload is dropped and counted), and one background task POSTs in order
with a timeout per attempt and a bounded number of attempts with backoff. A failing
receiver is logged (rate-limited), counted (``failed``, ``dropped``), and never blocks or
fails the network stage. Not journalled: after a restart, a suspicion's next event is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from typing import Any

import aiohttp

from forewarn.domain import to_iso
from forewarn.streams.input.log_limit import LogLimiter
from forewarn.streams.network.events import SuspicionEvent

__all__ = ["ALERTNAME", "SuspicionWebhook", "alertmanager_payload", "suspicion_summary"]

log = logging.getLogger(__name__)

ALERTNAME = "ForewarnSuspectedOutage"
_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of a firing alert
_ENDED = ("confirmed", "cancelled")
MAX_STARTS = 10_000  # suspicions whose start time is remembered (oldest forgotten)


def suspicion_summary(event: SuspicionEvent) -> str:
    """One line for the NOC: who reported, which element, and what happened to it."""
    what = {"confirmed": "confirmed, now an outage",
            "cancelled": "cancelled: reports stopped"}.get(event.event, "no alarm")
    return (f"{event.reports} customers served by {event.element_id} ({event.cause_type}) "
            f"reported no service; {what}")


def alertmanager_payload(event: SuspicionEvent, started_at: float,
                         receiver: str = "forewarn") -> dict[str, Any]:
    """The webhook body (Alertmanager ``version: "4"``) for one suspicion event."""
    status = "resolved" if event.event in _ENDED else "firing"
    labels = {"alertname": ALERTNAME, "element_id": event.element_id,
              "incident_id": event.incident_id, "cause_type": event.cause_type,
              "severity": "major"}
    annotations = {"summary": suspicion_summary(event),
                   "description": f"suspected incident {event.incident_id}: {event.event} at "
                                  f"{to_iso(event.at)}; {event.reports} reporting of "
                                  f"{event.customers} customers served",
                   "reports": str(event.reports), "customers": str(event.customers)}
    fingerprint = hashlib.sha256(f"{ALERTNAME}|{event.incident_id}".encode()).hexdigest()[:16]
    alert = {"status": status, "labels": labels, "annotations": annotations,
             "startsAt": to_iso(started_at),
             "endsAt": to_iso(event.at) if status == "resolved" else _ZERO_TIME,
             "generatorURL": "", "fingerprint": fingerprint}
    group = {"alertname": ALERTNAME, "incident_id": event.incident_id}
    return {"version": "4", "groupKey": f"{{}}:{{incident_id=\"{event.incident_id}\"}}",
            "truncatedAlerts": 0, "status": status, "receiver": receiver,
            "groupLabels": group, "commonLabels": labels, "commonAnnotations": annotations,
            "externalURL": "", "alerts": [alert]}


class SuspicionWebhook:
    """Queue suspicion events and POST them to ``url`` in the background (see module doc)."""

    def __init__(self, url: str, *, timeout_s: float = 5.0, attempts: int = 3,
                 backoff_s: float = 1.0, max_queue: int = 1000) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self.url = url
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._queue: deque[dict[str, Any]] = deque(maxlen=max_queue)
        self._starts: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._limiter = LogLimiter(log, per_window=3, window_s=60.0)
        self.sent = 0
        self.failed = 0  # payloads given up after every attempt
        self.dropped = 0  # payloads pushed out of a full queue

    def submit(self, event: SuspicionEvent) -> None:
        """Queue the webhook for ``event`` (never blocks); starts the sender on first use."""
        started = self._starts.setdefault(event.incident_id, event.at)
        if event.event in _ENDED:
            self._starts.pop(event.incident_id, None)
        while len(self._starts) > MAX_STARTS:
            del self._starts[next(iter(self._starts))]
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            self._limiter.log("suspicion webhook: queue full, oldest payload dropped")
        self._queue.append(alertmanager_payload(event, started))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def stop(self) -> None:
        """Stop sending (what is still queued is not sent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await self._send(session, self._queue.popleft())

    async def _send(self, session: aiohttp.ClientSession, payload: dict[str, Any]) -> None:
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                async with session.post(self.url, json=payload) as response:
                    if response.status < 300:
                        self.sent += 1
                        return
                    problem = f"HTTP {response.status}"
                    if 400 <= response.status < 500 and response.status != 429:
                        break  # the receiver refuses this payload: retrying cannot help
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = type(exc).__name__
        self.failed += 1
        self._limiter.log("suspicion webhook to the NOC failed (%s) for %s; given up after "
                          "%d attempt(s)", problem, payload["groupLabels"]["incident_id"],
                          self.attempts)
