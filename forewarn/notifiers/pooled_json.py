"""``PooledJsonNotifier``: apprise ``json://``/``jsons://`` URLs over kept-alive connections.

Why: stock apprise opens a new connection per message (``requests.request`` per send), which
caps a process at a few hundred notifications per second: too slow for an SMS gateway
during a 200,000-customer outage. This notifier accepts exactly the same URL (``:key=value``
payload fields, ``+Header=value`` headers, ``-param=value`` query parameters, ``user:pass@``
basic auth, ``method=``, ``verify=``, ``redirect=``, ``cto=``/``rto=`` timeouts; the
placeholders ``{to}``, ``{notification_id}``, ``{customer_id}``) and sends exactly the
payload apprise would, byte for byte, but through one shared ``aiohttp`` session whose
connections stay open (``HttpPool``).

Fidelity is checked, not assumed: the URL template is parsed once by apprise itself
(``NotifyJSON``) with inert markers in place of the placeholders, and at construction a
probe address full of characters that need quoting is filled in both ways (markers
substituted vs. apprise parsing the concrete URL). Only if both agree is the fast fill
used; otherwise every message is parsed by apprise (exact, a little slower). URL options
that make apprise rewrite the text (``format=``, ``overflow=``, ``emojis=``) are not
supported here; ``unsupported_reason`` names them and ``notifier_for_url`` then uses stock
apprise.

Failures say whether a retry can help (a gateway knows best): connection errors, timeouts,
HTTP 5xx, 408, 425 and 429 are retryable; any other status (a 400 for a malformed number,
a 401 for bad credentials) is not, so the caller falls back to the next channel at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import aiohttp
from apprise.common import NotifyType
from apprise.plugins.custom_json import NotifyJSON
from requests.models import PreparedRequest
from yarl import URL

from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers.http_pool import HttpPool
from forewarn.notifiers.masking import install_redaction, mask_address

__all__ = ["HttpPool", "PooledJsonNotifier", "unsupported_reason"]

log = logging.getLogger(__name__)

PLACEHOLDERS = ("to", "notification_id", "customer_id")
_MARK = {name: f"fwmark{i}x" for i, name in enumerate(PLACEHOLDERS)}  # survive (un)quoting
_PROBE = {"to": "+49 (151) 12/34 ä&=?#%+x", "notification_id": "n-0f/1 2", "customer_id": "c 9&x"}
_REWRITING_OPTIONS = ("format", "overflow", "emojis")
_RETRYABLE_STATUS = frozenset({408, 425, 429})
_INFO = NotifyType.INFO.value


def unsupported_reason(url_template: str) -> str | None:
    """Why ``url_template`` cannot take the pooled path, or None if it can."""
    scheme = url_template.split("://", 1)[0].lower()
    if scheme not in ("json", "jsons"):
        return f"{scheme}:// is not an HTTP JSON URL"
    results = NotifyJSON.parse_url(_fill_template(url_template, _MARK))
    if not results:
        return "apprise cannot parse the URL"
    if any(mark in str(results.get(k)) for k in ("host", "port") for mark in _MARK.values()):
        return "a placeholder in the host or port"
    options = [key for key in results.get("qsd", {}) if key in _REWRITING_OPTIONS]
    if options:
        return f"option {options[0]}= makes apprise rewrite the text"
    return None


def _fill_template(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


@dataclass(frozen=True, slots=True)
class _Request:
    """One concrete HTTP request, as stock apprise would make it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    auth: aiohttp.BasicAuth | None


