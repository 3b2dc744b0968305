"""Named reasons for what the core decided (STYLE: decisions return reasons).

A reason is attached to every :class:`~forewarn.domain.Decision` and counted for every
change the core took or ignored, so tests assert *why* something was (not) sent and the shell
can log and export the counts as metrics without knowing the rules.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Reason"]


class Reason(StrEnum):
    """Why the episode machine did (or did not) decide something."""

    #: An episode stayed out for ``confirm_after_s`` continuously: one ``outage`` notice.
    CONFIRMED = "confirmed"
    #: A notified episode has been back for ``resolve_after_s``: one ``resolved`` notice.
    SERVICE_RESTORED = "service_restored"
    #: An episode ended without ever being out long enough: nothing sent (counted only).
    SUPPRESSED_SHORT = "suppressed_short"
    #: "out" while already out, or "back" while not out: ignored (counted only).
    DUPLICATE_CHANGE = "duplicate_change"
    #: A service went out while idle and a new episode began (counted only).
    EPISODE_OPENED = "episode_opened"
    #: A service went out again within ``resolve_after_s`` and rejoined its episode
    #: (counted only).
    EPISODE_REJOINED = "episode_rejoined"
