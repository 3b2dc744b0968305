"""A Faust transport with a configurable fetch wait that leaves "fed" topics alone.

Faust hard-codes aiokafka's ``fetch_max_wait_ms=1500``. A broker that answers a waiting
fetch only when the wait runs out (the embedded Tansu broker does) then delays every event by
about a second. This driver keeps everything else of Faust's aiokafka transport, shortens
that wait, and never hands Faust records of the topics named in ``app.forewarn_fed_topics``:
those are assigned by the consumer group as usual (that is how a worker learns it owns them)
but read by our own consumer (``network_feed``). Registered under the scheme ``fwkafka://``.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["SCHEME", "Transport", "broker_url_for"]

SCHEME = "fwkafka"
DEFAULT_FETCH_MAX_WAIT_MS = 100


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app, "forewarn_fetch_max_wait_ms", DEFAULT_FETCH_MAX_WAIT_MS)
        consumer._fetch_max_wait_ms = int(wait_ms)  # read by aiokafka when its fetcher starts
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    threadClass = _ConsumerThread

    def _get_active_partitions(self) -> Any:
        active = super()._get_active_partitions()
        fed = getattr(self.app, "forewarn_fed_topics", ())
        if fed:
            active.difference_update([tp for tp in active if tp.topic in fed])
        return active


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with a configurable fetch wait."""

    Consumer = _Consumer


TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:Transport")


def broker_url_for(bootstrap: str) -> str:
    """The Faust broker URL that selects this transport for ``host:port[,host:port]``."""
    return f"{SCHEME}://{bootstrap}"
