"""Saleor 3.21: the purchase history the win-back and affinity programs and the RFM
scores read.

The same set-based SQL as on Saleor 2.10, on 3.21's tables: ``created_at``, UUID
order ids, gift lines (``is_gift``) skipped, drafts, unconfirmed, expired and
cancelled orders not counted. An order's address is its ``user_email``, else its
user's email, lower-cased. Revenue sums the orders' gross totals whatever their
channel's currency (one currency assumed, as on 2.10). "Published" is asked in the
main channel (:mod:`.channels`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Tuple

#: statuses never counted as purchases (as the recommendation model's)
_UNCOUNTED = ("draft", "unconfirmed", "expired", "canceled")


def _tables() -> Dict[str, str]:
    from django.db import connection
    from saleor.account.models import User
    from saleor.order.models import Order, OrderLine
    from saleor.product.models import Product, ProductChannelListing, ProductVariant

    return {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in (
            ("order", Order),
            ("line", OrderLine),
            ("user", User),
            ("product", Product),
            ("listing", ProductChannelListing),
            ("variant", ProductVariant),
        )
    }


def _email_sql(order: str = "o") -> str:
    """The order's address; its user's only when the order has none, looked up
    for those rows alone (as on 2.10)."""
    user = _tables()["user"]
    return (
        f"LOWER(TRIM(CASE WHEN TRIM({order}.user_email) <> ''"
        f" THEN {order}.user_email"
        f" ELSE (SELECT u.email FROM {user} AS u WHERE u.id = {order}.user_id) END))"
    )


def _execute(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def write_purchase_totals(table: str) -> int:
    t = _tables()
    sql = f"""
        INSERT INTO {table} (email, last_order_at, orders, revenue)
        SELECT {_email_sql()} AS email, MAX(o.created_at), COUNT(*),
               COALESCE(SUM(o.total_gross_amount), 0)
        FROM {t["order"]} AS o
        WHERE o.status <> ALL(%s)
        GROUP BY 1
        HAVING {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED)])


def write_purchased_categories(table: str) -> int:
    t = _tables()
    sql = f"""
        INSERT INTO {table} (email, category_id)
        SELECT DISTINCT {_email_sql()}, p.category_id
        FROM {t["order"]} AS o
        JOIN {t["line"]} AS l ON l.order_id = o.id
        JOIN {t["variant"]} AS v ON v.id = l.variant_id
        JOIN {t["product"]} AS p ON p.id = v.product_id
        WHERE o.status <> ALL(%s) AND p.category_id IS NOT NULL
          AND NOT l.is_gift AND {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED)])


def orders_placed_between(
    start: datetime, end: datetime, after_order: int = 0
) -> List[Tuple[str, str, datetime]]:
    from django.db import connection

    t = _tables()
    sql = f"""
        SELECT o.id, {_email_sql()}, o.created_at
        FROM {t["order"]} AS o
        WHERE o.created_at >= %s AND o.created_at < %s AND o.status <> ALL(%s)
          AND o.number > %s
        ORDER BY o.created_at, o.number
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, list(_UNCOUNTED), int(after_order)])
        return [
            (str(order_id), email or "", created)
            for order_id, email, created in cursor.fetchall()
        ]


def email_product_ids(email: str) -> List[int]:
    from django.db import connection

    t = _tables()
    sql = f"""
        SELECT DISTINCT v.product_id
        FROM {t["order"]} AS o
        LEFT JOIN {t["user"]} AS u ON u.id = o.user_id
        JOIN {t["line"]} AS l ON l.order_id = o.id
        JOIN {t["variant"]} AS v ON v.id = l.variant_id
        WHERE o.status <> ALL(%s) AND NOT l.is_gift
          AND (LOWER(o.user_email) = %s OR LOWER(u.email) = %s)
        ORDER BY 1
    """
    address = email.strip().lower()
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(_UNCOUNTED), address, address])
        return [int(row[0]) for row in cursor.fetchall()]


def product_ids_in_categories(
    category_ids: Iterable[int], exclude: Iterable[int], limit: int
) -> List[int]:
    """Published in the main channel (listing published, no publication date in
    the future), bestsellers first by counted order lines (gifts skipped)."""
    from django.db import connection
    from django.utils import timezone

    from .channels import main_channel_id

    categories = [int(pk) for pk in category_ids]
    channel = main_channel_id()
    if not categories or limit <= 0 or channel is None:
        return []
    t = _tables()
    sql = f"""
        SELECT p.id
        FROM {t["product"]} AS p
        JOIN {t["listing"]} AS pcl
          ON pcl.product_id = p.id AND pcl.channel_id = %(channel)s
        LEFT JOIN (
            SELECT v.product_id, COUNT(*) AS sold
            FROM {t["line"]} AS l
            JOIN {t["variant"]} AS v ON v.id = l.variant_id
            JOIN {t["product"]} AS p2 ON p2.id = v.product_id
            WHERE p2.category_id = ANY(%(categories)s) AND NOT l.is_gift
            GROUP BY v.product_id
        ) AS s ON s.product_id = p.id
        WHERE p.category_id = ANY(%(categories)s) AND pcl.is_published
          AND (pcl.published_at IS NULL OR pcl.published_at <= %(now)s)
          AND NOT p.id = ANY(%(exclude)s)
        ORDER BY COALESCE(s.sold, 0) DESC, p.id
        LIMIT %(limit)s
    """
    params = {
        "categories": categories,
        "exclude": [int(pk) for pk in exclude],
        "now": timezone.now(),
        "channel": channel,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]


def write_new_order_totals(table: str, after_order: int, up_to_order: int) -> int:
    """:func:`write_purchase_totals` of the counted orders with
    ``after_order < number <= up_to_order`` alone (Saleor's unique index on the
    order number: a day's orders, not the shop's)."""
    t = _tables()
    sql = f"""
        INSERT INTO {table} (email, last_order_at, orders, revenue)
        SELECT {_email_sql()} AS email, MAX(o.created_at), COUNT(*),
               COALESCE(SUM(o.total_gross_amount), 0)
        FROM {t["order"]} AS o
        WHERE o.status <> ALL(%s) AND o.number > %s AND o.number <= %s
        GROUP BY 1
        HAVING {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED), int(after_order), int(up_to_order)])


def write_new_order_lines(
    table: str, after_order: int, up_to_order: int, since: datetime
) -> int:
    """Rows ``(order_id, line_id, email, product_id, variant_id, quantity, created)``
    of the lines (not gifts, quantity above 0, variant still known) of the counted
    orders with ``after_order < number <= up_to_order`` created at or after
    ``since``."""
    t = _tables()
    sql = f"""
        INSERT INTO {table} (order_id, line_id, email, product_id, variant_id,
                             quantity, created)
        SELECT o.id::text, l.id::text, {_email_sql()}, v.product_id, l.variant_id,
               l.quantity, o.created_at
        FROM {t["order"]} AS o
        JOIN {t["line"]} AS l ON l.order_id = o.id
        JOIN {t["variant"]} AS v ON v.id = l.variant_id
        WHERE o.status <> ALL(%s) AND o.number > %s AND o.number <= %s
          AND o.created_at >= %s AND l.quantity > 0 AND NOT l.is_gift
          AND {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED), int(after_order), int(up_to_order), since])
