"""Issue 16, finding 4: outside-controlled text on the service desk never runs as HTML.

A real worker on a copy of the sample region whose first area's name is an HTML payload;
a maintenance window whose ``maintenance_id`` (which becomes the incident id) and ``text``
are payloads, and a NOC incident update whose message is one, all posted over HTTP. Then
the desk in headless Chromium: banners (server-rendered, then refreshed by script), the
map's tooltips opened one by one, the caller lookup. Every payload's ``onerror`` would bump
``window.__xss``; the test asserts it never ran, the text is shown literally, the page
raised no CSP violation, and the desk token is in no web storage.

Also finding 10 on the same worker: a 20 KB ``Authorization`` header leaves no piece of
its secret in the worker's log (``--verbose``, so INFO and above are written).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.web.response_headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.forewarn_testing import (
    SAMPLE,
    healthy,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TOKEN = "hostile-token-7c1e"
ELEMENT = "S0002"


def _payload(tag: str) -> str:
    """HTML that, if ever parsed, counts itself in ``window.__xss``."""
    return f"<img src=x onerror=window.__xss=(window.__xss||[]).concat('{tag}')>"


# Ids cannot carry markup any more (no < > " ' or backtick: the id limits refuse them), but
# entities pass: shown as HTML they would turn into other characters, shown as text they don't.
MAINTENANCE_ID = "MW-&lt;b&gt;&amp;bold"
REFUSED_ID = "MW-" + _payload("id")
MAINTENANCE_TEXT = "Works " + _payload("text")
NOC_MESSAGE = "ETA " + _payload("message") + "<script>window.__xss=['script']</script>"
PLACE = "Mitte " + _payload("place")

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""

# What an injected script could read without knowing our code: window's own properties.
GLOBALS_HOLD = """t => Object.keys(window).some(k => {
  try { return typeof window[k] === 'string' ? window[k].includes(t)
               : JSON.stringify(window[k] || null).includes(t); } catch (e) { return false; }
})"""


def _post(base: str, path: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _post_refused(base: str, path: str, body: dict[str, object]) -> tuple[int, str]:
    """The status and body of a post the worker is expected to refuse."""
    try:
        return _post(base, path, body), ""
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.fixture(scope="module")
def hostile_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample region with an HTML payload as the first area's name."""
    folder = tmp_path_factory.mktemp("hostile") / "region"
    shutil.copytree(SAMPLE, folder)
    areas = json.loads((folder / "areas.geojson").read_text())
    areas["features"][0]["properties"]["name"] = PLACE
    (folder / "areas.geojson").write_text(json.dumps(areas))
    return folder


@pytest.fixture(scope="module")
def planned_customer(hostile_region: Path) -> str:
    """A mobile customer that the maintenance of ``ELEMENT`` takes out."""
    return str(RegionIndex.build(load_region(hostile_region)).impact([ELEMENT])["mobile"][0])


