"""Fixtures for the network's view: the hand-made regions and edited copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SynthRegion:
    """A synthetic region's index with what the suspicion tests ask of it each time."""

    index: RegionIndex
    served: dict[str, int]
    serving: list[tuple[str, ...]]  # serving elements per customer position


@pytest.fixture(scope="session")
def synth_100k(tmp_path_factory: pytest.TempPathFactory) -> SynthRegion:
    """A 100,000-customer region from ``forewarn.geo.synth`` (as ``forewarn synth`` writes
    it), built once per session: the sizes CONTRACT §8's detection is specified for."""
    from forewarn.geo import write_synthetic_region
    from forewarn.streams.network.serving import served_counts, serving_elements

    folder = tmp_path_factory.mktemp("synth100k")
    write_synthetic_region(folder, 100_000, 15)
    index = RegionIndex.build(load_region(folder))
    serving = [serving_elements(index, p) for p in range(len(index))]
    return SynthRegion(index, served_counts(index), serving)
