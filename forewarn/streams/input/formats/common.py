"""What every input format shares: field paths, leaf value types, times, severities.

Leaf values are checked by the small annotated types below (used in the pydantic schemas of
each format, see :mod:`.schema`) rather than by pydantic's built-in coercion, for two reasons:

* the wording is ours and the same in every format ("missing (required)", "must be a string,
  got number", "... has no UTC offset"), so a NOC engineer reading a dead letter or a 400
  answer learns what to fix, whatever format they sent;
* nothing is coerced silently: ``17`` is not an alarm id, ``"2024-05-01T10:00"`` is not a time;
* every id, text and time is held to the limits of :mod:`.limits` (length, characters,
  plausible instants), and a value quoted back in an error is cut short (:func:`.limits.shown`).

Field names in errors are dotted paths from the top of the payload
(``alerts[3].labels.severity``, built with :func:`at`), so one invalid item of a batch is
reported by itself and the valid ones around it are kept (:class:`Parsed`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from forewarn.domain import InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.limits import (
    EARLIEST,
    LATEST,
    MAX_TIME_LENGTH,
    excerpt,
    id_problem,
    shown,
    text_problem,
)

__all__ = [
    "CLEAR_SEVERITY",
    "X733_WORDS",
    "Code",
    "EpochMicros",
    "Id",
    "IsoTime",
    "OptCode",
    "OptId",
    "OptIsoTime",
    "OptText",
    "Parsed",
    "Record",
    "Text",
    "at",
    "instant",
    "invalid",
    "is_zero_time",
    "iso_datetime",
    "iso_time",
    "json_type",
    "one_of",
    "optional",
    "placeholder_in",
    "required_id",
    "required_text",
    "where",
    "x733_severity",
]

Record = Mapping[str, Any]

#: The severity a clear is recorded with when its format gives it none of its own (TMF642
#: ``cleared``, VES ``NORMAL``, 3GPP ``CLEARED``): a clear matches its raise by id or cause,
#: never by severity, so the least severity is the honest filler.
CLEAR_SEVERITY = "warning"

#: X.733 / TMF642 / 3GPP perceived severities -> forewarn's; ``None`` means "cleared".
#: ``indeterminate`` is a fault whose gravity the source cannot tell: it is kept as an alarm
#: (so it shows on the element) but as ``warning``, which does not take an element down by
#: default -- a customer is not told of an outage nobody has rated.
_X733: dict[str, str | None] = {
    "critical": "critical",
    "major": "major",
    "minor": "minor",
    "warning": "warning",
    "indeterminate": "warning",
    "cleared": None,
}

_PLACEHOLDER = re.compile(r"@\w+@")
_ZERO_YEAR = 1


@dataclass(slots=True)
class Parsed:
    """What one payload (or one item of it) yielded: records and the items' errors."""

    records: list[InputRecord] = field(default_factory=list)
    errors: list[AlarmFormatError] = field(default_factory=list)

    def add(self, parse: Callable[..., Sequence[InputRecord]], *args: Any, **kw: Any) -> None:
        """Run one item's parser: keep its records, or its error (one error per item).

        The item is ``args[0]``; its error gets the item's own :func:`.limits.excerpt` for the
        dead letter, never the whole payload around it.
        """
        try:
            self.records.extend(parse(*args, **kw))
        except AlarmFormatError as exc:
            self.errors.append(with_excerpt(exc, args[0] if args else None))

    def extend(self, other: Parsed) -> None:
        self.records.extend(other.records)
        self.errors.extend(other.errors)


def with_excerpt(error: AlarmFormatError, item: object) -> AlarmFormatError:
    """``error`` with the bounded excerpt of ``item`` (an excerpt it already has is kept)."""
    if error.excerpt is None:
        error.excerpt = excerpt(item)
    return error


# ---------------------------------------------------------------------------- paths


