#!/usr/bin/env python
"""Benchmark of the "frequently bought together" model. Prints figures, never fails.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench5 \\
    /tmp/v311/bin/python bench/recommendations.py

A. Generated shop with a planted co-purchase structure: 5,000 products in 1,000
   "bundles" of 5 (tent, sleeping bag, stove...); each basket takes 2-3 products of
   one bundle (bundles chosen with a Zipf law) plus 1-3 products drawn from a Zipf
   law over the whole catalogue (the bestsellers). 1,000,000 order lines are written
   with COPY; then:
   - the model build time (``rebuild_model``, target <= 60 s),
   - one incremental update after a new order (``update_model``),
   - the lookup time of ``recommend_for(basket, 4)`` (p50/p95, target p95 <= 5 ms),
   - hit-rate@4 on held-out baskets (never written to the database): hide one
     product, ask with the others, a hit when the hidden product is among the 4;
     against the bestseller baseline (the 4 best-selling products not in the
     basket), target >= 2x.
B. The same hit-rate comparison on the real "Groceries" baskets
   (``../shared/data/groceries.csv``: 9,835 baskets, 169 product groups), 80% for
   the model and 20% held out; skipped with a message when the file is absent.

The database named by ``DATABASE_URL`` (default ``ecrm_bench5``) is created and
migrated when missing, and its catalogue and order tables are emptied: give the
bench a database of its own.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import setup_django as setup_django_on  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench5"
GROCERIES = REPO.parent / "shared" / "data" / "groceries.csv"
Basket = List[int]


# --- process set-up ---------------------------------------------------------------


def setup_django() -> None:
    setup_django_on(DEFAULT_DATABASE_URL)


# --- writing a shop fast ----------------------------------------------------------


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY rows (tab-separated, no escaping needed for our values) into a table."""
    from django.db import connection

    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer, size=1 << 20
        )


