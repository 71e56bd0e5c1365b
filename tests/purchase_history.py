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
    created = (now or timezone.now()) - timedelta(days=days)
    return make_order(products, email=email, created=created, **overrides)


def orders_over_time(
    products: Sequence[Any], email: str, count: int, last_days_ago: float
) -> list:
    """``count`` orders by ``email``, the last ``last_days_ago`` days ago, the
    others 10 days apart before it."""
    return [
        order_days_ago(products, email, last_days_ago + 10 * i) for i in range(count)
    ]


def voucher_code(voucher: Any) -> str:
    """A Saleor voucher's code: its column on 2.10, its first ``VoucherCode`` on
    3.21."""
    from tests.hosts import SALEOR3

    if SALEOR3:
        return str(voucher.codes.order_by("created_at").first().code)
    return str(voucher.code)


def voucher_value(voucher: Any) -> Any:
    """A voucher's discount value: its column on 2.10, its channel listing's on
    3.21 (the same in every channel)."""
    from tests.hosts import SALEOR3

    if SALEOR3:
        return voucher.channel_listings.first().discount_value
    return voucher.discount_value
