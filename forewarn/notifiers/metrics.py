"""Prometheus metrics of delivery, per channel. The registry is injected (tests and several
apps in one process must not share the global one).

Buckets of ``forewarn_delivery_seconds``: a file write takes milliseconds, a webhook or
SMTP hand-off tens to hundreds of milliseconds, a struggling gateway seconds up to the
apprise timeout (30 s); the buckets cover that range roughly logarithmically.

Buckets of ``forewarn_decision_to_delivery_seconds`` (from the decision's event time to
the sink's acceptance): a healthy fan-out delivers within a second, rate limits stretch a
large one to minutes, retries add seconds to a minute, and quiet hours hold messages for
up to a night (~10 h); the buckets span 0.1 s to 12 h so each of those regimes is visible.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["DELIVERY_BUCKETS", "LATENCY_BUCKETS", "DeliveryMetrics"]

DELIVERY_BUCKETS: tuple[float, ...] = (0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENCY_BUCKETS: tuple[float, ...] = (
    0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0,
    43200.0,
)


class DeliveryMetrics:
    """Counters and histograms of the ``Dispatcher`` (per attempt) and the delivery stage
    (per notification: outcome, policy reason, decision-to-delivery latency)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._children: dict[tuple[object, ...], Any] = {}
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
        self.rate_limited = Counter(
            "forewarn_delivery_rate_limited_seconds",
            "Seconds deliveries waited for a token of the channel's rate limit.",
            ["channel"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "forewarn_notifications",
            "Notifications by final outcome (delivered, deferred, dropped, fallback, "
            "dead_letter, duplicate).",
            ["channel", "stage", "outcome"],
            registry=self.registry,
        )
        self.policy = Counter(
            "forewarn_delivery_policy_decisions",
            "Delivery policy verdicts by named reason.",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "forewarn_decision_to_delivery_seconds",
            "From the decision (event time) to the sink accepting the notification.",
            ["channel", "stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """``metric.labels(*labels)``, memoised: a fan-out touches the same few children
        hundreds of thousands of times, and ``labels`` takes a lock and builds a tuple."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found
