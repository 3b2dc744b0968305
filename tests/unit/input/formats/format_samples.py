"""The real alarm samples in ``../shared/data/alarms`` and tools to mutate them by path.

Samples are read unmodified; a test that needs a variant deep-copies and edits it with
:func:`without` / :func:`replaced`, whose paths are tuples (``("alerts", 3, "labels",
"severity")``) and print as the dotted field names the parser reports
(``alerts[3].labels.severity``).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forewarn.streams.input.formats.common import at

__all__ = [
    "ALARMS",
    "FieldPath",
    "dotted",
    "leaves",
    "load",
    "markdown_payloads",
    "read_text",
    "replaced",
    "without",
]

#: The shared samples beside the checkout; ``FOREWARN_SAMPLE_ALARMS`` points elsewhere (a
#: git worktree lives one folder deeper than the main checkout).
ALARMS = Path(
    os.environ.get("FOREWARN_SAMPLE_ALARMS")
    or Path(__file__).resolve().parents[4].parent / "shared" / "data" / "alarms"
)

FieldPath = tuple[str | int, ...]


def read_text(relative: str) -> str:
    """A sample file's text, unmodified; skips the test when the shared data is absent."""
    path = ALARMS / relative
    if not path.is_file():
        pytest.skip(f"shared sample {relative} not available")
    return path.read_text(encoding="utf-8")


def load(relative: str) -> Any:
    """A JSON sample, decoded."""
    return json.loads(read_text(relative))


def markdown_payloads(relative: str) -> list[Any]:
    """The JSON payloads a Markdown file embeds between backtick lines (Testing.md)."""
    blocks = re.findall(r"^`\n(\{.*?\})\n`$", read_text(relative), re.DOTALL | re.MULTILINE)
    return [json.loads(block) for block in blocks]


def dotted(path: FieldPath, prefix: str = "") -> str:
    """The field name the parser reports for ``path``."""
    return at(prefix, *path)


def _parent(obj: Any, path: FieldPath) -> Any:
    node = obj
    for part in path[:-1]:
        node = node[part]
    return node


def without(obj: Any, path: FieldPath) -> Any:
    """A deep copy of ``obj`` with the field at ``path`` removed."""
    out = copy.deepcopy(obj)
    del _parent(out, path)[path[-1]]
    return out


def replaced(obj: Any, path: FieldPath, value: Any) -> Any:
    """A deep copy of ``obj`` with the field at ``path`` set to ``value``."""
    out = copy.deepcopy(obj)
    _parent(out, path)[path[-1]] = value
    return out


def leaves(obj: Any, path: FieldPath = ()) -> Iterator[FieldPath]:
    """Every path to a non-container value (for fuzzing the samples)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from leaves(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from leaves(value, (*path, index))
    else:
        yield path
