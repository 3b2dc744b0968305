"""The wording of scheduled ``update`` notices (ETA passed, legal clocks), chosen by ``notice``.

Every variant of every channel and language is held to the same rules as the other
templates: one GSM-7 segment in the worst case, "Sie", at most one apology, no jargon, no
blame, "no need to call"; and each variant says what its occasion requires.

The wording tests use one renderer per reason, so what they check does not depend on the
render cache; ``test_the_render_cache_tells_notices_apart`` checks the cache itself.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest

from forewarn.config import NotifySettings
from forewarn.domain import Decision
from forewarn.streams.reasons import Reason
from forewarn.templates import CHANNEL_PARTS, MessageRenderer, RenderedMessage, gsm7
from forewarn.templates.context import NOTICES, message_context
from forewarn.templates.samples import LONGEST_INCIDENT_ID, sample_customer, sample_decision

CLOCKS = [Reason.ETA_PASSED, Reason.LEGAL_DAY1, Reason.LEGAL_COMPENSATION,
          Reason.LEGAL_AUTO_COMPENSATION]
SERVICE_SETS = [("mobile",), ("fibre",), ("mobile", "fibre")]


def notice(reason: str, services=("mobile", "fibre"), **kw) -> Decision:
    return dataclasses.replace(sample_decision("update", services, **kw), reason=reason)


def words(message: RenderedMessage) -> str:
    return " ".join(p for p in (message.title, message.subject, message.text) if p)


@pytest.fixture(scope="module")
def renderers() -> dict[str, MessageRenderer]:
    """One renderer per notice reason (default settings)."""
    return {str(r): MessageRenderer(status_url=NotifySettings().status_url)
            for r in [*CLOCKS, Reason.NOC_UPDATE]}


def render(renderers: dict[str, MessageRenderer], d: Decision, language: str, channel: str
           ) -> RenderedMessage:
    return renderers[str(d.reason)].render(d, sample_customer(language, channel), channel)


def test_every_clock_reason_has_a_notice_and_nothing_else_does() -> None:
    assert {str(r) for r in CLOCKS} == NOTICES
    context = message_context(notice(Reason.NOC_UPDATE), sample_customer(), language="de",
                              channel="sms", status_url="u")
    assert context["notice"] is None
    context = message_context(notice(Reason.LEGAL_DAY1), sample_customer(), language="de",
                              channel="sms", status_url="u")
    assert context["notice"] == "legal_day1"


@pytest.mark.parametrize(
    ("language", "reason", "services", "eta", "other_day"),
    list(itertools.product(("de", "en"), CLOCKS, SERVICE_SETS, (True, False), (True, False))),
)
def test_notice_sms_fits_one_segment_in_the_worst_case(
    renderers, language: str, reason: str, services, eta, other_day
) -> None:
    d = notice(reason, services, eta=eta, other_day=other_day)
    text = render(renderers, d, language, "sms").text
    assert LONGEST_INCIDENT_ID in text
    assert gsm7.is_gsm7(text), gsm7.first_non_gsm7(text)
    assert gsm7.septets(text) <= 160, (gsm7.septets(text), text)


def _all(renderers, language: str) -> list[tuple[str, str, RenderedMessage]]:
    return [
        (reason, channel, render(renderers, notice(reason, services, eta=eta), language, channel))
        for reason, channel, services, eta in itertools.product(
            CLOCKS, CHANNEL_PARTS, SERVICE_SETS, (True, False))
    ]


@pytest.fixture(scope="module")
def german(renderers) -> list[tuple[str, str, RenderedMessage]]:
    return _all(renderers, "de")


@pytest.fixture(scope="module")
def english(renderers) -> list[tuple[str, str, RenderedMessage]]:
    return _all(renderers, "en")


def test_german_notices_use_sie_and_never_du(german) -> None:
    informal = re.compile(r"\b(du|dich|dir|dein\w*|euch|euer)\b", re.IGNORECASE)
    formal = re.compile(r"\b(Sie|Ihr|Ihre|Ihrem|Ihren|Ihrer)\b")
    for reason, channel, message in german:
        assert not informal.search(words(message)), (reason, channel)
        if channel != "sms":
            assert formal.search(message.text), (reason, channel)


@pytest.mark.parametrize(
    ("lang_fixture", "apology", "no_call"),
    [("german", r"entschuldig", r"(nicht anrufen|Kein Anruf)"),
     ("english", r"\bsorry\b", r"no need to call")],
)
def test_notices_keep_the_voice(request, lang_fixture, apology, no_call) -> None:
    jargon = re.compile(
        r"\b(OLT|PON|ONT|site|sites|cell|cells|node|eNodeB|gNodeB|BTS|Standort)\b", re.IGNORECASE
    )
    blame = re.compile(
        r"\b(schuld\w*|vandal\w*|bagger\w*|dritt\w*|fault of|blame\w*|contractor\w*|"
        r"third[- ]part\w*)\b",
        re.IGNORECASE,
    )
    for reason, channel, message in request.getfixturevalue(lang_fixture):
        text = words(message)
        assert len(re.findall(apology, message.text, re.IGNORECASE)) <= 1, (reason, channel)
        assert not jargon.search(text), (reason, channel, text)
        assert not blame.search(text.replace(sample_decision("update").message or "", "")), (
            reason, channel)
        assert re.search(no_call, message.text, re.IGNORECASE), (reason, channel, message.text)


@pytest.mark.parametrize(
    ("reason", "german", "english"),
    [
        (Reason.ETA_PASSED, "länger als erwartet", "longer than"),
        (Reason.LEGAL_DAY1, "arbeite", "working on the repair"),
        (Reason.LEGAL_COMPENSATION, "Entschädigung", "compensation"),
        (Reason.LEGAL_AUTO_COMPENSATION, "automatisch eine Entschädigung",
         "automatic compensation"),
    ],
)
def test_each_notice_says_what_its_occasion_requires(
    renderers, reason: str, german: str, english: str
) -> None:
    for channel in CHANNEL_PARTS:
        de = words(render(renderers, notice(reason), "de", channel))
        en = words(render(renderers, notice(reason), "en", channel))
        assert german in de, (channel, de)
        assert english in en, (channel, en)


def test_day1_notice_says_when_the_fix_is_expected_or_that_it_is_not_known(renderers) -> None:
    with_eta = render(renderers, notice(Reason.LEGAL_DAY1), "de", "email")
    assert "bis zum 23.11. um 16:00 Uhr" in with_eta.text
    assert "Ursache" in with_eta.text
    without = render(renderers, notice(Reason.LEGAL_DAY1, eta=False), "en", "push")
    assert "can't yet say" in without.text


def test_compensation_email_states_the_statutory_amounts(renderers) -> None:
    text = render(renderers, notice(Reason.LEGAL_COMPENSATION), "de", "email").text
    assert "§ 58" in text and "5 Euro oder 10 %" in text and "10 Euro oder 20 %" in text


def test_eta_passed_notice_never_repeats_the_passed_eta(renderers) -> None:
    d = notice(Reason.ETA_PASSED)
    passed = dataclasses.replace(d, eta=d.decided_at)  # the tracker sends the ETA that passed
    for language, channel in itertools.product(("de", "en"), CHANNEL_PARTS):
        text = render(renderers, passed, language, channel).text
        assert "16:00" not in text, (language, channel, text)


def test_plain_noc_update_wording_is_unchanged(renderers) -> None:
    text = render(renderers, notice(Reason.NOC_UPDATE, ("mobile",), other_day=False), "de",
                  "sms").text
    assert text.startswith("Neues zur Mobilfunk-Störung seit 14:02: Behebung jetzt ca. 16:00.")


def test_the_render_cache_tells_notices_apart() -> None:
    """Two decisions alike in every fact but their reason must not share a cached text.

    Fails while ``MessageRenderer.render``'s cache key leaves out ``decision.reason`` (an input
    of ``message_context`` since ``notice`` exists): add it to the key.
    """
    shared = MessageRenderer()
    texts = {str(r): shared.render(notice(r), sample_customer("en", "sms"), "sms").text
             for r in [Reason.NOC_UPDATE, *CLOCKS]}
    assert len(set(texts.values())) == len(texts), texts


@pytest.mark.parametrize(
    ("language", "channel", "phrases"),
    [
        ("de", "email", ["ab heute, dem 22.11.", "nicht innerhalb von zwei Kalendertagen",
                         "heute und morgen je 5 Euro oder 10 %",
                         "ab übermorgen je 10 Euro oder 20 %", "§ 58 Absatz 3"]),
        ("de", "push", ["ab heute", "heute und morgen je 5 Euro oder 10 %",
                        "ab übermorgen je 10 Euro oder 20 %"]),
        ("de", "sms", ["Ab heute", "mind. 5 Euro"]),
        ("en", "email", ["from today, 22 Nov", "within two calendar days",
                         "EUR 5 or 10% of your monthly fee a day for today and tomorrow",
                         "EUR 10 or 20% a day from the day after tomorrow"]),
        ("en", "push", ["from today", "EUR 5 or 10%", "then EUR 10 or 20%"]),
        ("en", "sms", ["from today", "at least EUR 5 a day"]),
    ],
)
def test_compensation_notice_says_it_is_owed_from_today_with_the_amounts(
    renderers, language: str, channel: str, phrases: list[str]
) -> None:
    d = dataclasses.replace(notice(Reason.LEGAL_COMPENSATION, ("fibre",), eta=False),
                            incident_id="INC-42")
    text = render(renderers, d, language, channel).text
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    assert "3. Kalendertag" not in text and "3rd calendar day" not in text


def test_compensation_sms_keeps_from_today_when_the_amount_does_not_fit(renderers) -> None:
    d = notice(Reason.LEGAL_COMPENSATION, ("mobile", "fibre"))  # worst case: longest id
    text = render(renderers, d, "de", "sms").text
    assert "Ab heute steht Ihnen eine Entschädigung zu." in text
