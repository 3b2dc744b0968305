"""``PipelineHooks``: the one place a worker reports what it did to code outside the pipeline.

Why one interface: benchmarks time the stages (a raw record correlated, an impact reaching
its customer partition, a decision made), ``forewarn replay`` collects what was delivered and
waits for its drain token, and the demo shows notifications as they go out. Each used to be a
separate optional callback in ``PipelineOptions`` and tested for ``None`` at every call
site. Here every hook has a no-op default: subclass ``PipelineHooks`` and override only what
you need; a worker without hooks runs ``NO_HOOKS``.

Hooks are called on the worker's event loop, inline with processing: they must be quick and
must not raise (a hook that raises fails the message like a bug in the stage would).
"""

from __future__ import annotations

from forewarn.domain import Decision, Notification
from forewarn.streams.network.incident_lifecycle import IncidentEvent

__all__ = ["NO_HOOKS", "PipelineHooks"]


class PipelineHooks:
    """What a worker reports, in the order data flows (all no-ops by default).

    A base class, not a ``typing.Protocol``: the no-op defaults are inherited, so a
    subclass overrides only the hooks it needs and type checkers see the whole interface."""

    def on_record(self, timestamp: float) -> None:
        """A raw input record (not a live wall-clock tick) was correlated by the network
        stage; ``timestamp`` is its Kafka timestamp (POSIX seconds)."""

    def on_incident_event(self, event: IncidentEvent) -> None:
        """The network stage produced an incident event (CONTRACT §8), in network order;
        final events carry their contacts, to be split by who was told (replay does it from
        the notifications it writes)."""

    def on_impact(self, ingested_at: float, changes: int) -> None:
        """An ``impact`` message reached its customer partition; ``ingested_at`` is the
        Kafka timestamp of the raw record that caused it, ``changes`` how many
        customer/service changes it carries."""

    def on_decision(self, decision: Decision) -> None:
        """The customer stage decided a notice (before it goes to the outbox)."""

    def on_delivered(self, notification: Notification) -> None:
        """A notification was delivered and its receipt is durable."""

    def on_drained(self, partition: int, token: str) -> None:
        """A drain record with ``token`` passed the delivery stage of ``partition``:
        everything before it on that partition is delivered."""


NO_HOOKS = PipelineHooks()  # every default: nothing is reported
