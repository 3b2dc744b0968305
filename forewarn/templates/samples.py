"""Worst-case sample data for previews and tests: the longest texts a template can produce.

Why: an SMS that fits with today's incident id but not with tomorrow's is a bug found at
3 a.m. The worst case here is the longest incident id format, both services, start and ETA
on other days than the decision (so both carry a date), an ETA, and a hostile NOC message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from forewarn.domain import SERVICES, Customer, Decision, Stage

__all__ = [
    "HOSTILE_MESSAGE",
    "LONGEST_INCIDENT_ID",
    "PreviewEntry",
    "sample_customer",
    "sample_decision",
]

#: The incident id format at its longest (24 characters).
LONGEST_INCIDENT_ID = "INC-20261122-1402-a1b2c3"

#: A NOC message that must be escaped in HTML and never reach an SMS.
HOSTILE_MESSAGE = (
    '<script>alert("x")</script> Techniker & Ersatzteile sind unterwegs; '
    "engineers & spare parts are on their way."
)

_TZ = ZoneInfo("Europe/Berlin")


def _at(day: int, hour: int, minute: int) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=_TZ).timestamp()


@dataclass(frozen=True, slots=True)
class PreviewEntry:
    """One rendered template part with its SMS cost (``septets``/``segments`` None if not GSM-7)."""

    template: str
    language: str
    stage: str
    channel: str
    field: str
    text: str
    gsm7: bool
    septets: int | None
    segments: int | None


def sample_decision(
    stage: Stage | str,
    services: tuple[str, ...] = SERVICES,
    *,
    eta: bool = True,
    other_day: bool = True,
    message: str | None = HOSTILE_MESSAGE,
    cause_type: str = "power",
    incident_id: str = LONGEST_INCIDENT_ID,
) -> Decision:
    """A decision of ``stage``; by default the worst case for text length.

    ``other_day`` puts the start (and for resolved/completed the end) on the day before the
    decision and the ETA on the day after, so every time carries a date.
    """
    stage = Stage(stage)
    decided = _at(22, 0, 5) if other_day else _at(22, 14, 4)
    since = _at(21, 14, 2) if other_day else _at(22, 14, 2)
    ended = _at(21, 23, 58) if other_day else _at(22, 13, 59)
    expected = _at(23, 16, 0) if other_day else _at(22, 16, 0)
    if stage in (Stage.PLANNED,):
        # A maintenance notice goes out ahead: the window starts and ends later.
        decided, since, expected = _at(20, 9, 0), _at(22, 1, 0), _at(23 if other_day else 22, 5, 0)
    if stage in (Stage.RESOLVED, Stage.COMPLETED):
        since = min(since, ended - 3600)
    return Decision(
        customer_id="c-000001",
        incident_id=incident_id,
        stage=stage,
        services=tuple(services),
        decided_at=decided,
        since=since,
        reason="preview",
        cause_type=cause_type,
        ended_at=ended if stage in (Stage.RESOLVED, Stage.COMPLETED) else None,
        eta=expected if eta else None,
        message=message if stage in (Stage.UPDATE, Stage.PLANNED) else None,
    )


def sample_customer(language: str | None = "de", channel: str = "sms") -> Customer:
    """A customer reachable on ``channel`` only, with realistic worst-case addresses."""
    return Customer(
        customer_id="c-000001",
        services=SERVICES,
        language=language,
        channels=(channel,),
        phone="+4915112345678" if channel == "sms" else None,
        email="jane.doe@example.org" if channel == "email" else None,
        push_token="fcm:dGVzdC10b2tlbi0xMjM0NTY3ODkw" if channel == "push" else None,
        timezone="Europe/Berlin",
    )
