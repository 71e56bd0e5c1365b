"""Saleor 2.10: checkouts, for cart reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..port import Cart, CartLine, CheckoutState
from .ids import id_str


def _fingerprint(lines: Iterable[Tuple[Any, Any]]) -> str:
    import hashlib

    text = ",".join(f"{variant}:{quantity}" for variant, quantity in sorted(lines))
    return hashlib.sha1(text.encode("ascii")).hexdigest()[:16]


def checkout_states(tokens: Iterable[str]) -> Dict[str, CheckoutState]:
    """States of many checkouts by token (two queries whatever their number)."""
    import uuid

    from saleor.checkout.models import Checkout, CheckoutLine

    valid = []
    for token in tokens:
        try:
            valid.append(uuid.UUID(str(token)))
        except ValueError:
            continue
    if not valid:
        return {}
    rows = Checkout.objects.filter(token__in=valid).values_list(
        "token", "email", "user_id", "user__email", "last_change"
    )
    lines: Dict[str, List[Tuple[Any, Any]]] = {}
    for checkout_id, variant_id, quantity in CheckoutLine.objects.filter(
        checkout_id__in=valid
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
          AND EXISTS (SELECT 1 FROM {line} AS l WHERE l.checkout_id = c.token)
        ORDER BY c.last_change, c.token::text
        LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"position": position, "after": after_token, "limit": limit}
        )
        return [(str(token), last_change) for token, last_change in cursor.fetchall()]


def checkout_cart(token: str, storefront_url: str) -> Optional[Cart]:
    """The lines of a checkout as an email shows them, priced as Saleor would now."""
    from saleor.checkout import calculations
    from saleor.checkout.models import Checkout
    from saleor.core.utils import build_absolute_uri
    from saleor.discount.utils import fetch_active_discounts

    checkout = (
        Checkout.objects.filter(token=token)
        .select_related("user", "billing_address", "shipping_address")
        .first()
    )
    if checkout is None:
        return None
    discounts = fetch_active_discounts()
    lines = list(
        checkout.lines.select_related("variant__product").prefetch_related(
            "variant__images", "variant__product__images"
        )
    )
    cart_lines = []
    for line in lines:
        variant = line.variant
        product = variant.product
        image = variant.get_first_image()
        total = calculations.checkout_line_total(line=line, discounts=discounts).gross
        cart_lines.append(
            CartLine(
                product_name=product.name,
                variant_name=variant.name if variant.name != product.name else "",
                quantity=line.quantity,
                unit_price=total / line.quantity if line.quantity else total,
                total=total,
                image_url=build_absolute_uri(image.image.url) if image else None,
                product_url=f"{storefront_url.rstrip('/')}/product/{product.slug}/"
                f"{product.id}/",
            )
        )
    subtotal = calculations.checkout_subtotal(
        checkout=checkout, lines=lines, discounts=discounts
    ).gross
    first_name = ""
    for source in (checkout.user, checkout.billing_address, checkout.shipping_address):
        if source is not None and source.first_name:
            first_name = source.first_name
            break
    return Cart(lines=cart_lines, subtotal=subtotal, first_name=first_name)
