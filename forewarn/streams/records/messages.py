"""Typed values for every message on an internal topic: one encode, one decode each.

Each class below is one message; ``to_wire`` gives the JSON object it travels as (key order
and values exactly as before typed messages existed: a rolling upgrade mixes old and new
workers, and the golden replay fixtures depend on it), and the ``decode_*`` function of its
topic turns a decoded JSON object back into the value. Stages dispatch on the type (``match``)
and never look at ``"kind"`` / ``"control"`` strings themselves.

An object no decoder knows is an error (``UnknownRecord``, naming what is wrong), never
mistaken for another message: the stage that meets it dead-letters it with the reason and
goes on with the next one. (Before, any unknown control record was treated as a drain.)

Two different clocks, two types: ``WallClock`` is the live wall clock the leader sends on
``alarms.raw`` (``{"control": "tick"}``); ``EventTick`` is event time reaching a customer
partition on ``impacts`` and the outbox (``{"kind": "tick"}``).

Representation: dataclasses with slots, chosen by measured cost (``python -m bench
messages``, BENCHMARKS.md): a message names up to 10,000 customers (``impacts``) or 500
decisions (outbox), so decoding its envelope is one object per message and costs well under
1 % of the work the message causes, and a dataclass needs no dependency. Not ``frozen``:
a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` and cost
~6x as much here (9 fields: 3.6 µs against 0.55 µs); treat them as immutable all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forewarn.domain import InputRecord
from forewarn.streams.records.codec import input_from_record, input_to_record

__all__ = [
    "AnnouncedMessage",
    "Batch",
    "ContactMessage",
    "Decisions",
    "Drain",
    "ElementMessage",
    "EventTick",
    "ImpactMessage",
    "ImpactsMessage",
    "IndexReload",
    "MergeMessage",
    "NetworkMessage",
    "Normalised",
    "OutboxMessage",
    "PlannedMessage",
    "RawControl",
    "UnknownRecord",
    "UpdateMessage",
    "WallClock",
    "WindowEndMessage",
    "WindowMessage",
    "decode_impacts",
    "decode_outbox",
    "decode_raw_control",
    "drain_record",
    "normalised",
    "tick_record",
]

Customers = dict[str, list[str]]  # service -> customer ids


class UnknownRecord(ValueError):
    """An internal message no decoder knows; ``reason`` says what is wrong with it."""

    def __init__(self, topic: str, reason: str, value: Any) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason
        self.value = value


# -- control records (any topic) -------------------------------------------------------------

@dataclass(slots=True)
class Drain:
    """After the last input of a replay: each stage finishes everything pending, then passes
    this on, so the drain's arrival at the end says that everything before it is done."""

    token: str

    def to_wire(self) -> dict[str, Any]:
        return {"control": "drain", "token": self.token}


# -- alarms.raw (besides what NOC systems send) ------------------------------------------------

@dataclass(slots=True)
class WallClock:
    """Live mode: the leader's wall clock moved to ``at`` (POSIX seconds)."""

    at: float

    def to_wire(self) -> dict[str, Any]:
        return {"control": "tick", "at": self.at}


@dataclass(slots=True)
class Normalised:
    """A record HTTP ingest already parsed; it travels parsed and is not parsed again."""

    record: InputRecord

    def to_wire(self) -> dict[str, Any]:
        return {"control": "normalised", "record": input_to_record(self.record)}


@dataclass(slots=True)
class IndexReload:
    """A new region index ``version`` is ready (``network/index_reload.py``)."""

    version: str
    at: float

    def to_wire(self) -> dict[str, Any]:
        return {"control": "reload", "version": self.version, "at": self.at}


RawControl = WallClock | Drain | Normalised | IndexReload


def drain_record(token: str) -> dict[str, Any]:
    return Drain(token).to_wire()


def tick_record(at: float) -> dict[str, Any]:
    """Live mode: the wall clock moved to ``at`` (sent by the leader on ``alarms.raw``)."""
    return WallClock(at).to_wire()


def normalised(record: InputRecord) -> dict[str, Any]:
    """An already-parsed record travelling on ``alarms.raw`` (HTTP ingest parsed it)."""
    return Normalised(record).to_wire()


