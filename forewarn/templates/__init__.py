"""Message templates: one sandboxed jinja2 environment, templates per language/stage/part.

The wording lives in the ``*.j2`` files beside this module (see ``docs/tone.md``); Python
only supplies facts (``context.py``) and checks that every SMS fits one GSM-7 segment.
"""

from __future__ import annotations

from forewarn.templates.gsm7 import fits_one_segment, is_gsm7, segments, septets
from forewarn.templates.renderer import CHANNEL_PARTS, MessageRenderer, RenderedMessage
from forewarn.templates.samples import PreviewEntry

__all__ = [
    "CHANNEL_PARTS",
    "MessageRenderer",
    "PreviewEntry",
    "RenderedMessage",
    "fits_one_segment",
    "is_gsm7",
    "segments",
    "septets",
]
