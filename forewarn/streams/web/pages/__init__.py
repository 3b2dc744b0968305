"""Server-rendered pages (jinja2, autoescaped): the desk page, its banners, the status page.

Why server-rendered: the banners and the public answer must show without JavaScript and
without a build step; scripts only refresh fragments and run the token-protected lookup.
Texts come from ``forewarn.streams.web.i18n``; times are shown in the region's most common
customer timezone (``zone``), today's as ``14:02``, older ones with the date.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forewarn.streams.web.i18n import LANGUAGES, strings

__all__ = ["render"]

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, *, language: str, zone: str, now: float, **context: Any) -> str:
    """Render ``template`` with the helpers every page uses (``t``, ``clock``, ``cause``)."""
    t = strings(language)

    def clock(iso: str | None) -> str:
        if not iso:
            return ""
        return t.clock(datetime.fromisoformat(iso).timestamp(), zone, now=now)

    def cause(cause_type: str) -> str:
        text = t(f"cause.{cause_type}")
        return t("cause.unknown") if text.startswith("cause.") else text

    def services(names: list[str]) -> str:
        return t.join([t(f"service.{s}") for s in names])

    def channels(counts: dict[str, int]) -> str:
        return t.join([f"{t('channel.' + c)} {n}" for c, n in sorted(counts.items())])

    other = next(lang for lang in LANGUAGES if lang != language)
    context.setdefault("zone_name", t.zone_name(zone, now))
    seconds = datetime.fromtimestamp(now, ZoneInfo(zone)).strftime("%H:%M:%S")
    return _ENV.get_template(template).render(
        t=t, lang=language, other_lang=other, zone=zone, clock=clock, cause=cause,
        services=services, channels=channels, clock_seconds=seconds, **context)
