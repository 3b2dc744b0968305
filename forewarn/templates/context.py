"""The variables every message template receives: facts, never wording.

Python decides *what is true* (which services, since when in the customer's own clock,
whether an ETA is still in the future); the templates decide *how to say it*. That split is
why no customer-facing word appears here, and why a new language needs only new files.

Template variables (all always defined; optional facts are ``None``):

============== ======================= ==================================================
name           type                    meaning
============== ======================= ==================================================
language       str                     language of the template set being rendered
stage          str                     outage | update | resolved | planned | completed
channel        str                     sms | push | email
incident_id    str                     the incident the customer can look up
status_url     str                     live status page of this incident
status_home    str                     the status site itself (scheme and host of
                                       ``status_url``): the SMS link when the incident's
                                       own would not fit (a long maintenance id)
services       list[str]               affected services, canonical order (mobile, fibre)
cause_type     str                     element type of the root cause ("power", "olt"...)
since          datetime                start of the episode / window, customer's timezone
since_other_day bool                   ``since`` is on another local day than ``decided``
decided        datetime                when forewarn decided to tell (event time, local)
ended          datetime | None         when service came back (resolved / completed)
ended_other_day bool                   ``ended`` is on another local day than ``decided``
eta            datetime | None         expected return, only if still ahead of ``decided``
eta_other_day  bool                    ``eta`` is on another local day than ``decided``
message        str | None              free text from the NOC (update, planned); untrusted
notice         str | None              why an ``update`` is sent when it is not plain NOC
                                       news: ``eta_passed`` | ``legal_day1`` |
                                       ``legal_compensation`` | ``legal_auto_compensation``
============== ======================= ==================================================
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.domain import SERVICES, Customer, Decision

__all__ = ["DEFAULT_TIMEZONE", "NOTICES", "TEMPLATE_VARIABLES", "message_context", "status_home"]

DEFAULT_TIMEZONE = "Europe/Berlin"

TEMPLATE_VARIABLES: tuple[str, ...] = (
    "language",
    "stage",
    "channel",
    "incident_id",
    "status_url",
    "status_home",
    "services",
    "cause_type",
    "since",
    "since_other_day",
    "decided",
    "ended",
    "ended_other_day",
    "eta",
    "eta_other_day",
    "message",
    "notice",
)

#: Values of ``notice``: the decision reasons (``forewarn.streams.reasons``) of the
#: scheduled ``update`` notices, each worded differently; any other reason gives ``None``.
NOTICES: frozenset[str] = frozenset(
    {"eta_passed", "legal_day1", "legal_compensation", "legal_auto_compensation"}
)


def _zone(name: str) -> ZoneInfo:
    # A bad zone name must not silence a customer; the region loader reports it separately.
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def status_home(status_url: str) -> str:
    """The status site of a status URL pattern: scheme and host, else the pattern without
    the incident id (for patterns that are no absolute URL)."""
    parts = urlsplit(status_url)
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return status_url.replace("{incident_id}", "")


def _ordered(services: tuple[str, ...]) -> list[str]:
    known = [s for s in SERVICES if s in services]
    return known + sorted(s for s in set(services) if s not in SERVICES)


def message_context(
    decision: Decision, customer: Customer, *, language: str, channel: str, status_url: str
) -> dict[str, Any]:
    """Build the template variables for one decision told to one customer on one channel."""
    tz = _zone(customer.timezone)

    def local(epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, tz=tz)

    decided = local(decision.decided_at)
    since = local(decision.since)
    ended = local(decision.ended_at) if decision.ended_at is not None else None
    # An ETA that has already passed is no longer backed by the data: say nothing about it.
    ahead = decision.eta is not None and decision.eta > decision.decided_at
    eta = local(decision.eta) if decision.eta is not None and ahead else None
    message = decision.message.strip() if decision.message else None
    return {
        "language": language,
        "stage": str(decision.stage),
        "channel": channel,
        "incident_id": decision.incident_id,
        "status_url": status_url.replace("{incident_id}", quote(decision.incident_id, safe="")),
        "status_home": status_home(status_url),
        "services": _ordered(decision.services),
        "cause_type": (decision.cause_type or "unknown").lower(),
        "since": since,
        "since_other_day": since.date() != decided.date(),
        "decided": decided,
        "ended": ended,
        "ended_other_day": ended is not None and ended.date() != decided.date(),
        "eta": eta,
        "eta_other_day": eta is not None and eta.date() != decided.date(),
        "message": message or None,
        "notice": str(decision.reason) if decision.reason in NOTICES else None,
    }
