"""Fixtures for the network's view: the hand-made regions and edited copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region

REGIONS = Path(__file__).resolve().parents[2] / "fixtures" / "regions"

RegionVariant = Callable[..., RegionIndex]


@pytest.fixture(scope="session")
def tiny_index() -> RegionIndex:
    """``tiny``: cells A1/A2 under S-A, B1, C1, fibre nodes under OLT-1/OLT-2 (its README)."""
    return RegionIndex.build(load_region(REGIONS / "tiny"))


@pytest.fixture(scope="session")
def layered_index() -> RegionIndex:
    """``layered``: 5G/4G/3G/2G cells and fibre routes R0/R1/R2 (its README)."""
    return RegionIndex.build(load_region(REGIONS / "layered"))


@pytest.fixture
def region_variant(tmp_path: Path) -> RegionVariant:
    """``region_variant("tiny", {"customers.csv": {"old line": "new line"}})``: the index of
    a copy of a fixture region with text replaced in its files (each replacement must hit)."""

    def build(name: str, edits: dict[str, dict[str, str]]) -> RegionIndex:
        folder = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(REGIONS / name, folder)
        for file, replacements in edits.items():
            text = (folder / file).read_text(encoding="utf-8")
            for old, new in replacements.items():
                assert old in text, f"{old!r} not in {file}"
                text = text.replace(old, new)
            (folder / file).write_text(text, encoding="utf-8")
        return RegionIndex.build(load_region(folder))

    return build
