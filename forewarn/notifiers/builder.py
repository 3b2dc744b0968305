"""``build_notification``: a decision, for one customer, becomes a CONTRACT §6 record.

Why separate from delivery: the record (channel, address, language, texts) is decided once
and is what gets stored, published on ``notifications.delivered`` and deduplicated; the
sink only carries it. Channel choice follows the customer's own preference order.
"""

from __future__ import annotations

from forewarn.domain import SERVICES, Customer, Decision, Notification, to_iso
from forewarn.templates import MessageRenderer

__all__ = ["build_notification"]


def build_notification(
    decision: Decision,
    customer: Customer,
    renderer: MessageRenderer,
    *,
    delivered_at: str | None = None,
    channel: str | None = None,
) -> Notification | None:
    """The notification telling ``customer`` about ``decision``, or None if unreachable.

    The channel is the first of the customer's preferred channels for which they have an
    address; ``channel`` forces another one (e.g. a fallback after that channel failed)
    and also yields None when the customer has no address for it. Raises
    ``TemplateError`` if rendering fails and ``ValueError`` if decision and customer
    disagree about who the customer is (a wiring bug, not a data problem).
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
    order = {name: i for i, name in enumerate(SERVICES)}
    return Notification(
        notification_id=decision.notification_id,
        customer_id=customer.customer_id,
        incident_id=decision.incident_id,
        stage=str(decision.stage),
        services=sorted(decision.services, key=lambda s: (order.get(s, len(order)), s)),
        channel=channel,
        to=to,
        language=message.language,
        subject=message.subject if channel == "email" else None,
        text=message.text,
        decided_at=to_iso(decision.decided_at),
        delivered_at=delivered_at,
        html=message.html,
        title=message.title,
        priority=customer.priority,
    )
