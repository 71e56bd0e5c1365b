"""Build and update the co-purchase model from the shop's orders, in SQL.

Counting happens in PostgreSQL: the counted baskets (distinct products per order)
go into a temporary table (streamed from the host's order lines, written with
``COPY``), a self-join on the order id counts every pair, and the score is computed
in the same statement (``bench/recommendations.py`` times a million order lines).

Significance decides whether a pair counts, confidence decides the order. A pair
counts when it was bought together in at least ``min_support`` orders and more often
than chance predicts, with Dunning's log-likelihood ratio (G² of its 2×2 table:
orders with both, with only one, with neither) at least ``MIN_LLR`` (p < 0.05).
Unlike a raw count this does not reward products for being popular, and unlike lift
it does not reward pairs for being rare. A counted pair scores its confidence
P(b | a) = support / orders with a; the others score 0 and are never recommended.

:func:`rebuild_model` recounts everything (beat schedule) and keeps only pairs with
the minimum support. :func:`update_model` adds the orders placed since the last
count (after each order): counts stay exact (a pair the model does not hold is
recounted over the orders of its products), and the pairs of the new orders'
products are rescored; other pairs keep a score based on the previous order total
until the next rebuild. Both take the model's row lock: no order is counted twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Tuple

from django.db import connection, transaction
from django.utils import timezone

from ..host import port as host
from .models import CoPurchaseModel, ProductPair, ProductPopularity

#: a pair must have been bought together in at least this many orders
MIN_SUPPORT = 3
#: baskets with more distinct products (wholesale, test orders) teach nothing and
#: would cost n² pairs: they are left out of the pair counts
MAX_BASKET_PRODUCTS = 40
#: G² of a pair counted as bought together: 3.84 is p < 0.05 (chi², 1 degree)
MIN_LLR = 3.84

# temporary tables (dropped at commit, or explicitly when the caller's transaction
# goes on)
_BASKETS = "ecrm_co_purchase_baskets"
_RAW_BASKETS = "ecrm_co_purchase_raw_baskets"
_HISTORY = "ecrm_co_purchase_history"
_NEW_PAIRS = "ecrm_co_purchase_new_pairs"


@dataclass(frozen=True)
class ModelStats:
    orders_counted: int
    orders_added: int
    products: int
    pairs: int


def _xlogx(expression: str) -> str:
    return (
        f"(CASE WHEN ({expression}) > 0 "
        f"THEN ({expression})::float8 * ln(({expression})::float8) ELSE 0 END)"
    )


def llr_sql(support: str, count_a: str, count_b: str, total: str) -> str:
    """SQL of a pair's G² from its support, the products' counts and the total,
    written with x·ln(x) terms so that empty cells cost nothing; 0 when the pair is
    not bought together more often than chance predicts."""
    n = total
    cells = (
        support,
        f"({count_a} - {support})",
        f"({count_b} - {support})",
        f"({total} - {count_a} - {count_b} + {support})",
    )
    margins = (count_a, f"{n} - {count_a}", count_b, f"{n} - {count_b}")
    llr = (
        f"2 * ({_xlogx(n)}"
        + "".join(f" - {_xlogx(margin)}" for margin in margins)
        + "".join(f" + {_xlogx(cell)}" for cell in cells)
        + ")"
    )
    return (
        f"(CASE WHEN {support}::float8 * {n} > {count_a}::float8 * {count_b}"
        f" THEN greatest({llr}, 0) ELSE 0 END)"
    )


def score_sql(support: str, count_a: str, llr: str) -> str:
    """SQL of the score of the pair (a, b): P(b | a) if the pair counts, else 0."""
    return (
        f"(CASE WHEN {support} >= %(min_support)s AND {llr} >= {MIN_LLR}"
        f" THEN {support}::float8 / {count_a} ELSE 0 END)"
    )


def _scored(pairs_sql: str, popularity: str) -> str:
    """Rows ``(a, b, support, llr, score)`` of directed pairs ``(a, b, support)``."""
    llr = llr_sql("c.support", "pa.orders", "pb.orders", "%(total)s")
    return f"""
        SELECT s.a, s.b, s.support, s.llr,
               {score_sql("s.support", "s.count_a", "s.llr")} AS score
        FROM (
            SELECT c.a, c.b, c.support, pa.orders AS count_a, {llr} AS llr
            FROM ({pairs_sql}) AS c
            JOIN {popularity} AS pa ON pa.product_id = c.a
            JOIN {popularity} AS pb ON pb.product_id = c.b
        ) AS s
    """


def _tables() -> Tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(ProductPair._meta.db_table), quote(ProductPopularity._meta.db_table)


def _lock_model(skip_locked: bool = False) -> Optional[CoPurchaseModel]:
    """The model's row, locked for this transaction (``None``: someone holds it)."""
    CoPurchaseModel.objects.get_or_create(pk=1)
    return (
        CoPurchaseModel.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=1)
        .first()
    )


