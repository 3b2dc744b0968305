"""The service desk as an agent uses it, in real headless Chromium on a live worker.

The story: a mast (``SITE``, a few mobile customers) fails first, then a fibre exchange
(``OLT``, about a hundred customers) and planned works are announced on another exchange
(``PLANNED``, starting in an hour). What an agent must get in five seconds: the biggest
outage first although it started later, banners naming the districts, the planned works in
their own section with how many customers were told and when the window ends, a selection
that survives the refreshes, an English desk for an en-GB browser, and a visible warning
once the worker stops. The stale-feed test stops the worker, so it runs last.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    SAMPLE,
    healthy,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TOKEN = "desk-live-token-93ab"
SITE, OLT, PLANNED, LATE = "S0002", "OLT-01", "OLT-02", "S0004"
MAINTENANCE = "MW-desk-live-1"


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    """Who each element takes out and where they live, computed without the worker."""
    region = load_region(SAMPLE)
    index = RegionIndex.build(region)
    customers = region.customers.set_index("customer_id")
    areas = region.areas.to_crs("EPSG:4326")

    def places(ids: list[str]) -> set[str]:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(customers.loc[ids, "lon"],
                                                              customers.loc[ids, "lat"]),
                                  crs="EPSG:4326")
        return set(gpd.sjoin(points, areas, predicate="intersects")["name"])

    site, olt = index.impact([SITE])["mobile"], index.impact([OLT])["fibre"]
    assert len(olt) > len(site) > 0, "the story needs the later outage to be the bigger one"
    return {"site": site, "olt": olt, "planned": index.impact([PLANNED])["fibre"],
            "site_places": places(site), "olt_places": places(olt)}


def post(base: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


@pytest.fixture(scope="module")
def live(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("desk-live")
    tag = f"desklive{os.getpid()}"
    out = tmp / "notifications.jsonl"
    config = worker_config(tmp, tag, out, '[correlation]\nconfirm_after_s = 2\n'
                           'resolve_after_s = 3\n[notify]\ndefault_language = "de"\n',
                           partitions=2)
    proc, port = start_worker(config, embedded_broker.url, region=SAMPLE,
                              env={"FOREWARN_API_TOKENS": TOKEN})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        now = datetime.now(UTC)
        post(base, "/api/v1/alarms", {"alarm_id": "DL1", "element_id": SITE, "state": "raised",
                                      "severity": "critical",
                                      "event_time": (now - timedelta(seconds=30)).isoformat()})
        post(base, "/api/v1/alarms", {"alarm_id": "DL2", "element_id": OLT, "state": "raised",
                                      "severity": "critical", "event_time": now.isoformat()})
        start, end = now + timedelta(hours=1), now + timedelta(hours=2)
        post(base, "/api/v1/maintenance", {"maintenance_id": MAINTENANCE,
                                           "elements": [PLANNED], "start": start.isoformat(),
                                           "end": end.isoformat(),
                                           "event_time": now.isoformat()})
        yield {"base": base, "out": out, "proc": proc, "window_end": end}
    finally:
        stop_worker(proc)


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "no JavaScript errors"


def banner(page: Any, incident: str) -> Any:
    return page.locator(f'#banners .banner[data-incident="{incident}"]')


def both_outages_shown(page: Any) -> None:
    page.locator("#unplanned .banner.active").nth(1).wait_for(timeout=60_000)


def test_en_gb_browser_gets_the_english_desk_and_status_page(
        page: Any, live: dict[str, Any]) -> None:
    page.goto(f"{live['base']}/")  # no lang parameter: the browser's Accept-Language decides
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Service desk: network incidents"
    page.goto(f"{live['base']}/status?lat=abc&lon=13.4")
    problem = page.locator("#answer.problem").inner_text()
    assert problem == "Latitude must be a number.", "translated, not the raw API error"
    assert "Times are local time: German time (CE" in page.content()


def test_the_biggest_outage_is_first_and_banners_name_the_districts(
        page: Any, live: dict[str, Any], story: dict[str, Any], artifacts_dir: Path) -> None:
    page.goto(f"{live['base']}/?lang=en")
    both_outages_shown(page)
    first = page.locator("#unplanned .banner").first
    wait_for(lambda: first.get_attribute("data-incident") is not None
             and first.locator(f'li[data-service="fibre"][data-now="{len(story["olt"])}"]'
                               ).count() == 1, 30, "the exchange outage on top")
    places = first.locator(".places").inner_text()
    assert all(name in places for name in sorted(story["olt_places"])[:4]), places
    second = page.locator("#unplanned .banner").nth(1)
    assert any(name in second.locator(".places").inner_text()
               for name in story["site_places"])
    totals = page.locator("#totals")
    assert totals.get_attribute("data-fibre") == str(len(story["olt"]))
    assert totals.get_attribute("data-mobile") == str(len(story["site"]))
    script = first.locator("details.script")
    script.locator("summary").click()
    english = script.locator('.script-text[data-lang="en"]').inner_text()
    assert "There's no need to call us" in english, "the customers' own words, in English"
    german = script.locator('.script-text[data-lang="de"]').inner_text()
    assert "Sie" in german, "and in German for a German-speaking caller"
    page.screenshot(path=artifacts_dir / "desk-priority.png", full_page=True)
    first.locator("a.incident-link").click()
    page.wait_for_url("**/i/**")
    assert page.locator("h1").count() == 1


def test_planned_banner_shows_the_told_count_and_the_window_end(
        page: Any, live: dict[str, Any], story: dict[str, Any]) -> None:
    def told() -> int:
        return sum(1 for r in read_records(live["out"])
                   if r["incident_id"] == MAINTENANCE and r["stage"] == "planned")

    wait_for(lambda: told() >= len(story["planned"]), 90, "the planned notices")
    page.goto(f"{live['base']}/?lang=en")
    planned = page.locator(f'#planned-works .banner[data-incident="{MAINTENANCE}"]')
    count = planned.locator(f'.told-stage[data-stage="planned"][data-count="{told()}"]')
    count.wait_for(timeout=30_000)
    end = live["window_end"].astimezone(ZoneInfo("Europe/Berlin"))
    text = planned.locator(".window").inner_text()
    # an end on another day than the start (a window over midnight) carries its date
    assert f"to {end:%H:%M}." in text or f"to {end:%d %b %H:%M}." in text, text


def test_a_selected_incident_id_survives_ten_seconds_of_refreshes(
        page: Any, live: dict[str, Any]) -> None:
    page.goto(f"{live['base']}/?lang=en")
    both_outages_shown(page)
    first = page.locator("#unplanned .banner").first
    first.locator("details.script summary").click()  # an agent opened the read-out script
    code = first.locator(".incident-id")
    incident = code.inner_text()
    code.evaluate("node => window.getSelection().selectAllChildren(node)")
    link = page.locator("#unplanned .banner a.incident-link").nth(1)
    link.focus()
    before = page.locator("#unplanned .banner").count()
    footprints = page.locator("#map").get_attribute("data-footprints")
    # meanwhile a third, smaller outage: new banner, new totals, the map redrawn
    post(live["base"], "/api/v1/alarms", {"alarm_id": "DL3", "element_id": LATE,
                                          "state": "raised", "severity": "critical",
                                          "event_time": datetime.now(UTC).isoformat()})
    stamps = set()
    started = time.monotonic()

    def changed() -> bool:
        return (page.locator("#unplanned .banner").count() == before + 1
                and page.locator("#map").get_attribute("data-footprints") != footprints)

    # at least 10 s, and until the new outage is on the banners and the map (under load
    # that may take longer; the selection must survive all of it)
    while time.monotonic() - started < 10 or not changed():
        assert time.monotonic() - started < 90, "the third outage never reached the desk"
        stamps.add(page.locator("#updated").get_attribute("data-at"))
        page.wait_for_timeout(500)
    assert len(stamps - {""}) >= 2, "the banners were refreshed meanwhile"
    assert page.evaluate("window.getSelection().toString()") == incident
    assert first.locator("details.script[open]").count() == 1, "the script stays open"
    assert page.evaluate("document.activeElement.classList.contains('incident-link')")
    assert page.locator("#stale").is_hidden()


AXE = Path(__file__).resolve().parents[2] / ".venv" / "axe" / "node_modules" / "axe-core" / \
    "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""


def test_axe_finds_no_serious_violation_on_desk_status_and_incident_page(
        chromium: Any, live: dict[str, Any], story: dict[str, Any]) -> None:
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: make install runs scripts/install-axe.sh (npm)")
    base = live["base"]
    with urllib.request.urlopen(f"{base}/api/v1/incidents", timeout=10) as response:
        incident = json.loads(response.read())["incidents"][0]["incident_id"]
    found: list[str] = []
    for width, height in ((1280, 900), (390, 844)):
        # bypass_csp: the page's CSP rightly refuses the injected script
        context = chromium.new_context(viewport={"width": width, "height": height},
                                       bypass_csp=True)
        page = context.new_page()
        for lang in ("de", "en"):
            for path in (f"/?lang={lang}", f"/status?lang={lang}&q=10115",
                         f"/i/{incident}?lang={lang}"):
                page.goto(f"{base}{path}")
                if path.startswith("/?"):
                    page.locator("#banners .banner").first.wait_for(timeout=30_000)
                    page.locator("details.script summary").first.click()
                page.add_script_tag(path=str(AXE))
                found += [f"{width}x{height} {path}: {v}" for v in page.evaluate(AXE_RUN)]
        context.close()
    assert found == []


def test_stale_warning_appears_within_15_s_of_stopping_the_worker(
        page: Any, live: dict[str, Any]) -> None:
    page.goto(f"{live['base']}/?lang=en")
    page.locator("#updated[data-at]:not([data-at=''])").wait_for(timeout=30_000)
    assert page.locator("#stale").is_hidden()
    stop_worker(live["proc"])
    stopped = time.monotonic()
    page.locator("#stale").wait_for(state="visible", timeout=15_000)
    assert time.monotonic() - stopped <= 15
    assert "No live data since" in page.locator("#stale").inner_text()
