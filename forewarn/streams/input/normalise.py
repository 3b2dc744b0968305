"""Turn one input payload into forewarn's input records (CONTRACT §3).

Entry points:

* :func:`parse_records` -- the main one: any decoded JSON value -> :class:`ParseResult`. One
  payload may carry many records (a JSON array, a VES ``eventList``, an Alertmanager webhook,
  a TMF642 ClearAlarms task); every valid one is returned even when others beside it are
  invalid, and each invalid item becomes one :class:`~forewarn.errors.AlarmFormatError` whose
  ``field`` is the dotted path from the top of the payload (``alerts[3].labels.severity``,
  ``[2].state``, ``<record>`` for the payload as a whole). A payload always yields at least
  one record or one error, so every payload has an outcome to count.
* :func:`parse_line` -- one line of a replay file or one message body (bad JSON is an error
  named ``<line>``).
* :func:`parse_alarm` -- for callers that handle exactly one alarm: returns it or raises the
  first error.

The format is detected per object by the ordered registry :data:`FORMATS` (name, detector,
parser). An explicit ``type`` (maintenance, incident update) wins; an object naming
``alarm_id`` and ``element_id`` is native even if it carries other formats' field names as
extras; then TMF642, VES, Alertmanager by their marker fields. An object none of them claims
is read as a broken native alarm when it has any native field (so its sender is told which
field is wrong), and is otherwise rejected as not a recognised format. Adding a format is one
module in :mod:`forewarn.streams.input.formats` with a ``parse(obj, path) -> Parsed`` function and
one entry here. The mapping decisions of each format are documented in its module.

Hostile input (issue 16): whatever JSON value comes in, these functions return results and
never raise anything but :class:`~forewarn.errors.AlarmFormatError` (``parse_alarm``,
``parse_native``); every error names each offending field of its item and carries a bounded
excerpt of that item alone (``AlarmFormatError.excerpt``), and every accepted record keeps the
limits of :mod:`forewarn.streams.input.formats.limits` (ids, texts, times, counts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from forewarn.domain import Alarm, InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats import alertmanager, contact, cut, native, noc, tmf642, ves
from forewarn.streams.input.formats.common import (
    Parsed,
    Record,
    at,
    json_type,
    where,
    with_excerpt,
)
from forewarn.streams.input.formats.limits import MAX_EXCERPT, shown
from forewarn.streams.input.formats.native import ALARM_STATES

__all__ = [
    "ALARM_STATES",
    "FORMATS",
    "MAX_RAW_IN_DEAD_LETTER",
    "InputFormat",
    "ParseResult",
    "dead_letter",
    "dead_letter_for",
    "detect_format",
    "parse_alarm",
    "parse_line",
    "parse_native",
    "parse_records",
    "raw_text",
]

EXPECTED = ("native, TMF642, VES 7, Alertmanager, maintenance, incident_update, cable_cut or "
            "contact")


@dataclass(frozen=True, slots=True)
class InputFormat:
    """One input format: how to recognise an object of it and how to parse it.

    ``detect`` must be cheap and must not raise: it only looks for the format's marker
    fields. ``parse(obj, path)`` never raises for bad input: it returns the records it could
    read and one :class:`AlarmFormatError` per invalid item, fields prefixed with ``path``.
    """

    name: str
    title: str
    detect: Callable[[Record], bool]
    parse: Callable[[Record, str], Parsed]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one payload yielded. ``format`` is the detected format's name (``native``,
    ``tmf642``, ``ves``, ``alertmanager``, ``maintenance``, ``incident_update``, ``cable_cut``,
    ``contact``, ``unknown``;
    ``mixed`` for an array whose items differ); each record also names its own
    ``source_format``, so accepted counts per format need only the records."""

    records: tuple[InputRecord, ...]
    errors: tuple[AlarmFormatError, ...]
    format: str


_NATIVE = InputFormat("native", "a native alarm", native.looks_native, native.parse)
_BROKEN_NATIVE = InputFormat(
    "native",
    "a native alarm with fields missing",
    lambda obj: any(name in obj for name in native.NATIVE_FIELDS),
    native.parse,
)

#: Tried in order; the first whose detector accepts an object parses it.
FORMATS: tuple[InputFormat, ...] = (
    InputFormat(
        "maintenance", 'a maintenance window (type "maintenance")',
        noc.looks_maintenance, noc.parse_maintenance,
    ),
    InputFormat(
        "incident_update", 'an incident update (type "incident_update")',
        noc.looks_incident_update, noc.parse_incident_update,
    ),
    InputFormat(
        "cable_cut", 'a cable cut (type "cable_cut")', cut.looks_cable_cut, cut.parse_cable_cut,
    ),
    InputFormat(
        "contact", 'a customer contact (type "contact")',
        contact.looks_contact, contact.parse_contact,
    ),
    _NATIVE,
    InputFormat("tmf642", "a TM Forum TMF642 alarm", tmf642.looks_tmf642, tmf642.parse),
    InputFormat("ves", "an ONAP VES 7 event", ves.looks_ves, ves.parse),
    InputFormat(
        "alertmanager", "a Prometheus Alertmanager webhook",
        alertmanager.looks_alertmanager, alertmanager.parse,
    ),
    _BROKEN_NATIVE,
)