def _load_baskets(
    cursor: Any,
    after_order_id: int,
    up_to_order_id: int,
    table: str = _BASKETS,
    containing_products: Optional[List[int]] = None,
) -> int:
    """Fill a temporary basket table; returns the number of orders in it."""
    cursor.execute(f"DROP TABLE IF EXISTS {_RAW_BASKETS}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_RAW_BASKETS}"
        " (order_id bigint, product_id integer, category_id integer) ON COMMIT DROP"
    )
    rows = host.basket_rows(after_order_id, up_to_order_id, containing_products)
    _insert_rows(cursor, _RAW_BASKETS, rows)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS
        SELECT order_id, product_id, category_id FROM (
            SELECT rows.*, count(*) OVER (PARTITION BY rows.order_id) AS size
            FROM {_RAW_BASKETS} AS rows
        ) AS sized
        WHERE size <= %s
        """,
        (MAX_BASKET_PRODUCTS,),
    )
    cursor.execute(f"DROP TABLE {_RAW_BASKETS}")
    cursor.execute(f"ANALYZE {table}")
    cursor.execute(f"SELECT count(DISTINCT order_id) FROM {table}")
    return int(cursor.fetchone()[0])


def _insert_rows(
    cursor: Any, table: str, rows: Iterable[Tuple[Any, Any, Any]], batch: int = 50000
) -> None:
    """Append ``(order, product, category)`` rows to a table, ``batch`` at a time.

    With psycopg2 (whose cursor has ``copy_expert``) by ``COPY``: a rebuild streams
    every counted order line through here, and ``COPY`` takes a million rows in
    about a second where parameterised inserts take five. Other drivers get one
    ``INSERT`` of three arrays per batch.
    """
    copy_expert = getattr(getattr(cursor, "cursor", cursor), "copy_expert", None)
    insert = (
        f"INSERT INTO {table}"
        " SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[])"
    )
    chunk: List[Tuple[Any, Any, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) < batch:
            continue
        _write_chunk(cursor, copy_expert, table, insert, chunk)
        chunk = []
    if chunk:
        _write_chunk(cursor, copy_expert, table, insert, chunk)


def _write_chunk(
    cursor: Any,
    copy_expert: Any,
    table: str,
    insert: str,
    chunk: List[Tuple[Any, Any, Any]],
) -> None:
    if copy_expert is None:
        cursor.execute(insert, [list(column) for column in zip(*chunk)])
        return
    null = "\\N"  # COPY's text format: NULL
    text = "".join(
        f"{int(order)}\t{int(product)}\t{null if category is None else int(category)}\n"
        for order, product, category in chunk
    )
    copy_expert(
        f"COPY {table} (order_id, product_id, category_id) FROM STDIN",
        io.StringIO(text),
    )


def _pairs_select(table: str = _BASKETS) -> str:
    """Pairs of a basket table (each unordered pair once) with their support."""
    return f"""
        SELECT x.product_id AS a, y.product_id AS b, count(*) AS support
        FROM {table} AS x
        JOIN {table} AS y ON x.order_id = y.order_id AND x.product_id < y.product_id
        GROUP BY x.product_id, y.product_id
    """


def _both_directions(pairs_sql: str) -> str:
    """Rows ``(a, b, support)`` of unordered pairs, as (a, b) and (b, a)."""
    return f"""
        SELECT d.a, d.b, c.support FROM ({pairs_sql}) AS c
        CROSS JOIN LATERAL (VALUES (c.a, c.b), (c.b, c.a)) AS d (a, b)
    """


def _count_popularity_sql(popularity: str, incremental: bool) -> str:
    sql = f"""
        INSERT INTO {popularity} (product_id, category_id, orders)
        SELECT product_id, max(category_id), count(*)
        FROM {_BASKETS} GROUP BY product_id
    """
    if incremental:
        sql += f"""
        ON CONFLICT (product_id) DO UPDATE
        SET orders = {popularity}.orders + EXCLUDED.orders,
            category_id = EXCLUDED.category_id
        """
    return sql


def rebuild_model(min_support: int = MIN_SUPPORT) -> ModelStats:
    """Recount the whole model from the orders. Readers see the old model until
    the transaction commits."""
    pairs, popularity = _tables()
    with transaction.atomic():
        model = _lock_model()
        assert model is not None
        top = host.counted_orders_high_water_mark()
        with connection.cursor() as cursor:
            total = _load_baskets(cursor, 0, top)
            cursor.execute(f"DELETE FROM {popularity}")
            cursor.execute(_count_popularity_sql(popularity, incremental=False))
            products = cursor.rowcount
            cursor.execute(f"DELETE FROM {pairs}")
            counted = f"{_pairs_select()} HAVING count(*) >= %(min_support)s"
            cursor.execute(
                f"""
                INSERT INTO {pairs} (product_a, product_b, support, llr, score)
                {_scored(_both_directions(counted), popularity)}
                """,
                {"min_support": min_support, "total": total},
            )
            pair_rows = cursor.rowcount
            cursor.execute(f"DROP TABLE {_BASKETS}")
        model.orders_counted = total
        model.last_order_id = top
        model.rebuilt_at = timezone.now()
        model.save()
    return ModelStats(total, total, products, pair_rows)


def update_model(min_support: int = MIN_SUPPORT) -> ModelStats:
    """Add the orders placed since the last count. Does nothing (and returns zero
    orders added) while another update or a rebuild holds the model: that one, or
    the next update, counts them."""
    pairs, popularity = _tables()
    with transaction.atomic():
        model = _lock_model(skip_locked=True)
        if model is None:
            return ModelStats(0, 0, 0, 0)
        top = host.counted_orders_high_water_mark()
        if top <= model.last_order_id:
            return ModelStats(model.orders_counted, 0, 0, 0)
        with connection.cursor() as cursor:
            added = _load_baskets(cursor, model.last_order_id, top)
            total = model.orders_counted + added
            cursor.execute(_count_popularity_sql(popularity, incremental=True))
            products = cursor.rowcount
            cursor.execute(f"DROP TABLE IF EXISTS {_NEW_PAIRS}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_NEW_PAIRS} ON COMMIT DROP AS"
                f" {_pairs_select()}"
            )
            # pairs the model holds: add the new orders
            new_pairs = _both_directions(f"SELECT * FROM {_NEW_PAIRS}")
            cursor.execute(
                f"""
                UPDATE {pairs} AS p SET support = p.support + n.support
                FROM ({new_pairs}) AS n
                WHERE p.product_a = n.a AND p.product_b = n.b
                """
            )
            # pairs it does not hold (new, or below the minimum support at the last
            # rebuild): count them over every order holding the new orders' products
            cursor.execute(f"SELECT DISTINCT product_id FROM {_BASKETS}")
            new_products = [row[0] for row in cursor.fetchall()]
            _load_baskets(cursor, 0, top, _HISTORY, new_products)
            missing = f"""
                SELECT n.a, n.b, count(*) AS support
                FROM {_NEW_PAIRS} AS n
                JOIN {_HISTORY} AS x ON x.product_id = n.a
                JOIN {_HISTORY} AS y ON y.order_id = x.order_id AND y.product_id = n.b
                WHERE NOT EXISTS (
                    SELECT 1 FROM {pairs} AS p
                    WHERE p.product_a = n.a AND p.product_b = n.b
                )
                GROUP BY n.a, n.b
            """
            cursor.execute(
                f"""
                INSERT INTO {pairs} (product_a, product_b, support, llr, score)
                SELECT m.a, m.b, m.support, 0, 0 FROM ({_both_directions(missing)}) AS m
                ON CONFLICT (product_a, product_b) DO NOTHING
                """
            )
            # every pair of a product whose count changed needs a new score
            touched = f"""
                SELECT p.product_a AS a, p.product_b AS b, p.support FROM {pairs} AS p
                WHERE p.product_a IN (SELECT product_id FROM {_BASKETS})
                   OR p.product_b IN (SELECT product_id FROM {_BASKETS})
            """
            cursor.execute(
                f"""
                UPDATE {pairs} AS p SET llr = r.llr, score = r.score
                FROM ({_scored(touched, popularity)}) AS r
                WHERE p.product_a = r.a AND p.product_b = r.b
                """,
                {"min_support": min_support, "total": total},
            )
            pair_rows = cursor.rowcount
            cursor.execute(f"DROP TABLE {_BASKETS}, {_HISTORY}, {_NEW_PAIRS}")
        model.orders_counted = total
        model.last_order_id = top
        model.save()
    return ModelStats(total, added, products, pair_rows)
