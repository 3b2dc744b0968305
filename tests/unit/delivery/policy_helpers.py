"""Helpers for policy tests (imported by name; keep this module name unique)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

INCIDENT = "INC-20261122-1402-a1b2c3"


def local(text: str, zone: str = "Europe/Berlin") -> float:
    """POSIX seconds of a local wall-clock time, e.g. ``local("2026-11-22 23:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()
