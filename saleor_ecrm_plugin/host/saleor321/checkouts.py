"""Saleor 3.21: checkouts, for cart reminders.

Gift lines (``is_gift``: added by a promotion) are not the customer's choice: a
checkout holding only gifts is not reminded, and the fingerprint ignores them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

from prices import Money

from ..port import Cart, CartLine, CheckoutState
from .ids import id_str, uuid_pks


def _fingerprint(lines: Iterable[Tuple[Any, Any]]) -> str:
    import hashlib

    text = ",".join(f"{variant}:{quantity}" for variant, quantity in sorted(lines))
    return hashlib.sha1(text.encode("ascii")).hexdigest()[:16]


def checkout_states(tokens: Iterable[str]) -> Dict[str, CheckoutState]:
    """States of many checkouts by token (two queries whatever their number)."""
    from saleor.checkout.models import Checkout, CheckoutLine

    valid = uuid_pks(tokens)
    if not valid:
        return {}
    rows = Checkout.objects.filter(token__in=valid).values_list(
        "token", "email", "user_id", "user__email", "last_change"
    )
    lines: Dict[str, List[Tuple[Any, Any]]] = {}
    for checkout_id, variant_id, quantity in CheckoutLine.objects.filter(
        checkout_id__in=valid, is_gift=False
    ).values_list("checkout_id", "variant_id", "quantity"):
        lines.setdefault(str(checkout_id), []).append((variant_id, quantity))
    states = {}
    for token, email, user_id, user_email, last_change in rows:
        token = str(token)
        own = lines.get(token, [])
        states[token] = CheckoutState(
            token=token,
            email=(email or user_email or "").strip(),
            user_id=id_str(user_id),
            last_change=last_change,
            line_count=len(own),
            fingerprint=_fingerprint(own),
        )
    return states


def checkouts_changed_since(
    position: datetime, after_token: str, limit: int
) -> List[Tuple[str, datetime]]:
    """(token, last_change) of checkouts changed after a scan position, oldest first.

    Only checkouts that could be reminded come back: with at least one line and an
    address (their own or their user's). Keyset-paginated on
    ``(last_change, token)`` so a scan resumes exactly where it stopped; the index
    ``ecrm_checkout_last_change_idx`` (the plugin's migration 0004) makes the cost
    follow the number of changed checkouts, not the table.
    """
    from django.db import connection
    from saleor.account.models import User
    from saleor.checkout.models import Checkout, CheckoutLine

    checkout = connection.ops.quote_name(Checkout._meta.db_table)
    line = connection.ops.quote_name(CheckoutLine._meta.db_table)
    user = connection.ops.quote_name(User._meta.db_table)
    sql = f"""
        SELECT c.token, c.last_change FROM {checkout} AS c
        LEFT JOIN {user} AS u ON u.id = c.user_id
        WHERE (c.last_change, c.token::text) > (%(position)s, %(after)s)
          AND COALESCE(NULLIF(c.email, ''), u.email, '') <> ''
          AND EXISTS (SELECT 1 FROM {line} AS l WHERE l.checkout_id = c.token
                                                AND NOT l.is_gift)
        ORDER BY c.last_change, c.token::text
        LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"position": position, "after": after_token, "limit": limit}
        )
        return [(str(token), last_change) for token, last_change in cursor.fetchall()]


def checkout_cart(token: str, storefront_url: str) -> Optional[Cart]:
    """The lines of a checkout as an email shows them, priced in the checkout's
    channel as Saleor prices the variants today (the channel listing's price with
    promotions, or the line's price override); gift lines left out."""
    from saleor.checkout.models import Checkout
    from saleor.core.utils import build_absolute_uri
    from saleor.product.models import ProductMedia, ProductVariantChannelListing

    keys = uuid_pks([token])
    checkout = (
        Checkout.objects.filter(token=keys[0])
        .select_related("user", "billing_address", "shipping_address", "channel")
        .first()
        if keys
        else None
    )
    if checkout is None:
        return None
    lines = list(
        checkout.lines.filter(is_gift=False)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )
    listings = {
        listing.variant_id: listing
        for listing in ProductVariantChannelListing.objects.filter(
            channel_id=checkout.channel_id,
            variant_id__in=[line.variant_id for line in lines],
            price_amount__isnull=False,
        )
    }
    storage = ProductMedia._meta.get_field("image").storage
    currency = checkout.currency
    subtotal = Money(0, currency)
    cart_lines = []
    for line in lines:
        variant = line.variant
        product = variant.product
        listing = listings.get(variant.pk)
        if listing is None:
            continue  # no longer sold in this channel
        unit = variant.get_price(listing, price_override=line.price_override)
        total = unit * line.quantity
        subtotal += total
        media = (
            variant.media.filter(type="IMAGE").order_by("sort_order", "pk").first()
            or product.media.filter(type="IMAGE").order_by("sort_order", "pk").first()
        )
        cart_lines.append(
            CartLine(
                product_name=product.name,
                variant_name=variant.name if variant.name != product.name else "",
                quantity=line.quantity,
                unit_price=unit,
                total=total,
                image_url=(
                    build_absolute_uri(storage.url(media.image.name))
                    if media is not None and media.image
                    else None
                ),
                product_url=f"{storefront_url.rstrip('/')}/product/{product.slug}/",
            )
        )
    first_name = ""
    for source in (checkout.user, checkout.billing_address, checkout.shipping_address):
        if source is not None and source.first_name:
            first_name = source.first_name
            break
    return Cart(lines=cart_lines, subtotal=subtotal, first_name=first_name)
