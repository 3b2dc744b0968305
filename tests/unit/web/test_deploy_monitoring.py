"""The Grafana dashboard and Prometheus alert rules use only metrics the worker exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from forewarn.notifiers import DeliveryMetrics
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.metrics import StreamMetrics

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
METRIC = re.compile(r"\b(forewarn_[a-z_]+)")


def exported_names() -> set[str]:
    class Index:
        region = None

        def __len__(self) -> int:
            return 1

    delivery = DeliveryMetrics()
    for family in ("attempts", "delivered", "failed", "gave_up", "seconds", "rate_limited",
                   "notifications", "policy", "latency"):
        metric = getattr(delivery, family)
        labels = ["x"] * len(metric._labelnames)
        child = metric.labels(*labels)
        (child.observe if hasattr(child, "observe") else child.inc)(1)
    metrics = StreamMetrics(board=IncidentBoard(), index=Index(),
                            delivery_registries=[delivery.registry], lag=lambda: {("t", 0): 1})
    metrics.alarm_in("native", "accepted")
    text = metrics.exposition().decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_alert_rules_are_well_formed_and_use_exported_metrics() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    names = exported_names()
    (group,) = rules["groups"]
    assert group["name"] and group["rules"]
    for rule in group["rules"]:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["alert"] and rule["expr"] and rule["annotations"]["summary"]
        assert rule["labels"]["severity"] in ("page", "ticket", "info")
        assert set(METRIC.findall(rule["expr"])) <= names, rule["alert"]


def test_dashboard_panels_query_exported_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "forewarn.json").read_text())
    names = exported_names()
    assert dashboard["uid"] == "forewarn" and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(METRIC.findall(target["expr"]))
            assert used and used <= names, (panel["title"], used - names)
