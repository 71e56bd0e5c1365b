#!/usr/bin/env python
"""A Saleor 2.10 shop with years of order history, for the lifecycle benchmarks.

Run from the repository root::

    python bench/history.py --customers 100000        # builds ecrm_hist_100000 once

``N`` customers (``account_user``), about 5 orders each spread over three years
(``order_order``, ``order_orderline``), written by set-based SQL
(``generate_series``, ``INSERT ... SELECT``) straight into Saleor's tables:

* the catalogue is the 169 product groups of the real "Groceries" baskets
  (``../shared/data/groceries.csv``; a numbered catalogue when absent), in seven
  categories (dairy, produce, drinks, bakery, meat and fish, household, pantry),
  one product type per category; every product has one variant in stock; the
  household type carries the lifetime metadata ``ecrm.lifetime_days`` (60);
* editions: a yearly guide ``guide-2024 -> guide-2025 -> guide-2026`` linked by the
  product metadata ``ecrm.previous_edition``; the 2026 edition is published and
  bought by nobody yet, earlier ones by about 8 % of the customers;
* each customer has a staple product bought in every order, on a cadence of its own
  (14 to 120 days, set by the product, +-20 % per order), plus one or two products
  drawn with a skew towards the bestsellers; the last order is 0 to 400 days old;
* order ids follow the order dates, as in a shop where each order gets the next
  id when it is placed (programs bound "the orders of a day" by an id range).

The shop is built once into a *template database* (``ecrm_hist_<N>``, migrated
first) marked complete with a comment; :func:`clone` copies it for a run with
``createdb -T`` (seconds, not minutes). Other benchmarks call :func:`ensure_template`
and :func:`clone`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
GROCERIES = REPO.parent / "shared" / "data" / "groceries.csv"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
#: the comment a finished template carries (a half-built one is rebuilt)
MARK = "ecrm-history v2 complete"
#: "now" of the generated history: orders are placed before it
EDITION_SLUGS = ("guide-2024", "guide-2025", "guide-2026")

CATEGORY_WORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("dairy", ("milk", "yogurt", "cheese", "cream", "butter", "curd", "whipped")),
    ("produce", ("fruit", "vegetables", "berries", "grapes", "onions", "herbs",
                 "potato", "citrus", "pip", "root", "nuts", "salad")),
    ("drinks", ("beer", "wine", "liquor", "soda", "juice", "water", "coffee", "tea",
                "beverages", "spirits", "whisky", "brandy", "rum", "liqueur",
                "cocoa", "champagne", "prosecco")),
    ("bakery", ("bread", "rolls", "pastry", "cake", "zwieback", "waffles",
                "bakery")),
    ("meat-and-fish", ("meat", "sausage", "chicken", "pork", "beef", "ham",
                       "fish", "frankfurter", "turkey", "poultry", "hamburger",
                       "liver", "salmon")),
    ("household", ("cleaner", "detergent", "napkins", "hygiene", "bags", "soap",
                   "softener", "toilet", "dishes", "candles", "kitchen",
                   "cosmetics", "shampoo", "bathroom", "light bulbs",
                   "pot plants", "flower", "newspapers", "decalcifier")),
)  # fmt: skip
PANTRY = "pantry"


def server_url() -> str:
    return os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL)


def database_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit(parts._replace(path="/" + name))


def _connect(dbname: str = "postgres"):
    import psycopg2

    parts = urlsplit(server_url())
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname=dbname,
    )
    connection.autocommit = True
    return connection


#: an empty shop, migrated once: every template starts as a copy of it
MIGRATED = "ecrm_hist_migrated"


def template_name(customers: int) -> str:
    return f"ecrm_hist_{customers}"


def _database_comment(name: str) -> Optional[str]:
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = %s",
                [name],
            )
            row = cursor.fetchone()
            return None if row is None else (row[0] or "")
    finally:
        connection.close()


def _drop_database(name: str) -> None:
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        connection.close()


def clone(template: str, target: str) -> str:
    """A fresh copy of ``template`` named ``target`` (dropped first); its URL."""
    _drop_database(target)
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
    finally:
        connection.close()
    return database_url(target)


def ensure_template(customers: int, seed: float = 0.42) -> str:
    """The name of the template database of a ``customers`` shop, built if missing.

    Built in a child process (Django binds to one database per process)."""
    name = template_name(customers)
    if _database_comment(name) == MARK:
        return name
    command = [sys.executable, str(Path(__file__)), "--customers", str(customers)]
    command += ["--seed", str(seed)]
    subprocess.run(command, check=True, cwd=str(REPO))
    return name


# --- building (in the process bound to the template database) ---------------------


def catalogue_names() -> List[str]:
    """The product groups of the Groceries baskets, in first-seen order."""
    if not GROCERIES.exists():
        return [f"Product {number}" for number in range(1, 170)]
    seen: List[str] = []
    known = set()
    for line in GROCERIES.read_text(encoding="utf-8").splitlines():
        for item in line.split(","):
            item = item.strip()
            if item and item not in known:
                known.add(item)
                seen.append(item)
    return seen


def category_of(name: str) -> str:
    lowered = name.lower()
    for slug, words in CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return slug
    return PANTRY


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def write_catalogue(cursor, names: Sequence[str]) -> None:
    """Categories, product types, products, variants, one warehouse and stock."""
    slugs = [slug for slug, _ in CATEGORY_WORDS] + [PANTRY]
    cursor.execute(
        """
        INSERT INTO product_category
            (name, slug, description, description_json, lft, rght, tree_id, level,
             background_image, background_image_alt, seo_title, seo_description,
             metadata, private_metadata)
        SELECT initcap(replace(s, '-', ' ')), s, '', '{}', 1, 2, ord, 0, '', '', '',
               '', '{}', '{}'
        FROM unnest(%s::text[]) WITH ORDINALITY AS t(s, ord)
        """,
        [slugs],
    )
    cursor.execute(
        """
        INSERT INTO product_producttype
            (name, slug, has_variants, is_shipping_required, is_digital, weight,
             metadata, private_metadata)
        SELECT initcap(replace(s, '-', ' ')), s, false, true, false, 0,
               CASE WHEN s = 'household' THEN '{"ecrm.lifetime_days": "60"}'
                    ELSE '{}' END::jsonb,
               '{}'
        FROM unnest(%s::text[]) AS s
        """,
        [slugs],
    )
    rows = [(name, _slug(name), category_of(name)) for name in names]
    rows += [
        (f"Yearly guide {slug[-4:]}", slug, "books") for slug in EDITION_SLUGS
    ]  # fmt: skip
    cursor.execute(
        """
        INSERT INTO product_category
            (name, slug, description, description_json, lft, rght, tree_id, level,
             background_image, background_image_alt, seo_title, seo_description,
             metadata, private_metadata)
        VALUES ('Books', 'books', '', '{}', 1, 2, 99, 0, '', '', '', '', '{}', '{}')
        """
    )
    cursor.execute(
        """
        INSERT INTO product_producttype
            (name, slug, has_variants, is_shipping_required, is_digital, weight,
             metadata, private_metadata)
        VALUES ('Books', 'books', false, true, false, 0, '{}', '{}')
        """
    )
    cursor.execute(
        """
        INSERT INTO product_product
            (name, slug, description, description_json, product_type_id,
             category_id, currency, price_amount, minimal_variant_price_amount,
             is_published, publication_date, charge_taxes, updated_at, metadata,
             private_metadata, seo_title, seo_description)
        SELECT t.name, t.slug, '', '{}', pt.id, c.id, 'USD',
               (2 + (ord %% 13))::numeric, (2 + (ord %% 13))::numeric,
               true, NULL, true, now(), '{}', '{}', '', ''
        FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY
             AS t(name, slug, category, ord)
        JOIN product_category c ON c.slug = t.category
        JOIN product_producttype pt ON pt.slug = t.category
        """,
        [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
    )
    # the edition chain: each guide names the previous one's slug
    for previous, current in zip(EDITION_SLUGS, EDITION_SLUGS[1:]):
        cursor.execute(
            "UPDATE product_product SET metadata = jsonb_build_object("
            "'ecrm.previous_edition', %s::text) WHERE slug = %s",
            [previous, current],
        )
    cursor.execute(
        """
        INSERT INTO product_productvariant
            (sku, name, product_id, track_inventory, weight, metadata,
             private_metadata, cost_price_amount, currency)
        SELECT 'SKU-' || id, '', id, true, NULL, '{}', '{}', NULL, 'USD'
        FROM product_product
        """
    )
    cursor.execute(
        """
        WITH address AS (
            INSERT INTO account_address
                (first_name, last_name, company_name, street_address_1,
                 street_address_2, city, city_area, postal_code, country,
                 country_area, phone)
            VALUES ('', '', 'History', '1 Main St', '', 'Boston', '', '02110',
                    'US', 'MA', '')
            RETURNING id
        )
        INSERT INTO warehouse_warehouse
            (id, name, slug, company_name, email, address_id)
        SELECT gen_random_uuid(), 'History', 'history', 'History', '', id
        FROM address
        """
    )
    cursor.execute(
        """
        INSERT INTO warehouse_stock (warehouse_id, product_variant_id, quantity)
        SELECT w.id, v.id, 100000
        FROM product_productvariant v CROSS JOIN warehouse_warehouse w
        WHERE w.slug = 'history'
        """
    )


def write_customers_and_orders(cursor, customers: int, seed: float) -> None:
    """Customers, their orders and order lines, in a few INSERT ... SELECT.

    Foreign-key triggers are off meanwhile (``session_replication_role``: the rows
    are consistent by construction; a check per line doubled the load's time)."""
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(%s)", [seed])
    cursor.execute(
        """
        INSERT INTO account_user
            (id, is_superuser, email, is_staff, is_active, password, date_joined,
             note, first_name, last_name, metadata, private_metadata)
        SELECT c, false, 'c' || c || '@example.org', false, true, '!',
               now() - interval '1100 days', NULL, 'Customer', c::text, '{}', '{}'
        FROM generate_series(1, %s) AS c
        """,
        [customers],
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('account_user', 'id'), %s)",
        [customers],
    )
    # products ordered by id; the guides are the last three and never staples
    cursor.execute(
        """
        CREATE TEMP TABLE hist_products AS
        SELECT row_number() OVER (ORDER BY p.id) - 1 AS rank, p.id AS product_id,
               v.id AS variant_id, p.name, p.price_amount,
               14 + (p.id * 37) % 107 AS cadence_days
        FROM product_product p JOIN product_productvariant v ON v.product_id = p.id
        WHERE p.slug NOT LIKE 'guide-%'
        """
    )
    cursor.execute("SELECT count(*) FROM hist_products")
    products = cursor.fetchone()[0]
    # one row per order: customer, its staple, how long before "now"
    cursor.execute(
        """
        CREATE TEMP TABLE hist_orders AS
        WITH people AS (
            SELECT c,
                   floor(%(products)s * power(random(), 2))::int AS staple,
                   1 + floor(random() * 9)::int AS n_orders,
                   power(random(), 2) * 400 AS last_age,
                   random() < 0.08 AS reads_guides
            FROM generate_series(1, %(customers)s) AS c
        )
        SELECT row_number() OVER (ORDER BY created) AS id, placed.*
        FROM (
            SELECT people.c, people.staple, k, people.reads_guides,
                   now() - make_interval(secs => 86400 * (
                       people.last_age + k * p.cadence_days * (0.8 + 0.4 * random())
                   )) AS created
            FROM people
            JOIN hist_products p ON p.rank = people.staple
            CROSS JOIN LATERAL generate_series(0, people.n_orders - 1) AS k
        ) AS placed
        """,
        {"products": products, "customers": customers},
    )
    cursor.execute(
        """
        INSERT INTO order_order
            (id, created, status, language_code, tracking_client_id, user_id,
             user_email, currency, shipping_price_net_amount,
             shipping_price_gross_amount, token, checkout_token, total_net_amount,
             total_gross_amount, discount_amount, display_gross_prices,
             customer_note, weight, metadata, private_metadata)
        SELECT id, created, 'fulfilled', 'en', '', c, 'c' || c || '@example.org',
               'USD', 0, 0, 'h-' || id, '', 20, 20, 0, true, '', 0, '{}', '{}'
        FROM hist_orders
        """
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('order_order', 'id'), "
        "(SELECT max(id) FROM order_order))"
    )
    # line 1: the staple (quantity 1, sometimes 2); lines 2-3: skewed draws;
    # the oldest order of a guide reader holds a guide of 2024 or 2025
    cursor.execute(
        """
        INSERT INTO order_orderline
            (order_id, variant_id, product_name, variant_name,
             translated_product_name, translated_variant_name, product_sku,
             is_shipping_required, quantity, quantity_fulfilled, currency,
             unit_price_net_amount, unit_price_gross_amount, tax_rate)
        SELECT o.id, p.variant_id, p.name, '', '', '', 'SKU-' || p.variant_id,
               true, line.quantity, line.quantity, 'USD', p.price_amount,
               p.price_amount, 0
        FROM hist_orders o
        CROSS JOIN LATERAL (
            SELECT o.staple AS rank, CASE WHEN random() < 0.2 THEN 2 ELSE 1 END
                AS quantity
            UNION ALL
            SELECT floor(%(products)s * power(random(), 3))::int, 1
            UNION ALL
            SELECT floor(%(products)s * power(random(), 3))::int, 1
            WHERE random() < 0.5
        ) AS line
        JOIN hist_products p ON p.rank = line.rank
        """,
        {"products": products},
    )
    cursor.execute(
        """
        INSERT INTO order_orderline
            (order_id, variant_id, product_name, variant_name,
             translated_product_name, translated_variant_name, product_sku,
             is_shipping_required, quantity, quantity_fulfilled, currency,
             unit_price_net_amount, unit_price_gross_amount, tax_rate)
        SELECT o.id, v.id, p.name, '', '', '', v.sku, true, 1, 1, 'USD',
               p.price_amount, p.price_amount, 0
        FROM hist_orders o
        JOIN product_product p
          ON p.slug = CASE WHEN o.c % 2 = 0 THEN 'guide-2024' ELSE 'guide-2025' END
        JOIN product_productvariant v ON v.product_id = p.id
        WHERE o.reads_guides AND o.k = 0
        """
    )
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("ANALYZE")


