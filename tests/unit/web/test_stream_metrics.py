"""/metrics: pipeline gauges read at scrape time, HTTP counts, delivery registries merged."""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from forewarn.geo import RegionIndex
from forewarn.notifiers import DeliveryMetrics
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.metrics import StreamMetrics
from tests.unit.web.web_helpers import change


class Normalise:
    def __init__(self) -> None:
        self.outcomes = Counter({"native:accepted": 5, "tmf642:rejected": 2})
        self.rejected = 2


def samples(metrics: StreamMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    families = list(text_string_to_metric_families(text))
    names = [f.name for f in families]
    assert len(names) == len(set(names)), "every family once"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in families for s in f.samples}


def test_exposition_has_pipeline_board_index_and_delivery_families(
        board: IncidentBoard, index: RegionIndex) -> None:
    stage, dispatcher = DeliveryMetrics(), DeliveryMetrics()
    stage.notifications.labels("sms", "outage", "delivered").inc(3)
    stage.notifications.labels("-", "outage", "dead_letter").inc()
    dispatcher.attempts.labels("sms").inc(4)
    board.record_changes([change("007"), change("f-geo", "fibre", incident="INC-2")])
    metrics = StreamMetrics(CollectorRegistry(), board=board, index=index, normalise=Normalise(),
                            delivery_registries=[stage.registry, dispatcher.registry],
                            lag=lambda: {("alarms", 0): 7})
    metrics.alarm_in("alertmanager", "accepted", 2)
    metrics.alarm_in("native", "rejected")
    got = samples(metrics)
    assert got[("forewarn_alarms_in_total", (("format", "native"), ("outcome", "accepted"),
                                             ("source", "topic")))] == 5
    assert got[("forewarn_alarms_in_total", (("format", "alertmanager"),
                                             ("outcome", "accepted"), ("source", "http")))] == 2
    assert got[("forewarn_dead_letters_total", (("topic", "alarms.dead-letter"),))] == 3
    assert got[("forewarn_dead_letters_total", (("topic", "notifications.dead-letter"),))] == 1
    assert got[("forewarn_incidents_open", (("kind", "outage"),))] == 2
    assert got[("forewarn_customers_affected", (("service", "fibre"),))] == 1
    assert got[("forewarn_index_customers", ())] == len(index)
    assert got[("forewarn_consumer_lag", (("partition", "0"), ("topic", "alarms")))] == 7
    assert got[("forewarn_delivery_attempts_total", (("channel", "sms"),))] == 4
    assert got[("forewarn_notifications_total", (("channel", "sms"), ("outcome", "delivered"),
                                                 ("stage", "outage")))] == 3


def test_scrape_survives_a_failing_lag_source(board: IncidentBoard) -> None:
    def broken() -> dict[tuple[str, int], int]:
        raise RuntimeError("consumer restarting")

    metrics = StreamMetrics(board=board, lag=broken)
    assert b"forewarn_consumer_lag" in metrics.exposition()
