"""The delivery stage: decisions -> policy -> rendered notifications -> delivered, once.

What the ``delivery`` agent does with one ``notifications.outbox`` message; plain Python,
tested with dicts instead of tables. Message kinds:

- ``{"kind": "decisions", "items": [...]}``: each decision is checked against what was
  already handled, assessed by the ``DeliveryPolicy`` (send / hold / drop, with a named
  reason), and the ones to send are delivered concurrently, priority customers first.
  A channel that fails for good (not retryable, or retries used up in the dispatcher)
  falls back to the next usable channel; when none is left, a dead-letter record.
- ``{"kind": "tick", "at": t}``: held notices due at event time ``t`` are released (so
  are those due by the latest ``decided_at`` of a decisions message, before its news).
- a drain: every held notice is released at its own release time (``result.drain`` says
  the agent passes it on).
- anything else is rejected: a dead letter naming what is wrong (never taken for a drain).

Messages are decoded into their typed values (``records.messages``) and dispatched by type.

Receipts: ``handle(value, receipt=...)`` awaits ``receipt(notification)`` right after each
successful send, inside the notification's concurrency slot; the agent's hook writes the
receipt to ``notifications.delivered`` and returns once the broker acknowledged it. So at
any instant at most ``concurrency`` notifications are sent without a durable receipt (the
only ones a crash can make the next worker send again), and a notification whose receipt
failed is neither recorded nor reported as delivered (the error propagates).

Idempotency: ``sent`` (a Faust table in production) maps every handled
``notification_id`` to its ``delivered_at`` — written only after the receipt is durable —
or to ``"dropped:<reason>"`` / ``"dead-letter"``, so a batch processed again after a crash
or rebalance sends nothing twice. Because a table's changelog recovery can miss entries on
the embedded broker, the agent also ``remember``s ids read back from
``notifications.delivered`` by ``forewarn.streams.kafka.delivery_ledger.DeliveryLedger``
(the authority: a receipt is durable before its ``sent`` entry is written); those are only kept in
memory, per partition.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from forewarn.domain import Customer, Decision, Notification
from forewarn.errors import DeliveryError, ForewarnError
from forewarn.notifiers import DeliveryMetrics, build_notification, mask_address
from forewarn.streams import records
from forewarn.streams.customers.legal_clocks import LEGAL_REASONS
from forewarn.streams.delivery.decisions_first import DecisionsFirst
from forewarn.streams.delivery.policy import Action, DeliveryPolicy, PolicyReason, Verdict
from forewarn.templates import MessageRenderer

__all__ = ["DeliveryResult", "DeliveryStage", "Receipt"]

log = logging.getLogger(__name__)

#: Makes a delivered notification's receipt durable (returns once the broker acknowledged it).
Receipt = Callable[[Notification], Awaitable[None]]

DEAD = "dead-letter"
YIELD_EVERY = 32  # jobs assessed between yields to the event loop


@dataclass
class DeliveryResult:
    """What one outbox message produced: delivered records, dead letters, held and dropped."""

    delivered: list[Notification] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (notification_id, reason)
    drain: records.Drain | None = None  # the message was this drain: pass it on


@dataclass(slots=True)
class _Job:
    decision: Decision
    customer: Customer
    now: float  # event time the policy judges by
    exclude: tuple[str, ...] = ()
    released: bool = False
    nid: str = ""


class DeliveryStage:
    """Applies the delivery policy and delivers, idempotently and priority first."""

    def __init__(
        self,
        customer: Callable[[str], Customer],
        renderer: MessageRenderer,
        deliver: Callable[[Notification], Awaitable[Notification]],
        sent: MutableMapping[str, Any],
        *,
        policy: DeliveryPolicy | None = None,
        metrics: DeliveryMetrics | None = None,
        concurrency: int = 512,
        clock: Callable[[], float] = time.time,
        decisions_first: DecisionsFirst | None = None,
    ) -> None:
        self.customer = customer
        self.renderer = renderer
        self.deliver = deliver
        self.sent = sent
        self.policy = policy if policy is not None else DeliveryPolicy()
        self.metrics = metrics if metrics is not None else DeliveryMetrics()
        self.outcomes: Counter[str] = Counter()
        self._tally: Counter[tuple[str, str, str]] = Counter()
        self._flushed: Counter[str] = Counter()
        self._clock = clock
        self._limit = asyncio.Semaphore(concurrency)
        self._ledger: dict[int, set[str]] = {}
        # the customer stage's decisions go before delivery (``decisions_first.py``)
        self.decisions_first = decisions_first

    # -- idempotency across restarts ----------------------------------------------------------

    def needs_ledger(self, partition: int) -> bool:
        """True until ``remember`` was called for ``partition`` since the last ``forget``."""
        return partition not in self._ledger

    def remember(self, partition: int, notification_ids: Iterable[str]) -> None:
        """Treat these ids (read back from ``notifications.delivered``) as delivered."""
        self._ledger.setdefault(partition, set()).update(notification_ids)

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        """On revocation: drop ledger ids and the held-notice index (rebuilt on next use)."""
        for p in list(self._ledger) if partitions is None else partitions:
            self._ledger.pop(p, None)
        self.policy.deferrals.forget()

    def handled(self, notification_id: str) -> bool:
        """Already delivered, dropped, dead-lettered or held."""
        return (notification_id in self.sent or notification_id in self.policy.deferrals
                or any(notification_id in ids for ids in self._ledger.values()))

    # -- one outbox message -------------------------------------------------------------------

    async def handle(self, value: dict[str, Any], receipt: Receipt | None = None) -> DeliveryResult:
        """Everything one outbox message leads to (see the module docstring).

        ``receipt`` is awaited for each delivered notification before it counts as
        delivered (its concurrency slot is held until then); ``result.delivered`` lists
        only notifications whose receipt returned."""
        result = DeliveryResult()
        if self.decisions_first is not None:  # decisions first (``decisions_first.py``)
            await self.decisions_first.turn()
        try:
            message = records.decode_outbox(value)
        except records.UnknownRecord as unknown:  # told, not mistaken for a drain
            log.warning("outbox message rejected: %s", unknown)
            self.outcomes["unknown_message"] += 1
            result.dead_letters.append({"reason": unknown.reason[:500], "topic": unknown.topic,
                                        "raw": json.dumps(value, default=str)[:500]})
            return result
        match message:
            case records.Drain():
                result.drain = message
                jobs = self._released(self.policy.deferrals.due(math.inf), result)
            case records.EventTick(at=at):
                jobs = self._released(self.policy.deferrals.due(float(at)), result)
            case records.Decisions(items=items):
                # A decision proves its partition's event time reached it: held notices due
                # by then go first (ticks reach only partitions without news, so this matters).
                now = max((float(item["decided_at"]) for item in items), default=-math.inf)
                jobs = self._released(self.policy.deferrals.due(now), result) if items else []
                jobs += self._fresh(items, result)
        sends: list[asyncio.Future[Notification | None]] = []
        try:
            await self._assess_all(jobs, sends, result, receipt)
            await asyncio.gather(*sends)
        except BaseException:  # cancelled (worker stopping): no orphaned sends
            for send in sends:
                send.cancel()
            raise
        finally:
            self._flush_metrics()
        return result

    async def _assess_all(self, jobs: list[_Job], sends: list[asyncio.Future[Notification | None]],
                          result: DeliveryResult, receipt: Receipt | None) -> None:
        """Assess each job in order; sends start as tasks at once (priority first)."""
        for position, job in enumerate(jobs, 1):
            verdict = self.policy.assess(job.decision, job.customer, job.now, job.exclude)
            self._count_cancelled(verdict, result)
            self._count_policy(PolicyReason.RELEASED if job.released and
                               verdict.action is Action.SEND else verdict.reason)
            if verdict.action is Action.SEND:
                sends.append(asyncio.ensure_future(self._send(job, verdict, result, receipt)))
            elif verdict.action is Action.DEFER:
                self._defer(job, verdict.release_at or job.now, job.exclude, result)
            elif verdict.reason is PolicyReason.NO_ADDRESS:
                self._dead(job, result, "customer has no address on any preferred channel")
            else:
                self._drop(job.decision, verdict.reason, result)
            if position % YIELD_EVERY == 0:
                await self._turn()  # let the first sends start while the rest is assessed

    async def _turn(self) -> None:
        """Yield to the event loop; while the customer stage decides, until it is quiet."""
        if self.decisions_first is None:
            await asyncio.sleep(0)
        else:
            await self.decisions_first.turn()
            await asyncio.sleep(0)

    def _fresh(self, items: list[dict[str, Any]], result: DeliveryResult) -> list[_Job]:
        jobs: list[_Job] = []
        for item in items:
            decision = records.decision_from_record(item)
            nid = decision.notification_id
            if self.handled(nid):
                self.outcomes["duplicate_skipped"] += 1
                self._count("-", decision.stage, "duplicate")
                continue
            try:
                customer = self.customer(decision.customer_id)
            except KeyError:
                self.outcomes["unknown_customer"] += 1
                result.dead_letters.append(_dead_record(decision, "customer_id not in the region"))
                continue
            jobs.append(_Job(decision, customer, decision.decided_at, nid=nid))
        jobs.sort(key=lambda job: -job.customer.priority)  # stable: batch order otherwise
        return jobs

    def _released(self, entries: list[dict[str, Any]], result: DeliveryResult) -> list[_Job]:
        jobs: list[_Job] = []
        for entry in entries:
            decision = records.decision_from_record(entry["decision"])
            try:
                customer = self.customer(decision.customer_id)
            except KeyError:
                result.dead_letters.append(_dead_record(decision, "customer_id not in the region"))
                continue
            jobs.append(_Job(decision, customer, float(entry["release_at"]),
                             tuple(entry.get("exclude", ())), True, decision.notification_id))
        jobs.sort(key=lambda job: -job.customer.priority)
        return jobs

    async def _send(self, job: _Job, verdict: Verdict, result: DeliveryResult,
                    receipt: Receipt | None = None) -> Notification | None:
        """Try the verdict's channels in order; the first that takes it wins. The slot is
        held until the winner's receipt is durable; a receipt failure propagates."""
        decision, customer = job.decision, job.customer
        tried, errors, retryable = list(job.exclude), [], False
        for position, (channel, _) in enumerate(verdict.routes):
            if position:
                quiet_end = (None if decision.reason in LEGAL_REASONS  # owed at notice_hour
                             else self.policy.quiet_until(customer, channel, job.now))
                if quiet_end is not None:  # the fallback channel is asleep: hold it
                    self._defer(job, quiet_end, tuple(tried), result)
                    return None
                self._count_policy(PolicyReason.FALLBACK)
                self._count(channel, decision.stage, "fallback")
            try:
                notification = build_notification(decision, customer, self.renderer,
                                                  channel=channel, notification_id=job.nid)
            except ForewarnError as exc:
                self.outcomes["render_failed"] += 1
                log.error("cannot render %s %s for %s on %s: %s", decision.stage, job.nid,
                          decision.customer_id, channel, exc)
                tried.append(channel)
                errors.append(f"{channel}: render failed: {exc}")
                continue
            if notification is None:
                continue
            async with self._limit:
                try:
                    stamped = await self.deliver(notification)
                except DeliveryError as exc:
                    error, retryable = f"{channel}: {exc}", exc.retryable
                except Exception as exc:  # a sink bug must not stop the other deliveries
                    log.exception("delivery of %s via %s crashed", job.nid, channel)
                    error, retryable = f"{channel}: crashed: {type(exc).__name__}", True
                else:
                    if receipt is not None:  # durable before ``sent`` says delivered
                        await receipt(stamped)
                    # recorded at once: a crash later in the batch must not forget it
                    self._delivered(job, stamped, result)
                    return stamped
            self.outcomes[f"{channel}:failed"] += 1
            log.warning("%s to %s via %s failed for good: %s", job.nid,
                        mask_address(notification.to), channel, error)
            tried.append(channel)
            errors.append(error)
        self._count_policy(PolicyReason.CHANNELS_EXHAUSTED)
        self._dead(job, result, "every usable channel failed", tried=tried, errors=errors,
                   retryable=retryable)
        return None

    # -- bookkeeping ----------------------------------------------------------------------------

    def _delivered(self, job: _Job, stamped: Notification, result: DeliveryResult) -> None:
        self.sent[job.nid] = stamped.delivered_at
        self.policy.record_delivery(job.decision, job.customer, job.now)
        self.outcomes[f"{stamped.channel}:delivered"] += 1
        self._count(stamped.channel, stamped.stage, "delivered")
        self.metrics.child(self.metrics.latency, stamped.channel, stamped.stage).observe(
            max(0.0, self._clock() - job.decision.decided_at))
        if log.isEnabledFor(logging.INFO):
            log.info("delivered %s %s via %s to %s", stamped.stage, job.nid, stamped.channel,
                     mask_address(stamped.to))
        result.delivered.append(stamped)

    def _defer(self, job: _Job, release_at: float, exclude: tuple[str, ...],
               result: DeliveryResult) -> None:
        replaced = self.policy.defer(job.decision, release_at, exclude)
        self._count_cancelled_records(replaced, result)
        self.outcomes["deferred"] += 1
        self._count("-", job.decision.stage, "deferred")
        result.deferred.append(job.nid)

    def _drop(self, decision: Decision, reason: PolicyReason, result: DeliveryResult) -> None:
        nid = decision.notification_id
        self.sent[nid] = f"dropped:{reason}"
        self._count("-", decision.stage, "dropped")
        log.info("dropped %s %s for %s: %s", decision.stage, nid, decision.customer_id, reason)
        result.dropped.append((nid, str(reason)))

    def _dead(self, job: _Job, result: DeliveryResult, reason: str, *,
              tried: list[str] | None = None, errors: list[str] | None = None,
              retryable: bool = False) -> None:
        self.sent[job.nid] = DEAD
        self.outcomes["dead_letter"] += 1
        self._count("-", job.decision.stage, "dead_letter")
        log.error("dead letter %s for %s: %s", job.nid, job.decision.customer_id, reason)
        result.dead_letters.append(
            _dead_record(job.decision, reason, tried or [], errors or [], retryable))

    def _count_cancelled(self, verdict: Verdict, result: DeliveryResult) -> None:
        self._count_cancelled_records(verdict.cancelled, result)

    def _count_cancelled_records(self, cancelled: Iterable[tuple[dict[str, Any], PolicyReason]],
                                 result: DeliveryResult) -> None:
        for record, reason in cancelled:
            self._count_policy(reason)
            self._drop(records.decision_from_record(record), reason, result)

    def _count(self, channel: str, stage: str, outcome: str) -> None:
        self._tally[(channel, str(stage), outcome)] += 1

    def _count_policy(self, reason: PolicyReason) -> None:
        self.outcomes[reason] += 1  # a StrEnum: counts under its string value

    def _flush_metrics(self) -> None:
        """Counters go to Prometheus once per message, not once per notification: a
        labelled ``inc`` takes a lock, and a fan-out makes hundreds of thousands of them."""
        for (channel, stage, outcome), count in self._tally.items():
            self.metrics.child(self.metrics.notifications, channel, stage, outcome).inc(count)
        self._tally.clear()
        policy = self.metrics.policy
        for reason in PolicyReason:
            done = self.outcomes[reason] - self._flushed[reason]
            if done:
                self.metrics.child(policy, str(reason)).inc(done)
                self._flushed[reason] += done


def _dead_record(decision: Decision, reason: str, tried: list[str] | None = None,
                 errors: list[str] | None = None, retryable: bool = False) -> dict[str, Any]:
    """A ``notifications.dead-letter`` value; errors carry masked addresses only.

    ``retryable``: the last failure was one a later attempt may heal (an operator may
    re-drive it once the gateway is back).
    """
    return {"reason": reason, "retryable": retryable,
            "notification_id": decision.notification_id, "channels_tried": tried or [],
            "errors": errors or [], "decision": records.decision_to_record(decision)}
