#!/usr/bin/env python
"""Benchmark of back-in-stock alerts. Prints figures, never fails on timing.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench7 \\
    .venv/bin/python bench/back_in_stock.py

A. Planning: 100,000 open subscriptions on ONE variant. The variant comes back with
   enough stock for a wave of 1,000, 10,000 and 100,000 alerts (2 alerts per unit);
   each time one detection tick (``run_detection``) plans the wave: subscriptions
   marked notified and their emails planned in the ledger, in one transaction.
   Printed: the tick's time, the time per alert and the growth of the time per alert
   (100k / 1k). Also the tick with nothing back in stock, with 100k waiting.
B. Detection: a catalogue of 100,000 variants (one stock row each, all sold out).
   The steady tick (nothing came back) is timed with
   1. 10,000 watched variants (10 open subscriptions each) among 20,000 variants,
   2. the same 10,000 watched among 100,000 (80,000 variants added),
   3. 1,000 watched among 100,000 (the subscriptions of 9,000 cancelled),
   and the growth ratios 2 / 1 (catalogue x5: near 1 if the catalogue does not
   count) and 2 / 3 (watched variants x10). Between 2 and 3, 100 of the watched
   variants come back (5 units each): the time of the tick that plans 100 waves.

The database named by ``DATABASE_URL`` (default ``ecrm_bench7``) is created and
migrated when missing; its catalogue, subscriptions and ledger are emptied: give the
bench a database of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench7"
ALERTS_PER_UNIT = "2"


# --- process set-up ---------------------------------------------------------------


def setup_django() -> bool:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
    # measure as a shop runs in production
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    created = ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("migrating the bench database (first run only)...", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
    return created


def sql(statement: str, params: Any = None) -> List[Tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def vacuum(*tables: str) -> None:
    for table in tables:
        sql(f"VACUUM (ANALYZE) {table}")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def configure_plugin() -> None:
    from django.contrib.sites.models import Site
    from saleor.plugins.models import PluginConfiguration
    from saleor.site.models import SiteSettings

    from saleor_ecrm_plugin.config import default_configuration
    from saleor_ecrm_plugin.constants import PLUGIN_ID

    site, _ = Site.objects.update_or_create(
        pk=1, defaults={"name": "Bench Shop", "domain": "shop.example.com"}
    )
    SiteSettings.objects.update_or_create(site=site)
    Site.objects.clear_cache()
    items = default_configuration()
    for item in items:
        if item["name"] == "back_in_stock_alerts_per_unit":
            item["value"] = ALERTS_PER_UNIT
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        defaults={"name": "e-CRM", "active": True, "configuration": items},
    )


SUBSCRIPTIONS = "saleor_ecrm_backinstocksubscription"
WATCHES = "saleor_ecrm_variantwatch"
LEDGER = "saleor_ecrm_scheduledsend"


def reset() -> None:
    sql(
        f"""
        TRUNCATE {SUBSCRIPTIONS}, {WATCHES}, {LEDGER}, saleor_ecrm_sendattempt,
                 warehouse_allocation, warehouse_stock, product_productvariant,
                 product_product
        RESTART IDENTITY CASCADE
        """
    )


def add_catalogue(count: int) -> None:
    """``count`` more published products, one variant each, with 0 units in stock."""
    from saleor.product.models import Category, ProductType
    from saleor.warehouse.models import Warehouse

    from tests.factories import make_warehouse

    product_type, _ = ProductType.objects.get_or_create(
        slug="bench-goods", defaults={"name": "Goods", "has_variants": False}
    )
    category, _ = Category.objects.get_or_create(
        slug="bench-category", defaults={"name": "Bench"}
    )
    warehouse = Warehouse.objects.filter(slug="bench").first() or make_warehouse(
        slug="bench", name="Bench"
    )
    (start,) = sql("SELECT COALESCE(max(id), 0) FROM product_product")[0]
    sql(
        """
        INSERT INTO product_product (name, slug, description, description_json,
            product_type_id, category_id, currency, price_amount,
            minimal_variant_price_amount, is_published, charge_taxes, metadata,
            private_metadata)
        SELECT 'Product ' || g, 'p-' || g, '', '{}', %s, %s, 'USD', 10, 10, true,
            true, '{}', '{}'
        FROM generate_series(%s, %s) AS g
        """,
        [product_type.pk, category.pk, start + 1, start + count],
    )
    sql(
        """
        INSERT INTO product_productvariant
            (sku, name, product_id, track_inventory, metadata, private_metadata)
        SELECT 'SKU-' || id, '', id, true, '{}', '{}' FROM product_product
        WHERE id > %s
        """,
        [start],
    )
    sql(
        """
        INSERT INTO warehouse_stock (warehouse_id, product_variant_id, quantity)
        SELECT %s, v.id, 0 FROM product_productvariant AS v WHERE v.product_id > %s
        """,
        [warehouse.pk, start],
    )
    vacuum("product_product", "product_productvariant", "warehouse_stock")


def subscribe_in_bulk(variant_ids: Sequence[int], per_variant: int) -> None:
    """``per_variant`` open subscriptions on each variant, one second apart."""
    sql(
        f"""
        INSERT INTO {SUBSCRIPTIONS} (variant_id, product_id, email, client_hash,
            status, created_at, cancel_reason)
        SELECT v.id, v.product_id, 'fan' || n || '.' || v.id || '@example.org', '',
            'open', now() - interval '30 days' + n * interval '1 second', ''
        FROM product_productvariant AS v
        CROSS JOIN generate_series(1, %s) AS n
        WHERE v.id = ANY(%s)
        """,
        [per_variant, list(variant_ids)],
    )
    vacuum(SUBSCRIPTIONS)


def set_stock(variant_ids: Sequence[int], quantity: int) -> None:
    """As Saleor's productVariantStocksUpdate leaves it (bulk_update, no signal)."""
    sql(
        "UPDATE warehouse_stock SET quantity = %s WHERE product_variant_id = ANY(%s)",
        [quantity, list(variant_ids)],
    )


