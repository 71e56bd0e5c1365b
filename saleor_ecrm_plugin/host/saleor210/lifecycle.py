"""Saleor 2.10: what the lifecycle programs ask of the shop's order history.

Set-based SQL over Saleor's order tables (window functions, a recursive CTE): one
statement answers for the whole base, never a Python loop over customers. A
customer is an address (``lower(user_email)``), so guest orders count too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple

from django.utils import timezone

from ..port import DueReorder, EditionChain, LearnedInterval

#: orders that were placed (drafts never were; cancelled ones do not count)
_UNCOUNTED = ("draft", "canceled")
#: a reminder is never due more than this long after its order
MAX_REMINDER_DAYS = 365
#: two orders of a product the same day are one purchase
MIN_GAP_DAYS = 1.0
#: intervals are learned from the orders of this many last days (recent habits;
#: and a learning pass reads a third of a three-year history, not all of it)
LEARNING_DAYS = 365


def _tables() -> Dict[str, str]:
    from django.db import connection
    from saleor.order.models import Order, OrderLine
    from saleor.product.models import Product, ProductType, ProductVariant

    return {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in (
            ("order", Order),
            ("line", OrderLine),
            ("product", Product),
            ("type", ProductType),
            ("variant", ProductVariant),
        )
    }


#: sort memory of one scan's statement (PostgreSQL's default, 4 MB, spills the
#: sorts of a large shop to disk)
SCAN_WORK_MEM = "128MB"


def _fetch(sql: str, params: Any) -> List[Tuple[Any, ...]]:
    """Rows of one statement, run with :data:`SCAN_WORK_MEM` (``SET LOCAL``: in a
    transaction of its own unless the caller holds one)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SCAN_WORK_MEM}'")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def repeat_purchase_intervals(min_repeats: int) -> List[LearnedInterval]:
    """Window functions: each order line of a product by an address in the last
    :data:`LEARNING_DAYS`, the previous one's date and quantity (``lag``), the
    median gap per unit by product (two lines of one order: a gap of 0 days, left
    out with the gaps under :data:`MIN_GAP_DAYS`)."""
    t = _tables()
    sql = f"""
        WITH purchases AS (
            SELECT hashtextextended(lower(o.user_email), 0) AS buyer, v.product_id,
                   o.created, l.quantity
            FROM {t["line"]} l
            JOIN {t["order"]} o ON o.id = l.order_id
            JOIN {t["variant"]} v ON v.id = l.variant_id
            WHERE o.status NOT IN %(uncounted)s AND o.user_email <> ''
              AND o.created >= %(since)s
        ), gaps AS (
            SELECT product_id,
                   extract(epoch FROM created - lag(created) OVER w) / 86400.0
                       AS days,
                   lag(quantity) OVER w AS quantity
            FROM purchases
            WINDOW w AS (PARTITION BY buyer, product_id ORDER BY created)
        )
        SELECT product_id,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY days / quantity),
               count(*)
        FROM gaps
        WHERE days >= %(min_gap)s AND quantity > 0
        GROUP BY product_id
        HAVING count(*) >= %(min_repeats)s
    """
    rows = _fetch(
        sql,
        {
            "uncounted": _UNCOUNTED,
            "min_gap": MIN_GAP_DAYS,
            "min_repeats": min_repeats,
            "since": timezone.now() - timedelta(days=LEARNING_DAYS),
        },
    )
    return [LearnedInterval(int(p), float(days), int(n)) for p, days, n in rows]


def product_lifetimes(metadata_key: str) -> Dict[int, float]:
    """The product's own metadata first, then its product type's; values that are
    not a positive number of days are ignored."""
    t = _tables()
    sql = f"""
        SELECT p.id, COALESCE(p.metadata ->> %(key)s, pt.metadata ->> %(key)s)
        FROM {t["product"]} p
        JOIN {t["type"]} pt ON pt.id = p.product_type_id
        WHERE p.metadata ? %(key)s OR pt.metadata ? %(key)s
    """
    lifetimes: Dict[int, float] = {}
    for product_id, value in _fetch(sql, {"key": metadata_key}):
        try:
            days = float(str(value).strip().replace(",", "."))
        except ValueError:
            continue
        if 0 < days <= 10 * MAX_REMINDER_DAYS:
            lifetimes[int(product_id)] = days
    return lifetimes


