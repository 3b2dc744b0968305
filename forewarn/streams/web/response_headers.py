"""Security headers on every HTTP response of the worker (pages, API, static files, errors).

Why on every response and not only the pages: a JSON or GeoJSON answer opened directly in a
browser is a document too, and one header set is simpler to reason about than a list of
exceptions. Why this policy:

* ``Content-Security-Policy`` allows scripts, styles, images and fetches from our own origin
  only, with no ``'unsafe-inline'``: the pages carry no inline script, ``style=`` attribute or
  ``on*`` handler (the desk's configuration is a JSON data block, which CSP does not treat as
  script), Leaflet is served from the package, and Leaflet's positioning through
  ``element.style`` is CSSOM, which ``style-src`` does not block. So an injected
  ``<img onerror=...>`` or ``<script>`` cannot run even if escaping were ever missed.
  ``img-src`` adds ``data:`` for Leaflet's CSS; ``frame-ancestors 'none'`` (and the older
  ``X-Frame-Options``) stop click-jacking of the desk; ``base-uri``/``form-action`` stop an
  injected ``<base>``/``<form>`` from sending input elsewhere.
* ``X-Content-Type-Options: nosniff``: an uploaded text is never run as script or style.
* ``Referrer-Policy: no-referrer``: status queries (postcodes, coordinates) stay here.

``security_headers_middleware`` is an aiohttp middleware; ``forewarn.streams.web.routes``
installs it outermost, so it also covers the JSON error answers of the other middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "security_headers_middleware"]

_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(_DIRECTIVES)

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _stamp(headers: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value


@web.middleware
async def security_headers_middleware(request: web.Request,
                                      handler: _Handler) -> web.StreamResponse:
    """Add ``SECURITY_HEADERS`` to the answer, including raised HTTP errors."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _stamp(exc.headers)
        raise
    if not response.prepared:  # a streamed answer has sent its headers already
        _stamp(response.headers)
    return response
