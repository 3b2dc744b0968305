"""The episode machine decides and stores exactly what it did before its rebuild by composition.

``episode_recording.py`` reduces seeded random scenarios (every public call, late changes,
restarts, compaction, legal clocks) to digests of their decisions, reason counts and table
writes; ``episode_recording.json`` holds those of the implementation before issue 12.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forewarn.streams.customers.episode_book import EpisodeBook
from forewarn.streams.customers.notices import NoticeRules
from tests.unit.customers.episode_recording import RECORDING, SEEDS, digest

RECORDED: dict[str, str] = json.loads((Path(__file__).parent / RECORDING).read_text())


def test_the_recording_covers_every_seed() -> None:
    assert sorted(RECORDED, key=int) == [str(seed) for seed in SEEDS]


@pytest.mark.parametrize("seed", SEEDS)
def test_decisions_reasons_and_table_writes_match_the_recording(seed: int) -> None:
    assert digest(seed) == RECORDED[str(seed)]


def test_a_different_stored_key_order_does_not_match_the_recording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = EpisodeBook.store

    def reordered(self: EpisodeBook, customer_id: str, entry: dict[str, Any]) -> None:
        store(self, customer_id, dict(sorted(entry.items())))

    monkeypatch.setattr(EpisodeBook, "store", reordered)
    assert digest(0) != RECORDED["0"]


def test_a_different_update_message_does_not_match_the_recording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    update = NoticeRules.update

    def louder(*args: Any, message: str | None = None) -> Any:
        return update(*args, message=(message or "") + "!")

    monkeypatch.setattr(NoticeRules, "update", staticmethod(louder))
    changed = [seed for seed in SEEDS if digest(seed) != RECORDED[str(seed)]]
    assert changed  # (the scenarios with an update notice)
