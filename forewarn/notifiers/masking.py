"""Masking of addresses and secrets for logs.

Why: delivery URLs carry credentials and tokens, addresses are personal data. Logs are
read by many people and kept for long, so every log line about delivery shows only enough
to tell two recipients apart (``j***@example.org``, ``+49 151 ******78``, ``fcm:****``).

``RedactingFilter`` applies the same masking to log records of third-party code (apprise
logs "Sent Email to <address>" at INFO), so installing it on the ``apprise`` logger keeps
its lines safe too.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

__all__ = ["RedactingFilter", "install_redaction", "mask_address", "redact"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ()/-]{5,}\d")
# In free text only numbers that look international or national (leading + or 0), so that
# dates and counters in third-party log lines stay readable.
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+|0)\d[\d ()/-]{5,}\d")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s\"'<>]+")
_HOSTLIKE = re.compile(
    r"^(localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)(:\d+)?$"
)


def _mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(number: str) -> str:
    digits = sum(c.isdigit() for c in number)
    keep_head = 5 if digits >= 10 else 0
    out: list[str] = []
    seen = 0
    for char in number:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep_head or seen > digits - 2 else "*")
        else:
            out.append(char)
    return "".join(out)


def _mask_token(token: str) -> str:
    return token[:4] + "****" if len(token) > 8 else "****"


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    shown = host if _HOSTLIKE.match(host) else _mask_token(host)
    return (
        f"{parts.scheme}://{shown}/..."
        if (parts.path or parts.query)
        else f"{parts.scheme}://{shown}"
    )


def mask_address(address: str | None) -> str:
    """A log-safe form of an e-mail address, phone number, URL or token."""
    if not address:
        return "<none>"
    text = address.strip()
    if "://" in text:
        return _mask_url(text)
    if _EMAIL.fullmatch(text):
        return _mask_email(text)
    if _PHONE.fullmatch(text):
        return _mask_phone(text)
    return _mask_token(text)


def redact(text: str) -> str:
    """Mask every URL, e-mail address and phone number inside free text."""
    text = _URL.sub(lambda m: _mask_url(m.group(0)), text)
    text = _EMAIL.sub(lambda m: _mask_email(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: _mask_phone(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with ``redact``; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: leave it to logging
            return True
        record.msg, record.args = redact(message), None
        return True


def install_redaction(logger_name: str) -> None:
    """Attach one ``RedactingFilter`` to ``logger_name`` (idempotent)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