def decode_raw_control(value: dict[str, Any]) -> RawControl:
    """The control record ``value`` (a JSON object with ``"control"``) on ``alarms.raw``."""
    control = value.get("control")
    try:
        if control == "tick":
            return WallClock(float(value["at"]))
        if control == "drain":
            return Drain(str(value.get("token")))
        if control == "normalised":
            return Normalised(input_from_record(value["record"]))
        if control == "reload":
            return IndexReload(str(value["version"]), float(value.get("at", float("nan"))))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnknownRecord("alarms.raw", f"control record {control!r} is malformed: {exc!r}",
                            value) from None
    raise UnknownRecord("alarms.raw", f"unknown control record {control!r}", value)


# -- impacts ---------------------------------------------------------------------------------

@dataclass(slots=True)
class ImpactMessage:
    """Customers' services that went out, came back or are out for a started maintenance
    window (``planned``, with ``maintenance_id``), all from one cause at event time ``at``.
    ``ingested_at``: the Kafka timestamp of the raw record behind it (latency hooks)."""

    at: float
    incident_id: str
    cause_element: str
    cause_type: str
    out: Customers
    back: Customers
    planned: Customers | None = None
    maintenance_id: str | None = None
    ingested_at: float | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"kind": "impact", "at": self.at, "incident_id": self.incident_id,
                                "cause_element": self.cause_element,
                                "cause_type": self.cause_type, "out": self.out,
                                "back": self.back}
        if self.planned is not None:
            wire["planned"] = self.planned
        if self.maintenance_id is not None:
            wire["maintenance_id"] = self.maintenance_id
        if self.ingested_at is not None:
            wire["ingested_at"] = self.ingested_at
        return wire

    def changes(self) -> int:
        """How many customer/service changes it carries (counted, not built)."""
        return sum(len(ids) for customers in (self.out, self.back, self.planned or {})
                   for ids in customers.values())


@dataclass(slots=True)
class EventTick:
    """Event time reached ``at`` on this partition (timers due by then fire)."""

    at: float

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "tick", "at": self.at}


@dataclass(slots=True)
class PlannedMessage:
    """Schedule the ``planned`` notices of a maintenance window for this partition's
    ``customers``, due at ``at``; ``announced`` is when the window was announced (the
    message's event time). Times stay as they came (numbers, or ISO text for ``announced``)."""

    at: float
    maintenance_id: str
    start: Any
    end: Any
    text: str | None
    customers: Customers
    elements: list[str]
    announced: Any

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "planned", "at": self.at, "maintenance_id": self.maintenance_id,
                "start": self.start, "end": self.end, "text": self.text,
                "customers": self.customers, "elements": self.elements,
                "announced": self.announced}


@dataclass(slots=True)
class WindowEndMessage:
    """A maintenance window ended at ``at``; ``customers`` are this partition's share."""

    at: float
    maintenance_id: str
    customers: Customers

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "window_end", "at": self.at, "maintenance_id": self.maintenance_id,
                "customers": self.customers}


@dataclass(slots=True)
class UpdateMessage:
    """NOC news on an incident (ETA, message), sent to every partition."""

    at: float
    incident_id: str
    eta: Any
    message: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "update", "at": self.at, "incident_id": self.incident_id,
                "eta": self.eta, "message": self.message}


@dataclass(slots=True)
class MergeMessage:
    """Incident ``from_incident`` joined ``into_incident``, sent to every partition."""

    at: float
    from_incident: str
    into_incident: str
    cause_element: str | None
    cause_type: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "merge", "at": self.at, "from_incident": self.from_incident,
                "into_incident": self.into_incident, "cause_element": self.cause_element,
                "cause_type": self.cause_type}


# -- element level (docs/architecture.md: share the small thing) -----------------------------

@dataclass(slots=True)
class ElementMessage:
    """``element_id`` went down (``down``) or came back by its own alarms at ``at``; the
    changes it causes are filed under ``incident_id`` / ``cause_element`` / ``cause_type``."""

    at: float
    element_id: str
    down: bool
    incident_id: str
    cause_element: str
    cause_type: str

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "element", "at": self.at, "element_id": self.element_id,
                "down": self.down, "incident_id": self.incident_id,
                "cause_element": self.cause_element, "cause_type": self.cause_type}


