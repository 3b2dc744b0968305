"""GSM 03.38 (3GPP TS 23.038) default alphabet: which text an SMS can carry in 7-bit cells.

Why this matters: an SMS with a single character outside this alphabet (a typographic quote,
an en dash, an emoji) silently switches to UCS-2, where one segment holds 70 characters
instead of 160, so one message becomes three and the carrier bills three. The templates
are checked against these tables when rendered.

The basic table holds 128 characters of one septet each. The extension table is reached
with an escape septet (0x1B), so each of its characters costs two septets. In a message
longer than one segment every segment loses 7 septets to the concatenation header
(160 -> 153), and an escape pair is never split across two segments.
"""

from __future__ import annotations

__all__ = [
    "BASIC",
    "EXTENSION",
    "MULTI_SEGMENT_SEPTETS",
    "SINGLE_SEGMENT_SEPTETS",
    "first_non_gsm7",
    "fits_one_segment",
    "is_gsm7",
    "segments",
    "septets",
]

#: The 128 characters of the basic table, in code-point order 0x00..0x7F.
#: 0x1B is the escape to the extension table and is not a character of its own.
BASIC: str = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)

#: Characters of the extension table (each sent as ESC + one septet).
EXTENSION: str = "\f^{}\\[~]|€"

SINGLE_SEGMENT_SEPTETS = 160
MULTI_SEGMENT_SEPTETS = 153

_BASIC_SET = frozenset(BASIC) - {"\x1b"}
_EXTENSION_SET = frozenset(EXTENSION)
_ALL_SET = _BASIC_SET | _EXTENSION_SET


def _foreign(char: str) -> ValueError:
    return ValueError(f"character {char!r} (U+{ord(char):04X}) is not in the GSM-7 alphabet")


def _cost(char: str) -> int:
    if char in _BASIC_SET:
        return 1
    if char in _EXTENSION_SET:
        return 2
    raise _foreign(char)


def first_non_gsm7(text: str) -> str | None:
    """The first character of ``text`` that GSM-7 cannot carry, or None (for error messages)."""
    if _ALL_SET.issuperset(text):  # the common case, at C speed
        return None
    return next(char for char in text if char not in _ALL_SET)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the basic or the extension table."""
    return first_non_gsm7(text) is None


def septets(text: str) -> int:
    """Septets needed to send ``text`` (extension characters count two).

    Raises ``ValueError`` naming the character when ``text`` is not GSM-7.
    """
    bad = first_non_gsm7(text)
    if bad is not None:
        raise _foreign(bad)
    return len(text) + sum(text.count(char) for char in EXTENSION)


def segments(text: str) -> int:
    """SMS segments needed for ``text``: 1 up to 160 septets, else 153 per segment.

    Packs greedily like a sending SMSC, never splitting an escape pair, so the result can
    exceed ``ceil(septets / 153)`` by one when an extension character sits on a boundary.
    An empty text is still one (empty) message. Raises ``ValueError`` for non-GSM-7 text.
    """
    total = septets(text)
    if total <= SINGLE_SEGMENT_SEPTETS:
        return 1
    count, used = 1, 0
    for char in text:
        cost = _cost(char)
        if used + cost > MULTI_SEGMENT_SEPTETS:
            count, used = count + 1, 0
        used += cost
    return count


def fits_one_segment(text: str) -> bool:
    """True when ``text`` is GSM-7 and fits one unconcatenated SMS (<= 160 septets)."""
    return is_gsm7(text) and septets(text) <= SINGLE_SEGMENT_SEPTETS