def timed(action: Callable[[], Any]) -> Tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def median_tick(times: int) -> Tuple[float, float, float, Any]:
    from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection

    run_detection()  # warm-up (and the first tick's bookkeeping)
    seconds = []
    report = None
    for _ in range(times):
        elapsed, report = timed(run_detection)
        seconds.append(elapsed)
    return statistics.median(seconds), min(seconds), max(seconds), report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# --- A. planning waves on one variant ------------------------------------------------


def bench_planning(args: argparse.Namespace) -> None:
    from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection

    total = args.subscriptions
    print(f"A. Planning: {total:,} open subscriptions on one variant")
    reset()
    add_catalogue(1)
    (variant_id,) = sql("SELECT id FROM product_productvariant")[0]
    elapsed, _ = timed(lambda: subscribe_in_bulk([variant_id], total))
    print(f"  wrote {total:,} subscriptions in {elapsed:.1f} s")

    median, low, high, report = median_tick(args.ticks)
    print(
        f"  steady tick, nothing in stock, {total:,} waiting: median {ms(median)}"
        f" (min {low * 1000:.1f}, max {high * 1000:.1f}; {report.watched} watched)"
    )

    per_alert = {}
    sizes = [size for size in (1_000, 10_000, 100_000) if size <= total]
    for size in sizes:
        # back to the state before the wave
        sql(
            f"UPDATE {SUBSCRIPTIONS} SET status = 'open', notified_at = NULL,"
            " wave = NULL"
        )
        sql(f"TRUNCATE {WATCHES}, {LEDGER}, saleor_ecrm_sendattempt CASCADE")
        vacuum(SUBSCRIPTIONS, LEDGER)
        set_stock([variant_id], 0)
        run_detection()  # the watch row, as a tick would have left it
        units = size // int(ALERTS_PER_UNIT)
        set_stock([variant_id], units)
        elapsed, report = timed(run_detection)
        (planned,) = sql(f"SELECT count(*) FROM {LEDGER}")[0]
        problem = "" if report.notified == planned == size else "  !! mismatch"
        per_alert[size] = elapsed / size
        print(
            f"  {units:>6,} units back -> wave of {report.notified:>7,} alerts:"
            f" tick {elapsed:7.2f} s, {elapsed / size * 1e6:6.1f} us per alert,"
            f" {planned:,} ledger rows{problem}"
        )
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        print(
            f"  growth of the time per alert, wave {last:,} / {first:,}:"
            f" {per_alert[last] / per_alert[first]:.2f}x (1.0 = linear in the wave)"
        )


# --- B. detection tick ---------------------------------------------------------------


