"""One module per input format of CONTRACT §3, each with ``parse(obj, path) -> Parsed``.

:mod:`forewarn.streams.input.normalise` detects the format of each object and calls the module's
parser; the modules share leaf types, times and severities (:mod:`.common`) and the pydantic
bases with their error wording (:mod:`.schema`). Each format module's docstring records the
mapping decisions for that format (ids, severities, which time, what is rejected and why).
"""

from __future__ import annotations

__all__ = ["alertmanager", "common", "cut", "limits", "native", "noc", "schema", "tmf642", "ves"]
