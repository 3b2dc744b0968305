"""Phone numbers as people type them -> one canonical form (digits of the international number).

Why here, in the pure input stage: the service desk looks callers up by number
(``web/desk.py``) and the network stage resolves a contact that names a customer by phone
(``network/contacts.py``); both must agree on what "the same number" is, and the network
stage may not import the web layer.
"""

from __future__ import annotations

import re

__all__ = ["COUNTRY_CODES", "normalise_phone"]

# Legal country (``legal.country``) -> calling code, for numbers typed in national form.
COUNTRY_CODES: dict[str, str] = {"DE": "49", "GB": "44", "UK": "44", "AT": "43", "CH": "41",
                                 "NL": "31", "FR": "33"}
_NOT_DIGIT = re.compile(r"\D")
_PHONE_LIKE = re.compile(r"^\s*\(?(\+|00|0)[\d\s()./-]{5,}$")


def normalise_phone(text: str, country_code: str | None = None) -> str | None:
    """Digits of the international number (no ``+``), or None when it is no phone number.

    Spaces, dashes, dots, slashes and brackets are ignored; ``00`` and ``+`` mean
    international; a single leading ``0`` is national and takes ``country_code``.
    """
    raw = text.strip().lstrip("(")
    if not _PHONE_LIKE.match(raw):
        return None
    digits = _NOT_DIGIT.sub("", raw)
    if raw.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if country_code:
        return country_code + digits[1:]
    return digits
