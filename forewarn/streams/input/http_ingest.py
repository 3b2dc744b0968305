"""HTTP ingest, minus the web framework: a request body in, records and an answer out.

Every ingest path (our own API and the paths TMF642, VES and Alertmanager post to) parses
the body with the same registry as the ``alarms.raw`` topic. Valid records are accepted even
when others in the same payload are not (nothing valid is dropped); the answer is 202 when
all were valid, else 400 naming each offending field, with the count that was accepted.

Hostile bodies are bounded here (issue 16), before any record is published: a body over
``max_body_bytes`` answers 413 (the web layer stops reading at the limit), JSON nested deeper
than ``max_depth`` answers 400 (also when the parser itself runs out of recursion), more than
``max_records`` records answer 413. The body is decoded once; each dead letter carries an
excerpt of its own record only (at most ``MAX_EXCERPT_CHARS``), never the whole body, so a
request of many invalid records costs memory in proportion to its size, not size x records.
A request writes at most ``MAX_DEAD_LETTERS`` dead letters, then one that counts the rest:
its client already has every offending field in the 400, and thousands of letters per
request would be event-loop work that one hostile client could repeat at will.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import orjson

from forewarn.domain import Contact, IncidentUpdate, InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.gc_pause import gc_paused
from forewarn.streams.input.formats.common import Parsed, at, json_type, where, with_excerpt
from forewarn.streams.input.formats.contact import CONTACT, parse_contact
from forewarn.streams.input.formats.limits import MAX_EXCERPT, excerpt, shown
from forewarn.streams.input.normalise import ParseResult, dead_letter, parse_records

__all__ = [
    "MAX_EXCERPT_CHARS",
    "IngestAnswer",
    "IngestLimits",
    "KnownCustomer",
    "body_too_large",
    "contact_body",
    "incident_update_body",
    "ingest_body",
]

MAX_EXCERPT_CHARS = MAX_EXCERPT  # of an invalid record's own JSON kept in its dead letter
MAX_DEAD_LETTERS = 1_000  # per request; the rest are counted in one more letter


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """What one ingest request may be (``[api]`` settings); see the module docstring."""

    max_body_bytes: int = 1_000_000
    max_depth: int = 64
    max_records: int = 10_000

    @classmethod
    def from_settings(cls, api: Any) -> IngestLimits:
        return cls(api.max_body_bytes, api.max_depth, api.max_records)


DEFAULT_LIMITS = IngestLimits()


@dataclass
class IngestAnswer:
    status: int
    body: dict[str, Any]
    records: list[InputRecord] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0  # offending items (more than the dead letters when they were capped)


def body_too_large(limits: IngestLimits) -> IngestAnswer:
    """413 for a body over the size limit (nothing of it was kept, so no dead letter)."""
    error = AlarmFormatError(
        "<body>", f"request body larger than {limits.max_body_bytes} bytes (api.max_body_bytes)")
    return IngestAnswer(413, {"error": str(error), "errors": [_error(error)], "accepted": 0,
                              "limit": limits.max_body_bytes}, rejected=1)


def _refused(status: int, error: AlarmFormatError, body: bytes,
             **extra: Any) -> IngestAnswer:
    """An answer that refuses the whole body, with one dead letter of its head."""
    excerpt = body[:MAX_EXCERPT_CHARS].decode("utf-8", errors="replace")
    return IngestAnswer(status, {"error": str(error), "errors": [_error(error)], "accepted": 0,
                                 **extra},
                        dead_letters=[_dead(error, excerpt)], rejected=1)


def _decode(body: bytes, limits: IngestLimits) -> tuple[Any, IngestAnswer | None]:
    if len(body) > limits.max_body_bytes:
        return None, body_too_large(limits)
    try:
        obj = _loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, _refused(400, AlarmFormatError("<body>", f"not valid JSON: {exc}"), body)
    except ValueError as exc:  # e.g. an integer past Python's 4,300-digit conversion limit
        return None, _refused(400, AlarmFormatError("<body>", f"not usable JSON: {exc}"), body)
    except RecursionError:  # nested far deeper than the limit: the parser gave up
        return None, _too_deep(body, limits)
    return obj, _check_shape(obj, body, limits)


def _loads(body: bytes) -> Any:
    """orjson first: several times faster, and it holds the GIL (stalling the event loop
    while it runs in the ingest thread) for that much less. What it refuses (NaN, big
    integers, lone surrogates, nesting past 1024, invalid JSON) is decoded again by the
    standard library, so the outcome (and the 400 naming the field) stays the same."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body.decode("utf-8"))


