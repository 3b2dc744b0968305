"""``AppriseNotifier``: delivery through any apprise URL with the recipient filled in.

Why apprise: one URL per channel reaches SMTP, webhooks (``json://``), and dozens of SMS
and push gateways without forewarn knowing any of them. The channel's URL template holds
placeholders that are replaced, URL-quoted, per notification:

- ``{to}``: the customer's address for the channel (phone, e-mail, push token)
- ``{notification_id}``: the idempotency key, e.g. for a gateway's de-duplication header
- ``{customer_id}``

Examples::

    mailto://user:pass@smtp.example.net:587?to={to}&from=noc@example.net
    json://gateway.example.net/sms?:to={to}&:notification_id={notification_id}
    json://push.example.net/send?:token={to}&+Idempotency-Key={notification_id}

(``json://`` turns ``:key=value`` into a payload field and ``+Key=value`` into a header.)

E-mail goes out as HTML when the notification has an HTML body (apprise adds a plain-text
alternative); every other channel sends the plain text with the title/subject as title.
URLs and addresses contain secrets and personal data, so they are only logged masked, and
apprise's own logger gets the same redaction.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import apprise

from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers.masking import install_redaction, mask_address

__all__ = ["AppriseNotifier"]

log = logging.getLogger(__name__)


class AppriseNotifier:
    """Sends each notification to ``url_template`` with its placeholders filled in."""

    def __init__(self, url_template: str, *, timeout_s: float = 30.0) -> None:
        if "://" not in url_template:
            raise ValueError("an apprise URL needs a scheme, e.g. mailto:// or json://")
        self._template = url_template
        self.timeout_s = timeout_s
        self.scheme = url_template.split("://", 1)[0]
        install_redaction("apprise")

    def __repr__(self) -> str:  # never show the URL: it may carry credentials
        return f"AppriseNotifier({self.scheme}://****)"

    def url_for(self, notification: Notification) -> str:
        """The concrete apprise URL for ``notification`` (contains secrets: do not log)."""
        url = self._template
        for name, value in (
            ("to", notification.to),
            ("notification_id", notification.notification_id),
            ("customer_id", notification.customer_id),
        ):
            url = url.replace("{" + name + "}", quote(value, safe=""))
        return url

    async def deliver(self, notification: Notification) -> None:
        """Send via apprise; ``DeliveryError`` says whether a retry may help."""
        who = mask_address(notification.to)
        sender = apprise.Apprise()
        if not sender.add(self.url_for(notification)):
            raise DeliveryError(
                f"{notification.channel}: apprise rejected the URL {self.scheme}://**** "
                f"for {who} (bad template or address)",
                retryable=False,
            )
        if notification.channel == "email" and notification.html:
            body, body_format = notification.html, apprise.NotifyFormat.HTML
        else:
            body, body_format = notification.text, apprise.NotifyFormat.TEXT
        title = notification.subject or notification.title or ""
        try:
            result = await sender.async_notify(
                body=body, title=title, body_format=body_format, timeout=self.timeout_s
            )
        except Exception as exc:  # apprise plugins may raise anything; a retry may help
            raise DeliveryError(
                f"{notification.channel}: apprise failed for {who}: {type(exc).__name__}",
                retryable=True,
            ) from exc
        if not result:
            raise DeliveryError(
                f"{notification.channel}: {self.scheme}:// did not accept notification "
                f"{notification.notification_id} for {who}",
                retryable=True,
            )
        log.info("delivered %s via %s:// to %s", notification.notification_id, self.scheme, who)

    async def close(self) -> None:
        """Nothing to release: apprise opens a connection per send."""
