"""The service desk and the status page in real headless Chromium, after a live outage.

A real worker on the sample region (session broker), an alarm posted over HTTP, then what
an agent and a customer see: the banner with the right counts, a caller's notification,
the status page's answer for an affected and an unaffected postcode. Screenshots go to
``test-artifacts/``.
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

TOKEN = "browser-token-51d0"
ELEMENT = "S0002"


@pytest.fixture(scope="module")
def story() -> dict[str, object]:
    """Expected outcome of ``ELEMENT`` down, computed without the worker."""
    region = load_region(SAMPLE)
    index = RegionIndex.build(region)
    mobile = index.impact([ELEMENT])["mobile"]
    customers = region.customers.set_index("customer_id")
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(customers.loc[mobile, "lon"],
                                                          customers.loc[mobile, "lat"]),
                              crs="EPSG:4326")
    areas = region.areas.to_crs("EPSG:4326")
    hit = set(gpd.sjoin(points, areas, predicate="intersects")["area_id"])
    postcode = dict(zip(areas["area_id"], areas["postcode"].astype(str)))
    sms = [c for c in mobile if index.customer(c).first_channel()
           and index.customer(c).first_channel()[0] == "sms"]
    return {"mobile": mobile, "sms": sms, "phone": index.customer(sms[0]).phone,
            "affected": postcode[min(hit)],
            "unaffected": postcode[min(set(areas["area_id"]) - hit)]}


@pytest.fixture(scope="module")
def desk(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("browser")
    tag = f"browser{os.getpid()}"
    out = tmp / "notifications.jsonl"
    config = worker_config(tmp, tag, out, '[correlation]\nconfirm_after_s = 2\n'
                           'resolve_after_s = 3\n[notify]\ndefault_language = "en"\n',
                           partitions=2)
    proc, port = start_worker(config, embedded_broker.url, region=SAMPLE,
                              env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        body = json.dumps({"alarm_id": "B1", "element_id": ELEMENT, "state": "raised",
                           "severity": "critical",
                           "event_time": datetime.now(UTC).isoformat()}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/alarms", data=body,
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        yield f"http://127.0.0.1:{port}", out
    finally:
        stop_worker(proc)


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "no JavaScript errors"


def test_banner_shows_the_incident_with_the_right_counts(
        page: object, desk: tuple[str, Path], story: dict, artifacts_dir: Path) -> None:
    base, _ = desk
    page.goto(f"{base}/?lang=en")
    count = page.locator(f'.banner.active li[data-service="mobile"]'
                         f'[data-now="{len(story["mobile"])}"]')
    count.wait_for(timeout=30_000)  # the banners refresh themselves every few seconds
    banner = page.locator(".banner.active").first
    assert f"{len(story['mobile'])} customers affected now" in banner.inner_text()
    assert ELEMENT in banner.inner_text()
    page.locator('#map path').first.wait_for(timeout=15_000)
    assert int(page.locator("#map").get_attribute("data-footprints")) >= 1
    page.screenshot(path=artifacts_dir / "desk-banner.png", full_page=True)


def test_lookup_shows_when_the_caller_was_told(
        page: object, desk: tuple[str, Path], story: dict, artifacts_dir: Path) -> None:
    base, out = desk
    customer = story["sms"][0]
    wait_for(lambda: any(r["customer_id"] == customer and r["stage"] == "outage"
                         for r in read_records(out)), 60, "the caller's outage notice")
    page.goto(f"{base}/?lang=en")
    page.fill("#lookup-q", customer)
    page.click("#lookup-form button[type=submit]")
    page.locator("#lookup-result .error").wait_for(timeout=10_000)
    assert "API token" in page.inner_text("#lookup-result")
    page.fill("#token", TOKEN)
    page.click("#token-form button[type=submit]")
    page.click("#lookup-form button[type=submit]")
    episode = page.locator(f'.card[data-customer="{customer}"] .episode')
    episode.wait_for(timeout=10_000)
    text = episode.inner_text()
    # a time of another day than today (in the desk's zone) carries its date: "7 Dec, 23:59"
    clock = r"(?:\d{1,2} \w{3},? )?\d\d:\d\d"
    assert re.search(rf"Mobile: affected by incident INC-\S+ since {clock}, "
                     rf"told by SMS at {clock}", text), text
    assert page.locator('.card li.notification[data-stage="outage"]').count() == 1
    page.screenshot(path=artifacts_dir / "desk-lookup.png", full_page=True)

    national = "0" + str(story["phone"]).removeprefix("+49")
    page.fill("#lookup-q", national[:4] + " " + national[4:])
    page.click("#lookup-form button[type=submit]")
    page.locator(f'.card[data-customer="{story["sms"][0]}"]').wait_for(timeout=10_000)


def test_caller_report_on_the_lookup_posts_a_desk_contact_by_keyboard_and_confirms(
        page: object, desk: tuple[str, Path], story: dict, artifacts_dir: Path) -> None:
    """Issue 15 item 1: "caller reports a problem" on the lookup result, keyboard only."""
    base, _ = desk
    customer = story["sms"][0]
    page.goto(f"{base}/?lang=en")
    page.fill("#token", TOKEN)
    page.press("#token", "Enter")
    page.fill("#lookup-q", customer)
    page.press("#lookup-q", "Enter")
    report = page.locator(f'.card[data-customer="{customer}"] form.report')
    report.wait_for(timeout=10_000)
    assert "Caller reports a problem" in report.inner_text()

    page.focus("#report-reason")
    page.keyboard.press("ArrowDown")  # "Service degraded", the second reason
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "report-button"
    with page.expect_response("**/api/v1/contacts") as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 202
    sent = answer.value.request.post_data_json
    assert (sent["customer_id"], sent["channel"], sent["reason"]) == (customer, "desk",
                                                                      "degraded")
    done = page.locator("#report-result.done")
    done.wait_for(timeout=10_000)
    assert done.get_attribute("role") == "status"
    assert f"Report recorded (reference {sent['contact_id']})" in done.inner_text()
    page.screenshot(path=artifacts_dir / "desk-caller-report.png", full_page=True)


def test_status_page_answers_for_affected_and_unaffected_postcodes(
        chromium: object, desk: tuple[str, Path], story: dict, artifacts_dir: Path) -> None:
    base, _ = desk
    context = chromium.new_context(java_script_enabled=False)  # the answer needs no script
    page = context.new_page()
    page.goto(f"{base}/status?lang=en")
    page.fill("#q", story["affected"])
    page.click("form[role=search] button[type=submit]")
    answer = page.locator("#answer .result.disrupted")
    answer.wait_for(timeout=10_000)
    # one mast of a district is out: partly disrupted, and nobody is told not to call
    assert re.search(r"is partly disrupted \(\d+ of \d+ areas\)", answer.inner_text())
    assert "Mobile" in answer.inner_text()
    assert "You do not need to call us" not in answer.inner_text()
    page.screenshot(path=artifacts_dir / "status-affected.png", full_page=True)
    page.fill("#q", story["unaffected"])
    page.click("form[role=search] button[type=submit]")
    calm = page.locator("#answer .result.ok")
    calm.wait_for(timeout=10_000)
    assert "No known disruption in" in calm.inner_text()
    page.screenshot(path=artifacts_dir / "status-unaffected.png", full_page=True)
    context.close()
