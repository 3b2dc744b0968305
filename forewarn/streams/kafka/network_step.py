"""``NetworkStep``: one raw ``alarms.raw`` record through the input and network stages.

What the ``NetworkFeed`` calls per record (``network_feed.Process``): parse it (bad input:
dead letters), correlate each parsed record (refused or failed: a dead letter, the rest goes
on), record every impact message on the incident board, and encode what goes to
``impacts``, ``alarms.dead-letter`` and (after the impacts are acknowledged)
``incidents.events``. Suspected incidents (which send nothing to ``impacts``) go to the
board and, when configured, to the NOC's Alertmanager webhook (``suspicion_webhook``,
queued: never on this path's clock). The decisions are the stages'; this only connects them
and the hooks (``hooks.PipelineHooks.on_record``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from faust.utils import json as faust_json

from forewarn.notifiers import mask_address
from forewarn.streams import records
from forewarn.streams.input.normalise import dead_letter
from forewarn.streams.input.stage import NormaliseStage
from forewarn.streams.kafka.hooks import PipelineHooks
from forewarn.streams.kafka.network_feed import Outgoing
from forewarn.streams.kafka.suspicion_webhook import SuspicionWebhook
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.network.calls_saved import split_contacts
from forewarn.streams.network.events import SuspicionEvent
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.incident_lifecycle import IncidentEvent
from forewarn.streams.network.refusals import RecordRefused
from forewarn.streams.network.stage import NetworkStage, correlation_failure

__all__ = ["CONTACTS_EVERY_S", "NetworkStep", "encode_json", "suspicion_entry"]

#: The desk's calls saved of open incidents are recomputed at most this often (each time
#: over all of the incident's contacts: a call storm must not make that quadratic); live
#: workers' wall-clock ticks pass here every second, so the last contacts show too.
CONTACTS_EVERY_S = 1.0

log = logging.getLogger(__name__)


class NetworkStep:
    """Raw record -> the messages it sends (``Outgoing``), in the network's one order.

    Event times are checked against the broker's timestamp, never later than now (a
    producer may set a record's CreateTime itself; re-reading old input after a restart
    gives the same answer). A live pipeline on a story clock (the demo runs time faster)
    is checked against that clock instead: ``clock`` other than ``time.time``.
    """

    def __init__(self, normalise: NormaliseStage, network: NetworkStage, board: IncidentBoard,
                 names: TopicNames, *, clock: Callable[[], float], hooks: PipelineHooks,
                 webhook: SuspicionWebhook | None = None) -> None:
        self.normalise = normalise
        self.network = network
        self.board = board
        self.names = names
        self.clock = clock
        self.hooks = hooks
        self.webhook = webhook
        self._wall_clock = clock is time.time
        self._pending_contacts: set[str] = set()  # open incidents whose desk counts are stale
        self._contacts_due = 0.0

    def __call__(self, raw: bytes, timestamp: float) -> list[Outgoing]:
        """Parse and correlate one raw record: what it sends to dead letters and impacts."""
        names = self.names
        accepted, dead = self.normalise.handle(raw)
        received_at = min(timestamp, time.time()) if self._wall_clock else self.clock()
        out = [Outgoing(names.alarms_dead_letter, None, encode_json(letter)) for letter in dead]
        for value in accepted:
            try:
                produced = self.network.handle(value, received_at)
            except RecordRefused as refused:  # hostile or excess input: told, not applied
                out.append(Outgoing(names.alarms_dead_letter, None,
                                    encode_json(_refusal(value, refused))))
                continue
            except Exception as exc:  # a bug must not stop the network for everyone
                log.exception("correlating a record failed; it goes to the dead letters")
                out.append(Outgoing(names.alarms_dead_letter, None,
                                    encode_json(correlation_failure(raw, exc))))
                continue
            for _, record in self.network.take_local():  # per customer, also at element level
                self.board.record(record)
            for partition, record in produced:
                if record.get("kind") in ("impact", "network"):
                    record["ingested_at"] = timestamp  # seconds (hooks.on_impact's latency)
                out.append(Outgoing(names.impacts, partition, encode_json(record)))
            self._sensed()
        out += [self._incident_event(e) for e in self.network.take_incident_events()]
        self._pending_contacts.update(self.network.lifecycle.take_contacted())
        if self._pending_contacts and time.monotonic() >= self._contacts_due:
            self._contacts_due = time.monotonic() + CONTACTS_EVERY_S
            for incident_id in sorted(self._pending_contacts):
                self._contacts_so_far(incident_id)
            self._pending_contacts.clear()
        if not any(_is_tick(v) for v in accepted):
            self.hooks.on_record(timestamp)
        return out

    def _incident_event(self, event: IncidentEvent) -> Outgoing:
        """An incident event for ``incidents.events``, keyed by incident id. A final one is
        split by who the board has seen told so far (live calls saved; replay splits again
        from its notifications), and its counts go on the desk's incident."""
        told = (self.board.told_at(*event.told_ids,
                                   customers={c.customer_id for c in event.contacts or ()})
                if event.final else None)
        record = event.record(told)
        if event.final and event.contacts is not None and event.merged_into is None:
            saved = split_contacts(event.contacts, told or {}, event.opened_at, event.at)
            self.board.record_contacts(event.incident_id, saved, final=True,
                                       told_ids=event.told_ids)
        self.hooks.on_incident_event(event)
        return Outgoing(self.names.incidents_events, None, encode_json(record),
                        key=event.incident_id.encode(), after_ack=True)

    def _contacts_so_far(self, incident_id: str) -> None:
        """The desk's calls saved of an open incident (callers not told yet count as never
        told until it ends)."""
        known = self.network.lifecycle.contacts(incident_id)
        if known is None:
            return
        told_ids, opened_at, contacts = known
        told = self.board.told_at(*told_ids, customers={c.customer_id for c in contacts})
        self.board.record_contacts(incident_id, split_contacts(contacts, told, opened_at))

    def _sensed(self) -> None:
        """Suspicion events to the board (the desk) and the NOC's webhook."""
        for event in self.network.take_sensed():
            if isinstance(event, SuspicionEvent):
                self.board.record_suspicion(suspicion_entry(event))
                if self.webhook is not None:
                    self.webhook.submit(event)


def suspicion_entry(event: SuspicionEvent) -> dict[str, Any]:
    """What the board keeps of a suspicion event (``IncidentBoard.record_suspicion``)."""
    return {"incident_id": event.incident_id, "element_id": event.element_id,
            "cause_type": event.cause_type, "event": event.event, "at": event.at,
            "reports": event.reports, "customers": event.customers}


def _refusal(value: Any, refused: RecordRefused) -> dict[str, Any]:
    """The dead letter of a record the network refused: the reason and that record alone
    (not the whole message it came in: a flood of refusals must not copy a payload each)."""
    record = value if isinstance(value, dict) else records.input_to_record(value)
    if record.get("phone"):  # a refused contact's number: someone's, but no customer's
        record = {**record, "phone": mask_address(str(record["phone"]))}
    text = json.dumps(record, separators=(",", ":"), default=str)
    return {**dead_letter(text, str(refused), refused.field, refused.problem),
            "refusal": refused.reason}


def _is_tick(value: Any) -> bool:
    return isinstance(value, records.WallClock)


def encode_json(value: Any) -> bytes:
    """JSON as Faust's ``json`` serializer writes it (the agents downstream decode it); bytes
    from orjson (which Faust uses when installed), str from the standard library."""
    encoded: str | bytes = faust_json.dumps(value)  # typed str, bytes with orjson
    return encoded if isinstance(encoded, bytes) else encoded.encode()
