"""The configuration the README shows is a configuration forewarn accepts."""

from __future__ import annotations

import re
from pathlib import Path

from forewarn.config import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_configuration_example_loads(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert block, "README has a TOML configuration example"
    path = tmp_path / "forewarn.toml"
    path.write_text(block.group(1), encoding="utf-8")
    settings = load_settings(path)
    assert settings.correlation.confirm_after_s == 120
    assert settings.correlation.resolve_after_s == 300
    assert settings.notify.notice_before_s == 172800
