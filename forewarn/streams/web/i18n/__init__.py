"""UI strings of the desk page, the status page and the CAP feed, per language (de, en).

Why files and not Python: wording is product voice and is reviewed and translated apart
from code (STYLE rule 10). Each ``<lang>.json`` maps a key to a text with ``{name}``
placeholders; both files carry the same keys (a test checks). Strings are plain text: the
pages autoescape them where they are inserted.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["LANGUAGES", "Strings", "strings"]

LANGUAGES: tuple[str, ...] = ("de", "en")
_HERE = Path(__file__).resolve().parent


class Strings:
    """The texts of one language, with placeholder filling and time formatting."""

    def __init__(self, language: str, table: dict[str, str]) -> None:
        self.language = language
        self.table = table

    def __call__(self, key: str, **values: Any) -> str:
        """The text for ``key`` with ``{name}`` placeholders filled (missing key: the key)."""
        text = self.table.get(key, key)
        return text.format_map(_Lenient(values)) if values else text

    def clock(self, epoch: float | None, zone: str, *, now: float | None = None) -> str:
        """``14:02`` for today in ``zone``, else with the date; "" for None."""
        if epoch is None:
            return ""
        tz = ZoneInfo(zone)
        when = datetime.fromtimestamp(epoch, tz)
        today = datetime.fromtimestamp(now, tz).date() if now is not None else None
        key = "fmt.time" if today is not None and when.date() == today else "fmt.datetime"
        return when.strftime(self.table[key])

    def zone_name(self, zone: str, now: float) -> str:
        """The zone as people say it, with its abbreviation now: "German time (CEST)";
        an unnamed zone shows its abbreviation and IANA name."""
        abbreviation = datetime.fromtimestamp(now, ZoneInfo(zone)).tzname() or ""
        name = self.table.get(f"zone.{zone}")
        if name is None:
            return f"{zone} ({abbreviation})" if abbreviation else zone
        return f"{name} ({abbreviation})" if abbreviation else name

    def join(self, items: list[str]) -> str:
        return self.table["fmt.list_sep"].join(items)


class _Lenient(dict[str, Any]):
    """Leaves an unknown placeholder visible instead of failing a whole page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def strings(language: str) -> Strings:
    """The strings of ``language`` (one of ``LANGUAGES``; others raise KeyError)."""
    if language not in LANGUAGES:
        raise KeyError(language)
    table = json.loads((_HERE / f"{language}.json").read_text(encoding="utf-8"))
    return Strings(language, table)
