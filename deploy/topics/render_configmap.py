"""Write deploy/k8s/topics-configmap.yaml from create-topics.sh (run after editing the script).

    python3 deploy/topics/render_configmap.py

Why a copy at all: kustomize may not read files outside deploy/k8s, and the compose stack
mounts the script itself; tests/unit/deploy fails while the two differ. Standard library only.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "create-topics.sh"
TARGET = HERE.parent / "k8s" / "topics-configmap.yaml"

HEADER = """\
# GENERATED from deploy/topics/create-topics.sh by deploy/topics/render_configmap.py: edit
# the script, then run `python3 deploy/topics/render_configmap.py`. A copy, because
# kustomize may not read files outside deploy/k8s; tests/unit/deploy fails while they differ.
apiVersion: v1
kind: ConfigMap
metadata:
  name: forewarn-topics-script
  labels:
    app.kubernetes.io/name: forewarn
data:
  create-topics.sh: |
"""


def render(script: str) -> str:
    """The ConfigMap YAML carrying ``script`` as a literal block (blank lines kept empty)."""
    lines = script.splitlines(keepends=True)
    return HEADER + "".join(("    " + line) if line.strip() else "\n" for line in lines)


def main() -> int:
    TARGET.write_text(render(SCRIPT.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