def due_reorders(
    days_per_unit: Dict[int, float],
    share: float,
    due_from: datetime,
    due_until: datetime,
) -> List[DueReorder]:
    """Lines whose reminder falls in the window, of orders placed in the year before
    it (no reminder is later than :data:`MAX_REMINDER_DAYS`), without a later
    order of the same product by the same address (an anti-join)."""
    if not days_per_unit:
        return []
    t = _tables()
    sql = f"""
        WITH intervals AS (
            SELECT * FROM unnest(%(products)s::int[], %(days)s::float8[])
                AS i(product_id, days)
        ), recent AS (
            SELECT o.id AS order_id, lower(o.user_email) AS buyer, o.created,
                   l.id AS line_id, l.variant_id, l.quantity, v.product_id
            FROM {t["order"]} o
            JOIN {t["line"]} l ON l.order_id = o.id
            JOIN {t["variant"]} v ON v.id = l.variant_id
            WHERE o.status NOT IN %(uncounted)s AND o.user_email <> ''
              AND o.created >= %(oldest)s AND l.quantity > 0
        ), due AS (
            SELECT r.*, i.days,
                   r.created + make_interval(secs => 86400 * least(
                       %(share)s * i.days * r.quantity, %(max_days)s)) AS due_at
            FROM recent r JOIN intervals i ON i.product_id = r.product_id
        )
        SELECT d.line_id, d.order_id, d.buyer, d.product_id, d.variant_id,
               d.quantity, d.created, d.days * d.quantity
        FROM due d
        WHERE d.due_at >= %(due_from)s AND d.due_at < %(due_until)s
          AND NOT EXISTS (
              SELECT 1 FROM recent later
              WHERE later.buyer = d.buyer AND later.product_id = d.product_id
                AND later.created > d.created
          )
    """
    products = sorted(days_per_unit)
    rows = _fetch(
        sql,
        {
            "products": products,
            "days": [float(days_per_unit[p]) for p in products],
            "uncounted": _UNCOUNTED,
            "oldest": due_from - timedelta(days=MAX_REMINDER_DAYS),
            "share": float(share),
            "max_days": MAX_REMINDER_DAYS,
            "due_from": due_from,
            "due_until": due_until,
        },
    )
    return [
        DueReorder(
            line_id=str(line),
            order_id=str(order),
            email=email,
            product_id=int(product),
            variant_id=int(variant),
            quantity=int(quantity),
            ordered_at=created,
            interval_days=float(interval),
        )
        for line, order, email, product, variant, quantity, created, interval in rows
    ]


def email_bought_products_since(
    email: str, product_ids: Iterable[int], since: datetime
) -> bool:
    from saleor.order.models import OrderLine

    ids = [int(p) for p in product_ids]
    if not email or not ids:
        return False
    return (
        OrderLine.objects.filter(
            order__user_email__iexact=email,
            order__created__gt=since,
            variant__product_id__in=ids,
        )
        .exclude(order__status__in=_UNCOUNTED)
        .exists()
    )


def create_checkout_with_lines(
    email: str, lines: Iterable[Tuple[int, int]]
) -> Optional[str]:
    """Saleor's own checkout model and line helper (``add_variant_to_checkout``
    checks the stock); lines that cannot be bought are left out, quantities cut
    to what is available."""
    from django.db import transaction
    from saleor.account.models import User
    from saleor.checkout.models import Checkout
    from saleor.checkout.utils import add_variant_to_checkout
    from saleor.core.exceptions import InsufficientStock
    from saleor.product.models import ProductVariant

    wanted = [(int(variant), int(quantity)) for variant, quantity in lines]
    variants = {
        variant.pk: variant
        for variant in ProductVariant.objects.filter(
            pk__in=[variant for variant, _ in wanted],
            product__in=_published_products(),
        ).select_related("product")
    }
    user = User.objects.filter(email__iexact=email).first() if email else None
    with transaction.atomic():
        checkout = Checkout.objects.create(
            email=email, user=user, currency=_currency(variants)
        )
        added = 0
        for variant_id, quantity in wanted:
            variant = variants.get(variant_id)
            if variant is None or quantity <= 0:
                continue
            for attempt in range(quantity, 0, -1):
                try:
                    add_variant_to_checkout(checkout, variant, attempt)
                except InsufficientStock:
                    continue
                added += 1
                break
        if not added:
            transaction.set_rollback(True)
            return None
    return str(checkout.token)


