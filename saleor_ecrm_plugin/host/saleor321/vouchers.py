"""Saleor 3.21: single-use vouchers.

A voucher's codes live in ``VoucherCode`` (``used`` counts its uses,
``single_use`` on the voucher deactivates a code once used) and its value in one
``VoucherChannelListing`` per channel: an issued voucher is listed in every active
channel, so the reminder's code works whichever channel the customer buys in.
"""

from __future__ import annotations

from datetime import datetime

from ..port import IssuedVoucher

#: no 0/O or 1/I/L: codes are read off an email and typed by hand
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: the same length as on Saleor 2.10 (3.21's ``VoucherCode.code`` allows 255)
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
    """A voucher for the whole order, usable ``usage_limit`` times (once by
    default: Saleor's ``single_use``), valid ``valid_days``; with
    ``free_shipping``, ``percentage`` % off the shipping instead (voucher type
    ``SHIPPING``). The same voucher again for the same ``reference``."""
    import secrets
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from saleor.channel.models import Channel
    from saleor.discount import DiscountValueType, VoucherType
    from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode

    name = f"e-CRM {reference}"[:255]
    existing = Voucher.objects.filter(name=name).first()
    if existing is not None:
        code = existing.codes.order_by("created_at").values_list("code", flat=True)
        listing = existing.channel_listings.first()
        return IssuedVoucher(
            code.first() or "",
            int(listing.discount_value) if listing is not None else percentage,
            existing.end_date,
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
                voucher = Voucher.objects.create(
                    type=(
                        VoucherType.SHIPPING
                        if free_shipping
                        else VoucherType.ENTIRE_ORDER
                    ),
                    name=name,
                    usage_limit=usage_limit,
                    single_use=usage_limit == 1,
                    start_date=now,
                    end_date=end_date,
                    discount_value_type=DiscountValueType.PERCENTAGE,
                )
                VoucherCode.objects.create(voucher=voucher, code=code)
                VoucherChannelListing.objects.bulk_create(
                    VoucherChannelListing(
                        voucher=voucher,
                        channel=channel,
                        discount_value=percentage,
                        currency=channel.currency_code,
                    )
                    for channel in Channel.objects.filter(is_active=True)
                )
        except IntegrityError:  # the code exists: draw again
            continue
        return IssuedVoucher(code, percentage, end_date)
    raise RuntimeError("could not draw a free voucher code in 10 tries")