def bench_detection(args: argparse.Namespace) -> None:
    from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection

    catalogue, watched = args.catalogue, args.watched
    small = max(watched * 2, catalogue // 5)
    print(
        f"\nB. Detection tick: {watched:,} watched variants"
        f" ({args.per_variant} subscriptions each) in catalogues of"
        f" {small:,} and {catalogue:,} variants"
    )
    reset()
    elapsed, _ = timed(lambda: add_catalogue(small))
    # watched variants spread over the catalogue
    ids = [row[0] for row in sql("SELECT id FROM product_productvariant ORDER BY id")]
    step = len(ids) // watched
    watched_ids = ids[::step][:watched]
    subscribe_in_bulk(watched_ids, args.per_variant)
    print(
        f"  wrote {small:,} variants and {watched * args.per_variant:,}"
        f" subscriptions in {elapsed:.1f} s (+ subscriptions)"
    )
    first, _ = timed(run_detection)
    print(f"  first tick (records {watched:,} watch rows): {ms(first)}")

    results = {}
    median, low, high, report = median_tick(args.ticks)
    results["small"] = median
    print(
        f"  1. {report.watched:,} watched among {small:,} variants:"
        f" median {ms(median)} (min {low * 1000:.1f}, max {high * 1000:.1f})"
    )

    elapsed, _ = timed(lambda: add_catalogue(catalogue - small))
    print(f"     (added {catalogue - small:,} variants in {elapsed:.1f} s)")
    median, low, high, report = median_tick(args.ticks)
    results["large"] = median
    print(
        f"  2. {report.watched:,} watched among {catalogue:,} variants:"
        f" median {ms(median)} (min {low * 1000:.1f}, max {high * 1000:.1f})"
    )

    # 100 watched variants come back with 5 units: 100 waves of 10 alerts
    back = watched_ids[:100]
    set_stock(back, 5)
    elapsed, report = timed(run_detection)
    print(
        f"     tick where {len(back)} of them came back (5 units each):"
        f" {ms(elapsed)}, {report.waves} waves, {report.notified:,} alerts planned"
    )
    set_stock(back, 0)
    run_detection()

    few = watched // 10
    sql(
        f"UPDATE {SUBSCRIPTIONS} SET status = 'cancelled', cancel_reason = 'bench'"
        " WHERE NOT (variant_id = ANY(%s))",
        [watched_ids[-few:]],
    )
    vacuum(SUBSCRIPTIONS)
    median, low, high, report = median_tick(args.ticks)
    results["few"] = median
    print(
        f"  3. {report.watched:,} watched among {catalogue:,} variants:"
        f" median {ms(median)} (min {low * 1000:.1f}, max {high * 1000:.1f})"
    )
    print(
        f"  growth, catalogue {catalogue:,} / {small:,} at {watched:,} watched:"
        f" {results['large'] / results['small']:.2f}x (1.0 = the catalogue does not"
        " count)"
    )
    print(
        f"  growth, {watched:,} / {few:,} watched among {catalogue:,}:"
        f" {results['large'] / results['few']:.2f}x"
        f" ({watched // few}x the watched variants)"
    )
    print(f"  EXPLAIN (ANALYZE) of the availability read, {few:,} watched variants:")
    for line in explain_availability(watched_ids[-few:]):
        print("    " + line)


def explain_availability(variant_ids: Sequence[int]) -> List[str]:
    """The plan of host.variant_stock's statement, captured as it runs."""
    from django.db import connection

    from saleor_ecrm_plugin.host import port as host

    captured: List[Tuple[str, Any]] = []

    def capture(execute, statement, params, many, context):  # type: ignore[no-untyped-def]
        if "LATERAL" in statement:
            captured.append((statement, params))
        return execute(statement, params, many, context)

    with connection.execute_wrapper(capture):
        host.variant_stock(variant_ids)
    statement, params = captured[0]
    rows = sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, params)
    return [row[0] for row in rows]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000, help="A")
    parser.add_argument("--catalogue", type=int, default=100_000, help="B")
    parser.add_argument("--watched", type=int, default=10_000, help="B")
    parser.add_argument("--per-variant", type=int, default=10, help="B")
    parser.add_argument("--ticks", type=int, default=5, help="timed ticks per case")
    parser.add_argument("--skip-planning", action="store_true")
    parser.add_argument("--skip-detection", action="store_true")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    wall = time.perf_counter()
    created = setup_django()
    import logging

    import django

    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("saleor").setLevel(logging.WARNING)
    (pg_version,) = sql("SHOW server_version")[0]
    print(
        f"saleor-ecrm-plugin back-in-stock bench (Django {django.get_version()},"
        f" PostgreSQL {pg_version}, {os.cpu_count()} CPUs,"
        f" database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}"
        f"{' (created)' if created else ''})\n"
        f"load average at start {load_average()}"
        " (other work on the machine skews the figures)"
    )
    configure_plugin()
    if not args.skip_planning:
        bench_planning(args)
    if not args.skip_detection:
        bench_detection(args)
    print(
        f"\nTotal bench time {time.perf_counter() - wall:.0f} s,"
        f" load average at end {load_average()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
