"""Helpers for the web tests (imported by name; keep this module name unique)."""

from __future__ import annotations

from forewarn.domain import ImpactChange, Notification

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def change(customer: str, service: str = "mobile", out: bool = True, at: float = T0,
           incident: str = "INC-1", cause: str = "S-A", cause_type: str = "site") -> ImpactChange:
    return ImpactChange(customer, service, out, at, incident, cause, cause_type)


def delivered(customer: str, stage: str = "outage", channel: str = "sms",
              incident: str = "INC-1") -> Notification:
    return Notification(f"n-{customer}-{stage}", customer, incident, stage, ["mobile"], channel,
                        "+4915112345678", "de", None, "Wir wissen Bescheid.",
                        "2023-11-14T22:15:20+00:00", "2023-11-14T22:15:21+00:00")
