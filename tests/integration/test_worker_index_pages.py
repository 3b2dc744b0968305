"""``forewarn worker --index DIR``: a worker started from a sliced index, without the region's
files, shows areas, places and footprints (from the index's shared part) and finds callers
by phone (from the shared phone map)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from forewarn.geo.slice_build import build_slices
from tests.forewarn_testing import (
    TINY,
    get_json,
    healthy,
    native,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration
TOKEN = "pages-token"


def _text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def _caller(port: int, phone: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/callers/{urllib.parse.quote(phone)}",
        headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _west(port: int) -> dict[str, object] | None:
    body = get_json(f"http://127.0.0.1:{port}/api/v1/status?q=10115")
    if not isinstance(body, dict) or not body.get("areas"):
        return None
    area: dict[str, object] = body["areas"][0]
    return area


def test_worker_from_slices_shows_places_footprints_and_finds_callers(
    embedded_broker: object, tmp_path: Path
) -> None:
    region = tmp_path / "region"
    shutil.copytree(TINY, region)
    build_slices(region, tmp_path / "index", 2)
    shutil.rmtree(region)  # areas, cells and phones must come from the index
    tag = f"wip{os.getpid()}"
    config = worker_config(tmp_path, tag, tmp_path / "out.jsonl",
                           f'[correlation]\nconfirm_after_s = 2\n[api]\ntokens = ["{TOKEN}"]\n',
                           partitions=2)
    proc, port = start_worker(config, embedded_broker.url,  # type: ignore[attr-defined]
                              index=tmp_path / "index")
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        west = _west(port)
        assert west is not None and west["name"] == "Berlin-Mitte" and not west["disrupted"]
        produce(embedded_broker.bootstrap,  # type: ignore[attr-defined]
                f"{tag}.alarms.raw", [native("P1", "S-A", "raised")])
        wait_for(lambda: (_west(port) or {}).get("disrupted"), 90, "Berlin-Mitte disrupted")
        areas = get_json(f"http://127.0.0.1:{port}/api/v1/areas")
        assert isinstance(areas, dict)
        assert {f["properties"]["kind"] for f in areas["features"]} == {"area", "footprint"}
        wait_for(lambda: "Berlin-Mitte" in _text(f"http://127.0.0.1:{port}/desk/banners?lang=en"),
                 60, "the banner naming its place")
        status, body = _caller(port, "0151 12345678")
        assert status == 200 and body["customer_id"] == "007", body
        assert _caller(port, "+49 999 0000000")[0] == 404
    finally:
        stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]
