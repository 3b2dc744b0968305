"""Fixtures for forewarn.geo: the hand-made ``tiny`` region and a factory for broken copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from forewarn.geo import Region, RegionIndex, load_region
from tests.unit.geo.geo_helpers import TINY

RegionFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def tiny_region() -> Region:
    return load_region(TINY)


@pytest.fixture(scope="session")
def tiny(tiny_region: Region) -> RegionIndex:
    return RegionIndex.build(tiny_region)


@pytest.fixture
def region_copy(tmp_path: Path) -> RegionFactory:
    """A copy of ``tiny`` in a temporary folder; keyword arguments replace whole files
    (``customers_csv="..."``: file name with the dot as underscore; None deletes it)."""

    def make(**files: str | None) -> Path:
        folder = tmp_path / "region"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(TINY, folder)
        for key, text in files.items():
            name = key[::-1].replace("_", ".", 1)[::-1]
            target = folder / name
            if text is None:
                target.unlink()
            else:
                target.write_text(text, encoding="utf-8")
        return folder

    return make
