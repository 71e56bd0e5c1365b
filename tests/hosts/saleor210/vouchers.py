"""Saleor 2.10's vouchers as tests read them: one code and one value per voucher
(the API of ``tests/hosts/saleor321/vouchers.py``; ``tests.vouchers`` picks)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict


def voucher_terms(voucher: Any) -> Dict[str, Any]:
    """What a customer's code is worth: ``code``, ``type``, ``discount_value``,
    ``discount_value_type``, ``usage_limit``, ``used``, ``end_date``."""
    voucher.refresh_from_db()
    return {
        "code": voucher.code,
        "type": voucher.type,
        "discount_value": Decimal(voucher.discount_value),
        "discount_value_type": voucher.discount_value_type,
        "usage_limit": voucher.usage_limit,
        "used": voucher.used,
        "end_date": voucher.end_date,
    }


def order_discount(order: Any) -> Decimal:
    """What the order's voucher took off."""
    return Decimal(order.discount_amount)
