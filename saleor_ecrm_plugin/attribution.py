"""Crediting orders to the emails that brought them.

A program decides which of its sent emails an order is credited to (its attribution
window, the object the emails were about); this module records the credit once per
email and order, whatever the number of times an order event is handled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .models import Conversion

if TYPE_CHECKING:
    from .host.port import OrderFacts
    from .models import ScheduledSend


def record_conversions(
    program: str, sends: Iterable[ScheduledSend], order: OrderFacts
) -> int:
    """Credit ``order`` to each of ``sends``; returns how many credits are new."""
    rows = [
        Conversion(
            send_id=send.id,
            program=program,
            order_id=str(order.id),
            revenue=order.total.amount,
            currency=order.total.currency,
            converted_at=order.created,
        )
        for send in sends
    ]
    if not rows:
        return 0
    before = Conversion.objects.filter(
        order_id=str(order.id), send_id__in=[row.send_id for row in rows]
    ).count()
    Conversion.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before