def at(path: str, *parts: str | int) -> str:
    """Extend a dotted path: ``at("alerts[3]", "labels", "severity")``; ints are indexes."""
    out = path
    for part in parts:
        if isinstance(part, int):
            out = f"{out}[{part}]"
        elif out:
            out = f"{out}.{part}"
        else:
            out = part
    return out


def where(path: str) -> str:
    """The field name for a problem with a whole item: its path, or ``<record>`` at the top."""
    return path or "<record>"


def json_type(value: object) -> str:
    """JSON's name for a decoded value's type, as a sender would understand it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def placeholder_in(value: str) -> str | None:
    """The first unfilled ``@template@`` placeholder in ``value`` (O-RAN SC VES templates)."""
    found = _PLACEHOLDER.search(value)
    return found.group(0) if found else None


# ------------------------------------------------------------------- leaf validators


def invalid(problem: str) -> PydanticCustomError:
    """The error a leaf validator raises: ``problem`` becomes the AlarmFormatError's text."""
    return PydanticCustomError("forewarn", "{problem}", {"problem": problem})


def _text_of(value: object) -> str:
    """A non-blank string that is no unfilled ``@template@`` placeholder (no length check)."""
    if not isinstance(value, str):
        raise invalid(f"must be a string, got {json_type(value)}")
    if not value.strip():
        raise invalid("must not be empty")
    return value


def _no_placeholder(value: str) -> str:
    placeholder = placeholder_in(value)
    if placeholder:
        raise invalid(f"{shown(value)} holds the unfilled template placeholder {placeholder}")
    return value


def required_text(value: object) -> str:
    """A required, non-blank free text within the text limits, no ``@template@`` left."""
    text = _text_of(value)
    problem = text_problem(text)
    if problem:
        raise invalid(problem)
    return _no_placeholder(text)


def required_id(value: object) -> str:
    """A required, non-blank id within the id limits (length, printable, no markup)."""
    text = _text_of(value)
    problem = id_problem(text)
    if problem:
        raise invalid(problem)
    return _no_placeholder(text)


def _opt_text(value: object) -> str | None:
    """An optional text; absent, null and empty all mean "not given"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"must be a string or null, got {json_type(value)}")
    if not value.strip():
        return None
    problem = text_problem(value)
    if problem:
        raise invalid(problem)
    return value


def _opt_id(value: object) -> str | None:
    """An optional id; absent, null and empty all mean "not given"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"must be a string or null, got {json_type(value)}")
    return required_id(value) if value.strip() else None


#: An integer id longer than this many bits has more digits than any id may have (and
#: turning a 5,000-digit integer into text is refused by Python itself).
_CODE_BITS = 4 * 128


def _code(value: object) -> str:
    """An identifier that some schemas type as integer (TMF642 v4 ``id``, 3GPP codes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _CODE_BITS:
            raise invalid("is an integer too large to be an id")
        return required_id(str(value))
    if not isinstance(value, str):
        raise invalid(f"must be a string or an integer, got {json_type(value)}")
    return required_id(value)


def _opt_code(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _code(value)


def iso_datetime(value: object) -> datetime:
    """ISO-8601 with an explicit offset (``Z`` accepted) -> an aware datetime.

    A time without offset is rejected rather than guessed: the network's alarms come from
    equipment in many time zones, and a silently wrong hour would shift every decision.
    """
    text = _text_of(value)
    if len(text) > MAX_TIME_LENGTH:
        raise invalid(f"is {len(text)} characters long; a time may have at most "
                      f"{MAX_TIME_LENGTH}")
    _no_placeholder(text)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid(
            f"not an ISO-8601 time: {shown(text)} (e.g. 2024-05-01T10:00:00+02:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise invalid(
            f"{shown(text)} has no UTC offset (add Z or +hh:mm, e.g. 2024-05-01T10:00:00Z)"
        )
    return parsed


def instant(parsed: datetime) -> float:
    """POSIX seconds of ``parsed``, which must lie in 2000..2100 (see :mod:`.limits`)."""
    try:
        seconds = parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        seconds = math.inf
    if not EARLIEST <= seconds < LATEST:
        raise invalid(
            f"{parsed.isoformat()} is not a plausible instant (allowed: 2000-01-01 to "
            "2100-01-01)"
        )
    return seconds


def is_zero_time(value: datetime) -> bool:
    """Go's zero time (``0001-01-01T00:00:00Z``), which Go senders write for "not set"."""
    return value.year == _ZERO_YEAR


