"""Only the streaming shell imports Faust or aiokafka (STYLE.md rule 1): the core stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "forewarn"
WIRING = {
    "streams/app.py", "streams/runner.py", "streams/transport.py", "streams/web.py",
    "streams/replay.py", "streams/demo.py", "streams/worker.py", "streams/preflight.py",
    "streams/ledger.py", "streams/partitioning.py", "streams/security.py",
    "streams/fence.py", "streams/journal.py", "streams/network_feed.py",
}
FRAMEWORKS = ("faust", "aiokafka", "mode")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_wiring_modules_import_the_streaming_framework() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in WIRING:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in FRAMEWORKS:
                offenders.append(f"{relative} imports {name}")
    assert offenders == []
