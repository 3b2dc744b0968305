"""The customer's own reports: the first one of an episode, where a legal clock may start.

Why: the law's duties (TKG §58: "nach Eingang der Störungsmeldung") start when the customer
reports the fault, and ``[legal] clock_start = "report"`` counts D from that day
(``legal_clocks.clock_origin``). A *report* is a contact (CONTRACT §8, a ``contact`` message
on ``impacts``) with reason ``no_service`` or ``degraded``; ``other`` is no report.

An episode's *first report* (``"report"`` in the episode, ``episode_book.py``) is the earliest
report while the episode is open, or less than ``report_lead_s`` before it began: a customer
often calls before the alarm arrives. So every report is also kept in the customer's entry
(``"reports"``: at most :data:`MAX_REPORTS`, the earliest ones, each with its contact id so a
contact delivered twice counts once) until it is ``report_lead_s`` old, when the
``forget_reports`` timer drops it; a customer who reported but is not out keeps no state
longer than that. A contact for a customer with no episode changes nothing else.

Legal clocks are computed once per episode (``legal_clocks`` promises that a crash or a
changed zone database cannot move them): when the outage notice is decided, from the first
report known then; for an episode notified before any report, when its first report comes.
A report that arrives later but is earlier (out of order) still becomes the first report,
but no longer moves clocks already set.
"""

from __future__ import annotations

from typing import Any

from forewarn.streams.customers.episode_book import (
    FORGET_REPORTS,
    REPORTS_RANK,
    REPORTS_SLOT,
    EpisodeBook,
)
from forewarn.streams.customers.legal_clocks import LEGAL_REASONS
from forewarn.streams.customers.notices import NoticeRules
from forewarn.streams.reasons import Reason

__all__ = ["MAX_REPORTS", "REPORT_REASONS", "ReportRules", "first_report"]

#: Contact reasons that report a fault (CONTRACT §8); ``other`` does not.
REPORT_REASONS = frozenset({"no_service", "degraded"})
#: Reports kept per customer for episodes yet to begin (the earliest: they decide first).
MAX_REPORTS = 16

_LEGAL = frozenset(str(r) for r in LEGAL_REASONS)


def first_report(entry: dict[str, Any], since: float, lead_s: float) -> float | None:
    """The earliest report kept in ``entry`` that counts for an episode beginning at
    ``since`` (less than ``lead_s`` before it, or after it), or None."""
    reports = entry.get("reports")
    if not reports:
        return None
    for at, _contact_id in reports["seen"]:  # ascending
        if at > since - lead_s:
            return float(at)
    return None


class ReportRules:
    """Keep a customer's recent reports, give open episodes their first report, and start a
    notified episode's legal clock from it when ``clock_start = "report"``."""

    def __init__(self, book: EpisodeBook, notices: NoticeRules) -> None:
        self.book = book
        self.notices = notices

    def report(self, customer_id: str, at: float, contact_id: str, reason: str) -> None:
        """One contact of ``customer_id`` at ``at`` (the tracker has advanced to it)."""
        book = self.book
        if reason not in REPORT_REASONS:
            book.reasons[Reason.CONTACT_IGNORED] += 1
            return
        entry = book.state.get(customer_id)
        if entry is None:
            entry = {"t": at, "episodes": {}}
        if not self._keep(customer_id, entry, at, contact_id):
            book.reasons[Reason.CONTACT_IGNORED] += 1
            return
        lead = self.notices.report_lead_s
        for service, episode in entry["episodes"].items():
            first = episode.get("report")
            if at <= episode["since"] - lead or (first is not None and first <= at):
                continue
            episode["report"] = at
            book.reasons[Reason.FIRST_REPORT] += 1
            if first is None and episode["notified"]:
                self._start_clocks(customer_id, service, episode, at)
        book.store(customer_id, entry)

    def _keep(self, customer_id: str, entry: dict[str, Any], at: float, contact_id: str) -> bool:
        """Keep the report in the entry (sorted, bounded) and arm its forgetting; False for a
        contact id already kept or a report later than the :data:`MAX_REPORTS` kept."""
        reports = entry.setdefault("reports", {"forget_at": None, "seen": []})
        seen: list[list[Any]] = reports["seen"]
        if any(kept_id == contact_id for _, kept_id in seen):
            return False
        if len(seen) >= MAX_REPORTS and at >= seen[-1][0]:
            return False
        seen.append([at, contact_id])
        seen.sort(key=lambda r: (r[0], r[1]))
        del seen[MAX_REPORTS:]
        self._arm(customer_id, reports)
        return True

    def _arm(self, customer_id: str, reports: dict[str, Any]) -> None:
        forget_at = reports["seen"][0][0] + self.notices.report_lead_s
        if reports["forget_at"] != forget_at:
            reports["forget_at"] = forget_at
            self.book.arm(customer_id, REPORTS_SLOT, REPORTS_RANK, forget_at, FORGET_REPORTS)

    def _start_clocks(
        self, customer_id: str, service: str, episode: dict[str, Any], at: float
    ) -> None:
        """A notified episode's first report: its legal clocks from it, if they start there."""
        if self.notices.clock_start != "report":
            return
        origin = self.notices.clock_origin(episode)
        if origin is None:
            return
        legal, covered = self.notices.legal_clocks(customer_id, service, origin, at)
        if covered:
            self.book.reasons[Reason.LEGAL_COVERED] += covered
        if legal:
            kept = [c for c in episode.get("clocks", []) if c[1] not in _LEGAL]
            self.book.set_clocks(customer_id, service, episode,
                                 self.notices.with_legal(kept, legal))

    def forget(
        self, customer_id: str, entry: dict[str, Any], _subject: str, deadline: float
    ) -> None:
        """The oldest report is ``report_lead_s`` old: drop what is that old, re-arm for the
        rest, or drop them all (and the entry, when nothing else is open)."""
        reports = entry.get("reports")
        if not reports:
            return
        lead = self.notices.report_lead_s
        reports["seen"] = [r for r in reports["seen"] if r[0] + lead > deadline]
        if reports["seen"]:
            self._arm(customer_id, reports)
        else:
            del entry["reports"]
        self.book.store(customer_id, entry)