@dataclass(slots=True)
class WindowMessage:
    """Maintenance window ``maintenance_id`` on ``elements`` started or ended (``event``)."""

    at: float
    event: str  # "start" | "end"
    maintenance_id: str
    elements: list[str]
    incident_id: str
    cause_element: str
    cause_type: str

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "window", "at": self.at, "event": self.event,
                "maintenance_id": self.maintenance_id, "elements": self.elements,
                "incident_id": self.incident_id, "cause_element": self.cause_element,
                "cause_type": self.cause_type}


@dataclass(slots=True)
class AnnouncedMessage:
    """A window was announced: each partition schedules ``planned`` notices, due at ``at``,
    for its customers the window takes out (``PlannedMessage`` fields, no customers)."""

    at: float
    maintenance_id: str
    start: Any
    end: Any
    text: str | None
    elements: list[str]
    announced: Any

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "announced", "at": self.at, "maintenance_id": self.maintenance_id,
                "start": self.start, "end": self.end, "text": self.text,
                "elements": self.elements, "announced": self.announced}


@dataclass(slots=True)
class NetworkMessage:
    """What one network record sends a partition at element level, in order: element,
    window, announcement, update and merge messages (the same for every partition) and,
    rarely, per-customer ``impact`` / ``planned`` messages of that partition (an index
    swap). ``tick``: event time to pass on if none of it concerned this partition's
    customers (as a tick went to a partition that got nothing before). ``ingested_at``:
    the Kafka timestamp of the raw record (latency hooks)."""

    messages: list[dict[str, Any]]
    tick: float | None = None
    ingested_at: float | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"kind": "network", "messages": self.messages}
        if self.tick is not None:
            wire["tick"] = self.tick
        if self.ingested_at is not None:
            wire["ingested_at"] = self.ingested_at
        return wire


@dataclass(slots=True)
class ContactMessage:
    """A customer of this partition got in touch at ``at`` (CONTRACT §8): the customer stage
    keeps their first ``no_service`` / ``degraded`` report per episode, where a legal clock
    may start (``[legal] clock_start = "report"``)."""

    at: float
    customer_id: str
    contact_id: str
    channel: str
    reason: str

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "contact", "at": self.at, "customer_id": self.customer_id,
                "contact_id": self.contact_id, "channel": self.channel, "reason": self.reason}


@dataclass(slots=True)
class Batch:
    """Several ``impacts`` messages of one partition, in order (the network feed packs
    them; ``codec.join_batch`` writes the envelope from their encoded bytes)."""

    messages: list[dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "batch", "messages": self.messages}


ImpactsMessage = (ImpactMessage | EventTick | PlannedMessage | WindowEndMessage | UpdateMessage
                  | MergeMessage | ContactMessage | Drain | NetworkMessage | ElementMessage
                  | WindowMessage | AnnouncedMessage)


def decode_impacts(value: Any) -> list[ImpactsMessage | UnknownRecord]:
    """The messages of one ``impacts`` value in order (a ``batch``'s, or just it); one
    that cannot be decoded is its ``UnknownRecord`` in its place, so the rest still count."""
    if isinstance(value, dict) and value.get("kind") == "batch":
        inner = value.get("messages")
        if not isinstance(inner, list):
            return [UnknownRecord("impacts", "batch without a list of messages", value)]
        return [_impacts_message(m) for m in inner]
    return [_impacts_message(value)]


def _impacts_message(value: Any) -> ImpactsMessage | UnknownRecord:
    try:
        return _decode_impacts_message(value)
    except UnknownRecord as unknown:
        return unknown
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        kind = value.get("kind") if isinstance(value, dict) else None
        return UnknownRecord("impacts", f"{kind!r} message is malformed: {exc!r}", value)


