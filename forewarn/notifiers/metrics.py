"""Prometheus metrics of delivery, per channel. The registry is injected (tests and several
apps in one process must not share the global one).

Buckets of ``forewarn_delivery_seconds``: a file write takes milliseconds, a webhook or
SMTP hand-off tens to hundreds of milliseconds, a struggling gateway seconds up to the
apprise timeout (30 s); the buckets cover that range roughly logarithmically.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["DELIVERY_BUCKETS", "DeliveryMetrics"]

DELIVERY_BUCKETS: tuple[float, ...] = (0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class DeliveryMetrics:
    """Counters and a latency histogram for the ``Dispatcher``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.attempts = Counter(
            "forewarn_delivery_attempts",
            "Delivery attempts, including retries.",
            ["channel"],
            registry=self.registry,
        )
        self.delivered = Counter(
            "forewarn_notifications_delivered",
            "Notifications a sink accepted.",
            ["channel"],
            registry=self.registry,
        )
        self.failed = Counter(
            "forewarn_delivery_failures",
            "Failed attempts; retryable says whether another attempt could help.",
            ["channel", "retryable"],
            registry=self.registry,
        )
        self.gave_up = Counter(
            "forewarn_notifications_undeliverable",
            "Notifications given up after the last attempt (to be dead-lettered).",
            ["channel"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "forewarn_delivery_seconds",
            "Time a sink took to accept one notification.",
            ["channel"],
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )
