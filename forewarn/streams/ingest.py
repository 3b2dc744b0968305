"""HTTP ingest, minus the web framework: a request body in, records and an answer out.

Every ingest path (our own API and the paths TMF642, VES and Alertmanager post to) parses
the body with the same registry as the ``alarms.raw`` topic. Valid records are accepted even
when others in the same payload are not (nothing valid is dropped); the answer is 202 when
all were valid, else 400 naming each offending field, with the count that was accepted.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from forewarn.domain import IncidentUpdate, InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.streams.normalise import dead_letter, parse_records, raw_text

__all__ = ["IngestAnswer", "authorised", "incident_update_body", "ingest_body"]


@dataclass
class IngestAnswer:
    status: int
    body: dict[str, Any]
    records: list[InputRecord] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)


def authorised(header: str | None, tokens: Sequence[str]) -> bool:
    """A ``Bearer`` header carrying one of ``tokens``, compared in constant time."""
    if not header or not tokens or not header.startswith("Bearer "):
        return False
    offered = header.removeprefix("Bearer ").strip().encode()
    return any(hmac.compare_digest(offered, token.encode()) for token in tokens)


def _decode(body: bytes) -> tuple[Any, IngestAnswer | None]:
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        error = AlarmFormatError("<body>", f"not valid JSON: {exc}")
        return None, IngestAnswer(400, {"error": str(error), "errors": [_error(error)], "accepted": 0},
                                  dead_letters=[_dead(error, body)])


def _error(error: AlarmFormatError) -> dict[str, str]:
    return {"field": error.field, "problem": error.problem}


def _dead(error: AlarmFormatError, raw: bytes | str) -> dict[str, Any]:
    return {**dead_letter(raw_text(raw), str(error), error.field, error.problem),
            "source": "http"}


def ingest_body(body: bytes, *, expect: Callable[[InputRecord], bool] | None = None,
                defaults: dict[str, Any] | None = None) -> IngestAnswer:
    """Parse a posted payload; ``expect`` narrows what this path accepts (e.g. maintenance)."""
    obj, failed = _decode(body)
    if failed is not None:
        return failed
    if defaults and isinstance(obj, dict):
        obj = {**defaults, **obj}
    result = parse_records(obj)
    records = list(result.records)
    errors = list(result.errors)
    if expect is not None:
        wrong = [r for r in records if not expect(r)]
        records = [r for r in records if expect(r)]
        errors += [AlarmFormatError("type", f"this endpoint does not take {type(r).__name__}")
                   for r in wrong]
    dead = [_dead(e, body) for e in errors]
    if errors:
        return IngestAnswer(400, {"error": str(errors[0]), "errors": [_error(e) for e in errors],
                                  "accepted": len(records), "format": result.format},
                            records, dead)
    return IngestAnswer(202, {"accepted": len(records), "format": result.format}, records, dead)


def incident_update_body(body: bytes, incident_id: str,
                         now: Callable[[], float] = time.time) -> IngestAnswer:
    """``POST /api/v1/incidents/{id}/updates``: ``{"eta"?, "message"?, "event_time"?}``."""
    obj, failed = _decode(body)
    if failed is not None:
        return failed
    if not isinstance(obj, dict):
        error = AlarmFormatError("<body>", "expected a JSON object")
        return IngestAnswer(400, {"error": str(error), "errors": [_error(error)], "accepted": 0},
                            dead_letters=[_dead(error, body)])
    payload = {"event_time": _iso_now(now()), **obj, "type": "incident_update",
               "incident_id": incident_id}
    payload.pop("element_id", None)
    return ingest_body(json.dumps(payload).encode(),
                       expect=lambda r: isinstance(r, IncidentUpdate))


def _iso_now(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()
