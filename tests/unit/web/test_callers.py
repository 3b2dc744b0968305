"""The IVR / CTI answer (CONTRACT §8): which situation a caller is in, what they were told, and
the text the IVR speaks; and the handler's 400 / 404 answers with the phone limit."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.config import Settings
from forewarn.domain import Customer, Notification
from forewarn.geo import RegionIndex
from forewarn.streams.delivery.history import remember_delivery
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.callers import MAX_PHONE, caller_answer, serving_elements_of
from forewarn.streams.web.metrics import StreamMetrics
from forewarn.templates import MessageRenderer
from forewarn.templates.ivr import IVR_MAX_CHARS
from tests.unit.web.web_helpers import T0

NOW = T0 + 600  # 2023-11-14 23:23:20 in Berlin; T0 is 23:13:20 there
PHONE = "+4915112345678"  # customer 007 of ``tiny`` (mobile + fibre, German)


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer()


def customer(language: str | None = "de", services: tuple[str, ...] = ("mobile", "fibre"),
             timezone: str = "Europe/Berlin") -> Customer:
    return Customer("007", services, language, ("sms",), phone=PHONE, timezone=timezone)


def out_episode(incident: str = "INC-1", since: float = T0, eta: float | None = None,
                **extra: Any) -> dict[str, Any]:
    return {"incident_id": incident, "cause_type": "site", "since": since, "out": True,
            "back_since": None, "notified": True, "deadline": None, "eta": eta, **extra}


def told(incident: str = "INC-1", stage: str = "outage", channel: str = "sms",
         delivered_at: str = "2023-11-14T22:15:21+00:00") -> Notification:
    return Notification(f"n-{incident}-{stage}-{channel}", "007", incident, stage, ["mobile"],
                        channel, PHONE, "de", None, "Wir wissen Bescheid.",
                        "2023-11-14T22:15:20+00:00", delivered_at)


def history(*notifications: Notification) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] | None = None
    for notification in notifications:
        entries = remember_delivery(entries, notification)
    return entries or []


def answer(renderer: MessageRenderer, state: dict[str, Any] | None = None,
           sent: list[dict[str, Any]] | None = None, suspicions: list[dict[str, Any]] = (),
           serving: set[str] | None = None, who: Customer | None = None) -> dict[str, Any]:
    return caller_answer(who or customer(), PHONE, state, sent, list(suspicions),
                         serving or {"A1", "S-A", "PWR-1", "TRN-1", "PON-1", "OLT-1"},
                         now=NOW, renderer=renderer)


def test_a_caller_in_a_known_outage_hears_since_eta_and_that_we_sent_an_sms(
        renderer: MessageRenderer) -> None:
    state = {"episodes": {"mobile": out_episode(eta=T0 + 3600)}}
    body = answer(renderer, state, history(told()))
    assert body["known_outage"] and not body["suspected"]
    assert body["incident_id"] == "INC-1" and body["situation"] == "outage"
    assert body["told"] == [{"stage": "outage", "channel": "sms",
                             "at": "2023-11-14T22:15:21+00:00"}]
    assert body["language"] == "de"
    text = body["text"]
    assert text.startswith("Wir wissen Bescheid: Bei Ihrem Mobilfunk gibt es seit 23:13 Uhr")
    assert "bis morgen gegen 0:13 Uhr" in text  # the ETA, local, on the next day
    assert text.endswith("Wir haben Ihnen um 23:15 Uhr eine SMS dazu geschickt.")


def test_an_outage_without_eta_promises_no_time_and_apologises_once(
        renderer: MessageRenderer) -> None:
    body = answer(renderer, {"episodes": {"fibre": out_episode()}})
    assert body["known_outage"] and body["told"] == []
    assert "voraussichtlich" not in body["text"] and "Glasfaser" in body["text"]
    assert body["text"].count("entschuldigen") == 1


def test_an_eta_that_has_passed_is_not_spoken(renderer: MessageRenderer) -> None:
    body = answer(renderer, {"episodes": {"mobile": out_episode(eta=NOW - 60)}})
    assert body["known_outage"] and "voraussichtlich" not in body["text"]


def test_an_english_caller_hears_twelve_hour_times_and_the_channel_in_words(
        renderer: MessageRenderer) -> None:
    state = {"episodes": {"mobile": out_episode(eta=T0 + 3600 * 17)}}
    body = answer(renderer, state, history(told(channel="email")), who=customer("en"))
    assert body["language"] == "en"
    assert body["text"] == ("We know about a fault affecting your mobile service since 11:13 pm "
                            "and are working on it; we expect it to work again by about 4:13 pm "
                            "tomorrow. We sent you an email about it at 11:15 pm.")


def test_times_are_spoken_in_the_callers_own_zone(renderer: MessageRenderer) -> None:
    body = answer(renderer, {"episodes": {"mobile": out_episode()}},
                  who=customer("en", timezone="Europe/London"))
    assert "since 10:13 pm" in body["text"]


def test_planned_works_are_a_known_outage_with_their_end(renderer: MessageRenderer) -> None:
    state = {"episodes": {}, "planned": {"fibre": "MW-7"},
             "windows": {"MW-7": {"at": T0 - 86400, "start": T0, "end": T0 + 7200,
                                  "services": ["fibre"], "sent": True}}}
    body = answer(renderer, state, history(told("MW-7", "planned", "sms")))
    assert body["known_outage"] and body["incident_id"] == "MW-7"
    assert body["situation"] == "planned" and body["services"] == ["fibre"]
    assert "geplante Wartungsarbeiten" in body["text"]
    assert "bis morgen gegen 1:13 Uhr" in body["text"]
    assert [t["stage"] for t in body["told"]] == ["planned"]


def test_a_suspected_incident_on_a_serving_element_is_reported_without_a_known_outage(
        renderer: MessageRenderer) -> None:
    suspicion = {"incident_id": "SUS-1", "element_id": "S-A", "at": T0, "reports": 6}
    body = answer(renderer, None, None, [suspicion])
    assert body["suspected"] and not body["known_outage"]
    assert body["incident_id"] == "SUS-1" and body["situation"] == "suspected"
    assert body["text"].startswith("Wir prüfen gerade Meldungen über Probleme in Ihrer Gegend")


def test_a_suspicion_on_an_element_that_does_not_serve_the_caller_is_ignored(
        renderer: MessageRenderer) -> None:
    suspicion = {"incident_id": "SUS-2", "element_id": "S-C", "at": T0, "reports": 6}
    body = answer(renderer, None, None, [suspicion])
    assert not body["suspected"] and body["situation"] == "none" and "incident_id" not in body


def test_a_known_outage_wins_over_a_suspicion_but_both_are_reported(
        renderer: MessageRenderer) -> None:
    suspicion = {"incident_id": "SUS-1", "element_id": "PON-1", "at": T0, "reports": 6}
    body = answer(renderer, {"episodes": {"mobile": out_episode()}}, None, [suspicion])
    assert body["known_outage"] and body["suspected"] and body["incident_id"] == "INC-1"
    assert body["situation"] == "outage"


def test_a_caller_with_no_known_problem_hears_so_and_what_to_restart(
        renderer: MessageRenderer) -> None:
    body = answer(renderer, None, history(told("INC-OLD", "resolved")))
    assert not body["known_outage"] and not body["suspected"]
    assert "incident_id" not in body and body["told"] == []
    assert body["text"] == ("Uns ist derzeit keine Störung bei Ihrem Mobilfunk und Ihrem "
                            "Glasfaser-Internet bekannt. Falls etwas nicht funktioniert, starten "
                            "Sie bitte Ihr Telefon und Ihren Router neu.")


def test_a_caller_whose_service_came_back_hears_since_when(renderer: MessageRenderer) -> None:
    episode = out_episode(out=False, back_since=NOW - 120)
    body = answer(renderer, {"episodes": {"mobile": episode}}, history(told()))
    assert not body["known_outage"] and body["situation"] == "back"
    assert body["incident_id"] == "INC-1" and len(body["told"]) == 1
    assert "seit 23:21 Uhr wieder alles in Ordnung" in body["text"]


def test_told_lists_only_the_current_incident_and_those_merged_into_it(
        renderer: MessageRenderer) -> None:
    state = {"episodes": {"mobile": out_episode("INC-2", aliases=["INC-1"])}}
    sent = history(told("INC-0", "resolved"), told("INC-1"),
                   told("INC-2", "update", "push", "2023-11-14T22:20:00+00:00"))
    body = answer(renderer, state, sent)
    assert [(t["stage"], t["channel"]) for t in body["told"]] == [("outage", "sms"),
                                                                   ("update", "push")]
    assert body["text"].endswith("um 23:20 Uhr eine App-Nachricht dazu geschickt.")


def test_the_phone_is_masked_and_no_personal_data_is_spoken(renderer: MessageRenderer) -> None:
    body = answer(renderer, {"episodes": {"mobile": out_episode()}}, history(told()))
    assert body["phone"] != PHONE and body["phone"].endswith("78")
    assert "12345" not in body["phone"]
    assert "007" not in body["text"] and "INC-1" not in body["text"]
    assert len(body["text"]) <= IVR_MAX_CHARS


def test_a_customer_without_language_hears_the_default(renderer: MessageRenderer) -> None:
    assert answer(renderer, who=customer(None))["language"] == renderer.default_language


def test_serving_elements_are_cells_nodes_and_their_ancestors(index: RegionIndex) -> None:
    assert serving_elements_of(index, "007") == {"A1", "S-A", "PWR-1", "TRN-1", "PON-1",
                                                 "OLT-1"}
    assert serving_elements_of(index, "c-out") == set()


# -- the handler: 400 / 404 / 200 and the phone limit ---------------------------------------


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"legal": {"country": "DE"}})
    tables = {"episodes": {"007": {"episodes": {"mobile": out_episode()}}},
              "history": {"007": history(told())}}
    return WebApi(board=board, index=index, settings=settings, tables=tables, partitions=2,
                  metrics=StreamMetrics(board=board, index=index), clock=lambda: NOW)


@pytest.mark.parametrize("typed", ["+49 151 12345678", "0151 1234-5678", "004915112345678"])
def test_the_handler_finds_the_caller_however_the_number_is_written(
        api: WebApi, typed: str) -> None:
    reply = api.caller(typed)
    assert reply.status == 200, reply.body
    assert reply.body["customer_id"] == "007" and reply.body["known_outage"]
    assert reply.body["phone"] == "+49151******78"


def test_the_handler_answers_404_for_an_unknown_number(api: WebApi) -> None:
    reply = api.caller("+49 999 0000000")
    assert reply.status == 404 and "phone number" in reply.body["error"]


@pytest.mark.parametrize("typed", ["hello", "007", "+49", "c-east"])
def test_the_handler_answers_400_naming_the_field_for_what_is_no_phone_number(
        api: WebApi, typed: str) -> None:
    reply = api.caller(typed)
    assert reply.status == 400 and "'phone'" in reply.body["error"]


def test_a_number_at_the_length_limit_is_looked_up_and_one_past_it_is_refused(
        api: WebApi) -> None:
    at_limit = PHONE + " " * (MAX_PHONE - len(PHONE))
    assert len(at_limit) == MAX_PHONE and api.caller(at_limit).status == 200
    reply = api.caller(at_limit + " ")
    assert reply.status == 400 and "'phone'" in reply.body["error"]
    assert str(MAX_PHONE) in reply.body["error"]


def test_the_handler_reports_an_open_suspicion_from_the_board(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_suspicion({"incident_id": "SUS-9", "element_id": "C1", "event": "suspected",
                            "at": T0, "reports": 7})
    reply = api.caller("+49 154 12345678")  # c-diag, covered by C1 only
    assert reply.status == 200
    assert reply.body["suspected"] and reply.body["incident_id"] == "SUS-9"


def test_the_handler_uses_the_suspicions_it_is_given_instead_of_its_own_board(
        api: WebApi, board: IncidentBoard) -> None:
    """A worker without the board answers with the board owner's list (SuspicionMirror)."""
    mirrored = [{"incident_id": "SUS-7", "element_id": "C1", "at": T0, "reports": 5}]
    reply = api.caller("+49 154 12345678", mirrored)
    assert reply.body["suspected"] and reply.body["incident_id"] == "SUS-7"
    board.record_suspicion({"incident_id": "SUS-8", "element_id": "C1", "event": "suspected",
                            "at": T0, "reports": 7})
    assert not api.caller("+49 154 12345678", []).body["suspected"]
