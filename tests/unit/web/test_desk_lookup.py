"""What an agent sees about a caller: phone lookup and the customer status body."""

from __future__ import annotations

import pytest

from forewarn.domain import Notification
from forewarn.geo import RegionIndex
from forewarn.streams.delivery.history import remember_delivery
from forewarn.streams.web.desk import PhoneBook, customer_status, normalise_phone
from tests.unit.web.web_helpers import T0


@pytest.mark.parametrize("typed", ["+49 151 12345678", "+49-151-1234 5678", "0049 151 12345678",
                                   "0151 12345678", "(0151) 123/456.78"])
def test_phone_numbers_are_normalised_however_they_are_typed(typed: str) -> None:
    assert normalise_phone(typed, "49") == "4915112345678"


@pytest.mark.parametrize("typed", ["007", "c-east", "hello", "+49", ""])
def test_ids_and_words_are_not_phone_numbers(typed: str) -> None:
    assert normalise_phone(typed, "49") is None


def test_phone_book_finds_the_customer_in_national_and_international_form(
        index: RegionIndex) -> None:
    book = PhoneBook(index, "DE")
    assert book.lookup("+49 151 12345678") == ["007"]
    assert book.lookup("0153 12345678") == ["c-south"]
    assert book.lookup("+49 999 0000000") == []


def _notification(stage: str) -> Notification:
    return Notification(f"n-{stage}", "007", "INC-1", stage, ["mobile"], "sms", "+4915112345678",
                        "de", None, "Wir wissen Bescheid.", "2023-11-14T22:15:20+00:00",
                        "2023-11-14T22:15:21+00:00")


def test_status_shows_episode_incident_since_notified_eta_and_history(index: RegionIndex) -> None:
    episodes = {"007": {"t": T0 + 200, "episodes": {"mobile": {
        "incident_id": "INC-1", "cause_type": "site", "since": T0, "out": True,
        "back_since": None, "notified": True, "deadline": None, "eta": T0 + 7200}}}}
    history = {"007": remember_delivery(None, _notification("outage"))}
    body = customer_status(index, "007", episodes, history, partition=3)
    assert body is not None and body["affected"] and body["partition"] == 3
    (episode,) = body["episodes"]
    assert episode == {**episode, "service": "mobile", "state": "out", "incident_id": "INC-1",
                       "since": "2023-11-14T22:13:20+00:00", "notified": True,
                       "eta": "2023-11-14T00:13:20+00:00".replace("14T00", "15T00")}
    assert episode["told"] == [{"stage": "outage", "channel": "sms",
                                "at": "2023-11-14T22:15:21+00:00"}]
    assert body["notifications"][0]["to"] != "+4915112345678", "addresses stay masked"
    assert "12345678" not in (body["phone"] or "")


def test_status_of_an_unaffected_customer_has_no_episodes(index: RegionIndex) -> None:
    body = customer_status(index, "c-out", {}, {}, partition=0)
    assert body is not None and not body["affected"] and body["episodes"] == []


def test_unknown_customer_has_no_status(index: RegionIndex) -> None:
    assert customer_status(index, "nobody", {}, {}, partition=0) is None


def test_planned_works_show_as_planned(index: RegionIndex) -> None:
    episodes = {"f-geo": {"t": T0, "episodes": {}, "planned": {"fibre": "MW-7"}}}
    (episode,) = customer_status(index, "f-geo", episodes, {}, partition=0)["episodes"]
    assert episode["state"] == "planned" and episode["maintenance_id"] == "MW-7"
