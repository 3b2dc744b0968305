"""Calls saved on the live worker: the board learns who was told from deliveries, and the
incident's API record, the desk's banner (de/en) and the metrics show the contacts before
and after notice and never told."""

from __future__ import annotations

import json

import pytest

from forewarn.config import Settings
from forewarn.geo import RegionIndex
from forewarn.streams.network.calls_saved import CallsSaved
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.metrics import StreamMetrics
from tests.unit.web.web_helpers import T0, change, delivered


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"notify": {"default_language": "de"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index), clock=lambda: T0 + 60)


def test_board_knows_when_each_customer_was_first_told_from_deliveries(
        board: IncidentBoard) -> None:
    board.record_changes([change("007"), change("0012")])
    board.record_delivery(delivered("007"))  # decided 2023-11-14T22:15:20Z = T0 + 120
    board.record_delivery(delivered("0012", stage="resolved"))  # tells nothing new
    assert board.told_at("INC-1") == {"007": T0 + 120}
    assert board.told_at("INC-1", customers=["0012"]) == {}


def test_incident_record_carries_the_contact_counts(api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    assert json.loads(api.incident("INC-1").payload())["contacts"] is None
    board.record_contacts("INC-1", CallsSaved(before_notice=2, after_notice=5, never_told=1))
    record = json.loads(api.incident("INC-1").payload())
    assert record["contacts"] == {"before_notice": 2, "after_notice": 5, "never_told": 1}


def test_desk_banner_shows_the_contacts_in_the_agents_language(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    assert 'class="contacts"' not in api.banners({"lang": "en"}).payload().decode()
    board.record_contacts("INC-1", CallsSaved(2, 5, 1))
    english = api.banners({"lang": "en"}).payload().decode()
    assert "2 before their notice, 5 after it, 1 never told" in english
    german = api.banners({"lang": "de"}).payload().decode()
    assert "2 vor ihrer Benachrichtigung, 5 danach, 1 nie informiert" in german


def test_final_counts_add_to_the_contacts_metric_and_free_the_told_entries(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    board.record_delivery(delivered("007"))
    board.record_contacts("INC-1", CallsSaved(1, 1, 0))  # so far: not counted yet
    board.record_contacts("INC-1", CallsSaved(1, 3, 2), final=True, told_ids=["INC-1"])
    text = api.metrics_text().payload().decode()
    assert 'forewarn_incident_contacts_total{when="after_notice"} 3.0' in text
    assert 'forewarn_incident_contacts_total{when="before_notice"} 1.0' in text
    assert 'forewarn_incident_contacts_total{when="never_told"} 2.0' in text
    assert board.told_at("INC-1") == {}
