"""A Faust transport whose consumer waits at most ``fetch_max_wait_ms`` for new data.

Faust hard-codes aiokafka's ``fetch_max_wait_ms=1500``. A broker that answers a waiting
fetch only when the wait runs out (the embedded Tansu broker does) then delays every event by
about a second. This driver keeps everything else of Faust's aiokafka transport and only
shortens that wait. It is registered under the URL scheme ``fwkafka://``.
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


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with a configurable fetch wait."""

    Consumer = _Consumer


TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:Transport")


def broker_url_for(bootstrap: str) -> str:
    """The Faust broker URL that selects this transport for ``host:port[,host:port]``."""
    return f"{SCHEME}://{bootstrap}"
