"""The values on forewarn's internal topics: typed messages (``messages``) and codecs (``codec``).

Internal topics carry batches: one message names many customers, because a per-customer
message costs ~100 µs of framework time and an incident can touch 200,000 customers.

``alarms.raw``             what NOC systems send (any format), plus control records:
                           ``{"control": "tick", "at"}`` (live wall clock) and
                           ``{"control": "normalised", "record": {...}}`` (parsed by HTTP ingest)
``impacts``                ``{"kind": "impact", "at", "incident_id", "cause_element",
                           "cause_type", "out": {service: [ids]}, "back": {service: [ids]}}``,
                           ``{"kind": "tick", "at"}`` (advances event time) or a control record;
                           the network feed packs one fetch's messages per partition into
                           ``{"kind": "batch", "messages": [...]}`` (``network_feed.py``)
``notifications.outbox``   ``{"kind": "decisions", "items": [decision, ...]}`` or a control record
``notifications.delivered`` one CONTRACT §6 record per message; control records carry the
                           header ``forewarn-control`` so consumers can skip them

A control record ``{"control": "drain", "token": T}`` travels the whole pipeline after the
last input of a replay: each stage first finishes everything pending, then passes it on.
Every message has a type in ``messages`` with one encode (``to_wire``) and one decode per
topic (``decode_raw_control``, ``decode_impacts``, ``decode_outbox``); stages dispatch on the
type, and a message no decoder knows is an error (dead-lettered with its reason).
This package is shared by every stage and imports no framework.
"""

from __future__ import annotations

from forewarn.streams.records.codec import (
    BATCH,
    CONTROL_HEADER,
    DECISION_CHUNK,
    DRAIN,
    NORMALISED,
    TICK,
    changes_from_impact,
    chunks,
    decision_from_record,
    decision_to_record,
    encode,
    input_from_record,
    input_to_record,
    is_control,
    join_batch,
    messages_of,
)
from forewarn.streams.records.impact_rows import IMPACT_CHUNK, impact_messages, impact_records
from forewarn.streams.records.messages import (
    AnnouncedMessage,
    Batch,
    ContactMessage,
    Decisions,
    Drain,
    ElementMessage,
    EventTick,
    ImpactMessage,
    ImpactsMessage,
    IndexReload,
    MergeMessage,
    NetworkMessage,
    Normalised,
    OutboxMessage,
    PlannedMessage,
    RawControl,
    UnknownRecord,
    UpdateMessage,
    WallClock,
    WindowEndMessage,
    WindowMessage,
    decode_impacts,
    decode_outbox,
    decode_raw_control,
    drain_record,
    normalised,
    tick_record,
)

__all__ = [
    "BATCH",
    "CONTROL_HEADER",
    "DECISION_CHUNK",
    "DRAIN",
    "IMPACT_CHUNK",
    "NORMALISED",
    "TICK",
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
    "changes_from_impact",
    "chunks",
    "decision_from_record",
    "decision_to_record",
    "decode_impacts",
    "decode_outbox",
    "decode_raw_control",
    "drain_record",
    "encode",
    "impact_messages",
    "impact_records",
    "input_from_record",
    "input_to_record",
    "is_control",
    "join_batch",
    "messages_of",
    "normalised",
    "tick_record",
]
