"""``GET /api/v1/callers/{phone}`` over real HTTP on two workers in one consumer group: either
worker answers from the tables of the worker owning the caller's customer partition (known
outage, incident, what they were told by when), with the text the IVR speaks; 401 without a
token, 404 for an unknown number, 400 for something that is no phone number.

Set-up as in ``test_two_workers``: the alarm goes out once both workers hold a share of the
partitions and are ready; every wait is for an observable state, never a sleep."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.partitioning import partition_of
from tests.forewarn_testing import (
    healthy,
    native,
    produce,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)
from tests.integration.test_two_workers import split_between

pytestmark = pytest.mark.integration

TOKEN = "ivr-callers-token"
PARTITIONS = 4


def ask(port: int, phone: str, token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    return get(port, f"/api/v1/callers/{urllib.parse.quote(phone, safe='+')}", token)


def get(port: int, path: str, token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{port}{path}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.geo.commands import run_synth

    path = tmp_path_factory.mktemp("ivr") / "region"
    run_synth(path, 800, 41)
    return path


@pytest.fixture(scope="module")
def story(embedded_broker: Any, region: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two workers, one power element down and its customers told: the ports, the out
    customers with a phone number, and one customer with a phone who is not out."""
    index = RegionIndex.build(load_region(region))
    powers = sorted(e for e in index.element_ids if index.element_type(e) == "power")
    power = max(powers, key=lambda e: len(index.impact([e])["mobile"]))
    hit = set().union(*map(set, index.impact([power]).values()))
    reachable = {c for c in hit if index.customer(c).first_channel()}
    callers = sorted(c for c in reachable if index.customer(c).phone)
    calm = next(c for c in index.customer_ids if c not in hit and index.customer(c).phone)
    phones = [index.customer(c).phone for c in index.customer_ids if index.customer(c).phone]

    tmp = tmp_path_factory.mktemp("ivr-workers")
    out = tmp / "notifications.jsonl"
    tag = f"ivr{os.getpid()}"
    config = worker_config(tmp, tag, out, "[correlation]\nconfirm_after_s = 2\n"
                           "resolve_after_s = 3\n[legal]\ncountry = \"DE\"\n",
                           partitions=PARTITIONS)
    env = {"FOREWARN_API_TOKENS": TOKEN}
    logs = [tmp / "a.log", tmp / "b.log"]
    workers = [start_worker(config, embedded_broker.url, region=region, env=env, log=log)
               for log in logs]
    try:
        ports = [port for _, port in workers]
        wait_for(lambda: split_between(logs, f"{tag}.impacts", PARTITIONS)
                 and all(healthy(port) for port in ports), 180,
                 "both workers to hold a share of the partitions and be ready")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P", power, "raised")])
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 120, "outage notices")
        yield {"ports": ports, "callers": callers, "calm": calm, "index": index,
               "phones": phones, "logs": logs}
    finally:
        for proc, _ in workers:
            stop_worker(proc)


def test_either_worker_answers_a_caller_in_an_outage_from_the_owners_tables(
        story: dict[str, Any]) -> None:
    index = story["index"]
    # Callers on every partition: each worker must forward some of them to the other.
    by_partition = {partition_of(c, PARTITIONS): c for c in story["callers"]}
    assert len(by_partition) > 1
    for customer_id in by_partition.values():
        phone = index.customer(customer_id).phone
        answers = [ask(port, phone) for port in story["ports"]]
        assert answers[0] == answers[1], "either worker answers from the owner's tables"
        status, body = answers[0]
        assert status == 200, body
        assert body["customer_id"] == customer_id and body["known_outage"]
        assert body["situation"] == "outage" and body["incident_id"]
        assert [t["stage"] for t in body["told"]] == ["outage"]
        assert body["told"][0]["channel"] == index.customer(customer_id).first_channel()[0]
        assert body["phone"] != phone and phone[-2:] == body["phone"][-2:]
        assert body["text"] and "://" not in body["text"] and "\n" not in body["text"]


def test_a_caller_with_no_known_problem_is_told_so(story: dict[str, Any]) -> None:
    phone = story["index"].customer(story["calm"]).phone
    status, body = ask(story["ports"][1], phone)
    assert status == 200, body
    assert not body["known_outage"] and not body["suspected"] and body["told"] == []
    assert body["situation"] == "none" and "incident_id" not in body


def test_without_a_token_the_answer_is_401(story: dict[str, Any]) -> None:
    phone = story["index"].customer(story["callers"][0]).phone
    assert ask(story["ports"][0], phone, token=None)[0] == 401
    assert ask(story["ports"][0], phone, token="wrong")[0] == 401


def test_an_unknown_number_is_404_and_something_else_is_400_naming_the_field(
        story: dict[str, Any]) -> None:
    unknown = next(f"+49170{n:07d}" for n in range(10**7) if f"+49170{n:07d}"
                   not in story["phones"])
    for port in story["ports"]:
        status, body = ask(port, unknown)
        assert status == 404 and "phone number" in body["error"]
        status, body = ask(port, "not-a-number")
        assert status == 400 and "'phone'" in body["error"]
        status, body = ask(port, "+49 151 " + "1" * 40)
        assert status == 400 and "'phone'" in body["error"]


def test_both_workers_see_the_boards_open_suspicions(story: dict[str, Any]) -> None:
    answers = [get(port, "/api/v1/suspicions") for port in story["ports"]]
    assert answers[0] == answers[1] == (200, {"suspicions": []})
    assert get(story["ports"][0], "/api/v1/suspicions", token=None)[0] == 401


def test_the_workers_log_no_callers_number_and_read_the_suspicions(
        story: dict[str, Any]) -> None:
    phones = [story["index"].customer(c).phone for c in story["callers"]]
    texts = [log.read_text(errors="replace") for log in story["logs"]]
    for text in texts:
        assert not [p for p in phones if p in text or p.lstrip("+") in text]
        assert "cannot read the open suspected incidents" not in text
    # Both answered callers; the one without the board read the board owner's suspicions.
    assert sum("reading the open suspected incidents from the board's worker" in text
               for text in texts) == 1