def reset_shop() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            TRUNCATE order_orderline, order_order, warehouse_stock,
                     product_productvariant, product_product, product_category,
                     saleor_ecrm_productpair, saleor_ecrm_productpopularity,
                     saleor_ecrm_copurchasemodel
            RESTART IDENTITY CASCADE
            """
        )


def write_catalogue(names: Sequence[str], category_of: Sequence[int]) -> List[int]:
    """Published products with one variant in stock each; returns their ids."""
    from django.db import connection
    from saleor.product.models import Category, ProductType
    from saleor.warehouse.models import Warehouse

    from tests.factories import make_warehouse

    product_type, _ = ProductType.objects.get_or_create(
        slug="bench-goods", defaults={"name": "Goods", "has_variants": False}
    )
    categories = [
        Category.objects.create(name=f"Category {n}", slug=f"bench-category-{n}")
        for n in range(max(category_of) + 1)
    ]
    copy_rows(
        "product_product",
        [
            "name", "slug", "description", "description_json", "product_type_id",
            "category_id", "currency", "price_amount", "minimal_variant_price_amount",
            "is_published", "charge_taxes", "metadata", "private_metadata",
        ],
        (
            (
                name, f"p-{index}", "", "{}", product_type.pk,
                categories[category_of[index]].pk, "USD", "10.00", "10.00",
                "t", "t", "{}", "{}",
            )
            for index, name in enumerate(names)
        ),
    )  # fmt: skip
    warehouse = Warehouse.objects.filter(slug="bench").first() or make_warehouse(
        slug="bench", name="Bench"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO product_productvariant
                (sku, name, product_id, track_inventory, metadata, private_metadata)
            SELECT 'SKU-' || id, '', id, true, '{}', '{}' FROM product_product
            """
        )
        cursor.execute(
            """
            INSERT INTO warehouse_stock (warehouse_id, product_variant_id, quantity)
            SELECT %s, id, 1000 FROM product_productvariant
            """,
            [warehouse.pk],
        )
        cursor.execute("SELECT id FROM product_product ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def write_orders(baskets: Sequence[Basket], product_ids: Sequence[int]) -> int:
    """One order per basket, one line per product (COPY). Returns the line count."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT product_id, id FROM product_productvariant")
        variant_of = dict(cursor.fetchall())
    copy_rows(
        "order_order",
        [
            "id", "created", "status", "language_code", "tracking_client_id",
            "user_email", "currency", "shipping_price_net_amount",
            "shipping_price_gross_amount", "token", "checkout_token",
            "total_net_amount", "total_gross_amount", "discount_amount",
            "display_gross_prices", "customer_note", "weight", "metadata",
            "private_metadata",
        ],
        (
            (
                number, "2020-06-01 12:00:00+00", "fulfilled", "en", "",
                f"c{number % 50000}@example.org", "USD", "0", "0",
                f"bench-{number}", "", "10", "10", "0", "t", "", "0", "{}", "{}",
            )
            for number in range(1, len(baskets) + 1)
        ),
    )  # fmt: skip
    lines = 0

    def line_rows():
        nonlocal lines
        for number, basket in enumerate(baskets, start=1):
            for index in basket:
                lines += 1
                variant = variant_of[product_ids[index]]
                yield (
                    number, variant, "Product", "", "", "", f"SKU-{variant}",
                    "t", 1, 0, "USD", "10", "10", "0",
                )  # fmt: skip

    copy_rows(
        "order_orderline",
        [
            "order_id", "variant_id", "product_name", "variant_name",
            "translated_product_name", "translated_variant_name", "product_sku",
            "is_shipping_required", "quantity", "quantity_fulfilled", "currency",
            "unit_price_net_amount", "unit_price_gross_amount", "tax_rate",
        ],
        line_rows(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('order_order', 'id'), %s)",
            [len(baskets)],
        )
        cursor.execute("ANALYZE order_order")
        cursor.execute("ANALYZE order_orderline")
    return lines


# --- measuring --------------------------------------------------------------------


def hit_rates(
    held_out: Sequence[Basket], product_ids: Sequence[int], seed: int = 7
) -> Tuple[float, float, List[float], int]:
    """(model hit-rate@4, bestseller hit-rate@4, lookup seconds, baskets asked)."""
    from saleor_ecrm_plugin.recommendations import recommend_for
    from saleor_ecrm_plugin.recommendations.models import ProductPopularity

    bestsellers = list(
        ProductPopularity.objects.order_by("-orders", "product_id").values_list(
            "product_id", flat=True
        )[:100]
    )
    chooser = random.Random(seed)
    hits = baseline_hits = asked = 0
    timings: List[float] = []
    for basket in held_out:
        products = sorted({product_ids[index] for index in basket})
        if len(products) < 2:
            continue
        hidden = chooser.choice(products)
        given = [product for product in products if product != hidden]
        started = time.perf_counter()
        suggested = [item.product_id for item in recommend_for(given, 4)]
        timings.append(time.perf_counter() - started)
        baseline = [product for product in bestsellers if product not in given][:4]
        asked += 1
        hits += hidden in suggested
        baseline_hits += hidden in baseline
    return hits / asked, baseline_hits / asked, timings, asked


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report_hit_rates(label: str, model: float, baseline: float, asked: int) -> None:
    ratio = model / baseline if baseline else float("inf")
    print(
        f"  hit-rate@4 on {asked} held-out baskets: model {model:.1%}, "
        f"bestsellers {baseline:.1%} -> {ratio:.1f}x (target >= 2x) [{label}]"
    )


# --- A. generated history with a planted structure ---------------------------------


def zipf_sampler(count: int, exponent: float, rng: random.Random):
    weights = [1.0 / (rank + 1) ** exponent for rank in range(count)]
    population = list(range(count))
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return lambda k: rng.choices(population, cum_weights=cumulative, k=k)


def generate_baskets(
    count_lines: int, bundles: int, bundle_size: int, seed: int
) -> Tuple[List[Basket], List[Basket]]:
    rng = random.Random(seed)
    products = bundles * bundle_size
    # product index -> shuffled so that bundles and bestsellers are unrelated
    permutation = list(range(products))
    rng.shuffle(permutation)
    pick_bundle = zipf_sampler(bundles, 0.6, rng)
    pick_popular = zipf_sampler(products, 1.0, rng)

    def basket() -> Basket:
        bundle = pick_bundle(1)[0]
        members = [bundle * bundle_size + offset for offset in range(bundle_size)]
        chosen = set(rng.sample(members, rng.choice((2, 2, 3))))
        chosen.update(permutation[i] for i in pick_popular(rng.randint(1, 3)))
        return sorted(chosen)

    history: List[Basket] = []
    lines = 0
    while lines < count_lines:
        items = basket()
        items = items[: count_lines - lines]
        history.append(items)
        lines += len(items)
    held_out = [basket() for _ in range(3000)]
    return history, held_out


def bench_generated(args: argparse.Namespace) -> None:
    from saleor_ecrm_plugin.recommendations import rebuild_model, update_model

    print(
        f"A. generated shop: {args.lines:,} order lines, {args.bundles * 5:,} products"
        f" in {args.bundles:,} planted bundles of 5"
    )
    started = time.perf_counter()
    history, held_out = generate_baskets(args.lines, args.bundles, 5, args.seed)
    reset_shop()
    names = [f"Product {index}" for index in range(args.bundles * 5)]
    product_ids = write_catalogue(
        names, [index // 5 % 50 for index in range(len(names))]
    )
    lines = write_orders(history, product_ids)
    print(
        f"  wrote {len(history):,} orders / {lines:,} lines (COPY) in"
        f" {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    stats = rebuild_model()
    build = time.perf_counter() - started
    print(
        f"  model build: {build:.1f} s (target <= 60 s):"
        f" {stats.orders_counted:,} orders, {stats.products:,} products,"
        f" {stats.pairs:,} pair rows kept"
    )

    # one more order, then the incremental update the order_created hook enqueues
    _append_orders([history[0]], product_ids)
    started = time.perf_counter()
    update = update_model()
    update_ms = (time.perf_counter() - started) * 1000
    print(
        f"  incremental update after one order: {update_ms:.0f} ms"
        f" ({update.orders_added} order added)"
    )

    model, baseline, timings, asked = hit_rates(held_out, product_ids)
    p50, p95 = (percentile(timings, share) * 1000 for share in (0.5, 0.95))
    print(
        f"  lookup recommend_for(basket, 4): p50 {p50:.2f} ms,"
        f" p95 {p95:.2f} ms (target p95 <= 5 ms),"
        f" {len(timings)} lookups"
    )
    report_hit_rates("planted", model, baseline, asked)


def _append_orders(baskets: Sequence[Basket], product_ids: Sequence[int]) -> None:
    from saleor.order.models import Order, OrderLine
    from saleor.product.models import ProductVariant

    for basket in baskets:
        order = Order.objects.create(
            user_email="late@example.org", status="unfulfilled"
        )
        for index in basket:
            variant = ProductVariant.objects.get(product_id=product_ids[index])
            OrderLine.objects.create(
                order=order,
                variant=variant,
                product_name="Product",
                product_sku=variant.sku,
                is_shipping_required=True,
                quantity=1,
                unit_price_net_amount=10,
                unit_price_gross_amount=10,
            )


# --- B. the real Groceries baskets -------------------------------------------------


def bench_groceries(args: argparse.Namespace) -> None:
    from saleor_ecrm_plugin.recommendations import rebuild_model

    if not GROCERIES.exists():
        print(f"B. Groceries: SKIPPED, {GROCERIES} is absent")
        return
    rows = [
        sorted({item.strip() for item in line.split(",") if item.strip()})
        for line in GROCERIES.read_text().splitlines()
    ]
    rows = [row for row in rows if row]
    names = sorted({item for row in rows for item in row})
    index_of = {name: index for index, name in enumerate(names)}
    baskets = [[index_of[item] for item in row] for row in rows]
    random.Random(args.seed).shuffle(baskets)
    cut = int(len(baskets) * 0.8)
    history, held_out = baskets[:cut], baskets[cut:]
    print(
        f"B. Groceries: {len(baskets):,} real baskets, {len(names)} product groups;"
        f" {len(history):,} for the model, {len(held_out):,} held out"
    )
    reset_shop()
    product_ids = write_catalogue(names, [0] * len(names))
    write_orders(history, product_ids)
    started = time.perf_counter()
    rebuild_model()
    print(f"  model build: {time.perf_counter() - started:.2f} s")
    model, baseline, timings, asked = hit_rates(held_out, product_ids)
    print(f"  lookup p95 {percentile(timings, 0.95) * 1000:.2f} ms")
    report_hit_rates("groceries", model, baseline, asked)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines (A)")
    parser.add_argument("--bundles", type=int, default=1000, help="planted bundles (A)")
    parser.add_argument("--seed", type=int, default=2020)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    setup_django()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("saleor").setLevel(logging.WARNING)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    bench_generated(args)
    bench_groceries(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
