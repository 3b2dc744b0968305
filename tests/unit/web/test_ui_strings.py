"""UI strings: both languages carry the same keys and the same placeholders."""

from __future__ import annotations

import re

from forewarn.streams.web.i18n import LANGUAGES, strings

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    tables = {lang: strings(lang).table for lang in LANGUAGES}
    keys = {lang: set(table) for lang, table in tables.items()}
    assert keys["de"] == keys["en"]
    for key in keys["de"]:
        assert set(PLACEHOLDER.findall(tables["de"][key])) == \
            set(PLACEHOLDER.findall(tables["en"][key])), key


def test_german_addresses_the_customer_formally() -> None:
    text = " ".join(strings("de").table.values())
    assert "Sie" in text and not re.search(r"\b(du|dich|dein|deine)\b", text, re.IGNORECASE)


def test_missing_placeholder_stays_visible_instead_of_failing() -> None:
    assert strings("en")("desk.since") == "since {time}"
    assert strings("en")("desk.since", other=1) == "since {time}"
    assert strings("en")("desk.since", time="14:02") == "since 14:02"


def test_clock_shows_today_as_time_and_other_days_with_date() -> None:
    t = strings("de")
    noon = 1_700_000_000.0
    assert t.clock(noon, "Europe/Berlin", now=noon + 60) == "23:13"
    assert t.clock(noon, "Europe/Berlin", now=noon + 86400) == "14.11. 23:13"
