"""Saleor 3.21: what the replenishment and new-edition programs ask of the shop's
order history.

The same set-based SQL as on Saleor 2.10 (window functions, a recursive CTE), on
3.21's tables: orders and lines have UUID keys and ``created_at``; gift lines
(``is_gift``: added by a promotion, not chosen) are no purchase; drafts,
unconfirmed, expired and cancelled orders do not count. Visibility, prices and
stock are per channel: availability is asked in the main channel
(:mod:`.channels`), an "order again" checkout is made in the channel of the order
it repeats. A customer is an address (``lower(user_email)``), so guest orders
count too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..port import DueReorder, EditionChain, LearnedInterval

#: orders that count as purchases: not drafts (never placed), unconfirmed or
#: expired (not yet or never), cancelled (as the recommendation model's)
_UNCOUNTED = ("draft", "unconfirmed", "expired", "canceled")
#: a reminder is never due more than this long after its order
MAX_REMINDER_DAYS = 365
#: two orders of a product the same day are one purchase
MIN_GAP_DAYS = 1.0
#: intervals are learned from the orders of this many last days (as on 2.10)
LEARNING_DAYS = 365
#: sort memory of one scan's statement (as on 2.10)
SCAN_WORK_MEM = "128MB"


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


def _fetch(sql: str, params: Any) -> List[Tuple[Any, ...]]:
    """Rows of one statement, run with :data:`SCAN_WORK_MEM` (``SET LOCAL``)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SCAN_WORK_MEM}'")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def repeat_purchase_intervals(min_repeats: int) -> List[LearnedInterval]:
    """Each order line of a product by an address in the last
    :data:`LEARNING_DAYS` (gift lines skipped), the previous one's date and
    quantity (``lag``), the median gap per unit by product."""
    from django.utils import timezone

    t = _tables()
    sql = f"""
        WITH purchases AS (
            SELECT hashtextextended(lower(o.user_email), 0) AS buyer, v.product_id,
                   o.created_at AS created, l.quantity
            FROM {t["line"]} l
            JOIN {t["order"]} o ON o.id = l.order_id
            JOIN {t["variant"]} v ON v.id = l.variant_id
            WHERE o.status <> ALL(%(uncounted)s) AND o.user_email <> ''
              AND NOT l.is_gift AND o.created_at >= %(since)s
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
            "uncounted": list(_UNCOUNTED),
            "min_gap": MIN_GAP_DAYS,
            "min_repeats": min_repeats,
            "since": timezone.now() - timedelta(days=LEARNING_DAYS),
        },
    )
    return [LearnedInterval(int(p), float(days), int(n)) for p, days, n in rows]


def product_lifetimes(metadata_key: str) -> Dict[int, float]:
    """The product's own metadata first, then its product type's (3.21 keeps
    metadata in a JSONB column as 2.10 did)."""
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
    if not days_per_unit:
        return []
    t = _tables()
    sql = f"""
        WITH intervals AS (
            SELECT * FROM unnest(%(products)s::int[], %(days)s::float8[])
                AS i(product_id, days)
        ), recent AS (
            SELECT o.id AS order_id, lower(o.user_email) AS buyer,
                   o.created_at AS created,
                   l.id AS line_id, l.variant_id, l.quantity, v.product_id
            FROM {t["order"]} o
            JOIN {t["line"]} l ON l.order_id = o.id
            JOIN {t["variant"]} v ON v.id = l.variant_id
            WHERE o.status <> ALL(%(uncounted)s) AND o.user_email <> ''
              AND o.created_at >= %(oldest)s AND l.quantity > 0 AND NOT l.is_gift
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
            "uncounted": list(_UNCOUNTED),
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
            order__user_email__iexact=email.strip(),
            order__created_at__gt=since,
            variant__product_id__in=ids,
            is_gift=False,
        )
        .exclude(order__status__in=_UNCOUNTED)
        .exists()
    )


def _order_channel(email: str, variant_ids: List[int]) -> Optional[Any]:
    """The active channel of the address's latest counted order holding one of
    these variants (the order an "order again" link repeats), else the main one."""
    from saleor.channel.models import Channel
    from saleor.order.models import Order

    from .channels import main_channel

    channel_id = (
        Order.objects.filter(
            user_email__iexact=email.strip(),
            lines__variant_id__in=variant_ids,
            channel__is_active=True,
        )
        .exclude(status__in=_UNCOUNTED)
        .order_by("-created_at")
        .values_list("channel_id", flat=True)
        .first()
    )
    if channel_id is not None:
        return Channel.objects.get(pk=channel_id)
    return main_channel()


