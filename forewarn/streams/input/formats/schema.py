"""Pydantic schema bases and the translation of their errors into AlarmFormatError.

Each format module declares models for the fields forewarn *uses*; everything else a sender
puts in is ignored (real fault managers add vendor fields freely, and the TMF642 samples use
fields their own swagger does not define). Leaf fields use the types of :mod:`.common`, so
the few errors pydantic itself raises are about structure (a missing field, an object where
an array belongs); :func:`validate` words those like the leaf errors and names the field by
its dotted path -- every invalid field of the item, not just the first, so a sender fixes a
record in one round trip. Checks that span fields (a time chain, ``end`` after ``start``)
are collected beside the model's own in a :class:`Problems` before anything is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from forewarn.errors import AlarmFormatError
from forewarn.streams.input.formats.common import at, json_type, where
from forewarn.streams.input.formats.limits import SHOWN_CHARACTERS

__all__ = ["MAX_PROBLEMS", "CamelSchema", "Problems", "Schema", "validate"]

#: Problems listed per rejected item (a labels object of 100,000 bad values must not make a
#: 100,000-line answer); the rest are counted.
MAX_PROBLEMS = 20

M = TypeVar("M", bound=BaseModel)


class Schema(BaseModel):
    """Base of the snake_case schemas (native, maintenance, incident update)."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class CamelSchema(BaseModel):
    """Base of the camelCase schemas (TMF642, VES, Alertmanager): JSON names via aliases."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, hide_input_in_errors=True, alias_generator=to_camel
    )


_KINDS = {
    "string_type": "a string",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "list_type": "an array",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
}


class Problems:
    """Every problem found in one item, raised together as one AlarmFormatError.

    One error per item keeps "rejected" counts equal to the number of rejected items; the
    error names every offending field (``AlarmFormatError.problems``), in the order found:
    the model's field order first (ids before times, what a sender should fix first).
    """

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []
        self._fields: set[str] = set()
        self.more = 0  # problems beyond MAX_PROBLEMS: counted, not listed

    def add(self, field: str, problem: str) -> None:
        if field in self._fields:  # one problem per field is enough
            return
        self._fields.add(field)
        if len(self.found) < MAX_PROBLEMS:
            self.found.append((field, problem))
        else:
            self.more += 1

    def adopt(self, error: AlarmFormatError) -> None:
        """Take over every problem of ``error``."""
        for field, problem in error.problems:
            self.add(field, problem)

    def model(self, model: type[M], obj: object, path: str) -> M | None:
        """``obj`` validated against ``model``, or None with its problems recorded."""
        try:
            return model.model_validate(obj)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(_part(part) for part in error["loc"])
                self.add(at(path, *loc) if loc else where(path), _problem(error))
            return None

    def check(self, field: str, check: Callable[[], object]) -> None:
        """Run ``check``; a leaf validator's error is recorded against ``field``."""
        try:
            check()
        except AlarmFormatError as exc:
            self.adopt(exc)
        except ValueError as exc:  # PydanticCustomError from a leaf validator of common.py
            self.add(field, str(exc))

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        """Raise the collected problems as one AlarmFormatError (nothing when none)."""
        if self.found:
            (field, problem), *others = self.found
            if self.more:
                others.append(("...", f"{self.more} more fields are invalid"))
            raise AlarmFormatError(field, problem, also=tuple(others))


def validate(model: type[M], obj: object, path: str) -> M:
    """Validate ``obj`` against ``model``; raise every problem as one AlarmFormatError.

    The error's first field is the first in the model's field order (the most basic: ids
    before times); the others follow in ``AlarmFormatError.problems``.
    """
    problems = Problems()
    valid = problems.model(model, obj, path)
    problems.raise_any()
    assert valid is not None  # a ValidationError always has errors
    return valid


def _part(part: str | int) -> str | int:
    """A path part as a sender can read it; an arbitrary key (a label name) is cut short."""
    if isinstance(part, str) and len(part) > SHOWN_CHARACTERS:
        return f"{part[:SHOWN_CHARACTERS]}..."
    return part


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing (required)"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, got {json_type(error.get('input'))}"
    return str(error["msg"])
