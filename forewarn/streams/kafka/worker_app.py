"""``WorkerApp``: a Faust app that carries what our transport and liveness checks need.

Faust builds its transport driver itself, from the broker URL and the app (``Transport(url,
app, loop)``), so the app is the only way to hand the driver our settings. Instead of
attributes stuck onto a plain ``faust.App`` and read back with ``getattr``, they are one
typed, frozen ``ClientSettings`` given to the constructor. The network feed, which the worker
builds after the app (its failure handler crashes the app), is set once on ``network_feed``,
and the stall watchdog on ``watchdog``: ``runner.worker_ready`` / ``worker_failure`` read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import faust

if TYPE_CHECKING:
    from forewarn.streams.kafka.network_feed import NetworkFeed
    from forewarn.streams.kafka.watchdog import Watchdog

__all__ = ["DEFAULT_FETCH_MAX_WAIT_MS", "ClientSettings", "WorkerApp", "client_settings"]

DEFAULT_FETCH_MAX_WAIT_MS = 100


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How our transport (``transport.py``) talks to the broker.

    ``fetch_max_wait_ms``: the fetch wait of Faust's consumer (Faust hard-codes 1,500 ms);
    ``client_options``: how a plain aiokafka client connects (bootstrap, TLS/SASL), for the
    end-offset probe; None: no probe. ``fed_topics``: topics Faust is assigned but never
    fetches, because our own consumer reads them (``network_feed``)."""

    fetch_max_wait_ms: int = DEFAULT_FETCH_MAX_WAIT_MS
    client_options: Mapping[str, Any] | None = None
    fed_topics: frozenset[str] = field(default_factory=frozenset)


class WorkerApp(faust.App):
    """A ``faust.App`` with forewarn's ``ClientSettings`` and (once built) network feed."""

    def __init__(self, id: str, *, clients: ClientSettings, **options: Any) -> None:
        super().__init__(id, **options)
        self.clients = clients
        self.network_feed: NetworkFeed | None = None
        self.watchdog: Watchdog | None = None  # stalled stages (runner.worker_failure)


def client_settings(app: object) -> ClientSettings:
    """``app``'s client settings; the defaults for a plain Faust app."""
    return app.clients if isinstance(app, WorkerApp) else ClientSettings()
