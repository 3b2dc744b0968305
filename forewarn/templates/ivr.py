"""What the IVR says to a caller: facts for the ``<language>/ivr/<situation>.txt.j2`` templates.

Why a kind of its own: a text-to-speech voice reads this before the first ring ends, so it
is one or two short sentences, with no link, no id and no abbreviation a voice reads badly,
and local times spoken in the caller's zone ("4 pm", "16:00 Uhr"). Python supplies facts
(which situation, which services, the instants as local datetimes and how many local days
they lie from now); the templates word them, under the same tone rules as every other
message (``docs/tone.md``). Nothing from outside reaches the text verbatim: the situation,
services and channel are mapped to fixed words, instants become clock times.

Template variables (all always defined; optional facts are ``None``):

================ ================= ==================================================
name             type              meaning
================ ================= ==================================================
language         str               language of the template set
situation        str               one of ``SITUATIONS``
services         list[str]         services concerned, canonical order (mobile, fibre)
since            datetime | None   outage start (outage)
since_days       int               local days from today to ``since`` (-1: yesterday)
eta              datetime | None   expected return, only while still ahead of now
eta_days         int               local days from today to ``eta`` (1: tomorrow)
until            datetime | None   end of the planned works (planned), if ahead of now
until_days       int               local days from today to ``until``
back             datetime | None   service back since (back)
back_days        int               local days from today to ``back``
told_channel     str | None        channel of the latest notice: sms, email, push, other
told             datetime | None   when that notice was delivered
told_days        int               local days from today to ``told``
================ ================= ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.domain import SERVICES

__all__ = ["IVR_MAX_CHARS", "SITUATIONS", "TOLD_CHANNELS", "IvrFacts", "ivr_context"]

#: The situations a caller can be in, each with its own template.
SITUATIONS: tuple[str, ...] = ("outage", "planned", "suspected", "back", "none")
#: Channels the templates name; anything else is spoken as "a message".
TOLD_CHANNELS: frozenset[str] = frozenset({"sms", "email", "push"})
#: Longest text the renderer lets through: about 20 s of speech, two sentences at most.
IVR_MAX_CHARS = 320
DEFAULT_TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True, slots=True)
class IvrFacts:
    """What is true for one caller now (instants are POSIX seconds)."""

    situation: str
    services: tuple[str, ...]
    now: float
    timezone: str = DEFAULT_TIMEZONE
    since: float | None = None
    eta: float | None = None
    until: float | None = None
    back: float | None = None
    told_channel: str | None = None
    told_at: float | None = None


def _zone(name: str) -> ZoneInfo:
    # A bad zone name must not silence the answer; the region loader reports it separately.
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def ivr_context(facts: IvrFacts, language: str) -> dict[str, Any]:
    """The template variables for ``facts`` spoken in ``language``."""
    if facts.situation not in SITUATIONS:
        raise ValueError(f"unknown IVR situation {facts.situation!r}")
    tz = _zone(facts.timezone)
    today = datetime.fromtimestamp(facts.now, tz=tz).date()

    def local(epoch: float | None) -> tuple[datetime | None, int]:
        if epoch is None:
            return None, 0
        # Spoken to the minute: same-minute facts give the same context (render cache).
        moment = datetime.fromtimestamp(epoch, tz=tz).replace(second=0, microsecond=0)
        return moment, (moment.date() - today).days

    def ahead(epoch: float | None) -> float | None:  # tone rule 4: never a passed estimate
        return epoch if epoch is not None and epoch > facts.now else None

    since, since_days = local(facts.since)
    eta, eta_days = local(ahead(facts.eta))
    until, until_days = local(ahead(facts.until))
    back, back_days = local(facts.back)
    told, told_days = local(facts.told_at if facts.told_channel else None)
    channel = None
    if told is not None:
        channel = facts.told_channel if facts.told_channel in TOLD_CHANNELS else "other"
    return {
        "language": language,
        "situation": facts.situation,
        "services": [s for s in SERVICES if s in facts.services],
        "since": since, "since_days": since_days,
        "eta": eta, "eta_days": eta_days,
        "until": until, "until_days": until_days,
        "back": back, "back_days": back_days,
        "told_channel": channel, "told": told, "told_days": told_days,
    }