def iso_time(value: object) -> float:
    """ISO-8601 with offset -> POSIX seconds; Go's zero time is "unset", not an instant."""
    parsed = iso_datetime(value)
    if is_zero_time(parsed):
        raise invalid(f"{value!r} is the zero time (unset), not an instant")
    return instant(parsed)


def _opt_iso_time(value: object) -> float | None:
    return None if value is None else iso_time(value)


#: Plausible VES epochs: a value outside is almost surely in the wrong unit, and a silently
#: wrong unit puts an alarm in 1970 or the far future, which event time would act on.
_MICROS_MIN = 946_684_800 * 10**6  # 2000-01-01
_MICROS_MAX = 4_102_444_800 * 10**6  # 2100-01-01


def _epoch_micros(value: object) -> float:
    """Microseconds since 1970 (VES ``lastEpochMicrosec``) -> POSIX seconds."""
    if isinstance(value, str):
        _no_placeholder(_text_of(value)[:MAX_TIME_LENGTH])  # names a template placeholder
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"must be a number (microseconds since 1970), got {json_type(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(f"must be a finite number, got {value!r}")
    if not _MICROS_MIN <= value < _MICROS_MAX:
        raise invalid(
            f"{shown(str(value)) if isinstance(value, float) else _digits(value)} is not a "
            "time between 2000 and 2100 in microseconds since 1970 "
            "(milliseconds or nanoseconds?)"
        )
    return value / 1_000_000


def _digits(value: int) -> str:
    """An integer for an error message, without turning thousands of digits into text."""
    if value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return repr(value)


def one_of(allowed: tuple[str, ...], *, fold_case: bool = False) -> Callable[[object], str]:
    """A validator accepting only ``allowed`` (returned lower-cased when ``fold_case``).

    Used as ``Annotated[str, PlainValidator(one_of(...))]``; the error lists the allowed
    values as the sender's format spells them.
    """
    accepted = {a.lower() for a in allowed} if fold_case else set(allowed)

    def check(value: object) -> str:
        text = _no_placeholder(_text_of(value))
        key = text.strip().lower() if fold_case else text
        if key not in accepted:
            raise invalid(f"unknown value {shown(text)} (allowed: {', '.join(allowed)})")
        return key

    return check


def optional(check: Callable[[object], str]) -> Callable[[object], str | None]:
    """``check``, except that null means "not given"."""
    return lambda value: None if value is None else check(value)


def x733_severity(word: str) -> tuple[str, bool]:
    """A perceived severity (lower case) -> (forewarn severity, whether it means cleared)."""
    mapped = _X733[word]
    return (CLEAR_SEVERITY, True) if mapped is None else (mapped, False)


X733_WORDS: tuple[str, ...] = tuple(_X733)

Text = Annotated[str, PlainValidator(required_text)]
OptText = Annotated[str | None, PlainValidator(_opt_text)]
Id = Annotated[str, PlainValidator(required_id)]
OptId = Annotated[str | None, PlainValidator(_opt_id)]
Code = Annotated[str, PlainValidator(_code)]
OptCode = Annotated[str | None, PlainValidator(_opt_code)]
IsoTime = Annotated[float, PlainValidator(iso_time)]
OptIsoTime = Annotated[float | None, PlainValidator(_opt_iso_time)]
EpochMicros = Annotated[float, PlainValidator(_epoch_micros)]
