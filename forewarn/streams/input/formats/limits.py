"""How large anything taken from an input record may be, and how it is shown back.

Why limits at the parser: every id and text a NOC system sends travels on through topics,
state journals, incident pages, log lines and customer messages. A 10,000-character
``maintenance_id`` once pushed the planned SMS past one segment and 17 of 62 customers were
told nothing; an id with a newline or a ``<`` is a log- or markup-injection waiting for a
place that forgets to escape it. So the parser rejects, naming the field and the limit:

* **ids** (``alarm_id``, ``element_id``, ``maintenance_id``, ``incident_id``, ``cut_id``,
  TMF642 ``id`` / ``alarmedObject.id``, VES ``sourceName``, 3GPP ``alarmId``, Alertmanager
  ``element_id``/``instance`` label and ``fingerprint``): at most :data:`MAX_ID_LENGTH`
  characters of printable text (``str.isprintable``: no control, format or line-separator
  characters; a plain space is allowed) and none of :data:`MARKUP_CHARACTERS`. Every id in the
  shipped regions and samples is far inside this (the longest is 40 characters of
  ``[A-Za-z0-9._:|-]``); ids of any script stay valid, since region files may use them.
* **texts** (``text``, ``message``, ``probable_cause``, ``specific_problem``, VES
  ``alarmCondition``/``eventName``, annotations...): at most :data:`MAX_TEXT_LENGTH`
  characters, no control characters except tab and line breaks.
* **times**: ISO-8601 strings of at most :data:`MAX_TIME_LENGTH` characters, and every instant
  between :data:`EARLIEST` and :data:`LATEST` (2000..2100, as VES epochs already were): an
  instant outside is a wrong unit or a typo, and event time would act on it.
* **lists**: a maintenance window names at most :data:`MAX_ELEMENTS` elements; a cable cut's
  area has at most :data:`MAX_AREA_VERTICES` vertices.

Lengths count characters (code points), as a sender's documentation would.

Ids forewarn *derives* (a VES ``source|condition|interface``, the (element, cause) key of a
TMF642 alarm without ``id``) are kept within :data:`MAX_ID_LENGTH` by :func:`bounded_id`,
which replaces an over-long tail by a digest: still stable, so a raise and its clear match.

What goes back to a sender is bounded too: :func:`shown` quotes at most
:data:`SHOWN_CHARACTERS` of a value inside an error message, and :func:`excerpt` is the
compact JSON of one rejected item, cut at :data:`MAX_EXCERPT` characters, for its dead letter.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

__all__ = [
    "EARLIEST",
    "LATEST",
    "MARKUP_CHARACTERS",
    "MAX_AREA_VERTICES",
    "MAX_ELEMENTS",
    "MAX_EXCERPT",
    "MAX_ID_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TIME_LENGTH",
    "SHOWN_CHARACTERS",
    "bounded_id",
    "excerpt",
    "id_problem",
    "shown",
    "text_problem",
]

MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 1000
MAX_TIME_LENGTH = 64
MAX_ELEMENTS = 10_000
MAX_AREA_VERTICES = 10_000
MAX_EXCERPT = 2000
SHOWN_CHARACTERS = 60
#: Characters no id format uses and that turn an id into markup or a quoted-string escape.
MARKUP_CHARACTERS = "<>\"'`"
#: Plausible instants, POSIX seconds: [2000-01-01, 2100-01-01).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(2100, 1, 1, tzinfo=UTC).timestamp()

_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
_DIGEST = 16  # hex characters of sha256 kept by bounded_id


def shown(value: object) -> str:
    """A value quoted in an error message: ``repr`` of a string, compact JSON of anything
    else, cut to about :data:`SHOWN_CHARACTERS` characters."""
    if not isinstance(value, str):
        return excerpt(value, SHOWN_CHARACTERS)
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value)} characters)"


def id_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an id, or None (see the module docstring)."""
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; an id may have at most {MAX_ID_LENGTH}"
    if not value.isprintable():
        bad = next(char for char in value if not char.isprintable())
        return (f"holds the non-printable character U+{ord(bad):04X}; "
                "an id must be printable text")
    bad_markup = next((char for char in value if char in MARKUP_CHARACTERS), None)
    if bad_markup is not None:
        return f"holds {bad_markup!r}; an id must not contain any of {MARKUP_CHARACTERS}"
    return None


def text_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a free text, or None."""
    if len(value) > MAX_TEXT_LENGTH:
        return f"is {len(value)} characters long; a text may have at most {MAX_TEXT_LENGTH}"
    if not value.isprintable():
        bad = next(
            (c for c in value if not c.isprintable() and not c.isspace()
             and c not in _TEXT_CONTROLS_ALLOWED),
            None,
        )
        if bad is not None:
            return (f"holds the control character U+{ord(bad):04X}; "
                    "a text may hold only printable characters, tabs and line breaks")
    return None


def bounded_id(*parts: str) -> str:
    """``parts`` joined by ``|``, a valid id: characters an id may not hold become ``_``
    (the parts may be free texts such as a VES ``alarmCondition``), and over
    :data:`MAX_ID_LENGTH` the tail becomes a digest of the whole.

    Same parts, same id: a raise and its clear still match. Different over-long parts that
    share a 111-character head differ in the digest.
    """
    joined = "|".join(parts)
    safe = "".join(c if c.isprintable() and c not in MARKUP_CHARACTERS else "_" for c in joined)
    if len(safe) <= MAX_ID_LENGTH:
        return safe
    digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]
    return f"{safe[:MAX_ID_LENGTH - _DIGEST - 1]}~{digest}"


def excerpt(item: object, limit: int = MAX_EXCERPT) -> str:
    """Compact JSON of one input item, at most ``limit`` characters (cut ones end in ``...``).

    Encoded whole by the C encoder and then cut: the work is linear in the item, which came
    out of a payload already bounded by the ingest's size limit, and far cheaper per item than
    an incremental encoder when 50,000 small items are rejected at once. An item JSON cannot
    encode (too deep, an integer of thousands of digits) gives a placeholder.
    """
    try:
        text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (RecursionError, ValueError, TypeError) as exc:
        return f"<not shown: {type(exc).__name__}>"
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 0)] + "..."