def _published_products() -> Any:
    from saleor.product.models import Product

    return Product.objects.published()


def _currency(variants: Dict[int, Any]) -> str:
    from django.conf import settings

    for variant in variants.values():
        currency = getattr(variant, "currency", "") or getattr(
            variant.product, "currency", ""
        )
        if currency:
            return str(currency)
    return str(settings.DEFAULT_CURRENCY)


def edition_chains(metadata_key: str) -> List[EditionChain]:
    """A recursive CTE walks each product's ``previous edition`` links (by slug or
    id) back to the first edition; a cycle stops at the first repeat."""
    from .catalogue import available_product_cards

    t = _tables()
    sql = f"""
        WITH RECURSIVE links AS (
            SELECT p.id AS product_id, prev.id AS previous_id
            FROM {t["product"]} p
            JOIN {t["product"]} prev
              ON (prev.slug = p.metadata ->> %(key)s
                  OR prev.id::text = p.metadata ->> %(key)s)
             AND prev.id <> p.id
            WHERE p.metadata ? %(key)s
        ), chain (head, earlier, depth, path) AS (
            SELECT product_id, previous_id, 1, ARRAY[product_id, previous_id]
            FROM links
            UNION ALL
            SELECT c.head, l.previous_id, c.depth + 1, c.path || l.previous_id
            FROM chain c JOIN links l ON l.product_id = c.earlier
            WHERE NOT l.previous_id = ANY(c.path) AND c.depth < 100
        )
        SELECT head, array_agg(earlier ORDER BY depth) FROM chain GROUP BY head
    """
    chains = {
        int(head): tuple(int(p) for p in earlier)
        for head, earlier in _fetch(sql, {"key": metadata_key})
    }
    available = available_product_cards(list(chains))
    return [
        EditionChain(product_id=head, earlier_product_ids=earlier)
        for head, earlier in sorted(chains.items())
        if head in available
    ]


def edition_buyers(
    product_id: int,
    earlier_product_ids: Iterable[int],
    after_email: str,
    limit: int,
) -> List[str]:
    """The lines of the editions' variants only (Saleor's index on
    ``order_orderline.variant_id``), grouped by address."""
    t = _tables()
    sql = f"""
        SELECT buyer FROM (
            SELECT lower(o.user_email) AS buyer, v.product_id
            FROM {t["line"]} l
            JOIN {t["variant"]} v ON v.id = l.variant_id
            JOIN {t["order"]} o ON o.id = l.order_id
            WHERE l.variant_id = ANY(ARRAY(
                      SELECT id FROM {t["variant"]}
                      WHERE product_id = ANY(%(products)s)))
              AND o.status NOT IN %(uncounted)s AND o.user_email <> ''
        ) bought
        GROUP BY buyer
        HAVING bool_and(product_id <> %(product)s) AND buyer > %(after)s
        ORDER BY buyer
        LIMIT %(limit)s
    """
    earlier = [int(p) for p in earlier_product_ids]
    rows = _fetch(
        sql,
        {
            "uncounted": _UNCOUNTED,
            "products": earlier + [int(product_id)],
            "product": int(product_id),
            "after": after_email.lower(),
            "limit": int(limit),
        },
    )
    return [str(row[0]) for row in rows]


def write_edition_buyers(
    table: str, product_id: int, earlier_product_ids: Iterable[int]
) -> int:
    """:func:`edition_buyers` in one statement, into the plugin's (temporary)
    ``table`` (one ``email`` column), every address at once."""
    from django.db import connection

    t = _tables()
    sql = f"""
        INSERT INTO {table} (email)
        SELECT buyer FROM (
            SELECT lower(o.user_email) AS buyer, v.product_id
            FROM {t["line"]} l
            JOIN {t["variant"]} v ON v.id = l.variant_id
            JOIN {t["order"]} o ON o.id = l.order_id
            WHERE l.variant_id = ANY(ARRAY(
                      SELECT id FROM {t["variant"]}
                      WHERE product_id = ANY(%(products)s)))
              AND o.status NOT IN %(uncounted)s AND o.user_email <> ''
        ) bought
        GROUP BY buyer
        HAVING bool_and(product_id <> %(product)s)
    """
    earlier = [int(p) for p in earlier_product_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "uncounted": _UNCOUNTED,
                "products": earlier + [int(product_id)],
                "product": int(product_id),
            },
        )
        return int(cursor.rowcount)