class _Spec:
    """What a parsed ``NotifyJSON`` would send, with placeholders still to fill."""

    def __init__(self, plugin: NotifyJSON) -> None:
        self.method = str(plugin.method)  # apprise types it as object; always a str
        scheme = "https" if plugin.secure else "http"
        port = f":{plugin.port}" if isinstance(plugin.port, int) else ""
        self.base = f"{scheme}://{plugin.host}{port}"
        self.fullpath: str = plugin.fullpath
        self.params: dict[str, str] = dict(plugin.params)
        self.headers = {"User-Agent": plugin.app_id, "Content-Type": "application/json"}
        self.headers.update(plugin.headers)
        self.extras: dict[str, str] = dict(plugin.payload_extras)
        self.user: str | None = plugin.user
        self.password: str | None = plugin.password
        self.verify: bool = plugin.verify_certificate
        self.redirects: bool = plugin.redirects
        self.connect_s, self.read_s = plugin.request_timeout
        self.static_url = None if self._marked(self.fullpath, self.params) else self._url(
            self.fullpath, self.params)
        self._static_headers = None if self._marked(self.headers) else self.headers
        self._plain_headers = {k: v for k, v in self.headers.items() if not self._marked(k, v)}
        self._marked_headers = [(_Text(k), _Text(v)) for k, v in self.headers.items()
                                if self._marked(k, v)]
        self._static_auth = None if self._marked(self.user, self.password) else self._auth(
            self.user, self.password)
        self._extras = [(_Text(k), _Text(v)) for k, v in self.extras.items()]
        self.static_target = None if self.static_url is None else URL(self.static_url,
                                                                       encoded=True)

    @staticmethod
    def _marked(*values: object) -> bool:
        text = repr(values)
        return any(mark in text for mark in _MARK.values())

    @staticmethod
    def _auth(user: str | None, password: str | None) -> aiohttp.BasicAuth | None:
        return aiohttp.BasicAuth(user, password or "") if user else None

    def _url(self, fullpath: str, params: dict[str, str]) -> str:
        prepared = PreparedRequest()  # requests' own quoting, as apprise's requests call does
        prepared.prepare_url(self.base + fullpath, params)
        return str(prepared.url)

    def request(self, values: dict[str, str], title: str, body: str) -> _Request:
        """The request for one message; only parts holding a placeholder are rebuilt."""
        url = self.static_url
        if url is None:  # apprise keeps the path as given (quoted), unquotes query values
            quoted = {name: quote(value, safe="") for name, value in values.items()}
            params = {_fill(k, values): _fill(v, values) for k, v in self.params.items()}
            url = self._url(_fill(self.fullpath, quoted), params)
        headers = self._static_headers
        if headers is None:
            headers = dict(self._plain_headers)
            for key, value in self._marked_headers:
                headers[key.fill(values)] = value.fill(values)
        auth = self._static_auth
        if auth is None and self.user:
            auth = self._auth(_fill(self.user, values), _fill(self.password or "", values))
        payload: dict[str, Any] = {
            "version": NotifyJSON.json_version,
            "title": title,
            "message": body,
            "attachments": [],
            "type": _INFO,
        }
        for key_text, value_text in self._extras:  # NotifyJSON.send's remapping, verbatim
            extra_key, extra_value = key_text.fill(values), value_text.fill(values)
            if extra_key in payload:
                if not extra_value:
                    del payload[extra_key]
                else:
                    payload[extra_value] = payload.pop(extra_key)
            else:
                payload[extra_key] = extra_value
        return _Request(self.method, url, headers, _encode(payload, body).encode("latin-1"),
                        auth)


# A fan-out sends the same few texts to thousands of customers; escaping a long (HTML)
# body for JSON costs tens of microseconds, so the message's encoding is cached and spliced
# into the C encoder's output for the rest of the (small) payload.
_dumps_cached = lru_cache(maxsize=1024)(json.dumps)
_BODY_MARK = "fwbodymark7x"
_BODY_MARK_JSON = json.dumps(_BODY_MARK)


def _encode(payload: dict[str, Any], body: str | None = None) -> str:
    """Exactly ``json.dumps(payload)`` (what apprise posts); ``body``, when given, is the
    payload's long text, encoded once per distinct text."""
    if body is None or len(body) < 64:
        return json.dumps(payload)
    keys = [key for key, value in payload.items() if value is body]
    if not keys or _BODY_MARK in payload or any(v == _BODY_MARK for v in payload.values()):
        return json.dumps(payload)
    marked = {key: (_BODY_MARK if value is body else value) for key, value in payload.items()}
    return json.dumps(marked).replace(_BODY_MARK_JSON, _dumps_cached(body))


