"""Saleor 3.21's vouchers as tests read them, with the API of
``tests/hosts/saleor210/vouchers.py``: the code lives in ``VoucherCode`` (its own
use count), the value in the channel's ``VoucherChannelListing``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict


def voucher_terms(voucher: Any) -> Dict[str, Any]:
    """What a customer's code is worth: ``code``, ``type``, ``discount_value``,
    ``discount_value_type``, ``usage_limit``, ``used``, ``end_date``."""
    from .factories import default_channel

    voucher.refresh_from_db()
    [code] = voucher.codes.all()
    listing = voucher.channel_listings.get(channel=default_channel())
    return {
        "code": code.code,
        "type": voucher.type,
        "discount_value": Decimal(listing.discount_value),
        "discount_value_type": voucher.discount_value_type,
        "usage_limit": voucher.usage_limit,
        "used": code.used,
        "end_date": voucher.end_date,
    }


def order_discount(order: Any) -> Decimal:
    """What the order's discounts (its voucher) took off."""
    return sum((Decimal(d.amount_value) for d in order.discounts.all()), Decimal("0"))
