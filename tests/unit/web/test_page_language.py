"""Desk and status page speak the reader's language: ``lang``, else Accept-Language, else
the default; errors translated; times named by the zone's common name."""

from __future__ import annotations

import pytest

from forewarn.config import Settings
from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.i18n import strings
from forewarn.streams.web.metrics import StreamMetrics
from tests.unit.web.web_helpers import T0, change


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"notify": {"default_language": "de"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index), clock=lambda: T0 + 60)


@pytest.mark.parametrize(("query", "accept", "lang"), [
    ({}, "en-GB,en;q=0.9", "en"), ({}, "de-DE", "de"), ({}, None, "de"),
    ({"lang": "de"}, "en-GB", "de"), ({"lang": "xx"}, "en-US", "en")])
def test_desk_and_status_page_pick_the_language(api: WebApi, query: dict[str, str],
                                                accept: str | None, lang: str) -> None:
    for reply in (api.desk_page(query, accept), api.status_page(query, accept),
                  api.banners(query, accept)):
        assert reply.headers["Content-Language"] == lang
        assert reply.headers["Vary"] == "Accept-Language"
    assert f'<html lang="{lang}">' in api.desk_page(query, accept).payload().decode()


@pytest.mark.parametrize(("query", "german"), [
    ({"lat": "abc", "lon": "13.4"}, "Breitengrad muss eine Zahl sein."),
    ({"lat": "52.5", "lon": "999"}, "Längengrad muss zwischen -180 und 180 liegen."),
    ({"lat": "52.5"}, "Bitte geben Sie Breiten- und Längengrad an."),
])
def test_german_status_page_explains_a_bad_query_in_german(
        api: WebApi, query: dict[str, str], german: str) -> None:
    page = api.status_page({"lang": "de", **query}).payload().decode()
    assert german in page
    assert "must be" not in page and "give both" not in page


def test_the_api_keeps_its_english_error_naming_the_field(api: WebApi) -> None:
    reply = api.area_status({"lat": "abc", "lon": "1"})
    assert reply.status == 400 and reply.body["error"] == "lat must be a number, got 'abc'"


def test_times_are_named_by_the_zone_people_know() -> None:
    winter, summer = T0, T0 + 200 * 86400
    assert strings("en").zone_name("Europe/Berlin", winter) == "German time (CET)"
    assert strings("de").zone_name("Europe/Berlin", summer) == "deutsche Zeit (CEST)"
    assert strings("en").zone_name("Asia/Tokyo", winter) == "Asia/Tokyo (JST)"


def test_partly_disrupted_district_does_not_tell_everyone_not_to_call(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    page = api.status_page({"lang": "en", "q": "10115"}).payload().decode()
    assert "Mitte West is partly disrupted (1 of 3 areas)." in page
    assert "You do not need to call us" not in page


def test_fully_disrupted_district_says_there_is_no_need_to_call(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", cause="PWR-1", cause_type="power")])
    page = api.status_page({"lang": "en", "q": "10115"}).payload().decode()
    assert "You do not need to call us" in page and "partly" not in page


def test_desk_names_the_time_zone_of_its_times(api: WebApi) -> None:
    page = api.desk_page({"lang": "de"}).payload().decode()
    assert "Zeiten in Ortszeit: deutsche Zeit (CET)." in page
