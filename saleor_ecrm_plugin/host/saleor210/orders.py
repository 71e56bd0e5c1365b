"""Saleor 2.10: orders, their lines and fulfilments."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set

from ..port import BasketRow, OrderFacts, OrderForReview, ReviewableLine
from .ids import id_str, pk

#: Order statuses whose baskets teach the recommendation model (drafts were never
#: placed; cancelled orders are often mistakes or fraud)
_UNCOUNTED_ORDER_STATUSES = ("draft", "canceled")
#: rows fetched per round trip when streaming baskets
BASKET_CHUNK = 5000


def _order_line_ids(order_id: Any, column: str) -> List[int]:
    from saleor.order.models import OrderLine

    return sorted(
        set(
            OrderLine.objects.filter(order_id=pk(order_id), variant__isnull=False)
            .values_list(column, flat=True)
            .distinct()
        )
    )


def order_variant_ids(order_id: Any) -> List[int]:
    """Distinct ids of the variants in an order (lines whose variant still exists)."""
    return _order_line_ids(order_id, "variant_id")


def order_product_ids(order_id: Any) -> List[int]:
    """Distinct ids of the products in an order (lines whose variant still exists)."""
    return _order_line_ids(order_id, "variant__product_id")


def counted_orders_high_water_mark() -> int:
    """The highest id of an order the recommendation model may count (0: none)."""
    from saleor.order.models import Order

    # newest first: a backward scan of the primary key, not an aggregate
    top = (
        Order.objects.exclude(status__in=_UNCOUNTED_ORDER_STATUSES)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(top or 0)


def basket_rows(
    after_order: int,
    up_to_order: Optional[int] = None,
    containing_products: Optional[Iterable[int]] = None,
) -> Iterator[BasketRow]:
    """Rows ``(order_id, product_id, category_id)``: each distinct product of each
    counted order with ``after_order < id <= up_to_order`` (and, if given, holding
    one of ``containing_products``). Streamed from a server-side cursor: a rebuild
    reads every counted order line."""
    from saleor.order.models import OrderLine

    lines = OrderLine.objects.filter(
        order_id__gt=after_order, variant__isnull=False
    ).exclude(order__status__in=_UNCOUNTED_ORDER_STATUSES)
    if up_to_order is not None:
        lines = lines.filter(order_id__lte=up_to_order)
    if containing_products is not None:
        lines = lines.filter(
            order_id__in=OrderLine.objects.filter(
                variant__product_id__in=list(containing_products)
            ).values("order_id")
        )
    rows = (
        lines.order_by()
        .values_list("order_id", "variant__product_id", "variant__product__category_id")
        .distinct()
    )
    return iter(rows.iterator(chunk_size=BASKET_CHUNK))


def order_for_review(order_id: Any) -> Optional[OrderForReview]:
    from saleor.order import OrderStatus
    from saleor.order.models import Order
    from saleor.payment import ChargeStatus

    order_pk = pk(order_id)
    order = (
        Order.objects.filter(pk=order_pk)
        .select_related("user", "billing_address", "shipping_address")
        .first()
        if order_pk
        else None
    )
    if order is None:
        return None
    last_charge = (
        order.payments.order_by("-pk").values_list("charge_status", flat=True).first()
    )
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
        refunded=last_charge == ChargeStatus.FULLY_REFUNDED,
        number=str(order.pk),
    )


def fulfilled_lines(order_id: Any, line_id: Any = None) -> List[ReviewableLine]:
    """The reviewable lines of an order (or the one line ``line_id`` of it), one per
    product (the first line of each), in the order's line order."""
    from saleor.core.utils import build_absolute_uri
    from saleor.order import FulfillmentStatus
    from saleor.order.models import FulfillmentLine, OrderLine
    from saleor.product.models import ProductImage

    order_pk = pk(order_id)
    if order_pk is None:
        return []
    shipped = FulfillmentLine.objects.filter(
        fulfillment__order_id=order_pk,
        fulfillment__status=FulfillmentStatus.FULFILLED,
        quantity__gt=0,
    ).values("order_line_id")
    lines = OrderLine.objects.filter(
        order_id=order_pk, variant__isnull=False, pk__in=shipped
    )
    if line_id is not None:
        line_pk = pk(line_id)
        if line_pk is None:
            return []
        lines = lines.filter(pk=line_pk)
    rows = list(
        lines.order_by("pk").values_list(
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
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("-sort_order", "-id")
        .values_list("product_id", "image")
    ):
        images[product_id] = image  # the last written is the first in sort order
    storage = ProductImage._meta.get_field("image").storage
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

    return id_str(
        Order.objects.filter(checkout_token=str(token))
        .values_list("id", flat=True)
        .first()
    )


def email_ordered_since(email: str, since: datetime) -> bool:
    """Did this address place a (non-draft) order at or after ``since``?"""
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    return (
        Order.objects.filter(user_email__iexact=email.strip(), created__gte=since)
        .exclude(status=OrderStatus.DRAFT)
        .exists()
    )


def order_facts(order_id: Any) -> Optional[OrderFacts]:
    from saleor.order.models import Order

    order_pk = pk(order_id)
    order = Order.objects.filter(id=order_pk).first() if order_pk else None
    if order is None:
        return None
    return OrderFacts(
        id=str(order.id),
        checkout_token=order.checkout_token or "",
        email=(order.user_email or (order.user.email if order.user else "")).strip(),
        total=order.total_gross,
        created=order.created,
    )
