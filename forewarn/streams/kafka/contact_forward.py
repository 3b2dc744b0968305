"""The agent that moves ``contacts.raw`` onto ``alarms.raw`` (issue 15 item 1).

Thin on purpose: the decisions (what is a contact, what is a dead letter and why) are
``input.contact_forward.ContactForwarder``'s. Here each record is forwarded to partition 0
of ``alarms.raw`` and the send is awaited until the broker acknowledged it (the app produces
with acks=all) before the agent takes the next record; Faust commits a record's offset only
once the agent has finished with it, so a worker that dies in between forwards that contact
again on restart (at least once) and never loses it. A repeated contact is harmless: it names
the same ``contact_id``.
"""

from __future__ import annotations

from typing import Any

from forewarn.streams import records
from forewarn.streams.input.contact_forward import ContactForwarder
from forewarn.streams.kafka.watchdog import ProgressLog

__all__ = ["ContactForwardAgent"]


class ContactForwardAgent:
    """``contacts.raw`` -> ``alarms.raw`` (valid contacts, normalised) or
    ``alarms.dead-letter`` (everything else, with the reason)."""

    def __init__(self, forwarder: ContactForwarder, raw_topic: Any,
                 dead_letter_topic: Any, progress: ProgressLog | None = None) -> None:
        self.forwarder = forwarder
        self.raw_topic = raw_topic
        self.dead_letter_topic = dead_letter_topic
        self.progress = progress or ProgressLog()  # what the stall watchdog samples

    async def __call__(self, stream: Any) -> None:
        async for event in stream.events():
            partition, offset = event.message.partition, event.message.offset
            self.progress.taking("contacts", partition, offset)
            forwards, dead_letters = self.forwarder.handle(event.value)
            for forward in forwards:  # acknowledged before the input record is
                await (await self.raw_topic.send(value=records.encode(forward), partition=0))
            for letter in dead_letters:
                await (await self.dead_letter_topic.send(value=letter))
            self.progress.done("contacts", partition, offset)
