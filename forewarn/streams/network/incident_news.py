"""NOC news (ETA, message) journalled with the incident it names, for a new owner's board.

Why: the desk, the incident page and the status page show an incident's ETA and its
timeline of news. The incident board that shows them lives in memory on the worker owning
``alarms.raw``; when another worker takes over it rebuilds the board from the network
journal (``board_snapshot``), so the news must be in the journal too. It is kept in the
entry of ``NetworkCorrelator.incidents`` (root element -> ``incident_id``, ``since``,
``cause_type``) that carries the incident's id, beside those fields: ``eta`` (epoch s, the
latest given), ``message`` (the latest non-empty) and ``news`` (the board's timeline form:
``at``/``eta`` ISO, ``message``; at most ``KEEP_NEWS``, oldest dropped, so an entry stays
small: 50 x 1,000-character messages is ~55 KB, well within the journal's chunking).
The ids of the incidents merged into it are kept there too (``merged``, ``KEEP_MERGED``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from forewarn.domain import to_iso
from forewarn.streams.network.events import IncidentNews

__all__ = ["KEEP_MERGED", "KEEP_NEWS", "journal_news", "news_entry"]

KEEP_NEWS = 50  # news entries kept per incident (the board keeps as many)
#: Ids of incidents merged into one root incident kept in its entry (``merged``, written by
#: the correlator when a root is found above them), so a new owner's board still counts
#: their receipts for the root; a storm of 1,000 cell incidents under one power failure fits.
KEEP_MERGED = 1000


def news_entry(news: IncidentNews) -> dict[str, Any]:
    """One timeline entry as the board shows it (ISO times)."""
    return {"at": to_iso(news.at), "eta": to_iso(news.eta) if news.eta is not None else None,
            "message": news.message or None}


def journal_news(incidents: MutableMapping[str, dict[str, Any]],
                 events: Iterable[Any]) -> None:
    """Keep every ``IncidentNews`` among ``events`` in the incident entries carrying its id
    (each entry replaced whole: the journal records sets, not changes inside a value).
    News for an id that is no open incident (a maintenance id, an ended incident) is left
    to the messages that carry it."""
    for news in events:
        if not isinstance(news, IncidentNews):
            continue
        entry = news_entry(news)
        for root, known in list(incidents.items()):
            if known.get("incident_id") != news.incident_id:
                continue
            timeline = list(known.get("news") or [])
            if entry not in timeline:
                timeline.append(entry)
                timeline.sort(key=lambda n: str(n.get("at")))
            updated = {**known, "news": timeline[-KEEP_NEWS:]}
            if news.eta is not None:
                updated["eta"] = news.eta
            if news.message:
                updated["message"] = news.message
            incidents[root] = updated