def _unknown(obj: Record, path: str) -> Parsed:
    kind = obj.get("type")
    if kind is not None:
        problem = (f"unknown record type {shown(kind)} "
                   "(expected maintenance, incident_update, cable_cut or contact)")
        return Parsed(errors=[AlarmFormatError(at(path, "type"), problem)])
    problem = f"not a recognised alarm format (expected {EXPECTED})"
    return Parsed(errors=[AlarmFormatError(where(path), problem)])


_UNKNOWN = InputFormat("unknown", "an unrecognised object", lambda obj: True, _unknown)


def _as_record(obj: object, path: str = "") -> Record:
    if not isinstance(obj, Mapping):
        raise AlarmFormatError(where(path), f"expected a JSON object, got {json_type(obj)}")
    return obj


def detect_format(obj: object) -> InputFormat:
    """The registry entry that claims ``obj`` (raises if ``obj`` is not an object)."""
    record = _as_record(obj)
    return next((fmt for fmt in FORMATS if fmt.detect(record)), _UNKNOWN)


def _parse_object(obj: object, path: str) -> tuple[Parsed, str]:
    try:
        record = _as_record(obj, path)
    except AlarmFormatError as exc:
        return Parsed(errors=[with_excerpt(exc, obj)]), "unknown"
    fmt = detect_format(record)
    try:
        parsed = fmt.parse(record, path)
    except RecursionError:  # a pathologically nested item; the others still count
        error = AlarmFormatError(where(path), "nested too deeply to read")
        return Parsed(errors=[with_excerpt(error, None)]), fmt.name
    for error in parsed.errors:  # errors about the item as a whole: the item is the excerpt
        with_excerpt(error, record)
    return parsed, fmt.name


def parse_records(obj: object) -> ParseResult:
    """Any decoded JSON value -> every record it carries and one error per invalid item."""
    if not isinstance(obj, list):
        parsed, name = _parse_object(obj, "")
        return ParseResult(tuple(parsed.records), tuple(parsed.errors), name)
    if not obj:
        error = AlarmFormatError("<record>", "empty array: no records")
        return ParseResult((), (error,), "unknown")
    total, names = Parsed(), set[str]()
    for index, item in enumerate(obj):
        parsed, name = _parse_object(item, at("", index))
        total.extend(parsed)
        names.add(name)
    name = names.pop() if len(names) == 1 else "mixed"
    return ParseResult(tuple(total.records), tuple(total.errors), name)


def parse_line(line: str) -> ParseResult:
    """One line of a replay file or one message body (JSON) -> its records and errors."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError,
        # an integer of more than 4,300 digits, nesting deeper than the interpreter's stack
        problem = f"not valid JSON: {exc}" if isinstance(exc, ValueError) else (
            "not valid JSON: nested too deeply")
        error = AlarmFormatError("<line>", problem[:200], excerpt=line[:MAX_EXCERPT])
        return ParseResult((), (error,), "unknown")
    return parse_records(obj)


def parse_alarm(obj: object) -> Alarm:
    """Exactly one alarm from one JSON object (any alarm format), or the first error."""
    _as_record(obj)
    result = parse_records(obj)
    if result.errors:
        raise result.errors[0]
    if len(result.records) != 1 or not isinstance(result.records[0], Alarm):
        kinds = ", ".join(sorted({type(r).__name__ for r in result.records}))
        raise AlarmFormatError(
            "<record>",
            f"carries {len(result.records)} record(s) ({kinds}), not one alarm "
            "(use parse_records)",
        )
    return result.records[0]


def parse_native(obj: object) -> Alarm:
    """A native alarm object (no detection), or the first error naming its field."""
    return native.parse_one(_as_record(obj), "")[0]


#: Characters of input a dead letter keeps (``raw``). Bounded so that a request of 50,000
#: invalid records cannot make 50,000 copies of itself; the reason and field say what is
#: wrong, the excerpt only shows which record it was.
MAX_RAW_IN_DEAD_LETTER = MAX_EXCERPT


def raw_text(raw: bytes | str | None) -> str:
    """One ``alarms.raw`` value as text (undecodable bytes replaced, not fatal)."""
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else (raw or "")


def dead_letter(
    text: str, reason: str, field: str | None, problem: str, *, excerpt: str | None = None
) -> dict[str, Any]:
    """A record for ``alarms.dead-letter``: what is wrong, where, and a bounded excerpt.

    ``raw`` is ``excerpt`` when given -- pass ``AlarmFormatError.excerpt``, the rejected
    item's own record (one alert of a webhook, one item of an array) -- else the start of
    ``text``; either way at most :data:`MAX_RAW_IN_DEAD_LETTER` characters, never the whole
    payload a bad item came in.
    """
    raw = excerpt if excerpt is not None else text
    return {"reason": reason[:MAX_RAW_IN_DEAD_LETTER], "field": field,
            "problem": problem[:MAX_RAW_IN_DEAD_LETTER], "raw": raw[:MAX_RAW_IN_DEAD_LETTER]}


def dead_letter_for(error: AlarmFormatError, text: str = "") -> dict[str, Any]:
    """The dead letter of one rejected item: :func:`dead_letter` with the item's excerpt."""
    return dead_letter(text, str(error), error.field, error.problem, excerpt=error.excerpt)
