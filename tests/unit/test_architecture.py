"""The folder tree is the architecture (STYLE.md): these tests keep its boundaries.

- ``forewarn/streams`` has one documented subpackage per stage, and its data-flow map names
  them in the order data flows;
- the pure core (``streams/input``, ``network``, ``customers``, ``delivery``, the shared
  ``streams`` modules, ``geo``, ``templates``) loads no streaming or web framework and none
  of our IO layers, checked by importing it in a fresh interpreter (transitive imports
  count);
- only ``streams/kafka`` imports faust, aiokafka or mode; ``streams/web`` may use Faust's web
  server (``faust.web``) and aiohttp, and knows the shell only through ``streams.kafka``'s
  package root;
- every module that the README or docs/architecture.md names exists.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "forewarn"
STREAMS = PACKAGE / "streams"
STAGES = ["input", "network", "customers", "delivery", "kafka", "web", "commands"]
CORE = ["forewarn.streams.input", "forewarn.streams.network", "forewarn.streams.customers",
        "forewarn.streams.delivery", "forewarn.streams.records", "forewarn.streams.reasons",
        "forewarn.streams.partitioning", "forewarn.geo", "forewarn.templates",
        "forewarn.domain", "forewarn.errors", "forewarn.config"]
FRAMEWORKS = ("faust", "aiokafka", "mode", "aiohttp", "yarl")
IO_LAYERS = ("forewarn.streams.kafka", "forewarn.streams.web", "forewarn.streams.commands")
STREAMING = ("faust", "aiokafka", "mode")


def runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
               and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def is_under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def test_the_tree_shows_the_pipeline_stages_each_saying_what_it_owns() -> None:
    for stage in STAGES:
        init = STREAMS / stage / "__init__.py"
        assert init.exists(), f"streams/{stage}/ is not a package"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "Owns" in doc or "owns" in doc, f"streams/{stage}/__init__.py: what does it own?"
    flow = ast.get_docstring(ast.parse((STREAMS / "__init__.py").read_text(encoding="utf-8")))
    assert flow is not None
    positions = [flow.index(f"{stage}/") for stage in STAGES[:4]]
    assert positions == sorted(positions), "the data-flow map lists the stages out of order"
    loose = sorted(p.name for p in STREAMS.glob("*.py"))
    assert loose == ["__init__.py", "partitioning.py", "reasons.py"]  # records/ is a package


def test_the_core_loads_no_framework_and_no_io_layer() -> None:
    probe = (
        "import importlib, pkgutil, sys\n"
        f"for root in {CORE!r}:\n"
        "    module = importlib.import_module(root)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), root + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}"
        f" or any(m == r or m.startswith(r + '.') for r in {IO_LAYERS!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.split() == []


def test_only_the_kafka_package_imports_the_streaming_framework() -> None:
    offenders = []
    for path in modules_in(PACKAGE):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("streams/kafka/"):
            continue
        allowed = ("faust.web",) if relative.startswith("streams/web/") else ()
        offenders += [f"{relative} imports {name}" for name in sorted(runtime_imports(path))
                      if is_under(name, STREAMING) and not is_under(name, allowed)]
    assert offenders == []


def test_web_knows_the_kafka_shell_only_through_its_package_root() -> None:
    offenders = [f"{path.name} imports {name}" for path in modules_in(STREAMS / "web")
                 for name in sorted(runtime_imports(path))
                 if name.startswith("forewarn.streams.kafka.")]
    assert offenders == []


@pytest.mark.parametrize("stage", ["input", "network", "customers", "delivery"])
def test_the_stages_before_the_web_do_not_import_it(stage: str) -> None:
    offenders = [f"{path.name} imports {name}" for path in modules_in(STREAMS / stage)
                 for name in sorted(runtime_imports(path)) if is_under(name, IO_LAYERS)]
    assert offenders == []


MODULE_PATH = re.compile(r"(?:forewarn/)?((?:streams|geo|templates|notifiers)/[\w/]+\.py)")


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_every_module_the_docs_name_exists(doc: str) -> None:
    named = set(MODULE_PATH.findall((ROOT / doc).read_text(encoding="utf-8")))
    assert named, f"{doc} names no module"
    missing = sorted(n for n in named if not (PACKAGE / n).exists())
    assert missing == []
