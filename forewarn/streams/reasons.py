"""Named reasons for what the core decided (STYLE: decisions return reasons).

A reason is attached to every :class:`~forewarn.domain.Decision` and counted for every
change the core took or ignored, so tests assert *why* something was (not) sent and the shell
can log and export the counts as metrics without knowing the rules.

The ``update`` reasons double as the template's ``notice`` variable
(``forewarn/templates/context.py``): they choose the wording of an ``update`` notice, so their
values are part of the template contract and must not be renamed.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CLOCK_REASONS", "Reason"]


class Reason(StrEnum):
    """Why the episode machine did (or did not) decide something."""

    # -- decisions: outage episodes (CONTRACT §4)
    #: An episode stayed out for ``confirm_after_s`` continuously: one ``outage`` notice.
    CONFIRMED = "confirmed"
    #: A notified episode has been back for ``resolve_after_s``: one ``resolved`` notice.
    SERVICE_RESTORED = "service_restored"

    # -- decisions: maintenance windows (CONTRACT §4)
    #: A window's notice instant came: one ``planned`` notice per customer.
    PLANNED_NOTICE = "planned_notice"
    #: A window ended with the customer's service back: one ``completed`` notice.
    WORKS_COMPLETED = "works_completed"

    # -- decisions: ``update`` notices to customers with a notified, unresolved outage
    #: The NOC sent news (an ETA and/or a message) about the customer's incident.
    NOC_UPDATE = "noc_update"
    #: The ETA the customer was given has passed and service is not restored yet.
    ETA_PASSED = "eta_passed"
    #: Germany, TKG §58: not fixed within the calendar day it began; say what we are doing.
    LEGAL_DAY1 = "legal_day1"
    #: Germany, TKG §58: third calendar day of complete outage; compensation is owed.
    LEGAL_COMPENSATION = "legal_compensation"
    #: United Kingdom (Ofcom): two full working days passed; automatic compensation applies.
    LEGAL_AUTO_COMPENSATION = "legal_auto_compensation"

    # -- counted only
    #: An episode ended without ever being out long enough: nothing sent.
    SUPPRESSED_SHORT = "suppressed_short"
    #: "out" while already out, or "back" while not out: ignored.
    DUPLICATE_CHANGE = "duplicate_change"
    #: A service went out while idle and a new episode began.
    EPISODE_OPENED = "episode_opened"
    #: A service went out again within ``resolve_after_s`` and rejoined its episode.
    EPISODE_REJOINED = "episode_rejoined"
    #: A started maintenance window explains an outage not yet notified: dropped, no notice.
    SUPPRESSED_PLANNED = "suppressed_planned"
    #: A maintenance window started over an outage already notified: the episode carries on.
    EPISODE_HELD = "episode_held"
    #: A window announced again (same id) after its notice was decided: not told twice.
    DUPLICATE_ANNOUNCEMENT = "duplicate_announcement"
    #: A window ended before its notice instant: neither ``planned`` nor ``completed`` sent.
    WINDOW_MISSED = "window_missed"
    #: A window ended while the customer's service was still out: no ``completed`` notice.
    WINDOW_OVERRUN = "window_overrun"
    #: A not yet notified episode took over the root cause found for its incident.
    INCIDENT_MERGED = "incident_merged"
    #: A legal clock instant fell before the outage notice, which told the customer already.
    LEGAL_COVERED = "legal_covered"
    #: A legal clock instant fell while the service was back (not yet confirmed resolved):
    #: "still not fixed" would be untrue, so that legal notice is not sent.
    LEGAL_SERVICE_BACK = "legal_service_back"
    #: A ``no_service`` / ``degraded`` contact became an open episode's first report, where a
    #: legal clock starts with ``clock_start = "report"``.
    FIRST_REPORT = "first_report"
    #: A contact that is no report (reason ``other``) or repeats a contact id: ignored.
    CONTACT_IGNORED = "contact_ignored"
    #: An outage was notified with ``clock_start = "report"`` and no report: no legal clock
    #: (yet; the first report starts it).
    LEGAL_NO_REPORT = "legal_no_report"


#: Reasons of the scheduled ``update`` notices, strongest first: when several fall on one
#: instant for one episode, one notice goes out, with the first of these.
CLOCK_REASONS: tuple[Reason, ...] = (
    Reason.LEGAL_COMPENSATION,
    Reason.LEGAL_AUTO_COMPENSATION,
    Reason.LEGAL_DAY1,
    Reason.ETA_PASSED,
)
