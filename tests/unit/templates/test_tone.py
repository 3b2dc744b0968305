"""The voice of forewarn (docs/tone.md), checked on every rendered message."""

from __future__ import annotations

import itertools
import re

import pytest

from forewarn.domain import Stage
from forewarn.templates import CHANNEL_PARTS, MessageRenderer, RenderedMessage
from forewarn.templates.samples import sample_customer, sample_decision

SERVICE_SETS = [("mobile",), ("fibre",), ("mobile", "fibre")]


def _all(renderer: MessageRenderer, language: str) -> list[tuple[str, str, RenderedMessage]]:
    out = []
    for stage, channel, services, eta in itertools.product(
        [str(s) for s in Stage], CHANNEL_PARTS, SERVICE_SETS, (True, False)
    ):
        d = sample_decision(stage, services, eta=eta)
        out.append(
            (stage, channel, renderer.render(d, sample_customer(language, channel), channel))
        )
    return out


def _words(message: RenderedMessage) -> str:
    return " ".join(p for p in (message.title, message.subject, message.text) if p)


@pytest.fixture(scope="module")
def german(renderer: MessageRenderer) -> list[tuple[str, str, RenderedMessage]]:
    return _all(renderer, "de")


@pytest.fixture(scope="module")
def english(renderer: MessageRenderer) -> list[tuple[str, str, RenderedMessage]]:
    return _all(renderer, "en")


def test_german_never_uses_du(german: list[tuple[str, str, RenderedMessage]]) -> None:
    informal = re.compile(r"\b(du|dich|dir|dein\w*|euch|euer)\b", re.IGNORECASE)
    for stage, channel, message in german:
        assert not informal.search(_words(message)), (stage, channel, _words(message))


def test_german_addresses_the_customer_with_sie(
    german: list[tuple[str, str, RenderedMessage]],
) -> None:
    formal = re.compile(r"\b(Sie|Ihr|Ihre|Ihrem|Ihren|Ihrer)\b")
    for stage, channel, message in german:
        if channel != "sms":
            assert formal.search(message.text), (stage, channel)


@pytest.mark.parametrize(
    ("lang_fixture", "apology"), [("german", r"entschuldig"), ("english", r"\bsorry\b")]
)
def test_apologise_at_most_once(
    request: pytest.FixtureRequest, lang_fixture: str, apology: str
) -> None:
    for stage, channel, message in request.getfixturevalue(lang_fixture):
        assert len(re.findall(apology, message.text, re.IGNORECASE)) <= 1, (
            stage,
            channel,
            message.text,
        )


@pytest.mark.parametrize("lang_fixture", ["german", "english"])
def test_no_network_jargon(request: pytest.FixtureRequest, lang_fixture: str) -> None:
    jargon = re.compile(
        r"\b(OLT|PON|ONT|site|sites|cell|cells|node|eNodeB|gNodeB|BTS|Standort)\b", re.IGNORECASE
    )
    for stage, channel, message in request.getfixturevalue(lang_fixture):
        assert not jargon.search(_words(message)), (stage, channel, _words(message))


@pytest.mark.parametrize("lang_fixture", ["german", "english"])
def test_no_blame(request: pytest.FixtureRequest, lang_fixture: str) -> None:
    blame = re.compile(
        r"\b(schuld\w*|vandal\w*|bagger\w*|dritt\w*|fault of|blame\w*|contractor\w*"
        r"|third[- ]part\w*)\b",
        re.IGNORECASE,
    )
    for stage, channel, message in request.getfixturevalue(lang_fixture):
        assert not blame.search(_words(message)), (stage, channel)


@pytest.mark.parametrize(
    ("lang_fixture", "no_call"),
    [("german", r"(nicht anrufen|Kein Anruf)"), ("english", r"no need to call")],
)
def test_outage_and_update_say_there_is_no_need_to_call(
    request: pytest.FixtureRequest, lang_fixture: str, no_call: str
) -> None:
    for stage, channel, message in request.getfixturevalue(lang_fixture):
        if stage in ("outage", "update"):
            assert re.search(no_call, message.text, re.IGNORECASE), (stage, channel, message.text)


@pytest.mark.parametrize(
    ("language", "first_words"),
    [("de", ("Wir wissen", "Störung bekannt")), ("en", ("We know", "We're aware"))],
)
def test_outage_sms_acknowledges_first(
    renderer: MessageRenderer, language: str, first_words: tuple[str, ...]
) -> None:
    for services, eta, other_day in itertools.product(SERVICE_SETS, (True, False), (True, False)):
        d = sample_decision("outage", services, eta=eta, other_day=other_day)
        text = renderer.render(d, sample_customer(language, "sms"), "sms").text
        assert text.startswith(first_words), text


def test_both_services_are_named_in_one_message(renderer: MessageRenderer) -> None:
    d = sample_decision("outage", ("mobile", "fibre"))
    for language, names in (("de", ("Mobilfunk", "Internet")), ("en", ("mobile", "broadband"))):
        for channel in CHANNEL_PARTS:
            words = _words(renderer.render(d, sample_customer(language, channel), channel))
            assert all(n in words for n in names), (language, channel, words)


def test_no_typographic_characters_sneak_into_sms(renderer: MessageRenderer) -> None:
    for language in ("de", "en"):
        for stage in Stage:
            text = renderer.render(sample_decision(stage), sample_customer(language), "sms").text
            assert not set(text) & set("–—’‘“”„…")