def _buyable_units(variant_ids: List[int], channel_id: int) -> Dict[int, Optional[int]]:
    """Variants a customer of the channel can buy now (product published and
    available for purchase there, variant priced there), with their units
    (None: the variant does not track inventory)."""
    from django.db import connection
    from django.utils import timezone
    from saleor.product.models import (
        ProductChannelListing,
        ProductVariant,
        ProductVariantChannelListing,
    )

    from .catalogue import _catalogue_tables, _units_sql

    table = _catalogue_tables()
    sql = f"""
        SELECT v.id, v.track_inventory, {_units_sql(table, "v.id")}
        FROM {table[ProductVariant]} AS v
        JOIN {table[ProductChannelListing]} AS pcl
          ON pcl.product_id = v.product_id AND pcl.channel_id = %(channel)s
        JOIN {table[ProductVariantChannelListing]} AS vl
          ON vl.variant_id = v.id AND vl.channel_id = %(channel)s
        WHERE v.id = ANY(%(ids)s)
          AND pcl.is_published
          AND (pcl.published_at IS NULL OR pcl.published_at <= %(now)s)
          AND pcl.available_for_purchase_at IS NOT NULL
          AND pcl.available_for_purchase_at <= %(now)s
          AND vl.price_amount IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"ids": variant_ids, "channel": channel_id, "now": timezone.now()}
        )
        return {
            int(pk): (int(units) if track else None)
            for pk, track, units in cursor.fetchall()
        }


def create_checkout_with_lines(
    email: str, lines: Iterable[Tuple[int, int]]
) -> Optional[str]:
    """A checkout in the channel of the order it repeats, built as Saleor's
    ``checkoutCreate`` builds one: ``Checkout`` with the channel's currency and
    country, lines through ``add_variants_to_checkout`` (prices from the variant's
    channel listing). Lines not buyable in the channel are left out, quantities
    cut to the channel's units (stock less allocations and running reservations)."""
    from django.db import transaction
    from saleor.account.models import User
    from saleor.checkout.models import Checkout
    from saleor.checkout.utils import add_variants_to_checkout
    from saleor.graphql.checkout.mutations.utils import CheckoutLineData
    from saleor.product.models import ProductVariant

    wanted: Dict[int, int] = {}
    for variant, quantity in lines:
        if int(quantity) > 0:
            wanted[int(variant)] = wanted.get(int(variant), 0) + int(quantity)
    if not wanted:
        return None
    channel = _order_channel(email, sorted(wanted))
    if channel is None:
        return None
    buyable = _buyable_units(sorted(wanted), int(channel.pk))
    quantities = {
        variant: quantity if units is None else min(quantity, units)
        for variant, quantity in wanted.items()
        if variant in buyable
        for units in (buyable[variant],)
    }
    quantities = {variant: q for variant, q in quantities.items() if q > 0}
    if not quantities:
        return None
    variants = list(ProductVariant.objects.filter(pk__in=sorted(quantities)))
    user = User.objects.filter(email__iexact=email.strip()).first() if email else None
    with transaction.atomic():
        checkout = Checkout.objects.create(
            email=email,
            user=user,
            channel=channel,
            currency=channel.currency_code,
            country=channel.default_country,
        )
        add_variants_to_checkout(
            checkout,
            variants,
            [
                CheckoutLineData(
                    variant_id=str(variant.pk),
                    quantity=quantities[variant.pk],
                    quantity_to_update=True,
                )
                for variant in variants
            ],
            channel,
        )
    return str(checkout.token)


def edition_chains(metadata_key: str) -> List[EditionChain]:
    """A recursive CTE walks each product's ``previous edition`` links (by slug or
    id) back to the first edition; a cycle stops at the first repeat. Heads are
    kept when published and available in the main channel."""
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
    ``order_orderline.variant_id``), grouped by address; gift lines skipped."""
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
              AND NOT l.is_gift
              AND o.status <> ALL(%(uncounted)s) AND o.user_email <> ''
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
            "uncounted": list(_UNCOUNTED),
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
              AND NOT l.is_gift
              AND o.status <> ALL(%(uncounted)s) AND o.user_email <> ''
        ) bought
        GROUP BY buyer
        HAVING bool_and(product_id <> %(product)s)
    """
    earlier = [int(p) for p in earlier_product_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "uncounted": list(_UNCOUNTED),
                "products": earlier + [int(product_id)],
                "product": int(product_id),
            },
        )
        return int(cursor.rowcount)
