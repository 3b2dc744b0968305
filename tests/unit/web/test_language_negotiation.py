"""Page language: the ``lang`` parameter, else Accept-Language (RFC 9110), else the default."""

from __future__ import annotations

import pytest

from forewarn.streams.web.language import MAX_ACCEPT_LANGUAGE, MAX_RANGES, negotiate_language

LANGS = ("de", "en")


@pytest.mark.parametrize(("param", "header", "expected"), [
    ("en", "de-DE", "en"),
    ("fr", "en-GB", "en"),  # an unknown parameter falls through to the header
    (None, "en-GB,en;q=0.9", "en"),
    (None, "fr-FR,fr;q=0.9,en;q=0.5,de;q=0.4", "en"),
    (None, "de;q=0.3,en;q=0.7", "en"),
    (None, "en;q=0,de;q=0.1", "de"),  # q=0: "not this one"
    (None, "en;q=abc", "de"),  # a broken quality counts as 0
    (None, "fr,*;q=0.5", "de"),  # any language: the default
    (None, "fr", "de"),
    (None, "", "de"),
    (None, None, "de"),
])
def test_language_choice(param: str | None, header: str | None, expected: str) -> None:
    assert negotiate_language(param, header, "de", LANGS) == expected


def test_header_is_read_up_to_its_length_limit_and_no_further() -> None:
    filler = "x" * (MAX_ACCEPT_LANGUAGE - len(",en"))
    assert negotiate_language(None, filler + ",en", "de", LANGS) == "en"
    assert negotiate_language(None, filler + "x,en", "de", LANGS) == "de"


def test_only_the_first_ranges_are_considered() -> None:
    ranges = ["fr"] * (MAX_RANGES - 1)
    assert negotiate_language(None, ",".join([*ranges, "en"]), "de", LANGS) == "en"
    assert negotiate_language(None, ",".join([*ranges, "fr", "en"]), "de", LANGS) == "de"
