"""Bearer tokens for customer data and writes (CONTRACT §7), checked in constant time.

Tokens come from ``api.tokens`` or ``FOREWARN_API_TOKENS``; with none configured every
protected request is refused. A token is never logged (``header_logging`` keeps request
headers out of the log).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

__all__ = ["authorised"]


def authorised(header: str | None, tokens: Sequence[str]) -> bool:
    """A ``Bearer`` header carrying one of ``tokens``, compared in constant time."""
    if not header or not tokens or not header.startswith("Bearer "):
        return False
    offered = header.removeprefix("Bearer ").strip().encode()
    return any(hmac.compare_digest(offered, token.encode()) for token in tokens)