def _decode_impacts_message(value: Any) -> ImpactsMessage:
    if not isinstance(value, dict):
        raise UnknownRecord("impacts", f"not a JSON object: {type(value).__name__}", value)
    if "control" in value:
        if value["control"] == "drain":
            return Drain(str(value.get("token")))
        raise UnknownRecord("impacts", f"unknown control record {value['control']!r}", value)
    kind = value.get("kind")
    if kind == "impact":
        return ImpactMessage(float(value["at"]), value["incident_id"], value["cause_element"],
                             value["cause_type"], value.get("out") or {},
                             value.get("back") or {}, value.get("planned"),
                             value.get("maintenance_id"), value.get("ingested_at"))
    if kind == "tick":
        return EventTick(_number(value["at"]))
    if kind == "planned":
        return PlannedMessage(float(value["at"]), value["maintenance_id"], value["start"],
                              value["end"], value.get("text"), value.get("customers", {}),
                              value.get("elements") or [], value.get("announced"))
    if kind == "window_end":
        return WindowEndMessage(float(value["at"]), value["maintenance_id"],
                                value.get("customers", {}))
    if kind == "update":
        return UpdateMessage(float(value["at"]), value["incident_id"], value.get("eta"),
                             value.get("message"))
    if kind == "merge":
        return MergeMessage(float(value["at"]), value["from_incident"], value["into_incident"],
                            value.get("cause_element"), value.get("cause_type"))
    if kind == "contact":
        return ContactMessage(float(value["at"]), _text(value, "customer_id"),
                              _text(value, "contact_id"), _text(value, "channel"),
                              _text(value, "reason"))
    if kind == "network":
        inner = value["messages"]
        if not isinstance(inner, list):
            raise TypeError("messages is not a list")
        tick = value.get("tick")
        return NetworkMessage(inner, None if tick is None else _number(tick),
                              value.get("ingested_at"))
    if kind == "element":
        return ElementMessage(float(value["at"]), str(value["element_id"]), bool(value["down"]),
                              str(value["incident_id"]), str(value["cause_element"]),
                              str(value["cause_type"]))
    if kind == "window":
        if value["event"] not in ("start", "end"):
            raise ValueError(f"window event {value['event']!r} is neither start nor end")
        return WindowMessage(float(value["at"]), value["event"], str(value["maintenance_id"]),
                             [str(e) for e in value["elements"]], str(value["incident_id"]),
                             str(value["cause_element"]), str(value["cause_type"]))
    if kind == "announced":
        return AnnouncedMessage(float(value["at"]), value["maintenance_id"], value["start"],
                                value["end"], value.get("text"),
                                [str(e) for e in value["elements"]], value.get("announced"))
    raise UnknownRecord("impacts", f"unknown kind {kind!r}", value)


def _text(value: dict[str, Any], field: str) -> str:
    """The string ``value[field]``; anything else is a malformed message naming the field."""
    found = value[field]
    if not isinstance(found, str):
        raise TypeError(f"{field} is not a string: {type(found).__name__}")
    return found


def _number(value: Any) -> Any:
    """``value`` as it came (re-encoded unchanged when passed on), if it is a number."""
    float(value)  # raises TypeError/ValueError for what is none
    return value


# -- notifications.outbox ----------------------------------------------------------------------

@dataclass(slots=True)
class Decisions:
    """Up to ``DECISION_CHUNK`` decisions (``codec.decision_to_record`` each) of one
    partition; they stay JSON objects here: the delivery stage decodes each as it takes it."""

    items: list[dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "decisions", "items": self.items}


OutboxMessage = Decisions | EventTick | Drain


def decode_outbox(value: Any) -> OutboxMessage:
    """The ``notifications.outbox`` message ``value``; raises ``UnknownRecord``."""
    if not isinstance(value, dict):
        raise UnknownRecord("notifications.outbox",
                            f"not a JSON object: {type(value).__name__}", value)
    if "control" in value:
        if value["control"] == "drain":
            return Drain(str(value.get("token")))
        raise UnknownRecord("notifications.outbox",
                            f"unknown control record {value['control']!r}", value)
    kind = value.get("kind")
    try:
        if kind == "decisions":
            items = value.get("items", [])
            if not isinstance(items, list):
                raise TypeError("items is not a list")
            return Decisions(items)
        if kind == "tick":
            return EventTick(_number(value["at"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnknownRecord("notifications.outbox", f"{kind!r} message is malformed: {exc!r}",
                            value) from None
    raise UnknownRecord("notifications.outbox", f"unknown kind {kind!r}", value)