def _too_deep(body: bytes, limits: IngestLimits) -> IngestAnswer:
    error = AlarmFormatError(
        "<body>", f"JSON nested deeper than {limits.max_depth} levels (api.max_depth)")
    return _refused(400, error, body, limit=limits.max_depth)


def _check_shape(obj: Any, body: bytes, limits: IngestLimits) -> IngestAnswer | None:
    """Record count (first: it is O(1)), then the depth of the decoded value (iteratively:
    no recursion to exhaust)."""
    count, where = _record_count(obj)
    if count > limits.max_records:
        error = AlarmFormatError(
            where, f"{count} records in one request, more than {limits.max_records} "
                   "(api.max_records); split it")
        return _refused(413, error, body, limit=limits.max_records)
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.max_depth:
            return _too_deep(body, limits)
        children = (value.values() if isinstance(value, dict)
                    else value if isinstance(value, list) else ())
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return None


def _record_count(obj: Any) -> tuple[int, str]:
    """Records a payload carries: a top-level array's items, or the largest array of objects
    inside a top-level object (VES ``eventList``, Alertmanager ``alerts``)."""
    if isinstance(obj, list):
        return len(obj), "<body>"
    if isinstance(obj, dict):
        arrays = [(len(v), k) for k, v in obj.items()
                  if isinstance(v, list) and v and isinstance(v[0], dict)]
        if arrays:
            return max(arrays)
    return 1, "<body>"


def _error(error: AlarmFormatError) -> dict[str, str]:
    return {"field": error.field, "problem": error.problem}


def _dead(error: AlarmFormatError, excerpt: str) -> dict[str, Any]:
    return {**dead_letter(excerpt, str(error), error.field, error.problem), "source": "http"}


def ingest_body(body: bytes, *, expect: Callable[[InputRecord], bool] | None = None,
                defaults: dict[str, Any] | None = None,
                limits: IngestLimits = DEFAULT_LIMITS) -> IngestAnswer:
    """Parse a posted payload; ``expect`` narrows what this path accepts (e.g. maintenance).

    Pure and CPU-bound: the web layer runs it off the event loop, so a large body does not
    stall health checks and other requests. The cyclic collector is paused meanwhile (a
    request of 10,000 records allocates ~100,000 containers and no cycles; full collections
    in a worker walk all its state while holding the GIL, stalling the loop)."""
    with gc_paused():
        obj, failed = _decode(body, limits)
        if failed is not None:
            return failed
        if defaults and isinstance(obj, dict):
            obj = {**defaults, **obj}
        return _answer(obj, expect)


def _answer(obj: Any, expect: Callable[[InputRecord], bool] | None,
            result: ParseResult | None = None) -> IngestAnswer:
    result = parse_records(obj) if result is None else result
    records = list(result.records)
    errors = list(result.errors)
    if expect is not None:
        wrong = [r for r in records if not expect(r)]
        records = [r for r in records if expect(r)]
        errors += [AlarmFormatError("type", f"this endpoint does not take {type(r).__name__}")
                   for r in wrong]
    whole: list[str] = []  # the payload's excerpt, made once, for errors about no one item

    def raw_of(error: AlarmFormatError) -> str:
        if error.excerpt is not None:  # the parser's excerpt of the offending item itself
            return error.excerpt
        if not whole:
            whole.append(excerpt(obj))
        return whole[0]

    dead = [_dead(e, raw_of(e)) for e in errors[:MAX_DEAD_LETTERS]]
    if len(errors) > MAX_DEAD_LETTERS:
        dead.append(_omitted(len(errors) - MAX_DEAD_LETTERS))
    if errors:
        return IngestAnswer(400, {"error": str(errors[0]), "errors": [_error(e) for e in errors],
                                  "accepted": len(records), "format": result.format},
                            records, dead, len(errors))
    return IngestAnswer(202, {"accepted": len(records), "format": result.format}, records, dead)


