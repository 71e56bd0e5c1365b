"""Saleor 2.10: single-use vouchers."""

from __future__ import annotations

from datetime import datetime

from ..port import IssuedVoucher

#: no 0/O or 1/I/L: codes are read off an email and typed by hand
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Saleor 2.10's ``Voucher.code`` column is 12 characters long
VOUCHER_CODE_LENGTH = 12


def issue_single_use_voucher(
    reference: str,
    prefix: str,
    percentage: int,
    valid_days: int,
    now: datetime,
    usage_limit: int = 1,
    free_shipping: bool = False,
) -> IssuedVoucher:
    """A Saleor voucher for the whole order, usable ``usage_limit`` times (once by
    default), valid ``valid_days``; with ``free_shipping``, ``percentage`` % off the
    shipping instead (Saleor's shipping voucher type).

    ``reference`` identifies what the voucher is for (a ledger row's key): asking
    again with the same reference returns the voucher made the first time, so a send
    retried after a transient failure mails the same code. The code is ``prefix``
    (letters, at most 5) plus random characters up to Saleor's 12.
    """
    import secrets
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from saleor.discount import DiscountValueType, VoucherType
    from saleor.discount.models import Voucher

    name = f"e-CRM {reference}"[:255]
    existing = Voucher.objects.filter(name=name).first()
    if existing is not None:
        return IssuedVoucher(
            existing.code, int(existing.discount_value), existing.end_date
        )
    prefix = "".join(ch for ch in prefix.upper() if ch.isalnum())[:5]
    end_date = now + timedelta(days=valid_days)
    for _attempt in range(10):
        code = prefix + "".join(
            secrets.choice(VOUCHER_ALPHABET)
            for _ in range(VOUCHER_CODE_LENGTH - len(prefix))
        )
        try:
            with transaction.atomic():
                Voucher.objects.create(
                    type=(
                        VoucherType.SHIPPING
                        if free_shipping
                        else VoucherType.ENTIRE_ORDER
                    ),
                    name=name,
                    code=code,
                    usage_limit=usage_limit,
                    start_date=now,
                    end_date=end_date,
                    discount_value_type=DiscountValueType.PERCENTAGE,
                    discount_value=percentage,
                )
        except IntegrityError:  # the code exists: draw again
            continue
        return IssuedVoucher(code, percentage, end_date)
    raise RuntimeError("could not draw a free voucher code in 10 tries")