def _django_env(name: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url(name))
    env.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
    env.setdefault("DEBUG", "False")
    env.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    return env


def ensure_migrated() -> None:
    """The migrated empty shop :data:`MIGRATED`, made once (``migrate`` in a child
    process: Django binds to one database per process)."""
    if _database_comment(MIGRATED) == MARK:
        return
    _drop_database(MIGRATED)
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{MIGRATED}"')
    finally:
        connection.close()
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        env=_django_env(MIGRATED),
        cwd=str(REPO),
        check=True,
    )
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE \"{MIGRATED}\" IS '{MARK}'")
    finally:
        connection.close()


def build(customers: int, seed: float) -> None:
    """Copy the migrated empty shop and fill it: the template of ``customers``."""
    name = template_name(customers)
    started = time.perf_counter()
    ensure_migrated()
    clone(MIGRATED, name)
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS NULL')
    finally:
        connection.close()
    os.environ.update(_django_env(name))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as django_connection

    # migrations added since the empty shop was migrated
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    with django_connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE product_category, product_producttype, account_user"
            " RESTART IDENTITY CASCADE"
        )
        write_catalogue(cursor, catalogue_names())
        write_customers_and_orders(cursor, customers, seed)
        cursor.execute("SELECT count(*) FROM order_order")
        orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM order_orderline")
        lines = cursor.fetchone()[0]
    django_connection.close()
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{MARK}'")
    finally:
        connection.close()
    print(
        f"{name}: {customers} customers, {orders} orders, {lines} lines;"
        f" migrated shop copied in {migrated - started:.0f} s,"
        f" history written in {time.perf_counter() - migrated:.0f} s",
        flush=True,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=float, default=0.42)
    args = parser.parse_args(argv)
    build(args.customers, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