def _omitted(count: int) -> dict[str, Any]:
    """The letter that stands for a request's errors past ``MAX_DEAD_LETTERS``."""
    problem = (f"{count} more offending items in this request, not written one by one "
               "(the HTTP answer named each)")
    return {**dead_letter("", f"<body>: {problem}", "<body>", problem), "source": "http",
            "omitted": count}


#: ``known(contact)`` -> None when the contact names a known customer, else ``(field,
#: problem)`` naming ``customer_id`` or ``phone`` (the web layer asks the region index).
KnownCustomer = Callable[[Contact], tuple[str, str] | None]


def contact_body(body: bytes, known: KnownCustomer, *,
                 limits: IngestLimits = DEFAULT_LIMITS) -> IngestAnswer:
    """``POST /api/v1/contacts``: one contact object or an array of them (CONTRACT §8).

    ``type`` may be left out (this path takes contacts only); another ``type`` is rejected
    naming it. A contact whose customer is unknown (``known``) is rejected naming
    ``customer_id`` or ``phone``: the sender can fix it now, while a dead letter in the
    stream would reach nobody who can. Same limits and answers as the other ingest paths."""
    with gc_paused():
        obj, failed = _decode(body, limits)
        if failed is not None:
            return failed
        items = obj if isinstance(obj, list) else [obj]
        if not items:
            return _refused(400, AlarmFormatError("<body>", "empty array: no contacts"), body)
        parsed = Parsed()
        for position, item in enumerate(items):
            path = at("", position) if isinstance(obj, list) else ""
            parsed.extend(_contact_item(item, path, known))
        return _answer(obj, None, ParseResult(tuple(parsed.records), tuple(parsed.errors),
                                              CONTACT))


def _contact_item(item: Any, path: str, known: KnownCustomer) -> Parsed:
    if not isinstance(item, dict):
        error = AlarmFormatError(where(path), f"expected a contact object, got {json_type(item)}")
        return Parsed(errors=[with_excerpt(error, item)])
    kind = item.get("type", CONTACT)
    if kind != CONTACT:
        error = AlarmFormatError(at(path, "type"), f"this endpoint takes contacts only (type "
                                                   f'"contact"), got {shown(kind)}')
        return Parsed(errors=[with_excerpt(error, item)])
    parsed = parse_contact({**item, "type": CONTACT}, path)
    for record in list(parsed.records):
        unknown = known(record) if isinstance(record, Contact) else None
        if unknown is not None:
            parsed.records.remove(record)
            error = AlarmFormatError(at(path, unknown[0]), unknown[1])
            parsed.errors.append(with_excerpt(error, item))
    return parsed


def incident_update_body(body: bytes, incident_id: str,
                         now: Callable[[], float] = time.time, *,
                         limits: IngestLimits = DEFAULT_LIMITS) -> IngestAnswer:
    """``POST /api/v1/incidents/{id}/updates``: ``{"eta"?, "message"?, "event_time"?}``."""
    obj, failed = _decode(body, limits)
    if failed is not None:
        return failed
    if not isinstance(obj, dict):
        return _refused(400, AlarmFormatError("<body>", "expected a JSON object"), body)
    payload = {"event_time": _iso_now(now()), **obj, "type": "incident_update",
               "incident_id": incident_id}
    payload.pop("element_id", None)
    return _answer(payload, lambda r: isinstance(r, IncidentUpdate))


def _iso_now(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()
