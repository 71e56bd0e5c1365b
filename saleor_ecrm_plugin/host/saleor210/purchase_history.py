"""Saleor 2.10: the purchase history the lifecycle programs and RFM scores read.

Set-based SQL over Saleor's order tables (table names from Saleor's models): the
daily recompute reads every counted order once, in the database, never a Python
loop over the customers. An order's address is its ``user_email``, else its
user's email, lower-cased; counted orders are neither drafts nor cancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Tuple

#: statuses never counted as purchases (as the recommendation model's)
_UNCOUNTED = ("draft", "canceled")


def _tables() -> Dict[str, str]:
    from django.db import connection
    from saleor.account.models import User
    from saleor.order.models import Order, OrderLine
    from saleor.product.models import Product, ProductVariant

    return {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in (
            ("order", Order),
            ("line", OrderLine),
            ("user", User),
            ("product", Product),
            ("variant", ProductVariant),
        )
    }


def _email_sql(order: str = "o") -> str:
    """The order's address; its user's only when the order has none (rare: Saleor
    copies the address onto the order), looked up for those rows alone rather
    than joining every order to the users."""
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
        SELECT {_email_sql()} AS email, MAX(o.created), COUNT(*),
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
          AND {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED)])


def orders_placed_between(
    start: datetime, end: datetime, after_order: int = 0
) -> List[Tuple[str, str, datetime]]:
    from django.db import connection

    t = _tables()
    sql = f"""
        SELECT o.id, {_email_sql()}, o.created
        FROM {t["order"]} AS o
        WHERE o.created >= %s AND o.created < %s AND o.status <> ALL(%s)
          AND o.id > %s
        ORDER BY o.created, o.id
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
        WHERE o.status <> ALL(%s)
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
    import datetime as dt

    from django.db import connection

    categories = [int(pk) for pk in category_ids]
    if not categories or limit <= 0:
        return []
    t = _tables()
    sql = f"""
        SELECT p.id
        FROM {t["product"]} AS p
        LEFT JOIN (
            SELECT v.product_id, COUNT(*) AS sold
            FROM {t["line"]} AS l
            JOIN {t["variant"]} AS v ON v.id = l.variant_id
            JOIN {t["product"]} AS p2 ON p2.id = v.product_id
            WHERE p2.category_id = ANY(%(categories)s)
            GROUP BY v.product_id
        ) AS s ON s.product_id = p.id
        WHERE p.category_id = ANY(%(categories)s) AND p.is_published
          AND (p.publication_date IS NULL OR p.publication_date <= %(today)s)
          AND NOT p.id = ANY(%(exclude)s)
        ORDER BY COALESCE(s.sold, 0) DESC, p.id
        LIMIT %(limit)s
    """
    params = {
        "categories": categories,
        "exclude": [int(pk) for pk in exclude],
        "today": dt.date.today(),
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]


def write_new_order_totals(table: str, after_order: int, up_to_order: int) -> int:
    """:func:`write_purchase_totals` of the counted orders with
    ``after_order < id <= up_to_order`` alone (the primary key's range: a day's
    orders, not the shop's)."""
    t = _tables()
    sql = f"""
        INSERT INTO {table} (email, last_order_at, orders, revenue)
        SELECT {_email_sql()} AS email, MAX(o.created), COUNT(*),
               COALESCE(SUM(o.total_gross_amount), 0)
        FROM {t["order"]} AS o
        WHERE o.status <> ALL(%s) AND o.id > %s AND o.id <= %s
        GROUP BY 1
        HAVING {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED), int(after_order), int(up_to_order)])


def write_new_order_lines(
    table: str, after_order: int, up_to_order: int, since: datetime
) -> int:
    """Rows ``(order_id, line_id, email, product_id, variant_id, quantity, created)``
    of the lines (quantity above 0, variant still known) of the counted orders with
    ``after_order < id <= up_to_order`` created at or after ``since``."""
    t = _tables()
    sql = f"""
        INSERT INTO {table} (order_id, line_id, email, product_id, variant_id,
                             quantity, created)
        SELECT o.id::text, l.id::text, {_email_sql()}, v.product_id, l.variant_id,
               l.quantity, o.created
        FROM {t["order"]} AS o
        JOIN {t["line"]} AS l ON l.order_id = o.id
        JOIN {t["variant"]} AS v ON v.id = l.variant_id
        WHERE o.status <> ALL(%s) AND o.id > %s AND o.id <= %s
          AND o.created >= %s AND l.quantity > 0 AND {_email_sql()} <> ''
    """
    return _execute(sql, [list(_UNCOUNTED), int(after_order), int(up_to_order), since])
