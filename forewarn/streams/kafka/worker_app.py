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

from forewarn.streams.kafka.letter_count import LetterCount

if TYPE_CHECKING:
    from forewarn.streams.kafka.network_feed import NetworkFeed
    from forewarn.streams.kafka.watchdog import Watchdog

__all__ = ["DEFAULT_FETCH_MAX_WAIT_MS", "ClientSettings", "WorkerApp", "client_settings",
           "dead_letters_acked"]

DEFAULT_FETCH_MAX_WAIT_MS = 100


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How our transport (``transport.py``) talks to the broker.

    ``fetch_max_wait_ms``: the fetch wait of Faust's consumer (Faust hard-codes 1,500 ms);
    ``client_options``: how a plain aiokafka client connects (bootstrap, TLS/SASL), for the
    end-offset probe; None: no probe. ``fed_topics``: topics Faust is assigned but never
    fetches, because our own consumer reads them (``network_feed``). ``dead_letter_topics``:
    topic name -> the name ``/metrics`` shows (without the prefix); every record the broker
    acknowledged on one of them is counted in ``WorkerApp.letters``."""

    fetch_max_wait_ms: int = DEFAULT_FETCH_MAX_WAIT_MS
    client_options: Mapping[str, Any] | None = None
    fed_topics: frozenset[str] = field(default_factory=frozenset)
    dead_letter_topics: Mapping[str, str] = field(default_factory=dict)


class WorkerApp(faust.App):
    """A ``faust.App`` with forewarn's ``ClientSettings`` and (once built) network feed."""

    def __init__(self, id: str, *, clients: ClientSettings, **options: Any) -> None:
        super().__init__(id, **options)
        self.clients = clients
        self.network_feed: NetworkFeed | None = None
        # Dead letters the broker acknowledged (transport._Producer, network feed, journal).
        self.letters = LetterCount(clients.dead_letter_topics)
        self.watchdog: Watchdog | None = None  # stalled stages (runner.worker_failure)


def client_settings(app: object) -> ClientSettings:
    """``app``'s client settings; the defaults for a plain Faust app."""
    return app.clients if isinstance(app, WorkerApp) else ClientSettings()


def dead_letters_acked(app: object) -> dict[str, int]:
    """Records the broker acknowledged on each dead-letter topic, by shown name (all of
    them, 0 for none yet); empty for a plain Faust app."""
    return app.letters.acked() if isinstance(app, WorkerApp) else {}
