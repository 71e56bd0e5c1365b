"""Attribution by click: an order credited to the last email its customer clicked.

Each program credits the emails *sent* before an order (its own window,
:mod:`saleor_ecrm_plugin.attribution`): reports call that credit "influenced".
This module adds the stricter credit: the order goes to the one email whose link
the customer (same address) last clicked, scanner clicks excluded, within
``click_attribution_days`` (default 5) before the order. One credit per order,
whatever the number of times the order event is handled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..host import port as host
from .events import real_clicks
from .models import ClickConversion

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings


def credit_last_click(settings: EcrmSettings, order_id: Any) -> int:
    """Credit order ``order_id`` to the last email its customer really clicked
    within the window; returns 1 for a new credit, else 0."""
    days = settings.click_attribution_days
    if not days:
        return 0
    order = host.order_facts(order_id)
    if order is None or not order.email:
        return 0
    click = (
        real_clicks()
        .filter(
            recipient=order.email.strip().lower(),
            clicked_at__gte=order.created - timedelta(days=days),
            clicked_at__lte=order.created,
        )
        .order_by("-clicked_at", "-id")
        .first()
    )
    if click is None:
        return 0
    if ClickConversion.objects.filter(order_id=str(order.id)).exists():
        return 0
    # a concurrent handling of the same order may insert first: one credit stays
    ClickConversion.objects.bulk_create(
        [
            ClickConversion(
                order_id=str(order.id),
                send_id=click.send_id,
                click_id=click.id,
                program=click.program,
                revenue=order.total.amount,
                currency=order.total.currency,
                converted_at=order.created,
            )
        ],
        ignore_conflicts=True,
    )
    return 1
