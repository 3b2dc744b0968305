"""A live worker tells the NOC about suspected incidents (issue 15 item 2): customers' reports of
a silent PON make it POST an Alertmanager webhook (v4, ``firing``) to a real loopback receiver,
and ``resolved`` once the suspicion is cancelled (reports stop for ``window_s``) or confirmed by
the NOC. The desk's API lists the suspicion while it is open, apart from the incidents."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    SAMPLE,
    HttpGateway,
    get_json,
    healthy,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

WINDOW_S = 30  # a suspicion without reports for this long is cancelled


def contacts(customers: list[str], tag: str) -> list[bytes]:
    now = time.time()
    return [json.dumps({"type": "contact", "contact_id": f"{tag}-{n}", "customer_id": c,
                        "channel": "app", "reason": "no_service",
                        "event_time": datetime.fromtimestamp(now - 6 + n, UTC).isoformat()}
                       ).encode() for n, c in enumerate(customers)]


def alerts(receiver: HttpGateway, element: str, status: str) -> list[dict[str, Any]]:
    return [a for body in list(receiver.bodies) for a in body.get("alerts", ())
            if a["labels"].get("element_id") == element and a["status"] == status]


def test_a_live_worker_posts_firing_then_resolved_alertmanager_webhooks_to_the_noc(
        embedded_broker: Any, tmp_path: Path) -> None:
    index = RegionIndex.build(load_region(SAMPLE))
    quiet, confirmed = "PON-0003", "PON-0002"
    tag = f"amhook{os.getpid()}"
    raw = f"{tag}.alarms.raw"
    with HttpGateway(delay_s=0.0) as receiver:
        config = worker_config(
            tmp_path, tag, tmp_path / "notifications.jsonl",
            f'[api]\ntokens = ["t"]\n[sensors]\nwindow_s = {WINDOW_S}\n'
            f'alertmanager_url = "http://127.0.0.1:{receiver.port}/send"\n')
        proc, port = start_worker(config, embedded_broker.url, region=SAMPLE)
        try:
            wait_for(lambda: healthy(port), 90, "the worker")
            produce(embedded_broker.bootstrap, raw,
                    contacts(sorted(index.impact([quiet])["fibre"])[:6], "q"))
            wait_for(lambda: alerts(receiver, quiet, "firing"), 60, "the firing webhook")
            [firing] = alerts(receiver, quiet, "firing")[:1]
            assert firing["labels"]["alertname"] == "ForewarnSuspectedOutage"
            assert firing["labels"]["cause_type"] == "pon"
            assert firing["labels"]["incident_id"].startswith("INC-")
            suspected = get_json(f"http://127.0.0.1:{port}/api/v1/incidents")["suspected"]
            assert [s["element_id"] for s in suspected] == [quiet]
            assert [s["incident_id"] for s in suspected] == [firing["labels"]["incident_id"]]

            produce(embedded_broker.bootstrap, raw,
                    contacts(sorted(index.impact([confirmed])["fibre"])[:6], "c"))
            wait_for(lambda: alerts(receiver, confirmed, "firing"), 60, "the second suspicion")
            produce(embedded_broker.bootstrap, raw, [json.dumps({
                "type": "incident_update", "element_id": confirmed, "confirm": True,
                "event_time": datetime.now(UTC).isoformat()}).encode()])
            wait_for(lambda: alerts(receiver, confirmed, "resolved"), 60,
                     "resolved after the confirmation")
            wait_for(lambda: alerts(receiver, quiet, "resolved"), WINDOW_S + 60,
                     "resolved after the cancellation")
            [ended] = alerts(receiver, quiet, "resolved")
            assert ended["startsAt"] == firing["startsAt"]
            assert ended["labels"]["incident_id"] == firing["labels"]["incident_id"]
            assert "cancelled" in ended["annotations"]["summary"]
        finally:
            stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]
