"""Pydantic schema bases and the translation of their errors into AlarmFormatError.

Each format module declares models for the fields forewarn *uses*; everything else a sender
puts in is ignored (real fault managers add vendor fields freely, and the TMF642 samples use
fields their own swagger does not define). Leaf fields use the types of :mod:`.common`, so
the few errors pydantic itself raises are about structure (a missing field, an object where
an array belongs); :func:`validate` words those like the leaf errors and names the field by
its dotted path.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from forewarn.errors import AlarmFormatError
from forewarn.streams.formats.common import at, json_type, where

__all__ = ["CamelSchema", "Schema", "validate"]

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


def validate(model: type[M], obj: object, path: str) -> M:
    """Validate ``obj`` against ``model``; raise the first problem as an AlarmFormatError.

    Errors come in the model's field order, so the first one is the most basic (ids before
    times), which is what a sender should fix first. One error per item is enough to reject
    it, and keeps "rejected" counts equal to the number of rejected items.
    """
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = at(path, *first["loc"]) if first["loc"] else where(path)
        raise AlarmFormatError(name, _problem(first)) from None


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing (required)"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, got {json_type(error.get('input'))}"
    return str(error["msg"])
