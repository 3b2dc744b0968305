"""Which of our languages a page speaks: ``lang`` parameter, else Accept-Language, else default.

Why a parser of our own: the header is short and the choice is between two languages, so
RFC 9110's rules fit in a few lines (quality values, ``de-DE`` counts as ``de``, ``*`` as
any, ``q=0`` as "not this one"). The header comes from outside: only its first
``MAX_ACCEPT_LANGUAGE`` characters and ``MAX_RANGES`` ranges are looked at.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_ACCEPT_LANGUAGE", "MAX_RANGES", "negotiate_language"]

MAX_ACCEPT_LANGUAGE = 400  # characters of the header considered (browsers send < 100)
MAX_RANGES = 20  # language ranges considered


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def negotiate_language(param: str | None, accept_language: str | None, default: str,
                       languages: Sequence[str]) -> str:
    """``param`` when it names one of ``languages``; else the best match of the
    Accept-Language header (highest quality, first listed on a tie); else ``default``."""
    wanted = (param or "").strip().lower()
    if wanted in languages:
        return wanted
    best: tuple[float, int, str] | None = None
    ranges = (accept_language or "")[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_RANGES]
    for position, item in enumerate(ranges):
        tag, *params = item.split(";")
        primary = tag.strip().lower().split("-")[0]
        choice = default if primary == "*" else primary
        if choice not in languages:
            continue
        q = _quality(params)
        if q > 0 and (best is None or q > best[0]):
            best = (q, position, choice)
    return best[2] if best is not None else default
