#!/usr/bin/env python
"""Benchmark of the daily tick of win-back (with the RFM recompute) and affinity.
Prints figures, never fails.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench_life2 \\
    .venv/bin/python bench/lifecycle_b.py --customers 100000 1000000

For each size, a generated shop: ``customers`` addresses with about 5 orders each
(1 to 9, uniform) spread over three years, 1 or 2 lines per order, from 1,000
products in 20 categories (each customer buys in a "home" pair of categories 2k and
2k+1: a planted affinity). The orders and lines are written by SQL
(``generate_series``), not through Saleor's ORM. Then, timed one after the other
in one process, as the daily beat tick runs them:

1. the RFM recompute (``recompute_rfm_scores``: the host's per-address totals into a
   temporary table, then one ``INSERT ... SELECT`` with window functions);
2. the win-back scan (``plan_win_backs``: three index ranges of the RFM table, the
   VIP rule, the ledger rows), the scores being fresh;
3. the affinity scan (``plan_suggestions``: the category model rebuilt from every
   order, then the day's orders that reached 21 days).

Each figure is the wall time and the process's peak resident memory (``ru_maxrss``,
which includes Django and Saleor: about 150 MB before the first step). Target: the
four lifecycle programs' tick <= 60 s at 1M customers, memory <= 500 MB. The
database (default ``ecrm_bench_life2``) is created and migrated when missing; its
orders, catalogue and plugin ledger are emptied: give the bench a database of its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import setup_django as setup_django_on  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench_life2"
PRODUCTS = 1000
CATEGORIES = 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset(cursor) -> None:
    cursor.execute(
        """
        TRUNCATE order_orderline, order_order, warehouse_stock,
                 product_productvariant, product_product, product_category,
                 saleor_ecrm_scheduledsend, saleor_ecrm_rfmscore,
                 saleor_ecrm_categoryaffinity, saleor_ecrm_scancursor
        RESTART IDENTITY CASCADE
        """
    )


def write_shop(customers: int) -> Tuple[int, int]:
    """The catalogue and the orders; returns (orders, lines)."""
    from django.db import connection
    from saleor.product.models import ProductType

    with connection.cursor() as cursor:
        reset(cursor)
        product_type, _ = ProductType.objects.get_or_create(
            slug="bench-goods", defaults={"name": "Goods", "has_variants": False}
        )
        cursor.execute(
            """
            INSERT INTO product_category (name, slug, description, description_json,
                lft, rght, tree_id, level, metadata, private_metadata, seo_title,
                seo_description, background_image_alt)
            SELECT 'Category ' || n, 'bench-category-' || n, '', '{}', 1, 2, n, 0,
                   '{}', '{}', '', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [CATEGORIES],
        )
        cursor.execute(
            """
            INSERT INTO product_product (name, slug, description, description_json,
                product_type_id, category_id, currency, price_amount,
                minimal_variant_price_amount, is_published, charge_taxes, metadata,
                private_metadata, seo_title, seo_description)
            SELECT 'Product ' || n, 'p-' || n, '', '{}', %s,
                   (SELECT id FROM product_category ORDER BY id
                    OFFSET (n - 1) %% %s LIMIT 1),
                   'USD', 10 + n %% 90, 10 + n %% 90, true, true, '{}', '{}', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [product_type.pk, CATEGORIES, PRODUCTS],
        )
        cursor.execute(
            """
            INSERT INTO product_productvariant (sku, name, product_id,
                track_inventory, metadata, private_metadata)
            SELECT 'SKU-' || id, '', id, false, '{}', '{}' FROM product_product
            """
        )
        # ~5 orders per customer over three years (order n belongs to customer
        # n % customers); a customer's products come from its two "home" categories
        cursor.execute(
            """
            INSERT INTO order_order (created, status, language_code,
                tracking_client_id, user_email, currency, shipping_price_net_amount,
                shipping_price_gross_amount, token, checkout_token, total_net_amount,
                total_gross_amount, discount_amount, display_gross_prices,
                customer_note, weight, metadata, private_metadata)
            SELECT now() - (random() * interval '1095 days'), 'fulfilled', 'en', '',
                   'c' || c || '@example.org', 'USD', 0, 0, 'bench-' || c || '-' || k,
                   '', t, t, 0, true, '', 0, '{}', '{}'
            FROM generate_series(0, %s - 1) AS c,
                 LATERAL generate_series(1, 1 + (hashint4(c) & 2147483647) %% 9) AS k,
                 LATERAL (
                    SELECT (20 + ((hashint4(c * 16 + k) & 1023) * 0.17))::numeric(12, 2)
                    AS t
                 ) AS total
            """,
            [customers],
        )
        orders = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO order_orderline (order_id, variant_id, product_name,
                variant_name, translated_product_name, translated_variant_name,
                product_sku, is_shipping_required, quantity, quantity_fulfilled,
                currency, unit_price_net_amount, unit_price_gross_amount, tax_rate)
            SELECT o.id, v.id, 'Product', '', '', '', 'SKU', true, 1, 1, 'USD',
                   10, 10, 0
            FROM order_order AS o
            CROSS JOIN LATERAL generate_series(1, 1 + (o.id %% 2)::int) AS line
            CROSS JOIN LATERAL (
                SELECT 2 * ((hashtext(o.user_email) & 2147483647) %% 10) AS home
            ) AS h
            JOIN product_productvariant AS v ON v.product_id =
                 1 + (h.home + line - 1) + %s * ((o.id * 7 + line) %% (%s / %s))
            """,
            [CATEGORIES, PRODUCTS, CATEGORIES],
        )
        lines = cursor.rowcount
        cursor.execute("ANALYZE order_order")
        cursor.execute("ANALYZE order_orderline")
    return orders, lines


def timed(label: str, step: Callable[[], Dict[str, int]]) -> float:
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    print(f"  {label:<42} {seconds:7.1f} s  peak {peak_mb():5.0f} MB  {result}")
    return seconds


def run(customers: int) -> None:
    from saleor_ecrm_plugin.context import load_context
    from saleor_ecrm_plugin.programs.registry import get_program
    from saleor_ecrm_plugin.rfm.scoring import recompute_rfm_scores
    from tests.configuration import configure_plugin

    print(f"\n{customers:,} customers", flush=True)
    started = time.perf_counter()
    orders, lines = write_shop(customers)
    print(
        f"  shop written: {orders:,} orders, {lines:,} lines"
        f" in {time.perf_counter() - started:.0f} s (not part of the tick)",
        flush=True,
    )
    configure_plugin(win_back_enabled=True, affinity_enabled=True)
    settings = load_context().settings
    total = timed(
        "RFM recompute",
        lambda: {"contacts": recompute_rfm_scores().contacts},
    )
    total += timed(
        "win-back scan",
        lambda: dict(get_program("win_back").run_scan("plan_win_backs", settings)),
    )
    total += timed(
        "affinity scan (model rebuilt)",
        lambda: dict(get_program("affinity").run_scan("plan_suggestions", settings)),
    )
    print(
        f"  tick of win-back + affinity: {total:.1f} s, peak {peak_mb():.0f} MB"
        " (target for the four lifecycle programs: <= 60 s, <= 500 MB at 1M)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100000, 1000000])
    args = parser.parse_args()
    setup_django_on(DEFAULT_DATABASE_URL)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for customers in args.customers:
        run(customers)
    load = os.getloadavg()
    print(f"\nload average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
