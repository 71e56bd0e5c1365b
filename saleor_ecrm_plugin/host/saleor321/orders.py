"""Saleor 3.21: orders, their lines and fulfilments.

Orders and their lines have UUID primary keys; the recommendation model counts
orders by their sequence ``number``. Gift lines (``is_gift``: added by a promotion,
not chosen) teach nothing and are never offered for review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set

from ..port import (
    BasketRow,
    ConfirmationLine,
    OrderConfirmation,
    OrderFacts,
    OrderForReview,
    ReviewableLine,
)
from .ids import id_str, uuid_pk

#: Order statuses whose baskets teach the recommendation model (drafts were never
#: placed, unconfirmed and expired ones not yet or never; cancelled orders are
#: often mistakes or fraud)
_UNCOUNTED_ORDER_STATUSES = ("draft", "unconfirmed", "expired", "canceled")
#: statuses of orders a customer did not place (yet)
_NOT_PLACED = ("draft", "expired")
#: rows fetched per round trip when streaming baskets
BASKET_CHUNK = 5000


def _order_line_ids(order_id: Any, column: str) -> List[int]:
    from saleor.order.models import OrderLine

    order_pk = uuid_pk(order_id)
    if order_pk is None:
        return []
    return sorted(
        set(
            OrderLine.objects.filter(
                order_id=order_pk, variant__isnull=False, is_gift=False
            )
            .values_list(column, flat=True)
            .distinct()
        )
    )


def order_variant_ids(order_id: Any) -> List[int]:
    return _order_line_ids(order_id, "variant_id")


def order_product_ids(order_id: Any) -> List[int]:
    return _order_line_ids(order_id, "variant__product_id")


def counted_orders_high_water_mark() -> int:
    """The highest ``number`` of an order the recommendation model may count."""
    from saleor.order.models import Order

    top = (
        Order.objects.exclude(status__in=_UNCOUNTED_ORDER_STATUSES)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(top or 0)


def basket_rows(
    after_order: int,
    up_to_order: Optional[int] = None,
    containing_products: Optional[Iterable[int]] = None,
) -> Iterator[BasketRow]:
    """Rows ``(order number, product_id, category_id)``: each distinct product of
    each counted order with ``after_order < number <= up_to_order``, streamed."""
    from saleor.order.models import OrderLine

    lines = OrderLine.objects.filter(
        order__number__gt=after_order, variant__isnull=False, is_gift=False
    ).exclude(order__status__in=_UNCOUNTED_ORDER_STATUSES)
    if up_to_order is not None:
        lines = lines.filter(order__number__lte=up_to_order)
    if containing_products is not None:
        lines = lines.filter(
            order_id__in=OrderLine.objects.filter(
                variant__product_id__in=list(containing_products)
            ).values("order_id")
        )
    rows = (
        lines.order_by()
        .values_list(
            "order__number", "variant__product_id", "variant__product__category_id"
        )
        .distinct()
    )
    return iter(rows.iterator(chunk_size=BASKET_CHUNK))


def _refunded(order: Any) -> bool:
    """The order's last payment was refunded in full, or (transactions API) its
    transactions hold nothing charged any more and something refunded."""
    from django.db.models import Sum
    from saleor.payment import ChargeStatus

    last_charge = (
        order.payments.order_by("-pk").values_list("charge_status", flat=True).first()
    )
    if last_charge == ChargeStatus.FULLY_REFUNDED:
        return True
    totals = order.payment_transactions.aggregate(
        charged=Sum("charged_value"), refunded=Sum("refunded_value")
    )
    return bool(totals["refunded"]) and not totals["charged"]


def order_for_review(order_id: Any) -> Optional[OrderForReview]:
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    order_pk = uuid_pk(order_id)
    order = (
        Order.objects.filter(pk=order_pk)
        .select_related("user", "billing_address", "shipping_address")
        .first()
        if order_pk
        else None
    )
    if order is None:
        return None
    address = order.billing_address or order.shipping_address
    first_name = (address.first_name if address else "") or (
        order.user.first_name if order.user else ""
    )
    last_name = (address.last_name if address else "") or (
        order.user.last_name if order.user else ""
    )
    return OrderForReview(
        id=str(order.pk),
        email=(order.get_customer_email() or "").strip().lower(),
        user_id=id_str(order.user_id),
        first_name=first_name or "",
        last_name=last_name or "",
        canceled=order.status == OrderStatus.CANCELED,
        refunded=_refunded(order),
        number=str(order.number),
    )


def fulfilled_lines(order_id: Any, line_id: Any = None) -> List[ReviewableLine]:
    """The reviewable lines of an order (or its one line ``line_id``), one per
    product (the first line of each), in the order's line order; gifts skipped."""
    from saleor.core.utils import build_absolute_uri
    from saleor.order import FulfillmentStatus
    from saleor.order.models import FulfillmentLine, OrderLine
    from saleor.product.models import ProductMedia

    order_pk = uuid_pk(order_id)
    if order_pk is None:
        return []
    shipped = FulfillmentLine.objects.filter(
        fulfillment__order_id=order_pk,
        fulfillment__status=FulfillmentStatus.FULFILLED,
        quantity__gt=0,
    ).values("order_line_id")
    lines = OrderLine.objects.filter(
        order_id=order_pk, variant__isnull=False, is_gift=False, pk__in=shipped
    )
    if line_id is not None:
        line_pk = uuid_pk(line_id)
        if line_pk is None:
            return []
        lines = lines.filter(pk=line_pk)
    rows = list(
        lines.order_by("created_at", "pk").values_list(
            "pk",
            "variant_id",
            "variant__product_id",
            "variant__product__slug",
            "product_name",
            "translated_product_name",
            "variant_name",
        )
    )
    product_ids = {row[2] for row in rows}
    images: Dict[int, str] = {}
    for product_id, image in (
        ProductMedia.objects.filter(product_id__in=product_ids, type="IMAGE")
        .exclude(image="")
        .exclude(image__isnull=True)
        .order_by("-sort_order", "-id")
        .values_list("product_id", "image")
    ):
        images[product_id] = image  # the last written is the first in sort order
    storage = ProductMedia._meta.get_field("image").storage
    seen: Set[int] = set()
    result: List[ReviewableLine] = []
    for line_pk_, variant_id, product_id, slug, name, translated, variant_name in rows:
        if product_id in seen:
            continue
        seen.add(product_id)
        image = images.get(product_id)
        result.append(
            ReviewableLine(
                id=str(line_pk_),
                order_id=str(order_pk),
                product_id=product_id,
                variant_id=variant_id,
                product_name=translated or name,
                variant_name=variant_name or "",
                product_slug=slug,
                image_url=build_absolute_uri(storage.url(image)) if image else None,
            )
        )
    return result


