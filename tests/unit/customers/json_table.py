"""A test double for a Faust table: values live as JSON text, reads return fresh copies.

Using it instead of a dict proves two things the production table relies on: every value the
core stores is JSON-serialisable, and the core re-assigns ``state[key] = value`` after each
change (a change made only in place on a read copy is lost here, as it would be in the
changelog).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["JsonTable"]


class JsonTable(MutableMapping[str, dict[str, Any]]):
    """A MutableMapping[str, dict] storing JSON text; counts writes and deletes."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self.writes = 0
        self.deletes = 0

    def __getitem__(self, key: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self._data[key])
        return value

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self._data[key] = json.dumps(value, allow_nan=False, sort_keys=True)
        self.writes += 1

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self.deletes += 1

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """A plain copy of the whole table, for comparing states."""
        return {key: json.loads(text) for key, text in self._data.items()}