@pytest.fixture(scope="module")
def worker(embedded_broker: object, hostile_region: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    tmp = tmp_path_factory.mktemp("hostile-worker")
    tag = f"hostile{os.getpid()}"
    config = worker_config(tmp, tag, tmp / "notifications.jsonl",
                           '[notify]\ndefault_language = "en"\n', partitions=2)
    log = tmp / "worker.log"
    proc, port = start_worker(config, embedded_broker.url, region=hostile_region,
                              env={"FOREWARN_API_TOKENS": TOKEN}, log=log)
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        now = datetime.now(UTC)
        assert _post(f"http://127.0.0.1:{port}", "/api/v1/maintenance", {
            "maintenance_id": MAINTENANCE_ID, "elements": [ELEMENT],
            "start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat(),
            "text": MAINTENANCE_TEXT, "event_time": now.isoformat()}) == 202
        refused = _post_refused(f"http://127.0.0.1:{port}", "/api/v1/maintenance", {
            "maintenance_id": REFUSED_ID, "elements": [ELEMENT],
            "start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat(),
            "event_time": now.isoformat()})
        assert refused[0] == 400 and "maintenance_id" in refused[1], refused
        yield f"http://127.0.0.1:{port}", port, log
    finally:
        stop_worker(proc)


def _incident_ids(base: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"{base}/api/v1/incidents", timeout=5) as response:
            return [i["incident_id"] for i in json.loads(response.read())["incidents"]]
    except OSError:
        return []


def test_hostile_ids_texts_and_place_names_show_as_text_and_never_run(
        chromium: object, worker: tuple[str, int, Path], planned_customer: str,
        artifacts_dir: Path) -> None:
    base, _, _ = worker
    wait_for(lambda: MAINTENANCE_ID in _incident_ids(base), 60, "the maintenance incident")
    assert _post(base, "/api/v1/incidents/" + urllib.parse.quote(MAINTENANCE_ID, safe="")
                 + "/updates", {"type": "incident_update", "message": NOC_MESSAGE,
                                "eta": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
                                "event_time": datetime.now(UTC).isoformat()}) == 202

    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.add_init_script(WATCH)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text} {msg.location}")
            if msg.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if "/static/" in r.url and r.status != 200 else None)
    try:
        response = page.goto(f"{base}/?lang=en")
        assert response.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY

        # Banners: the NOC message arrives only through the script's refresh.
        page.wait_for_function("m => [...document.querySelectorAll('.banner .noc')]"
                               ".some(p => p.textContent.includes(m))", arg=NOC_MESSAGE,
                               timeout=30_000)
        banner = page.locator(".banner.planned").first
        assert banner.get_attribute("data-incident") == MAINTENANCE_ID
        assert MAINTENANCE_ID in banner.inner_text()

        # Map: every place carries its name as a permanent label (a Leaflet tooltip).
        page.wait_for_function("() => +document.getElementById('map').dataset.footprints > 0",
                               timeout=30_000)
        tooltips = page.locator(".leaflet-tooltip.area-label")
        tooltips.first.wait_for(timeout=10_000)
        texts = [tooltips.nth(k).text_content() for k in range(tooltips.count())]
        assert PLACE in texts, texts
        assert page.locator("#map img, #banners img, #banners script").count() == 0

        # Lookup: the planned episode names the maintenance literally; the token stays in memory.
        page.fill("#token", TOKEN)
        page.click("#token-form button[type=submit]")
        stored = page.evaluate("() => JSON.stringify([sessionStorage, localStorage])")
        assert TOKEN not in stored
        assert TOKEN not in page.evaluate("() => document.cookie")
        assert not page.evaluate(GLOBALS_HOLD, TOKEN), "the token is reachable from window"
        page.fill("#lookup-q", planned_customer)

        def planned_line() -> bool:
            page.click("#lookup-form button[type=submit]")
            episode = page.locator(f'.card[data-customer="{planned_customer}"] .episode')
            try:
                episode.first.wait_for(timeout=5_000)
            except Exception:
                return False
            return MAINTENANCE_ID in episode.first.inner_text()

        wait_for(planned_line, 60, "the caller's planned episode")
        page.screenshot(path=artifacts_dir / "desk-hostile.png", full_page=True)

        assert page.evaluate("() => window.__xss") is None, "an injected handler ran"
        assert page.evaluate("() => window.__csp") == [], "CSP violations"
        assert problems == []

        page.reload()
        page.fill("#lookup-q", planned_customer)
        page.click("#lookup-form button[type=submit]")
        page.locator("#lookup-result .error").wait_for(timeout=10_000)
        assert "API token" in page.inner_text("#lookup-result"), "the token survived a reload"
    finally:
        context.close()


def test_status_page_shows_a_hostile_query_and_place_name_as_text(
        chromium: object, worker: tuple[str, int, Path]) -> None:
    base, _, _ = worker
    context = chromium.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        query = _payload("query")
        response = page.goto(f"{base}/status?lang=en&q=" + urllib.parse.quote(query))
        assert response.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY
        page.locator("#answer").wait_for(timeout=10_000)
        assert query in page.inner_text("#answer")
        page.goto(f"{base}/status?lang=en&q=" + urllib.parse.quote(PLACE))
        page.locator("#answer").wait_for(timeout=10_000)
        assert PLACE in page.inner_text("#answer")
        assert page.locator("#answer img").count() == 0
        assert page.evaluate("() => window.__xss") is None, "an injected handler ran"
        assert page.evaluate("() => window.__csp") == [], "CSP violations"
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/status", "/desk/banners", "/api/v1/areas",
                                  "/api/v1/customers/x/status", "/static/desk.js", "/no-such"])
def test_every_worker_answer_carries_the_security_headers(
        worker: tuple[str, int, Path], path: str) -> None:
    base, _, _ = worker
    try:
        with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
            headers = response.headers
    except urllib.error.HTTPError as refused:  # 401 and 404 need the headers too
        headers = refused.headers
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (path, name)


def test_a_20_kb_authorization_header_leaves_no_part_of_the_secret_in_the_worker_log(
        worker: tuple[str, int, Path]) -> None:
    _, port, log = worker
    secret = secrets.token_urlsafe(15_000)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(f"GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {secret}\r\n\r\n".encode())
        answer = conn.recv(200)
    assert b" 400 " in answer.split(b"\r\n")[0]
    wait_for(lambda: re.search(r"(malformed HTTP request|Error handling request) from",
                               log.read_text(errors="replace")), 30,
             "the worker to log the rejected request (else this test proves nothing)")
    text = log.read_text(errors="replace")
    leaks = [secret[i:i + 8] for i in range(len(secret) - 7) if secret[i:i + 8] in text]
    assert leaks == []
