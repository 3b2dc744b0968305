"""``POST /api/v1/contacts`` refuses contacts that name no known customer (CONTRACT §8),
resolving ids against the index and numbers as the desk's lookup does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forewarn.config import Settings
from forewarn.domain import Contact
from forewarn.geo import RegionIndex
from forewarn.streams.input.http_ingest import contact_body
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.metrics import StreamMetrics


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"legal": {"country": "DE"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index))


def contact(customer_id: str | None = None, phone: str | None = None) -> Contact:
    return Contact("c-1", "desk", "no_service", 1_800_000_000.0, customer_id=customer_id,
                   phone=phone)


@pytest.mark.parametrize("customer_id", ["007", "0012", "c-east"])
def test_known_customer_id_is_accepted(api: WebApi, customer_id: str) -> None:
    assert api.known_customer(contact(customer_id=customer_id)) is None


def test_unknown_customer_id_names_customer_id(api: WebApi) -> None:
    assert api.known_customer(contact(customer_id="07")) == ("customer_id",
                                                             "names no known customer")


@pytest.mark.parametrize("phone", ["+49 151 12345678", "0151 1234-5678", "004915112345678",
                                   "(0151) 123/456.78"])
def test_known_number_however_it_is_written_is_accepted(api: WebApi, phone: str) -> None:
    assert api.known_customer(contact(phone=phone)) is None


@pytest.mark.parametrize("phone", ["+49 151 12345679", "4915112345678"])
def test_unknown_number_names_phone(api: WebApi, phone: str) -> None:
    field, _ = api.known_customer(contact(phone=phone)) or ("", "")
    assert field == "phone"


def test_contact_body_with_the_api_check_answers_400_for_the_unknown_one(api: WebApi) -> None:
    base = {"contact_id": "c-1", "channel": "call", "reason": "other",
            "event_time": "2026-05-04T10:00:00Z"}
    body = json.dumps([base | {"customer_id": "007"}, base | {"phone": "+44 20 7946 0000"}])
    answer = contact_body(body.encode(), api.known_customer)
    assert answer.status == 400 and answer.body["accepted"] == 1
    assert [e["field"] for e in answer.body["errors"]] == ["[1].phone"]


def test_a_worker_mapping_some_slices_knows_every_partitions_customers(
        board: IncidentBoard, index: RegionIndex, tmp_path: Path) -> None:
    from forewarn.geo.slice_build import build_slices
    from forewarn.geo.slices import load_slices
    from forewarn.streams.partitioning import partition_of
    from tests.unit.geo.geo_helpers import TINY

    build_slices(TINY, tmp_path, 4)
    sliced = load_slices(tmp_path, (partition_of("007", 4),))  # a worker of one partition
    elsewhere = [c for c in index.customer_ids if partition_of(c, 4) not in sliced.loaded]
    assert elsewhere, "customers on slices this worker does not map"
    api = WebApi(board=board, index=sliced, settings=Settings(), tables={}, partitions=4,
                 metrics=StreamMetrics(board=board, index=sliced))
    for customer_id in ["007", *elsewhere]:
        assert api.known_customer(contact(customer_id=customer_id)) is None, customer_id
    for unknown in ["07", "0070", "", "zzz", "c-east-"]:
        assert api.known_customer(contact(customer_id=unknown)) == (
            "customer_id", "names no known customer"), unknown
