"""Learning the category affinity model from the shop's orders, in SQL.

A "basket" here is a customer (an address): garden furniture in May, garden tools
in June count as bought together. The host writes each address's distinct
categories into a temporary table
(:func:`saleor_ecrm_plugin.host.port.write_purchased_categories`); one statement
then counts, for every ordered pair of categories, the addresses that bought in
both, and keeps the pairs with at least ``min_customers`` such addresses (the
support threshold, as a count: a share would vary with the shop's size) and a lift
of at least ``min_lift``::

    support(a, b)    = customers(a and b) / customers
    confidence(a, b) = customers(a and b) / customers(a)
    lift(a, b)       = confidence(a, b) / (customers(b) / customers)

as the cross-sell model counts products per order. No loop in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from django.db import connection, transaction
from django.utils import timezone

from ...host import port as host
from ...models import ScanCursor
from .models import CategoryAffinity

CATEGORIES_TABLE = "ecrm_purchased_categories"
#: the :class:`~saleor_ecrm_plugin.models.ScanCursor` holding the last build's time
BUILD_CURSOR = "affinity_model"


@dataclass(frozen=True)
class AffinityBuild:
    buyers: int
    pairs: int
    built_at: datetime


def build_category_affinity(
    min_customers: int, min_lift: float, now: Optional[datetime] = None
) -> AffinityBuild:
    """Replace the model with the pairs above the thresholds, from every order."""
    built_at = now or timezone.now()
    table = connection.ops.quote_name(CategoryAffinity._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        # inside an outer transaction (a test's), ON COMMIT has not dropped the
        # previous run's table yet
        cursor.execute(f"DROP TABLE IF EXISTS {CATEGORIES_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {CATEGORIES_TABLE}"
            " (email varchar(254), category_id integer) ON COMMIT DROP"
        )
        host.write_purchased_categories(CATEGORIES_TABLE)
        cursor.execute(f"SELECT COUNT(DISTINCT email) FROM {CATEGORIES_TABLE}")
        buyers = int(cursor.fetchone()[0])
        cursor.execute(f"DELETE FROM {table}")
        if buyers:
            cursor.execute(
                f"""
                WITH per_category AS (
                    SELECT category_id, COUNT(*) AS customers
                    FROM {CATEGORIES_TABLE} GROUP BY category_id
                ), pairs AS (
                    SELECT a.category_id AS category_a, b.category_id AS category_b,
                           COUNT(*) AS customers
                    FROM {CATEGORIES_TABLE} AS a
                    JOIN {CATEGORIES_TABLE} AS b
                      ON b.email = a.email AND b.category_id <> a.category_id
                    GROUP BY 1, 2
                    HAVING COUNT(*) >= %(min_customers)s
                )
                INSERT INTO {table} (category_a, category_b, customers, support,
                                     lift, confidence, built_at)
                SELECT p.category_a, p.category_b, p.customers,
                       p.customers::float / %(buyers)s,
                       p.customers::float * %(buyers)s / (ca.customers * cb.customers),
                       p.customers::float / ca.customers,
                       %(built_at)s
                FROM pairs AS p
                JOIN per_category AS ca ON ca.category_id = p.category_a
                JOIN per_category AS cb ON cb.category_id = p.category_b
                WHERE p.customers::float * %(buyers)s
                      >= %(min_lift)s * ca.customers * cb.customers
                """,
                {
                    "min_customers": min_customers,
                    "buyers": buyers,
                    "min_lift": min_lift,
                    "built_at": built_at,
                },
            )
            pairs = cursor.rowcount
        else:
            pairs = 0
        cursor.execute(f"DROP TABLE {CATEGORIES_TABLE}")
        ScanCursor.objects.update_or_create(
            name=BUILD_CURSOR, defaults={"position": built_at}
        )
    return AffinityBuild(buyers=buyers, pairs=pairs, built_at=built_at)


def last_built_at() -> Optional[datetime]:
    """When the model was last built (None: never)."""
    return (
        ScanCursor.objects.filter(name=BUILD_CURSOR)
        .values_list("position", flat=True)
        .first()
    )


def related_categories(category_ids: List[int], limit: int) -> List[int]:
    """Up to ``limit`` categories bought with these, strongest lift first, never
    one of them."""
    own = set(category_ids)
    rows = (
        CategoryAffinity.objects.filter(category_a__in=own)
        .exclude(category_b__in=own)
        .order_by("-lift", "-customers", "category_b")
        .values_list("category_b", flat=True)
    )
    related: List[int] = []
    for category in rows:
        if category not in related:
            related.append(category)
        if len(related) >= limit:
            break
    return related
