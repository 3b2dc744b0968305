"""GSM 03.38 tables and SMS segment arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forewarn.templates import gsm7

GSM_CHARS = "".join(sorted(set(gsm7.BASIC) - {"\x1b"})) + gsm7.EXTENSION
gsm_text = st.text(alphabet=GSM_CHARS, max_size=500)
non_gsm_char = st.characters(blacklist_characters=GSM_CHARS, blacklist_categories=("Cs",))


def test_basic_table_has_128_positions_and_extension_ten_characters() -> None:
    assert len(gsm7.BASIC) == 128
    assert len(set(gsm7.BASIC)) == 128
    assert sorted(gsm7.EXTENSION) == sorted("\f^{}\\[]~|€")


@pytest.mark.parametrize(
    ("position", "char"),
    [
        (0x00, "@"),
        (0x02, "$"),
        (0x05, "é"),
        (0x09, "Ç"),
        (0x10, "Δ"),
        (0x1E, "ß"),
        (0x24, "¤"),
        (0x40, "¡"),
        (0x5B, "Ä"),
        (0x5C, "Ö"),
        (0x5E, "Ü"),
        (0x5F, "§"),
        (0x60, "¿"),
        (0x7B, "ä"),
        (0x7C, "ö"),
        (0x7E, "ü"),
        (0x7F, "à"),
    ],
)
def test_basic_table_positions_match_gsm_03_38(position: int, char: str) -> None:
    assert gsm7.BASIC[position] == char


def test_greek_capitals_are_the_real_greek_code_points() -> None:
    assert [f"{ord(c):04X}" for c in gsm7.BASIC[0x10:0x1B] if c != "_"] == [
        "0394",
        "03A6",
        "0393",
        "039B",
        "03A9",
        "03A0",
        "03A8",
        "03A3",
        "0398",
        "039E",
    ]


@pytest.mark.parametrize("char", list("äöüÄÖÜßéàèùìòÇÑñ£¥§¿¡@_ΔΩ\n\r"))
def test_german_and_other_basic_characters_cost_one_septet(char: str) -> None:
    assert gsm7.is_gsm7(char)
    assert gsm7.septets(char) == 1


@pytest.mark.parametrize("char", list("€[]{}\\^~|\f"))
def test_extension_characters_cost_two_septets(char: str) -> None:
    assert gsm7.is_gsm7(char)
    assert gsm7.septets(char) == 2


@pytest.mark.parametrize(
    "char", ["á", "ç", "â", "–", "—", "’", "„", "“", "…", "\t", "`", "😀", "\x1b"]
)
def test_characters_outside_gsm7_are_rejected(char: str) -> None:
    assert not gsm7.is_gsm7(f"abc{char}")
    assert gsm7.first_non_gsm7(f"abc{char}def") == char
    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):
        gsm7.septets(char)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),
    ],
)
def test_segments_of_known_lengths(text: str, expected: int) -> None:
    assert gsm7.segments(text) == expected


def test_an_escape_pair_is_never_split_across_segments() -> None:
    text = "a" * 152 + "€" + "a" * 152  # 306 septets, but the € cannot straddle 153
    assert gsm7.septets(text) == 306
    assert gsm7.segments(text) == 3


def test_fits_one_segment_needs_gsm7_and_at_most_160_septets() -> None:
    assert gsm7.fits_one_segment("a" * 160)
    assert not gsm7.fits_one_segment("a" * 161)
    assert not gsm7.fits_one_segment("Störung – bitte")


@given(gsm_text)
def test_septets_count_extension_characters_twice(text: str) -> None:
    assert gsm7.septets(text) == len(text) + sum(c in gsm7.EXTENSION for c in text)


@given(gsm_text)
def test_one_segment_exactly_when_at_most_160_septets(text: str) -> None:
    assert (gsm7.segments(text) == 1) == (gsm7.septets(text) <= 160)


@given(gsm_text)
def test_segments_never_below_the_153_septet_bound(text: str) -> None:
    total = gsm7.septets(text)
    if total > 160:
        assert math.ceil(total / 153) <= gsm7.segments(text) <= math.ceil(total / 152)


@given(gsm_text, st.sampled_from(GSM_CHARS))
def test_appending_a_character_never_needs_fewer_segments(text: str, char: str) -> None:
    assert gsm7.segments(text + char) >= gsm7.segments(text)


@given(gsm_text, non_gsm_char, gsm_text)
def test_one_foreign_character_makes_any_text_non_gsm7(head: str, char: str, tail: str) -> None:
    assert not gsm7.is_gsm7(head + char + tail)
    assert gsm7.first_non_gsm7(head + char + tail) == char
