"""``HttpPool``: one kept-alive ``aiohttp`` session shared by every pooled HTTP channel.

Why shared: connections to a gateway are the expensive part of a send (TCP and TLS
handshakes); one pool per process keeps them open across messages and channels, and one
place owns closing them.
"""

from __future__ import annotations

import asyncio

import aiohttp

__all__ = ["HttpPool"]


class HttpPool:
    """One ``aiohttp.ClientSession`` per event loop, shared by every pooled channel.

    Created lazily inside the running loop (aiohttp requires it); ``close`` is idempotent.
    ``limit`` bounds open connections in all; the per-channel caps bound them per gateway.
    """

    def __init__(self, *, limit: int = 512, keepalive_s: float = 30.0) -> None:
        self.limit = limit
        self.keepalive_s = keepalive_s
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        """The session of the running loop (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(
                limit=self.limit, keepalive_timeout=self.keepalive_s, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
            self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
