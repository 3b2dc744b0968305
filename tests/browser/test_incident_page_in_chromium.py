"""The incident page in real headless Chromium on a live worker: reached from a desk banner
and from the link in a delivered SMS, in German and in English.

The worker's ``notify.status_url`` points at itself, so the link a customer gets by SMS is
the one followed here. The SMS link carries no language: the browser's Accept-Language
picks it (a German and a British browser); the banner link carries the desk's language.
The SMS-link visit runs without JavaScript (the page needs none).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.kafka.embedded_broker import free_port
from forewarn.streams.web.response_headers import CONTENT_SECURITY_POLICY
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

TOKEN = "incident-page-token-7c1e"
ELEMENT = "S0002"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/i/[A-Za-z0-9%._-]+")


@pytest.fixture(scope="module")
def places() -> set[str]:
    """Names of the areas holding a mobile customer of ``ELEMENT``, computed without the worker."""
    region = load_region(SAMPLE)
    mobile = RegionIndex.build(region).impact([ELEMENT])["mobile"]
    customers = region.customers.set_index("customer_id")
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(customers.loc[mobile, "lon"],
                                                          customers.loc[mobile, "lat"]),
                              crs="EPSG:4326")
    areas = region.areas.to_crs("EPSG:4326")
    return set(gpd.sjoin(points, areas, predicate="intersects")["name"])


@pytest.fixture(scope="module")
def live(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[str, Path]]:
    """A worker whose messages link to its own incident pages, after ``ELEMENT`` went down."""
    tmp = tmp_path_factory.mktemp("incident-page")
    tag = f"incpage{os.getpid()}"
    out = tmp / "notifications.jsonl"
    port = free_port()
    config = worker_config(tmp, tag, out, '[correlation]\nconfirm_after_s = 2\n'
                           'resolve_after_s = 3\n[notify]\ndefault_language = "de"\n'
                           f'status_url = "http://127.0.0.1:{port}/i/{{incident_id}}"\n',
                           partitions=2)
    proc, port = start_worker(config, embedded_broker.url, region=SAMPLE, port=port,
                              env={"FOREWARN_API_TOKENS": TOKEN}, log=tmp / "worker.log")
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        body = json.dumps({"alarm_id": "IP1", "element_id": ELEMENT, "state": "raised",
                           "severity": "critical",
                           "event_time": datetime.now(UTC).isoformat()}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/alarms", data=body,
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        yield f"http://127.0.0.1:{port}", out
    finally:
        stop_worker(proc)


def sms_link(out: Path) -> str:
    """The link in the first outage SMS the worker delivered."""
    wait_for(lambda: any(r["stage"] == "outage" and r["channel"] == "sms"
                         for r in read_records(out)), 90, "an outage SMS")
    text = next(r["text"] for r in read_records(out)
                if r["stage"] == "outage" and r["channel"] == "sms")
    found = LINK.search(text)
    assert found, f"the SMS links to the incident page: {text!r}"
    return found.group(0)


def until_told(page: object, url: str) -> None:
    """The page lists the outage notice once the board has the delivery receipt."""
    def told() -> bool:
        page.goto(url)
        return page.locator('ol.timeline li[data-event="told_outage"]').count() == 1
    wait_for(told, 30, "the outage notice on the incident page's timeline")


@pytest.mark.parametrize(("locale", "heading", "eta"), [
    ("de-DE", "Störung: Mobilfunk", "Wann die Störung behoben ist, wissen wir noch nicht"),
    ("en-GB", "Disruption: Mobile", "We do not know yet when it will be fixed"),
])
def test_sms_link_opens_the_incident_page_in_the_browsers_language_without_javascript(
        chromium: object, live: tuple[str, Path], places: set[str], artifacts_dir: Path,
        locale: str, heading: str, eta: str) -> None:
    _, out = live
    url = sms_link(out)
    context = chromium.new_context(locale=locale, java_script_enabled=False)
    page = context.new_page()
    try:
        response = page.goto(url)
        assert response.status == 200
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.locator("html").get_attribute("lang") == locale[:2]
        assert page.inner_text("h1") == heading
        assert page.locator('[data-state="active"]').count() == 1
        shown = set(page.inner_text("dd.places").split(", "))
        assert shown == places, "where: the place names of the affected customers"
        assert eta in page.inner_text("dd.eta")
        assert re.search(r"\d\d:\d\d (Uhr )?CES?T", page.inner_text("dd.since"))
        until_told(page, url)
        page.screenshot(path=artifacts_dir / f"incident-page-sms-{locale}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "heading", "missing"), [
    ("de", "Störung: Mobilfunk", "Störung nicht gefunden"),
    ("en", "Disruption: Mobile", "Incident not found"),
])
def test_banner_link_opens_the_same_incident_page_in_the_desks_language(
        chromium: object, live: tuple[str, Path], artifacts_dir: Path,
        lang: str, heading: str, missing: str) -> None:
    base, out = live
    incident_path = sms_link(out).split("/i/", 1)[1]
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/?lang={lang}")
        link = page.locator(f'.banner a.incident-link[href="/i/{incident_path}?lang={lang}"]')
        link.wait_for(timeout=60_000)  # the banners refresh themselves every few seconds
        link.click()
        page.wait_for_url(f"{base}/i/{incident_path}?lang={lang}")
        assert page.inner_text("h1") == heading
        assert page.locator("code.incident-id").inner_text() == incident_path
        page.screenshot(path=artifacts_dir / f"incident-page-banner-{lang}.png", full_page=True)
        response = page.goto(f"{base}/i/INC-unknown?lang={lang}")
        assert response.status == 404
        assert page.inner_text("h1") == missing
    finally:
        context.close()
    assert errors == [], "no JavaScript errors"
