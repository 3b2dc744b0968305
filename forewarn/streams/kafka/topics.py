"""Names of forewarn's topics, in one place (BRIEF.md "Topics")."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMPRESSION", "TopicNames"]

#: Producer compression for everything forewarn writes. A confirmed 200,000-customer
#: incident is ~46 MB of outbox JSON, and with one produce request in flight per broker
#: the bytes, not the records, set the pace; JSON of repeated field names shrinks ~10x.
#: (aiokafka compresses through ``cramjam``.)
COMPRESSION = "lz4"


@dataclass(frozen=True)
class TopicNames:
    """Topic names with an optional prefix (replays on a shared cluster use their own)."""

    prefix: str = ""

    def _name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def alarms_raw(self) -> str:
        return self._name("alarms.raw")

    @property
    def contacts_raw(self) -> str:
        """Customer contacts (CONTRACT §8); forwarded onto ``alarms.raw`` by the worker."""
        return self._name("contacts.raw")

    @property
    def alarms_dead_letter(self) -> str:
        return self._name("alarms.dead-letter")

    @property
    def impacts(self) -> str:
        return self._name("impacts")

    @property
    def outbox(self) -> str:
        return self._name("notifications.outbox")

    @property
    def delivered(self) -> str:
        return self._name("notifications.delivered")

    @property
    def notifications_dead_letter(self) -> str:
        return self._name("notifications.dead-letter")

    @property
    def incidents_events(self) -> str:
        """Incident lifecycle events (CONTRACT §8), keyed by incident id, one partition."""
        return self._name("incidents.events")

    @property
    def network_state(self) -> str:
        """The network stage's journal (compacted; see ``kafka.network_journal``)."""
        return self._name("network.state")