def order_for_checkout(token: str) -> Optional[str]:
    """Id of the order Saleor made from this checkout (orders keep its token)."""
    from saleor.order.models import Order

    if uuid_pk(token) is None:
        return None
    return id_str(
        Order.objects.filter(checkout_token=str(uuid_pk(token)))
        .values_list("id", flat=True)
        .first()
    )


def email_ordered_since(email: str, since: datetime) -> bool:
    """Did this address place an order (not a draft, not expired) at or after
    ``since``? Unconfirmed orders count: the customer has bought."""
    from saleor.order.models import Order

    return (
        Order.objects.filter(user_email__iexact=email.strip(), created_at__gte=since)
        .exclude(status__in=_NOT_PLACED)
        .exists()
    )


def order_facts(order_id: Any) -> Optional[OrderFacts]:
    from saleor.order.models import Order

    order_pk = uuid_pk(order_id)
    order = (
        Order.objects.filter(pk=order_pk).select_related("user").first()
        if order_pk
        else None
    )
    if order is None:
        return None
    return OrderFacts(
        id=str(order.pk),
        checkout_token=order.checkout_token or "",
        email=(order.user_email or (order.user.email if order.user else "")).strip(),
        total=order.total_gross,
        created=order.created_at,
    )


def order_confirmation(order_id: Any) -> Optional[OrderConfirmation]:
    """The order as its confirmation shows it: lines in their order (names as
    translated for the customer when Saleor recorded a translation), gross prices,
    order-level discounts summed, addresses as their country writes them."""
    from django.db.models import Sum
    from prices import Money
    from saleor.order.models import Order

    from .customers import address_lines

    order_pk = uuid_pk(order_id)
    order = (
        Order.objects.filter(pk=order_pk)
        .select_related("user", "billing_address", "shipping_address")
        .first()
        if order_pk
        else None
    )
    if order is None:
        return None
    currency = order.currency
    lines = tuple(
        ConfirmationLine(
            product_name=line.translated_product_name or line.product_name,
            variant_name=line.translated_variant_name or line.variant_name or "",
            quantity=line.quantity,
            unit_price=line.unit_price.gross,
            total=line.total_price.gross,
        )
        for line in order.lines.order_by("created_at", "pk")
    )
    discounts = order.discounts.aggregate(total=Sum("amount_value"))["total"]
    names = [
        name
        for name in order.discounts.values_list("name", flat=True).order_by("pk")
        if name
    ]
    address = order.billing_address or order.shipping_address
    first_name = (address.first_name if address else "") or (
        order.user.first_name if order.user else ""
    )
    return OrderConfirmation(
        id=str(order.pk),
        number=str(order.number),
        email=(order.get_customer_email() or "").strip(),
        first_name=first_name or "",
        status=str(order.status),
        created=order.created_at,
        lines=lines,
        subtotal=order.subtotal.gross,
        shipping_price=order.shipping_price.gross,
        shipping_method_name=order.shipping_method_name or "",
        shipping_required=any(line.is_shipping_required for line in order.lines.all()),
        discount=Money(discounts, currency) if discounts else None,
        discount_name=", ".join(names),
        tax=order.total.gross - order.total.net,
        total=order.total.gross,
        shipping_address=tuple(address_lines(order.shipping_address)),
        billing_address=tuple(address_lines(order.billing_address)),
        customer_note=order.customer_note or "",
    )