class _Text:
    """A parsed URL string: constant, exactly one placeholder, or text holding some."""

    __slots__ = ("name", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.name = next((n for n, mark in _MARK.items() if text == mark), None)

    def fill(self, values: dict[str, str]) -> str:
        if self.name is not None:
            return values.get(self.name, "")
        return _fill(self.text, values)


def _fill(text: str, values: dict[str, str]) -> str:
    if "fwmark" not in text:
        return text
    for name, mark in _MARK.items():
        text = text.replace(mark, values.get(name, ""))
    return text


class PooledJsonNotifier:
    """Posts to an apprise ``json://``/``jsons://`` URL template over pooled connections."""

    def __init__(
        self, url_template: str, *, pool: HttpPool | None = None, timeout_s: float = 30.0
    ) -> None:
        reason = unsupported_reason(url_template)
        if reason is not None:
            raise ValueError(f"not usable on the pooled path: {reason}")
        self.scheme = url_template.split("://", 1)[0].lower()
        self._template = url_template
        self._pool = pool if pool is not None else HttpPool()
        self.timeout_s = timeout_s
        self._spec = _Spec(self._plugin(_fill_template(url_template, _MARK)))
        # The fast fill must equal apprise's own parse for a probe needing every quoting rule.
        self.exact_parse = self._spec.request(_PROBE, "t", "b") != _Spec(
            self._plugin(_fill_template(url_template, _PROBE))).request(_PROBE, "t", "b")
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_s, sock_connect=self._spec.connect_s, sock_read=self._spec.read_s
        )
        install_redaction("aiohttp")

    def __repr__(self) -> str:  # never show the URL: it may carry credentials
        return f"PooledJsonNotifier({self.scheme}://****)"

    @staticmethod
    def _plugin(url: str) -> NotifyJSON:
        results = NotifyJSON.parse_url(url)
        if not results:
            raise ValueError("apprise cannot parse the URL")
        return NotifyJSON(**results)

    def request_for(self, notification: Notification) -> _Request:
        """The request stock apprise would make for ``notification`` (contains secrets)."""
        values = {
            "to": notification.to,
            "notification_id": notification.notification_id,
            "customer_id": notification.customer_id,
        }
        title = (notification.subject or notification.title or "").strip()
        # The same choice as AppriseNotifier: e-mail as HTML when there is an HTML body.
        html = notification.html if notification.channel == "email" else None
        body = (html or notification.text).rstrip()
        if self.exact_parse:
            spec = _Spec(self._plugin(_fill_template(self._template, values)))
            return spec.request(values, title, body)
        return self._spec.request(values, title, body)

    async def deliver(self, notification: Notification) -> None:
        """POST (or the URL's method) the payload; ``DeliveryError`` says if a retry helps."""
        if not notification.text.strip():
            raise DeliveryError(f"{notification.channel}: empty message", retryable=False)
        req = self.request_for(notification)
        try:
            target = self._spec.static_target if req.url is self._spec.static_url else None
            async with self._pool.session().request(
                req.method, target or URL(req.url, encoded=True), data=req.body,
                headers=req.headers,
                auth=req.auth, ssl=self._spec.verify,
                allow_redirects=self._spec.redirects, timeout=self._timeout,
            ) as response:
                status = response.status
                await response.read()  # drain, so the connection goes back to the pool
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(
                f"{notification.channel}: {self.scheme}:// unreachable for "
                f"{mask_address(notification.to)}: {type(exc).__name__}",
                retryable=True,
            ) from None
        if not 200 <= status < 300:
            raise DeliveryError(
                f"{notification.channel}: {self.scheme}:// answered HTTP {status} for "
                f"{notification.notification_id} to {mask_address(notification.to)}",
                retryable=status >= 500 or status in _RETRYABLE_STATUS,
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("posted %s via %s:// to %s", notification.notification_id, self.scheme,
                      mask_address(notification.to))

    async def close(self) -> None:
        """Close the pool's connections (shared: the first channel to close closes them;
        idempotent, and a later send would open a new session)."""
        await self._pool.close()
