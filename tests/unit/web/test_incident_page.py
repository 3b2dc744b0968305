"""The public incident page ``/i/{incident_id}``: what, where, since, ETA, planned works, the
updates customers were sent, resolved for a while, then a friendly 404, in de and en."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from forewarn.config import Settings
from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.incident_page import MAX_INCIDENT_ID, advice_key
from forewarn.streams.web.metrics import StreamMetrics
from tests.unit.web.web_helpers import T0, change, delivered

HOSTILE = "MW-<img src=x onerror=alert(1)>\"'&"
VISIBLE_S = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = T0 + 60

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex, clock: Clock) -> WebApi:
    settings = Settings.model_validate({"web": {"resolved_visible_s": VISIBLE_S},
                                        "notify": {"default_language": "de"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index), clock=clock)


def page(api: WebApi, incident_id: str = "INC-1", lang: str | None = "en",
         accept: str | None = None) -> tuple[int, str]:
    reply = api.incident_page(incident_id, {"lang": lang} if lang else {}, accept)
    assert reply.content_type.startswith("text/html")
    return reply.status, reply.payload().decode()


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser would parse them."""

    def __init__(self, body: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(body)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def text(body: str) -> str:
    """The page as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_outage_page_says_what_where_since_with_zone_and_the_eta(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    board.record_news("INC-1", T0 + 30, eta=T0 + 7200, message="Technician on site")
    status, body = page(api)
    shown = text(body)
    assert status == 200
    assert "Disruption: Mobile" in shown
    assert "Mitte West" in shown and "Prenzlauer Berg" not in shown  # 007 lives in West only
    assert "14 Nov 2023, 23:13 CET" in shown, "since, local time with the zone's name"
    assert "Expected back 15 Nov 2023, 01:13 CET" in shown
    assert "turn on Wi-Fi Calling" in shown, "mobile out: Wi-Fi calling helps"
    assert "A1" not in shown and "007" not in shown, "no element ids, no customers"


def test_german_page_by_parameter_and_by_accept_language_else_the_default(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", service="fibre")])
    assert 'lang="de"' in page(api, lang="de")[1]
    assert "Störung: Glasfaser-Internet" in text(page(api, lang="de")[1])
    assert 'lang="en"' in page(api, lang=None, accept="en-GB,en;q=0.9,de;q=0.8")[1]
    assert 'lang="de"' in page(api, lang="de", accept="en-GB")[1], "the parameter wins"
    assert 'lang="de"' in page(api, lang=None, accept=None)[1], "config default"
    assert "Hotspot" in text(page(api, lang="de")[1]), "fibre out: the phone's hotspot"


def test_unknown_incident_is_a_friendly_404_page_in_the_readers_language(api: WebApi) -> None:
    status, body = page(api, "INC-nope", lang=None, accept="en-US")
    assert status == 404
    assert body.lstrip().startswith("<!doctype html>")
    assert "Incident not found" in text(body) and "INC-nope" in text(body)
    status, body = page(api, "INC-nope", lang="de")
    assert status == 404 and "Störung nicht gefunden" in text(body)


def test_resolved_incident_stays_visible_for_resolved_visible_s_then_answers_404(
        api: WebApi, board: IncidentBoard, clock: Clock) -> None:
    board.record_changes([change("007")])
    board.record_changes([change("007", out=False, at=T0 + 600)])
    clock.now = T0 + 600 + VISIBLE_S
    status, body = page(api)
    assert status == 200
    assert 'data-state="resolved"' in body
    assert "Service restored at 14 Nov 2023, 23:23 CET" in text(body)
    assert "Wi-Fi Calling" not in text(body), "no advice once it is over"
    clock.now += 1
    assert page(api)[0] == 404


def test_timeline_lists_every_noc_update_once_and_what_customers_were_sent(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    board.record_delivery(delivered("007"))
    for _ in range(3):  # once per customer partition and once from HTTP ingest
        board.record({"kind": "update", "at": T0 + 900, "incident_id": "INC-1",
                      "eta": T0 + 3600, "message": "Technician on site"})
    board.record_news("INC-1", T0 + 1800, eta=None, message="Spare part arriving")
    events = re.findall(r'<li data-event="([^"]+)"', page(api)[1])
    assert events == ["news", "news", "told_outage", "started"], "newest first, no repeats"
    shown = text(page(api)[1])
    assert "Technician on site" in shown and "Spare part arriving" in shown


def test_planned_works_before_they_start_show_the_window_and_the_announcement(
        api: WebApi, board: IncidentBoard) -> None:
    start, end = T0 + 86400, T0 + 86400 + 7200
    for partition_customers in ({"mobile": ["007"]}, {"mobile": ["0012"]}):
        board.record({"kind": "planned", "at": T0, "maintenance_id": "MW-7", "start": start,
                      "end": end, "text": None, "customers": partition_customers,
                      "elements": ["A1"], "announced": T0})
    board.record_delivery(delivered("007", stage="planned", incident="MW-7"))
    status, body = page(api, "MW-7")
    shown = text(body)
    assert status == 200 and 'data-state="upcoming"' in body
    assert "Planned works: Mobile" in shown
    assert "15 Nov 2023, 23:13 CET – 16 Nov 2023, 01:13 CET" in shown
    assert "We do not know yet" not in shown, "planned works end when the window ends"
    assert re.findall(r'<li data-event="([^"]+)"', body) == ["told_planned"]
    assert board.upcoming()[0]["affected_peak"]["mobile"] == 2


def test_planned_works_under_way_keep_their_window_and_told_counts(
        api: WebApi, board: IncidentBoard) -> None:
    board.record({"kind": "planned", "at": T0, "maintenance_id": "MW-7", "start": T0 + 60,
                  "end": T0 + 3660, "text": None, "customers": {"mobile": ["007"]},
                  "elements": ["A1"], "announced": T0})
    board.record_delivery(delivered("007", stage="planned", incident="MW-7"))
    board.record_changes([change("007", incident="MW-7", at=T0 + 60, cause="A1",
                                 cause_type="maintenance")])
    status, body = page(api, "MW-7", lang="de")
    assert status == 200 and 'data-state="planned_active"' in body
    assert "Geplante Arbeiten: Mobilfunk" in text(body)
    assert board.incident("MW-7")["told"]["planned"]["count"] == 1
    assert board.upcoming() == []


def test_page_of_a_merged_incident_shows_the_incident_it_joined(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-CELL"), change("0012", incident="INC-1")])
    board.record_merge("INC-CELL", "INC-1")
    status, body = page(api, "INC-CELL")
    assert status == 200 and ">INC-1</code>" in body


def test_incident_ids_up_to_the_limit_are_looked_up_longer_ones_are_404(
        api: WebApi, board: IncidentBoard) -> None:
    at_limit, over = "I" * MAX_INCIDENT_ID, "I" * (MAX_INCIDENT_ID + 1)
    board.record_changes([change("007", incident=at_limit), change("0012", incident=over)])
    assert page(api, at_limit)[0] == 200
    assert page(api, over)[0] == 404


def test_page_escapes_outside_values_and_holds_nothing_csp_would_block(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident=HOSTILE, cause="S<svg onload=x>")])
    board.record_news(HOSTILE, T0 + 10, eta=None, message="<script>steal()</script>")
    for incident_id in (HOSTILE, HOSTILE + "-unknown"):
        _, body = page(api, incident_id)
        tags = Tags(body).tags
        assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "link", "body",
                                        "header", "h1", "h2", "nav", "a", "main", "section",
                                        "span", "p", "dl", "dt", "dd", "time", "code", "ol",
                                        "li", "q"}, "no script, style, img or svg"
        attributes = {name for _, attrs in tags for name, _ in attrs}
        assert "style" not in attributes and not any(a.startswith("on") for a in attributes)
    assert HOSTILE in text(page(api, HOSTILE)[1]), "shown literally, as text"


@pytest.mark.parametrize(("services", "key"), [
    (["mobile"], "advice.mobile"), (["fibre"], "advice.fibre"),
    (["mobile", "fibre"], "advice.both"), ([], None)])
def test_advice_fits_what_still_works(services: list[str], key: str | None) -> None:
    assert advice_key(services) == key


def test_banners_and_status_answers_link_to_the_incident_page(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    banners = api.banners({"lang": "en"}).payload().decode()
    assert '<a class="incident-link" href="/i/INC-1?lang=en">' in banners
    answer = api.status_page({"lang": "de", "q": "10115"}).payload().decode()
    assert 'href="/i/INC-1?lang=de"' in answer
    point = api.status_page({"lang": "en", "lat": "52.51", "lon": "13.4"}).payload().decode()
    assert 'href="/i/INC-1?lang=en"' in point
