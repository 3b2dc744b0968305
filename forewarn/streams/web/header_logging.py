"""Keep request headers (bearer tokens above all) out of the worker's logs.

Why: aiohttp rejects a malformed request (a header over 8190 bytes, a bad character in a
header) with an ``HttpProcessingError`` whose text quotes the offending bytes, and logs it
with its traceback on ``aiohttp.server`` at ERROR (DEBUG for a bad method). A 20 KB
``Authorization: Bearer <secret>`` header thus put the first ~100 characters of the secret
into the ERROR log (issue 16, finding 10), where anyone reading logs could use it.

``HeaderLogFilter`` rewrites such a record to one line naming the client, the exception's
class and status, without the quoted bytes or the traceback. It also masks anything after
``Bearer``/``Authorization`` in any other message of that logger. Faust runs aiohttp without
an access log, so no other aiohttp logger sees headers; forewarn's own code never logs them.
"""

from __future__ import annotations

import logging
import re

from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["HEADER_LOGGERS", "HeaderLogFilter", "install_header_log_filter"]

HEADER_LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web")
# "Authorization: Bearer x", "Authorization: x", "Bearer x": keep the words, mask the value.
_CREDENTIAL = re.compile(r"(?i)\b(authorization\s*[:=]?\s*(?:bearer|basic)?|bearer)\s+\S+")


class HeaderLogFilter(logging.Filter):
    """Drops the quoted request bytes of malformed-request errors; masks credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = ("rejected a malformed HTTP request from %s: %s (HTTP %s); "
                          "its request line and headers are not logged")
            record.args = (remote, type(exc).__name__, exc.code)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            return True
        message = record.getMessage()
        if _CREDENTIAL.search(message):
            record.msg = _CREDENTIAL.sub(r"\1 ***", message)
            record.args = ()
        if record.exc_info and exc is not None and _CREDENTIAL.search(str(exc)):
            record.msg = f"{record.msg} ({type(exc).__name__}; details hold a credential)"
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = HeaderLogFilter()


def install_header_log_filter() -> None:
    """Attach the filter to aiohttp's server loggers (idempotent)."""
    for name in HEADER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
