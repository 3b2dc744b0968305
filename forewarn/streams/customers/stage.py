"""The customer stage: one partition's ``impacts`` messages -> decisions, via episode timers.

What the ``customers`` agent does with one message on ``impacts``; plain Python, tested with
dicts instead of tables. Messages (``at`` is event time, POSIX seconds; every customer id
named belongs to the partition the message is on)::

    {"kind": "impact", "at", "incident_id", "cause_element", "cause_type",
     "out": {service: [ids]}, "back": {service: [ids]},
     "planned"?: {service: [ids]}, "maintenance_id"?}   # planned: out, but a started window
                                                        # explains it (no outage notice)
    {"kind": "tick", "at"}                              # event time moves on
    {"kind": "planned", "at": decide_at, "maintenance_id", "start", "end", "text"?,
     "announced"?, "customers": {service: [ids]}}       # schedule the planned notices
    {"kind": "window_end", "at": end, "maintenance_id", "customers": {service: [ids]}}
    {"kind": "update", "at", "incident_id", "eta"?, "message"?}        # to every partition
    {"kind": "merge", "at", "from_incident", "into_incident", "cause_element"?,
     "cause_type"?}                                                    # to every partition
    {"kind": "contact", "at", "customer_id", "contact_id", "channel", "reason"}
                                       # the customer got in touch (reports.py: legal clocks)
    {"control": "drain", "token"}      # decide everything the input decided, then forward
    {"kind": "batch", "messages": [message, ...]}      # several of the above, in order

Ticks and control records are forwarded to the outbox after the decisions before them.

Every message first advances the partition's clock to its event time (timers due by then
fire first): ``at``, except for ``planned``, whose ``at`` is the future notice instant and
whose event time is ``announced`` (when the window was announced; without it, time stays).
``window_end`` is expected after the impact changes of the window's end instant; a window's
customers' services should travel in one message (a split one yields one ``completed`` record
per part). Drain fires every pending timer except clock updates (legal, ETA passed) due after
the latest event time: the input does not show those days passing. Messages are decoded into
their typed values (``records.messages``) and dispatched by type; one no decoder knows (an
unknown ``kind`` or control record, a malformed one) is logged, counted and dead-lettered
with its reason, never taken for a drain: one bad message must not stop a partition.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, MutableMapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from forewarn.domain import Customer, Decision, ImpactChange
from forewarn.gc_pause import gc_paused
from forewarn.streams import records
from forewarn.streams.customers.episode_changelog import JournaledEpisodes, supports_journal
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.legal_clocks import GermanyTkg58, LegalPolicy, legal_policy
from forewarn.streams.customers.network_view import NetworkView
from forewarn.streams.customers.notices import NoticeRules
from forewarn.streams.partitioning import partition_of

if TYPE_CHECKING:
    from forewarn.config import Settings

__all__ = ["CustomerStage", "changes_from_message"]

log = logging.getLogger(__name__)


def _epoch(value: Any) -> float | None:
    """POSIX seconds from a number or an ISO-8601 string with offset; None for None."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return float(value)


def changes_from_message(message: records.ImpactMessage | dict[str, Any]) -> list[ImpactChange]:
    """The changes of one ``impact`` message: outs, then planned, then backs."""
    if isinstance(message, dict):
        decoded = records.decode_impacts(message)[0]
        if not isinstance(decoded, records.ImpactMessage):
            raise ValueError(f"not an impact message: {decoded}")
        message = decoded
    at, maintenance_id = message.at, message.maintenance_id
    incident, element, cause = message.incident_id, message.cause_element, message.cause_type
    result: list[ImpactChange] = []
    for direction, customers in (("out", message.out), ("planned", message.planned),
                                 ("back", message.back)):
        for service, ids in (customers or {}).items():
            result.extend(
                ImpactChange(c, service, direction != "back", at, incident, element, cause,
                             planned=direction == "planned",
                             maintenance_id=maintenance_id if direction == "planned" else None)
                for c in ids
            )
    return result


def _groups(message: records.ImpactMessage) -> list[tuple[str, str, list[str]]]:
    """``(direction, service, ids)`` of one ``impact`` message: outs, then planned, then
    backs (the order of :func:`changes_from_message`)."""
    return [(direction, service, ids)
            for direction, customers in (("out", message.out), ("planned", message.planned),
                                         ("back", message.back))
            for service, ids in (customers or {}).items()]


