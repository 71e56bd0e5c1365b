"""Planted purchase histories for the lifecycle tests (RFM, win-back, affinity):
Saleor orders backdated through Saleor's own model."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional, Sequence

from django.utils import timezone

from tests.factories import make_order


def order_days_ago(
    products: Sequence[Any],
    email: str,
    days: float,
    *,
    now: Optional[datetime] = None,
    **overrides: Any,
) -> Any:
    """A Saleor order of ``products`` by ``email``, created ``days`` ago."""
    from saleor.order.models import Order

    order = make_order(products, email=email, **overrides)
    created = (now or timezone.now()) - timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(created=created)
    order.created = created
    return order


def orders_over_time(
    products: Sequence[Any], email: str, count: int, last_days_ago: float
) -> list:
    """``count`` orders by ``email``, the last ``last_days_ago`` days ago, the
    others 10 days apart before it."""
    return [
        order_days_ago(products, email, last_days_ago + 10 * i) for i in range(count)
    ]
