"""What the IVR speaks (``<language>/ivr/<situation>.txt.j2``): short, link-free, local times.

What reaches these templates from outside: the situation and services (fixed sets), the
channel a notice went out on (any string a history entry holds), instants (2000..2100, as
the parsers accept them), the customer's language and time zone (the region's, unchecked).
Whatever they are, the text is one line of at most ``IVR_MAX_CHARS`` characters with no
link, no digits but clock times and dates, and nothing of the channel's string verbatim.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import Customer
from forewarn.errors import TemplateError
from forewarn.streams.input.formats.limits import EARLIEST, LATEST
from forewarn.templates import MessageRenderer
from forewarn.templates.ivr import IVR_MAX_CHARS, SITUATIONS, IvrFacts

NOW = 1_700_000_000.0  # 2023-11-14 23:13:20 in Berlin
# Clock times ("16:00", "4:30") and day numbers ("23. November", "23 November") only.
SPOKEN_NUMBERS = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\.? (?:[A-Z][a-zä]+)\b|\b\d{1,2} [ap]m\b")

SENTENCE_END = re.compile(r"(?<!\d)[.!?](?:\s|$)")  # not the dot of "23. November"


def caller(language: str | None, timezone: str = "Europe/Berlin") -> Customer:
    return Customer("c-1", ("mobile", "fibre"), language, ("sms",), phone="+4915112345678",
                    timezone=timezone)


def check(text: str) -> None:
    assert text and "\n" not in text
    assert len(text) <= IVR_MAX_CHARS, (len(text), text)
    assert "://" not in text and "www" not in text.lower()
    assert not re.search(r"\d", SPOKEN_NUMBERS.sub("", text)), text  # no ids, no numbers
    assert len(SENTENCE_END.findall(text)) <= 2, text  # one or two sentences


@pytest.mark.parametrize(("language", "situation"), list(itertools.product(("de", "en"),
                                                                           SITUATIONS)))
def test_the_longest_text_of_each_situation_fits_the_limit(
        renderer: MessageRenderer, language: str, situation: str) -> None:
    # Both services, every instant on another day (longest date phrases), told by push.
    facts = IvrFacts(situation, ("mobile", "fibre"), NOW, since=NOW - 86400 * 50,
                     eta=NOW + 86400 * 50, until=NOW + 86400 * 50, back=NOW - 86400 * 50,
                     told_channel="push", told_at=NOW - 86400 * 40)
    for month in range(12):  # "September" is the longest month name in both languages
        shifted = IvrFacts(**{**{f: getattr(facts, f) for f in facts.__slots__},
                              "now": NOW + month * 30 * 86400})
        check(renderer.render_ivr(shifted, caller(language)).text)


def test_german_speaks_sie_and_the_24_hour_clock(renderer: MessageRenderer) -> None:
    text = renderer.render_ivr(IvrFacts("outage", ("mobile",), NOW, since=NOW - 600,
                                        eta=NOW + 3600 * 17), caller("de")).text
    assert "Ihrem Mobilfunk" in text and "seit 23:03 Uhr" in text and "16:13 Uhr" in text
    assert " du " not in f" {text.lower()} "


def test_a_channel_the_templates_do_not_know_is_spoken_as_a_message(
        renderer: MessageRenderer) -> None:
    facts = IvrFacts("outage", ("fibre",), NOW, since=NOW - 600, told_channel="<pager://x>",
                     told_at=NOW - 60)
    assert renderer.render_ivr(facts, caller("en")).text.endswith(
        "We sent you a message about it at 11:12 pm.")


def test_callers_of_one_incident_in_the_same_minute_share_one_render() -> None:
    renderer = MessageRenderer()
    first = IvrFacts("outage", ("mobile",), NOW, since=NOW - 600, eta=NOW + 3600,
                     told_channel="sms", told_at=NOW - 300)
    same_minute = IvrFacts("outage", ("mobile",), NOW + 5, since=NOW - 600, eta=NOW + 3600,
                           told_channel="sms", told_at=NOW - 290)
    text = renderer.render_ivr(first, caller("en")).text
    assert renderer.render_ivr(same_minute, caller("en")).text == text
    assert (renderer.cache_misses, renderer.cache_hits) == (1, 1)
    later = IvrFacts("outage", ("mobile",), NOW, since=NOW - 600, eta=NOW + 3600,
                     told_channel="sms", told_at=NOW - 200)
    assert renderer.render_ivr(later, caller("en")).text != text
    assert renderer.render_ivr(first, caller("de")).text != text  # language is in the key


def test_an_unknown_situation_is_an_error(renderer: MessageRenderer) -> None:
    with pytest.raises(ValueError, match="situation"):
        renderer.render_ivr(IvrFacts("panic", ("mobile",), NOW), caller("de"))


def test_an_operator_template_over_the_limit_is_refused_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "ivr"
    folder.mkdir(parents=True)
    (folder / "none.txt.j2").write_text(f"{{{{ 'x' * {IVR_MAX_CHARS + 1} }}}}")
    renderer = MessageRenderer(default_language="en", template_dirs=[tmp_path])
    with pytest.raises(TemplateError, match=r"en/ivr/none\.txt\.j2 rendered 321 characters"):
        renderer.render_ivr(IvrFacts("none", ("mobile",), NOW), caller("en"))


instants = st.floats(min_value=EARLIEST + 40 * 86400, max_value=LATEST - 40 * 86400)
offsets = st.one_of(st.none(), st.floats(min_value=-40 * 86400, max_value=40 * 86400))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    situation=st.sampled_from(SITUATIONS),
    language=st.one_of(st.none(), st.sampled_from(["de", "en", "fr", "de-AT"]), st.text()),
    services=st.sampled_from([(), ("mobile",), ("fibre",), ("mobile", "fibre")]),
    now=instants,
    since=offsets, eta=offsets, until=offsets, back=offsets, told_at=offsets,
    channel=st.one_of(st.none(), st.sampled_from(["sms", "email", "push"]), st.text()),
    timezone=st.one_of(st.sampled_from(["Europe/Berlin", "Pacific/Kiritimati",
                                        "America/St_Johns", "Not/AZone", ""]), st.text()),
)
def test_any_facts_render_one_short_line_without_links_or_ids(
        renderer: MessageRenderer, situation: str, language: str | None,
        services: tuple[str, ...], now: float, since: float | None, eta: float | None,
        until: float | None, back: float | None, told_at: float | None, channel: str | None,
        timezone: str) -> None:
    def at(offset: float | None) -> float | None:
        return None if offset is None else now + offset

    facts = IvrFacts(situation, services, now, timezone, since=at(since), eta=at(eta),
                     until=at(until), back=at(back), told_channel=channel, told_at=at(told_at))
    check(renderer.render_ivr(facts, caller(language, timezone)).text)
