"""Issue 16, desk hardening: security headers on every answer, no header in the logs.

A real aiohttp server on loopback with the middleware and the log filter the worker
installs (``forewarn.streams.web.routes._security_headers`` wires exactly these two); requests go
over a socket so that aiohttp's own request parser, which is what logs a malformed header,
is the one under test.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

from forewarn.streams.web.header_logging import HeaderLogFilter, install_header_log_filter
from forewarn.streams.web.response_headers import SECURITY_HEADERS, security_headers_middleware

PAGE = "<!doctype html><title>desk</title><p>hi</p>"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A worker-like aiohttp app: a page, a JSON answer, an error, security middleware."""
    install_header_log_filter()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"incidents": []})

    async def teapot(request: web.Request) -> web.Response:
        raise web.HTTPBadRequest(reason="bad")

    app = web.Application(middlewares=[security_headers_middleware])
    app.router.add_get("/", page)
    app.router.add_get("/api/v1/incidents", api)
    app.router.add_get("/bad", teapot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("path", ["/", "/api/v1/incidents", "/bad", "/no-such-page"])
async def test_every_answer_carries_the_security_headers(server: str, path: str) -> None:
    async with ClientSession() as session, session.get(f"http://{server}{path}") as response:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, name


def test_csp_allows_only_our_own_scripts_and_styles_and_no_framing() -> None:
    csp = {d.split()[0]: d.split()[1:] for d in SECURITY_HEADERS["Content-Security-Policy"]
           .split("; ")}
    assert "'unsafe-inline'" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert "'unsafe-eval'" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Referrer-Policy"] == "no-referrer"


async def _raw_request(server: str, header: str) -> bytes:
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET / HTTP/1.1\r\nHost: {server}\r\n{header}\r\n\r\n".encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    return answer


def _leaks(secret: str, text: str, window: int = 8) -> list[str]:
    """Every ``window``-character piece of ``secret`` found in ``text``."""
    return [secret[i:i + window] for i in range(len(secret) - window + 1)
            if secret[i:i + window] in text]


async def test_a_20_kb_bearer_header_leaves_no_part_of_the_secret_in_the_log(
        server: str, caplog: pytest.LogCaptureFixture) -> None:
    secret = secrets.token_urlsafe(15_000)  # ~20 KB, far over aiohttp's 8190-byte field limit
    caplog.set_level(logging.DEBUG)
    answer = await _raw_request(server, f"Authorization: Bearer {secret}")
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    rejected = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert rejected, "aiohttp logged the rejected request (else this test proves nothing)"
    assert "malformed HTTP request" in rejected[0].getMessage()
    assert "LineTooLong" in rejected[0].getMessage()
    assert _leaks(secret, caplog.text) == []


async def test_a_header_with_a_bad_character_leaves_no_part_of_it_in_the_log(
        server: str, caplog: pytest.LogCaptureFixture) -> None:
    secret = secrets.token_hex(32)
    caplog.set_level(logging.DEBUG)
    await _raw_request(server, f"Authorization: Bearer {secret}\x01tail")
    assert _leaks(secret, caplog.text) == []


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR])
@pytest.mark.parametrize("exc_type", [LineTooLong, BadHttpMessage])
def test_filter_drops_quoted_request_bytes_at_every_level(
        level: int, exc_type: type[Exception], caplog: pytest.LogCaptureFixture) -> None:
    secret = "tok_" + secrets.token_hex(24)
    exc = (LineTooLong(f"b'Bearer {secret}'", "8190") if exc_type is LineTooLong
           else BadHttpMessage(f"Invalid header value char: b'Bearer {secret}'"))
    logger = logging.getLogger("test.header_logging")
    logger.addFilter(HeaderLogFilter())
    caplog.set_level(logging.DEBUG)
    try:
        raise exc
    except Exception as caught:
        logger.log(level, "Error handling request from %s", "127.0.0.1", exc_info=caught)
    assert caplog.records[-1].levelno == level
    assert "127.0.0.1" in caplog.text
    assert _leaks(secret, caplog.text) == []


def test_filter_masks_a_credential_in_any_message(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.header_logging.plain")
    logger.addFilter(HeaderLogFilter())
    caplog.set_level(logging.DEBUG)
    logger.warning("forwarding with %s", "Authorization: Bearer abcdef0123456789")
    assert "abcdef0123456789" not in caplog.text
    assert "Bearer ***" in caplog.text or "Authorization ***" in caplog.text
