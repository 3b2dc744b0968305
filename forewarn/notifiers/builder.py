"""``build_notification``: a decision, for one customer, becomes a CONTRACT §6 record.

Why separate from delivery: the record (channel, address, language, texts) is decided once
and is what gets stored, published on ``notifications.delivered`` and deduplicated; the
sink only carries it. Channel choice follows the customer's own preference order.
"""

from __future__ import annotations

from functools import lru_cache

from forewarn.domain import SERVICES, Customer, Decision, Notification, to_iso
from forewarn.templates import MessageRenderer

__all__ = ["build_notification"]

_ORDER = {name: i for i, name in enumerate(SERVICES)}
# A fan-out shares a handful of decision instants and service sets; compute each once.
_iso = lru_cache(maxsize=4096)(to_iso)


@lru_cache(maxsize=256)
def _ordered(services: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(services, key=lambda s: (_ORDER.get(s, len(_ORDER)), s)))


def build_notification(
    decision: Decision,
    customer: Customer,
    renderer: MessageRenderer,
    *,
    delivered_at: str | None = None,
    channel: str | None = None,
    notification_id: str | None = None,
) -> Notification | None:
    """The notification telling ``customer`` about ``decision``, or None if unreachable.

    The channel is the first of the customer's preferred channels for which they have an
    address; ``channel`` forces another one (e.g. a fallback after that channel failed)
    and also yields None when the customer has no address for it. Raises
    ``TemplateError`` if rendering fails and ``ValueError`` if decision and customer
    disagree about who the customer is (a wiring bug, not a data problem).
    ``notification_id`` may pass ``decision.notification_id`` when the caller already
    computed it (it is a hash; a fan-out needs it once per decision, not twice).
    """
    if decision.customer_id != customer.customer_id:
        raise ValueError(
            f"decision for {decision.customer_id!r} paired with customer {customer.customer_id!r}"
        )
    if channel is None:
        chosen = customer.first_channel()
        if chosen is None:
            return None
        channel, to = chosen
    else:
        address = customer.address(channel)
        if not address:
            return None
        to = address
    message = renderer.render(decision, customer, channel)
    return Notification(
        notification_id=notification_id or decision.notification_id,
        customer_id=customer.customer_id,
        incident_id=decision.incident_id,
        stage=str(decision.stage),
        services=list(_ordered(decision.services)),
        channel=channel,
        to=to,
        language=message.language,
        subject=message.subject if channel == "email" else None,
        text=message.text,
        decided_at=_iso(decision.decided_at),
        delivered_at=delivered_at,
        html=message.html,
        title=message.title,
        priority=customer.priority,
    )