class CustomerStage:
    """Impact batches of one partition -> decisions (outbox batches) via episode timers.

    One ``EpisodeTracker`` per partition shares the episode table; each rebuilds its timers
    from the table the first time it sees its partition after an assignment. ``customer``
    looks a customer up (for their timezone: legal clocks count their calendar days);
    ``legal`` is the country's legal-clock policy, ``clock_start`` where its clocks start
    (the outage, or the customer's first report no more than ``report_lead_s`` before it);
    ``eta_passed_update`` turns the automatic "still working on it" update on.
    :meth:`from_settings` reads all of it from settings.

    ``journal``: changelog the episode state in batches (``episode_journal.py``), one record
    per up to 500 customers a message changed instead of one per customer; default: when
    ``state`` is a changelogged table (a Faust table), not a plain mapping.
    """

    def __init__(
        self,
        state: MutableMapping[str, Any],
        partitions: int,
        confirm_after_s: float,
        resolve_after_s: float,
        on_decision: Callable[[Decision], None] | None = None,
        *,
        customer: Callable[[str], Customer] | None = None,
        timezone_of: Callable[[str], str] | None = None,
        timezones_of: Callable[[Sequence[str]], Sequence[str | None]] | None = None,
        legal: LegalPolicy | None = None,
        eta_passed_update: bool = True,
        journal: bool | None = None,
        clock_start: str = "outage",
        report_lead_s: float = 3600.0,
        network: NetworkView | None = None,
    ) -> None:
        self.table = state
        # element-level ``network`` messages -> this partition's impacts (None: refused)
        self.network = network
        self.expanded: list[records.ImpactsMessage] = []  # what the last ``handle`` expanded
        if journal is None:
            journal = supports_journal(state)
        self.journal: JournaledEpisodes | None = (
            JournaledEpisodes(state, lambda cid: partition_of(cid, partitions)) if journal
            else None)
        self.state: MutableMapping[str, Any] = self.journal if self.journal is not None else state
        if network is not None and network.state is None:
            # The replica beside the episodes, in the same changelog partition (see
            # ``handle``); without a changelog (a dict) it needs no order: a dict of its own.
            network.state = state if self.journal is not None else {}
        self.partitions = partitions
        self.confirm_after_s = confirm_after_s
        self.resolve_after_s = resolve_after_s
        self.on_decision = on_decision
        self.customer = customer
        self.notices = NoticeRules(
            legal if legal is not None else GermanyTkg58(),
            eta_passed=eta_passed_update,
            timezone=self._timezone if customer is not None else None,
            timezones=timezones_of if customer is not None else None,
            clock_start=clock_start,
            report_lead_s=report_lead_s,
        )
        self.skipped: Counter[str] = Counter()  # unknown messages rejected, by kind
        self.dead_letters: list[dict[str, Any]] = []  # their dead letters, until taken
        # Legal clocks need every confirmed customer's timezone: ``timezone_of`` (an index's,
        # or a LiveIndex's, which answers from its current version) asks for just that, not
        # the whole record; a customer it does not know is looked up with ``customer``.
        # ``timezones_of``: the same for many at once (None for one it does not know).
        self._timezone_of = timezone_of
        self._trackers: dict[int, EpisodeTracker] = {}

    @classmethod
    def from_settings(
        cls,
        state: MutableMapping[str, Any],
        partitions: int,
        settings: Settings,
        *,
        customer: Callable[[str], Customer] | None = None,
        timezone_of: Callable[[str], str] | None = None,
        timezones_of: Callable[[Sequence[str]], Sequence[str | None]] | None = None,
        on_decision: Callable[[Decision], None] | None = None,
        network: NetworkView | None = None,
    ) -> CustomerStage:
        """The stage as ``[correlation]``, ``[notify]`` and ``[legal]`` configure it."""
        legal = settings.legal
        return cls(
            state,
            partitions,
            settings.correlation.confirm_after_s,
            settings.correlation.resolve_after_s,
            on_decision,
            customer=customer,
            timezone_of=timezone_of,
            timezones_of=timezones_of,
            legal=legal_policy(legal.country, services=legal.services, holidays=legal.holidays,
                               notice_hour=legal.notice_hour),
            eta_passed_update=settings.notify.eta_passed_update,
            clock_start=legal.clock_start,
            report_lead_s=legal.report_lead_s,
            network=network,
        )

    def _timezone(self, customer_id: str) -> str:
        assert self.customer is not None
        if self._timezone_of is not None:
            try:
                return self._timezone_of(customer_id)
            except KeyError:  # e.g. dropped by a newer index version: the full lookup
                pass          # knows where else to look
        return self.customer(customer_id).timezone

    def forget(self, partitions: set[int] | None = None) -> None:
        """Drop trackers (on revocation); they rebuild from the table when next needed."""
        for p in list(self._trackers) if partitions is None else partitions:
            self._trackers.pop(p, None)
        if self.network is not None:
            self.network.forget(partitions)
        if self.journal is not None:
            self.journal.forget(partitions)

    def tracker(self, partition: int) -> EpisodeTracker:
        tracker = self._trackers.get(partition)
        if tracker is None:
            if self.journal is not None:
                self.journal.load(partition)  # the journal replayed into per-customer entries
            tracker = EpisodeTracker(self.state, self.confirm_after_s, self.resolve_after_s,
                                     notices=self.notices)
            tracker.rebuild(lambda cid: partition_of(cid, self.partitions) == partition)
            self._trackers[partition] = tracker
        return tracker

    def handle(self, partition: int, value: dict[str, Any]) -> list[dict[str, Any]]:
        """Outbox records for one ``impacts`` message, or for each message of a ``batch``:
        decision batches, each tick after the decisions before it (delivery releases held
        notices on it), each drain after what it decided. A message no decoder knows goes
        to ``dead_letters`` with its reason; the others go on."""
        tracker = self.tracker(partition)
        out: list[dict[str, Any]] = []
        decided: list[Decision] = []
        self.expanded = []
        try:
            with gc_paused():  # one burst can allocate ~1M objects (200,000 confirmations)
                for message in records.decode_impacts(value):
                    if isinstance(message, records.NetworkMessage):
                        for inner in self._expand(partition, message):
                            if not isinstance(inner, records.UnknownRecord):
                                self.expanded.append(inner)
                            decided = self._take(tracker, inner, out, decided)
                    else:
                        decided = self._take(tracker, message, out, decided)
                out += self._outbox(decided)
        finally:
            # Episodes first, then the replica: in one changelog partition, any prefix a new
            # owner recovers (the old one still writing) holds a replica no newer than the
            # episodes; a replica ahead would turn this message, handled again, into "no
            # change" for customers whose episodes were not recovered (never told).
            if self.journal is not None:
                self.journal.flush(partition)  # this message's state changes, batched
            if self.network is not None:
                self.network.flush(partition)  # the replica, once per message
        return out

    def _expand(self, partition: int, message: records.NetworkMessage
                ) -> list[records.ImpactsMessage | records.UnknownRecord]:
        """An element-level message as the messages it means for ``partition``."""
        if self.network is None:
            return [records.UnknownRecord("impacts", "element-level network message, but this "
                                          "stage has no index to expand it", message.to_wire())]
        return self.network.expand(partition, message)

    def _take(self, tracker: EpisodeTracker,
              message: records.ImpactsMessage | records.UnknownRecord,
              out: list[dict[str, Any]], decided: list[Decision]) -> list[Decision]:
        """One message: decisions so far (flushed into ``out`` before a tick or drain)."""
        match message:
            case records.UnknownRecord():
                self._reject(message)
            case (records.ElementMessage() | records.WindowMessage() | records.AnnouncedMessage()
                  | records.NetworkMessage()):
                self._reject(records.UnknownRecord(
                    "impacts", "element-level message outside a network message",
                    message.to_wire()))
            case records.Drain():
                decided += tracker.drain()
                out += self._outbox(decided)
                out.append(message.to_wire())
                return []
            case records.EventTick(at=at):
                decided += tracker.advance(float(at))
                out += self._outbox(decided)
                out.append(message.to_wire())
                return []
            case _:
                decided += self.decide(tracker, message)
        return decided

    def take_dead_letters(self) -> list[dict[str, Any]]:
        """The dead letters of unknown messages since the last call (the agent sends them
        to ``notifications.dead-letter``)."""
        letters, self.dead_letters = self.dead_letters, []
        return letters

    def _reject(self, unknown: records.UnknownRecord) -> None:
        kind = unknown.value.get("kind") if isinstance(unknown.value, dict) else None
        self.skipped[str(kind)] += 1
        log.warning("impacts message rejected: %s", unknown)
        self.dead_letters.append({"reason": unknown.reason[:500], "topic": unknown.topic,
                                  "raw": json.dumps(unknown.value, default=str)[:500]})

    def _outbox(self, decisions: list[Decision]) -> list[dict[str, Any]]:
        """Decision batches for the outbox (and the hooks: log line, ``on_decision``)."""
        verbose = log.isEnabledFor(logging.INFO)
        on_decision = self.on_decision
        if verbose or on_decision:
            for decision in decisions:
                if verbose:
                    log.info("decision %s %s %s (%s)", decision.stage, decision.customer_id,
                             decision.incident_id, decision.reason)
                if on_decision:
                    on_decision(decision)
        to_record = records.decision_to_record
        return [
            {"kind": "decisions", "items": [to_record(d) for d in part]}
            for part in records.chunks(decisions, records.DECISION_CHUNK)
        ]

    def decide(self, tracker: EpisodeTracker, message: records.ImpactsMessage) -> list[Decision]:
        """The decisions one (non-control) message yields on ``tracker``."""
        match message:
            case records.ImpactMessage():
                return tracker.observe_impact(message.at, message.incident_id,
                                              message.cause_element, message.cause_type,
                                              _groups(message), message.maintenance_id)
            case records.EventTick(at=at):
                return tracker.advance(float(at))
            case records.PlannedMessage():
                announced = _epoch(message.announced)
                fired = tracker.advance(announced) if announced is not None else []
                tracker.announce(message.maintenance_id, message.at, float(message.start),
                                 float(message.end), message.text, message.customers)
                return fired
            case records.WindowEndMessage():
                return tracker.end_window(message.maintenance_id, message.at, message.customers)
            case records.UpdateMessage():
                return tracker.update(message.incident_id, message.at,
                                      eta=_epoch(message.eta), message=message.message)
            case records.ContactMessage():
                return tracker.contact(message.customer_id, message.at, message.contact_id,
                                       message.reason)
            case records.MergeMessage():
                return tracker.merge(message.from_incident, message.into_incident,
                                     message.cause_type, message.at)
            case records.Drain():
                return tracker.drain()
        raise TypeError(f"not an impacts message: {message!r}")
