"""/metrics: pipeline gauges read at scrape time, HTTP counts, delivery registries merged."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from forewarn.geo import RegionIndex
from forewarn.notifiers import DeliveryMetrics
from forewarn.streams.network.correlation import _Counts
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
                            lag=lambda: {("alarms", 0): 7},
                            letters=lambda: {"alarms.dead-letter": 3,
                                             "notifications.dead-letter": 1})
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


def test_contacts_suspicions_and_the_noc_webhook_are_exported(board: IncidentBoard) -> None:
    class Network:
        class correlator:
            counts = _Counts(contacts={("ivr", "no_service"): 4, ("app", "other"): 1},
                             suspicions={"suspected": 2, "cancelled": 1}, unmatched_confirms=3)

    class Webhook:
        sent, failed, dropped = 3, 1, 0

    board.record_suspicion({"incident_id": "INC-S1", "element_id": "PON-1", "event":
                            "suspected", "at": 10.0, "reports": 5})
    board.record_suspicion({"incident_id": "INC-S2", "element_id": "PON-2", "event":
                            "suspected", "at": 20.0, "reports": 5})
    board.record_suspicion({"incident_id": "INC-S2", "event": "cancelled", "at": 30.0})
    metrics = StreamMetrics(CollectorRegistry(), board=board, network=Network(),
                            webhook=Webhook())
    got = samples(metrics)
    assert got[("forewarn_contacts_total", (("channel", "ivr"), ("reason", "no_service")))] == 4
    assert got[("forewarn_suspicions_total", (("event", "suspected"),))] == 2
    assert got[("forewarn_suspected_incidents_open", ())] == 1
    assert got[("forewarn_suspicion_webhooks_total", (("outcome", "failed"),))] == 1
    assert got[("forewarn_network_records_unmatched_total", (("kind", "unmatched_confirm"),))] == 3


def test_the_ingest_body_budget_is_exported_as_bytes_held_and_requests_refused() -> None:
    from forewarn.streams.web.inflight import InflightBudget, InflightFull

    budget = InflightBudget(100)
    held = budget.reserve(70)
    for _ in range(2):
        with pytest.raises(InflightFull):
            budget.reserve(31)
    got = samples(StreamMetrics(CollectorRegistry(), inflight=budget))
    assert got[("forewarn_ingest_inflight_bytes", ())] == 70
    assert got[("forewarn_ingest_inflight_refused_total", ())] == 2
    held.release()
    assert samples(StreamMetrics(CollectorRegistry(), inflight=budget))[
        ("forewarn_ingest_inflight_bytes", ())] == 0


def test_stalled_stages_and_their_wait_are_exported_per_stage(board: IncidentBoard) -> None:
    health = {"customers": (True, 131.0), "delivery": (False, 0.0)}
    metrics = StreamMetrics(board=board, stages_health=lambda: health)
    families = {f.name: f for f in text_string_to_metric_families(
        metrics.exposition().decode())}
    stalled = {s.labels["stage"]: s.value for s in families["forewarn_stage_stalled"].samples}
    waiting = {s.labels["stage"]: s.value
               for s in families["forewarn_stage_last_progress_seconds"].samples}
    assert stalled == {"customers": 1.0, "delivery": 0.0}
    assert waiting == {"customers": 131.0, "delivery": 0.0}


def test_a_sliced_index_exports_how_many_slices_this_worker_maps(tmp_path: Path) -> None:
    from forewarn.geo.slice_build import build_slices
    from forewarn.geo.slices import load_slices
    from tests.unit.geo.geo_helpers import TINY

    build_slices(TINY, tmp_path / "index", 4)
    index = load_slices(tmp_path / "index", (1, 3))
    metrics = StreamMetrics(CollectorRegistry(), index=index)
    assert samples(metrics)[("forewarn_index_slices_mapped", ())] == 2
    index.drop_slice(3)
    assert samples(metrics)[("forewarn_index_slices_mapped", ())] == 1, "read at scrape time"


def test_a_whole_region_index_has_no_slice_gauge(index: RegionIndex) -> None:
    got = samples(StreamMetrics(CollectorRegistry(), index=index))
    assert ("forewarn_index_customers", ()) in got
    assert not any(name == "forewarn_index_slices_mapped" for name, _ in got)
